/* fuse.c - fold BiasAdd and a following Relu/Relu6 into the Conv2D, DepthwiseConv2dNative or
 * MatMul before them: the kernel adds the bias and clamps while its output is still in cache,
 * and the folded nodes just pass the value on. These models are memory-bound, so the passes
 * saved are most of the element-wise time. Results are bit-identical to running the nodes one
 * by one (the same fp32 add and clamp; in fp16 the rounding commutes with the clamp).
 * Folding needs a single consumer at each step, constant per-channel bias of the same dtype,
 * NHWC, and no folded value fetched as an output. */
#include "exec/exec.h"

#include "base/fp16.h"

/* The only data consumer of node i (port 0), or -1 when there are none or several. */
static int32_t sole_consumer(const hc_session *s, uint32_t i) {
    int32_t found = -1;
    for (uint32_t e = s->kn[i].out_start; e < s->kn[i].out_end; e++) {
        const hc_oedge *oe = &s->oedges[e];
        if (oe->port < 0) continue;
        if (found >= 0 || oe->port != 0) return -1;
        found = (int32_t)oe->dst;
    }
    return found;
}

static bool nhwc(const hc_node *n) {
    hc_span f;
    return !hc_k_attr_str(n, "data_format", &f) || hc_span_eq_str(f, "NHWC");
}

static hc_dtype type_of(const hc_node *n) {
    return hc_k_attr_type(n, "T", HC_DT_INVALID);
}

/* The bias of BiasAdd node b as fp32, when it is a constant vector of the conv's dtype. */
static const float *bias_of(hc_session *s, uint32_t b, hc_dtype dt, int64_t *channels) {
    const hc_node *n = &s->g->nodes[b];
    if (n->n_in < 2 || n->in[1].port != 0 || !nhwc(n) || type_of(n) != dt) return NULL;
    const hc_knode *c = &s->kn[n->in[1].node];
    if (c->kind != HC_K_CONST || c->value.rank != 1 || c->value.dtype != dt || !c->value.data)
        return NULL;
    int64_t m = c->value.dims[0];
    float *f = hc_arena_alloc_raw(&s->arena, (size_t)m * sizeof(float) + 1);
    if (!f) return NULL;
    for (int64_t j = 0; j < m; j++)
        f[j] = (float)hc_load_double(dt, c->value.data, (size_t)j);
    *channels = m;
    return f;
}

static bool foldable(const hc_session *s, uint32_t i, int32_t next, const char *op) {
    if (next < 0 || s->kn[i].fetch >= 0 || s->kn[next].fetch >= 0) return false;
    const hc_node *n = &s->g->nodes[next];
    return s->kn[next].kind == HC_K_NORMAL && hc_span_eq_str(n->op, op) &&
           s->kn[next].frame == s->kn[i].frame && n->in[0].node == (int32_t)i;
}

static hc_status fuse_one(hc_session *s, uint32_t i) {
    const hc_node *conv = &s->g->nodes[i];
    hc_dtype dt = type_of(conv);
    int32_t b = sole_consumer(s, i);
    if ((dt != HC_DT_FLOAT && dt != HC_DT_HALF) || !nhwc(conv) || !foldable(s, i, b, "BiasAdd"))
        return HC_OK;
    int64_t channels = 0;
    const float *bias = bias_of(s, (uint32_t)b, dt, &channels);
    if (!bias) return s->ctx->status;
    hc_epilogue *e = hc_arena_alloc(&s->arena, sizeof *e);
    if (!e) return HC_NOMEM;
    e->bias = bias;
    e->channels = channels;
    s->kn[b].kind = HC_K_FORWARD;
    int32_t r = sole_consumer(s, (uint32_t)b);
    bool relu = foldable(s, (uint32_t)b, r, "Relu"), relu6 = foldable(s, (uint32_t)b, r, "Relu6");
    if ((relu || relu6) && type_of(&s->g->nodes[r]) == dt) {
        e->act = relu ? HC_ACT_RELU : HC_ACT_RELU6;
        s->kn[r].kind = HC_K_FORWARD;
    }
    s->kn[i].epi = e;
    return HC_OK;
}

hc_status hc_exec_fuse(hc_session *s) {
    for (uint32_t i = 0; i < s->g->n_nodes; i++) {
        const hc_knode *k = &s->kn[i];
        if (!s->needed[i] || k->kind != HC_K_NORMAL || !k->k || !(k->k->flags & HC_KF_EPILOGUE))
            continue;
        hc_status st = fuse_one(s, i);
        if (st) return st;
    }
    return HC_OK;
}
