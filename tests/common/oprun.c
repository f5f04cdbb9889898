/* oprun.c - see oprun.h. */
#include "common/oprun.h"

#include <stdio.h>
#include <string.h>

hc_tensor tensor_of(hc_dtype dt, int rank, const int64_t *dims, const void *data) {
    hc_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dt;
    t.rank = rank;
    for (int i = 0; i < rank; i++)
        t.dims[i] = dims[i];
    t.data = data;
    return t;
}

void oprun_init(oprun *r, const char *op, int n_in, const hc_tensor *in) {
    memset(r, 0, sizeof *r);
    tg_init(&r->t);
    r->n_in = n_in;
    const char *names[8];
    char buf[8][8];
    for (int i = 0; i < n_in; i++) {
        snprintf(buf[i], sizeof buf[i], "in%d", i);
        names[i] = buf[i];
        r->in[i] = in[i];
        /* Unknown dims: the op must work from the values it gets at run time. */
        int64_t dims[8];
        for (int d = 0; d < in[i].rank; d++)
            dims[d] = -1;
        hc_gb_placeholder(&r->t.g, buf[i], in[i].dtype, in[i].rank, dims);
    }
    r->node = hc_gb_node(&r->t.g, op, "op", names, (size_t)n_in);
}

hc_status oprun_exec(oprun *r, int n_out) {
    tg_open(&r->t);
    r->n_out = n_out;
    for (int k = 0; k < n_out; k++) {
        snprintf(r->out_names[k], sizeof r->out_names[k], k ? "op:%d" : "op", k);
        r->outs[k] = r->out_names[k];
    }
    hc_session_options o = {r->outs, (size_t)n_out};
    hc_status s = hc_session_new(r->t.ctx, r->t.m, &o, &r->s);
    for (int i = 0; !s && i < r->n_in; i++) {
        char name[8];
        snprintf(name, sizeof name, "in%d", i);
        s = hc_session_set_input(r->s, name, &r->in[i]);
    }
    if (!s) s = hc_session_run(r->s);
    return s;
}

hc_tensor oprun_out(const oprun *r, int k) {
    hc_tensor t;
    memset(&t, 0, sizeof t);
    if (hc_session_output(r->s, (size_t)k, &t)) fail_msg("output %d missing", k);
    return t;
}

void oprun_fini(oprun *r) {
    hc_session_free(r->s);
    tg_fini(&r->t);
}
