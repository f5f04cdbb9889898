/* fold.c - constant sub-graphs computed once, when the session is made.
 *
 * A node whose every input is a constant (a Const, or a node folded before it) gives the same
 * value on every run. Quantized models dequantize their weights this way (the OpenCV face
 * detector has 103 Dequantize nodes on uint8 weights): run per inference, that work and its
 * fresh buffers dominate the first run and cost every later one. Folding runs such a node's
 * kernel once at load; the node then acts as a Const holding the result, its inputs are no
 * longer needed, and the result lives (in the session's buffers) as long as the session.
 *
 * Only ops listed below fold: pure functions of their inputs with one plain tensor output.
 * A result much larger than its inputs (Fill, Tile of a broadcast constant) is left to run
 * time, so folding never expands a small constant into resident memory. */
#include "exec/exec.h"

/* Pure, deterministic, one output, no runtime objects. */
static const char *const FOLDABLE[] = {
    "Add",     "AddV2", "Cast",   "ConcatV2", "Dequantize", "ExpandDims", "Maximum",
    "Minimum", "Mul",   "Neg",    "Pack",     "RealDiv",    "Reciprocal", "Reshape",
    "Rsqrt",   "Sqrt",  "Square", "Squeeze",  "Sub",        "Transpose",
};

/* A result may be at most this many times the bytes of its inputs (Dequantize of uint8 to
 * float is 4x), plus a little for shapes built from scalars. */
#define GROWTH_MAX 4
#define GROWTH_PAD 256

static bool foldable_op(hc_span op) {
    for (size_t i = 0; i < HC_COUNT(FOLDABLE); i++)
        if (hc_span_eq_str(op, FOLDABLE[i])) return true;
    return false;
}

/* Every input (data and control) comes from a constant; data inputs from port 0. */
static bool constant_inputs(const hc_session *s, const hc_node *n) {
    if (n->n_in == 0) return false;
    for (uint32_t k = 0; k < n->n_in; k++) {
        const hc_edge e = n->in[k];
        if (s->kn[e.node].kind != HC_K_CONST || e.port > 0) return false;
    }
    return true;
}

/* Run node i's kernel on its constant inputs; on success it becomes a Const holding the
 * result. A result that is too large, or not a plain tensor, is dropped and the node left
 * to run time. */
static hc_status fold_node(hc_session *s, uint32_t i) {
    const hc_node *n = &s->g->nodes[i];
    hc_knode *k = &s->kn[i];
    hc_val in[8], out = {0};
    uint32_t n_data = 0;
    size_t in_bytes = 0;
    for (uint32_t j = 0; j < n->n_in; j++) {
        if (n->in[j].port < 0) continue;
        if (n_data == HC_COUNT(in)) return HC_OK;
        hc_status st = hc_exec_prepare_node(s, (uint32_t)n->in[j].node);
        if (st) return st;
        in[n_data] = s->kn[n->in[j].node].value;
        in_bytes += hc_val_bytes(&in[n_data]);
        n_data++;
    }
    hc_status st = hc_exec_prepare_node(s, i);
    if (st) return st;
    hc_kernel_ctx kc = {s, s->ctx, n, k->state, n_data, in, 1, &out, NULL, &s->ctx->cpu, NULL};
    if ((st = k->k->run(&kc))) return st;
    if (out.obj || hc_val_bytes(&out) > GROWTH_MAX * in_bytes + GROWTH_PAD) {
        hc_val_release(s, &out);
        return HC_OK;
    }
    k->kind = HC_K_CONST;
    k->folded = true;
    k->value = out;
    return HC_OK;
}

/* Node p is folded, every consumer of it is too, and it is not an output: its value is no
 * longer needed, so its buffer can serve the next fold (a Dequantize feeding a Cast). */
static bool spent(const hc_session *s, uint32_t p) {
    if (!s->kn[p].folded) return false;
    for (uint32_t e = s->kn[p].out_start; e < s->kn[p].out_end; e++)
        if (!s->kn[s->oedges[e].dst].folded) return false;
    for (size_t j = 0; j < s->n_outputs; j++)
        if ((uint32_t)s->outputs[j].node == p) return false;
    return true;
}

static void release_spent_inputs(hc_session *s, const hc_node *n) {
    for (uint32_t j = 0; j < n->n_in; j++) {
        uint32_t p = (uint32_t)n->in[j].node;
        if (spent(s, p)) hc_val_release(s, &s->kn[p].value);
    }
}

hc_status hc_exec_fold(hc_session *s, const uint32_t *order, uint32_t n_order, uint32_t *folded) {
    *folded = 0;
    for (uint32_t o = 0; o < n_order; o++) {
        uint32_t i = order[o];
        const hc_node *n = &s->g->nodes[i];
        if (s->kn[i].kind != HC_K_NORMAL || n->n_out != 1 || !foldable_op(n->op) ||
            !constant_inputs(s, n))
            continue;
        hc_status st = fold_node(s, i);
        if (st) return st;
        if (s->kn[i].folded) release_spent_inputs(s, n);
        *folded += s->kn[i].folded;
    }
    return HC_OK;
}

void hc_exec_unfold(hc_session *s) {
    if (!s->kn) return;
    for (uint32_t i = 0; i < s->g->n_nodes; i++)
        if (s->kn[i].folded) hc_val_release(s, &s->kn[i].value);
}
