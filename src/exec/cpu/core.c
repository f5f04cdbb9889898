/* core.c - kernels that forward their inputs: Identity and its relatives. (Const,
 * Placeholder, NoOp and the TF1 control-flow ops are run by the scheduler itself.) */
#include "exec/exec.h"

static hc_status forward(hc_kernel_ctx *k) {
    if (k->n_in < 1) return hc_k_fail(k, HC_MALFORMED, "has no input to forward");
    hc_k_forward(k, 0, 0);
    return HC_OK;
}

static hc_status forward_all(hc_kernel_ctx *k) {
    if (k->n_in != k->n_out)
        return hc_k_fail(k, HC_MALFORMED, "inputs and outputs differ in number");
    for (uint32_t i = 0; i < k->n_in; i++)
        hc_k_forward(k, i, i);
    return HC_OK;
}

/* Sorted by op name (binary search). */
const hc_kernel hc_kernels_core[] = {
    {"CheckNumerics", NULL, forward}, {"EnsureShape", NULL, forward},
    {"Identity", NULL, forward},      {"IdentityN", NULL, forward_all},
    {"LoopCond", NULL, forward},      {"PreventGradient", NULL, forward},
    {"Snapshot", NULL, forward},      {"StopGradient", NULL, forward},
};
const size_t hc_n_kernels_core = sizeof hc_kernels_core / sizeof hc_kernels_core[0];
