/* ops_tf.c - the TensorFlow op table. Entries live in ops_tf.def, sorted by name (a test
 * checks the order). Signatures follow TensorFlow's REGISTER_OP definitions; precision
 * classes follow TensorFlow's auto-mixed-precision lists, with detection post-processing
 * (NMS, box decoding with Exp, resizes with float32 outputs) kept fp32. */
#include "ops/ops.h"

#define A(n, t) {n, t}
#define IN(...) .in = {__VA_ARGS__}
#define OUT(...) .out = {__VA_ARGS__}
#define TA(n, m) {n, m, HC_DT_INVALID, false}
#define TAD(n, m, d) {n, m, HC_DT_##d, false}
#define TLIST(n, m) {n, m, HC_DT_INVALID, true}
#define TATTRS(...) .tattrs = {__VA_ARGS__}
#define FLAGS(f) .flags = (f)
#define REASON(r) .reason = (r)
#define ELEM(a) .elem_attr = (a)
#define OP(nm, c, ...) {.name = nm, .cls = HC_OPCLS_##c, __VA_ARGS__},

static const hc_opdef TF_OPS[] = {
#include "ops/ops_tf.def"
};

const hc_opdef *hc_op_table(size_t *count) {
    *count = sizeof TF_OPS / sizeof TF_OPS[0];
    return TF_OPS;
}
