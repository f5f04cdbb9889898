/* oprun.h - run one op through a real session: the test builds the node (inputs are
 * Placeholders named in0, in1, ... or Consts it makes itself), sets attributes, and reads the
 * outputs. Used by the kernel tests and the control-flow tests. */
#ifndef HC_TEST_OPRUN_H
#define HC_TEST_OPRUN_H

#include "common/gb.h"

typedef struct oprun {
    tg t;
    hc_session *s;
    int n_in;
    hc_tensor in[8];
    int32_t node;         /* the op's node in t.g */
    const char *outs[16]; /* fetched outputs, "op:k" */
    char out_names[16][32];
    int n_out;
} oprun;

/* Start a graph with `n_in` Placeholders in0.. of the given tensors, and a node `op` named
 * "op" reading them in order. Set attributes on r->node with hc_gb_* before oprun_exec. */
void oprun_init(oprun *r, const char *op, int n_in, const hc_tensor *in);
/* Open, prepare a session fetching n_out outputs, set inputs and run. Returns the status of
 * the run (session errors included); the test checks hc_ctx_message(r->t.ctx) on failure. */
hc_status oprun_exec(oprun *r, int n_out);
/* Output k after a successful run. */
hc_tensor oprun_out(const oprun *r, int k);
void oprun_fini(oprun *r);

/* Tensor helpers: make a tensor view over caller-owned data. */
hc_tensor tensor_of(hc_dtype dt, int rank, const int64_t *dims, const void *data);
#endif
