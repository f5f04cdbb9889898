/* analyze.c - the load-time work of a session: which nodes the outputs need, their order
 * (a cycle not closed by NextIteration is refused), the static frames of TF1 loops, input
 * slots and pending counts, kernel lookup and per-node preparation, and constants as views
 * into the model (no copies). Constant sub-graphs are computed here once (fold.c) and the
 * analysis redone with those nodes as constants. */
#include "exec/exec.h"

#include <stdio.h>

static hc_status fail_node(hc_session *s, uint32_t i, hc_status st, const char *msg) {
    const hc_node *n = &s->g->nodes[i];
    return hc_fail_n(s->ctx, st, n->name.p, n->name.n, "(" HC_SPAN_FMT ") %s", HC_SPAN_ARG(n->op),
                     msg);
}

static uint8_t kind_of(hc_span op) {
    static const struct {
        const char *op;
        uint8_t kind;
    } K[] = {{"Const", HC_K_CONST},        {"Placeholder", HC_K_PLACEHOLDER},
             {"Enter", HC_K_ENTER},        {"RefEnter", HC_K_ENTER},
             {"Exit", HC_K_EXIT},          {"RefExit", HC_K_EXIT},
             {"NextIteration", HC_K_NEXT}, {"RefNextIteration", HC_K_NEXT},
             {"Merge", HC_K_MERGE},        {"RefMerge", HC_K_MERGE},
             {"Switch", HC_K_SWITCH},      {"RefSwitch", HC_K_SWITCH},
             {"NoOp", HC_K_NOOP}};
    for (size_t i = 0; i < HC_COUNT(K); i++)
        if (hc_span_eq_str(op, K[i].op)) return K[i].kind;
    return HC_K_NORMAL;
}

/* Inputs node i waits for: none once it is folded into a constant. */
static uint32_t n_inputs(const hc_session *s, uint32_t i) {
    return s->kn[i].folded ? 0 : s->g->nodes[i].n_in;
}

/* Reverse reachability from the fetched nodes over data and control inputs. */
static hc_status mark_needed(hc_session *s) {
    const hc_graph *g = s->g;
    uint32_t *stack = hc_arena_array(&s->arena, g->n_nodes + 1u, sizeof(uint32_t));
    s->needed = hc_arena_array(&s->arena, g->n_nodes + 1u, 1);
    if (!stack || !s->needed) return HC_NOMEM;
    size_t top = 0;
    for (size_t i = 0; i < s->n_outputs; i++) {
        uint32_t n = (uint32_t)s->outputs[i].node;
        if (!s->needed[n]) s->needed[n] = 1, stack[top++] = n;
    }
    while (top) {
        uint32_t i = stack[--top];
        const hc_node *n = &g->nodes[i];
        for (uint32_t k = 0; k < n_inputs(s, i); k++) {
            uint32_t p = (uint32_t)n->in[k].node;
            if (!s->needed[p]) s->needed[p] = 1, stack[top++] = p;
        }
    }
    return HC_OK;
}

static hc_status make_edges(hc_session *s) {
    const hc_graph *g = s->g;
    size_t total = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (s->needed[i]) total += n_inputs(s, i);
    uint32_t *count = hc_arena_array(&s->arena, g->n_nodes + 1u, sizeof(uint32_t));
    s->oedges = hc_arena_array(&s->arena, total + 1, sizeof(hc_oedge));
    if (!count || !s->oedges) return HC_NOMEM;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (uint32_t k = 0; s->needed[i] && k < n_inputs(s, i); k++)
            count[g->nodes[i].in[k].node]++;
    uint32_t at = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        s->kn[i].out_start = s->kn[i].out_end = at;
        at += count[i];
    }
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (uint32_t k = 0; s->needed[i] && k < n_inputs(s, i); k++) {
            hc_edge e = g->nodes[i].in[k];
            s->oedges[s->kn[e.node].out_end++] = (hc_oedge){i, k, e.port};
        }
    return HC_OK;
}

/* Kahn's order, leaving out NextIteration -> Merge back edges. */
static hc_status topo_order(hc_session *s, uint32_t *order, uint32_t *n_order) {
    const hc_graph *g = s->g;
    uint32_t *pend = hc_arena_array(&s->arena, g->n_nodes + 1u, sizeof(uint32_t));
    if (!pend) return HC_NOMEM;
    size_t head = 0, tail = 0, needed = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        if (!s->needed[i]) continue;
        needed++;
        for (uint32_t k = 0; k < n_inputs(s, i); k++)
            pend[i] += s->kn[g->nodes[i].in[k].node].kind != HC_K_NEXT;
        if (!pend[i]) order[tail++] = i;
    }
    while (head < tail) {
        uint32_t i = order[head++];
        if (s->kn[i].kind == HC_K_NEXT) continue;
        for (uint32_t e = s->kn[i].out_start; e < s->kn[i].out_end; e++)
            if (--pend[s->oedges[e].dst] == 0) order[tail++] = s->oedges[e].dst;
    }
    /* NextIteration nodes were queued but their edges skipped; that is the back edge. */
    if (tail < needed)
        for (uint32_t i = 0; i < g->n_nodes; i++)
            if (s->needed[i] && pend[i])
                return fail_node(s, i, HC_UNSUPPORTED,
                                 "is on a cycle that does not pass through NextIteration: the "
                                 "graph cannot be ordered");
    *n_order = (uint32_t)tail;
    return HC_OK;
}

static int32_t find_frame(hc_session *s, uint32_t parent, hc_span name) {
    for (uint32_t f = 1; f < s->n_frames; f++)
        if (s->frames[f].parent == parent && hc_span_eq(s->frames[f].name, name)) return (int32_t)f;
    return -1;
}

static hc_status enter_frame(hc_session *s, uint32_t i, uint32_t max_frames) {
    const hc_node *n = &s->g->nodes[i];
    hc_span name;
    if (!hc_k_attr_str(n, "frame_name", &name))
        return fail_node(s, i, HC_MALFORMED, "Enter has no frame_name");
    int32_t f = find_frame(s, s->kn[i].frame, name);
    if (f < 0) {
        if (s->n_frames >= max_frames) return fail_node(s, i, HC_LIMIT, "too many loop frames");
        f = (int32_t)s->n_frames++;
        s->frames[f].parent = s->kn[i].frame;
        s->frames[f].name = name;
    }
    s->kn[i].child = (uint32_t)f;
    s->kn[i].constant_enter = hc_k_attr_bool(n, "is_constant", false);
    s->frames[f].n_enters++;
    return HC_OK;
}

/* The frame a producer's outputs live in. */
static uint32_t out_frame(const hc_session *s, uint32_t p) {
    const hc_knode *k = &s->kn[p];
    if (k->kind == HC_K_ENTER) return k->child;
    if (k->kind == HC_K_EXIT) return s->frames[k->frame].parent;
    return k->frame;
}

static hc_status assign_frames(hc_session *s, const uint32_t *order, uint32_t n_order) {
    const hc_graph *g = s->g;
    uint32_t max_frames = n_order + 1;
    s->frames = hc_arena_array(&s->arena, max_frames + 1, sizeof(hc_sframe));
    if (!s->frames) return HC_NOMEM;
    s->n_frames = 1; /* frame 0: the root */
    for (uint32_t o = 0; o < n_order; o++) {
        uint32_t i = order[o];
        const hc_node *n = &g->nodes[i];
        bool set = false;
        for (uint32_t k = 0; k < n_inputs(s, i); k++) {
            uint32_t p = (uint32_t)n->in[k].node;
            if (s->kn[p].kind == HC_K_NEXT && s->kn[i].kind == HC_K_MERGE) continue;
            uint32_t f = out_frame(s, p);
            if (set && f != s->kn[i].frame)
                return fail_node(s, i, HC_MALFORMED, "has inputs from different loop frames");
            s->kn[i].frame = f;
            set = true;
        }
        if (s->kn[i].kind == HC_K_ENTER) {
            hc_status st = enter_frame(s, i, max_frames);
            if (st) return st;
        }
    }
    return HC_OK;
}

static hc_status layout_frames(hc_session *s, const uint32_t *order, uint32_t n_order) {
    const hc_graph *g = s->g;
    for (uint32_t o = 0; o < n_order; o++) {
        uint32_t i = order[o];
        hc_knode *k = &s->kn[i];
        hc_sframe *f = &s->frames[k->frame];
        const hc_node *n = &g->nodes[i];
        k->local = f->n_nodes++;
        k->in_base = f->n_slots;
        k->n_in = n_inputs(s, i);
        f->n_slots += k->n_in;
        for (uint32_t j = 0; j < k->n_in; j++)
            k->n_ctrl += n->in[j].port < 0;
        k->n_data = k->n_in - k->n_ctrl;
        k->pending_init = k->kind == HC_K_MERGE ? k->n_ctrl : k->n_in;
        if (k->kind == HC_K_EXIT) f->n_exits++;
        if (!k->pending_init && k->kind != HC_K_MERGE) f->n_sources++;
    }
    for (uint32_t f = 0; f < s->n_frames; f++) {
        hc_sframe *sf = &s->frames[f];
        sf->exits = hc_arena_array(&s->arena, sf->n_exits + 1u, sizeof(uint32_t));
        sf->sources = hc_arena_array(&s->arena, sf->n_sources + 1u, sizeof(uint32_t));
        sf->nodes = hc_arena_array(&s->arena, sf->n_nodes + 1u, sizeof(uint32_t));
        if (!sf->exits || !sf->sources || !sf->nodes) return HC_NOMEM;
        sf->n_exits = sf->n_sources = 0;
    }
    for (uint32_t o = 0; o < n_order; o++) {
        uint32_t i = order[o];
        hc_knode *k = &s->kn[i];
        hc_sframe *f = &s->frames[k->frame];
        if (k->kind == HC_K_EXIT) f->exits[f->n_exits++] = i;
        if (!k->pending_init && k->kind != HC_K_MERGE) f->sources[f->n_sources++] = i;
        f->nodes[k->local] = i;
    }
    return HC_OK;
}

static hc_status prepare_const(hc_session *s, uint32_t i) {
    const hc_node *n = &s->g->nodes[i];
    const hc_attr *a = hc_node_attr(n, "value");
    if (!a || a->kind != HC_ATTR_TENSOR) return fail_node(s, i, HC_MALFORMED, "Const has no value");
    const hc_tensor_proto *t = a->u.tensor;
    if (t->shape.rank < 0 || t->shape.rank > HC_MAX_RANK)
        return fail_node(s, i, HC_UNSUPPORTED, "constant rank is unknown or above 8");
    const void *data;
    size_t count;
    /* The dtype attribute types the edges; a value stored as another dtype is converted. */
    hc_dtype dt = hc_k_attr_type(n, "dtype", t->dtype);
    hc_status st = hc_tensor_values_as(s->ctx, &s->arena, t, dt, &data, &count);
    if (st) {
        hc_ctx_add_node(s->ctx, n->name.p, n->name.n);
        return st;
    }
    hc_val *v = &s->kn[i].value;
    v->dtype = dt;
    v->rank = t->shape.rank;
    for (int32_t d = 0; d < t->shape.rank; d++)
        v->dims[d] = t->shape.dims[d];
    v->data = count ? (void *)data : NULL;
    return HC_OK;
}

hc_status hc_exec_prepare_node(hc_session *s, uint32_t i) {
    const hc_node *n = &s->g->nodes[i];
    hc_knode *k = &s->kn[i];
    if (k->prepared) return HC_OK;
    k->prepared = true;
    k->n_out = n->n_out;
    if (k->kind == HC_K_CONST) return prepare_const(s, i);
    if (k->kind != HC_K_NORMAL) return HC_OK;
    k->k = hc_exec_find_kernel(n->op);
    if (!k->k) {
        char msg[160];
        snprintf(msg, sizeof msg, "halfcast has no kernel for op %.*s", HC_SPAN_ARG(n->op));
        return fail_node(s, i, HC_UNSUPPORTED, msg);
    }
    if (n->n_out < 0) return fail_node(s, i, HC_UNSUPPORTED, "unknown number of outputs");
    if (!k->k->prepare) return HC_OK;
    hc_kernel_prep p = {s->ctx, s->g, n, &s->arena, &s->ctx->cpu, NULL};
    hc_status st = k->k->prepare(&p);
    k->state = p.state;
    return st;
}

hc_status hc_exec_analyze(hc_session *s) {
    const hc_graph *g = s->g;
    s->kn = hc_arena_array(&s->arena, g->n_nodes + 1u, sizeof(hc_knode));
    uint32_t *order = hc_arena_array(&s->arena, g->n_nodes + 1u, sizeof(uint32_t));
    if (!s->kn || !order) return HC_NOMEM;
    hc_status st = mark_needed(s);
    if (st) return st;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        s->kn[i].kind = kind_of(g->nodes[i].op);
        s->kn[i].feed = s->kn[i].fetch = -1;
    }
    uint32_t n_order = 0, folded = 0;
    if ((st = make_edges(s)) || (st = topo_order(s, order, &n_order))) return st;
    if ((st = hc_exec_fold(s, order, n_order, &folded))) return st;
    /* Folded nodes have no inputs now: what only they read is no longer needed. */
    if (folded &&
        ((st = mark_needed(s)) || (st = make_edges(s)) || (st = topo_order(s, order, &n_order))))
        return st;
    if ((st = assign_frames(s, order, n_order)) || (st = layout_frames(s, order, n_order)))
        return st;
    for (uint32_t o = 0; o < n_order; o++)
        if ((st = hc_exec_prepare_node(s, order[o]))) return st;
    for (size_t i = 0; i < s->n_inputs; i++)
        s->kn[s->inputs[i].node].feed = (int32_t)i;
    for (size_t i = 0; i < s->n_outputs; i++) {
        uint32_t n = (uint32_t)s->outputs[i].node;
        s->kn[n].fetch = (int32_t)i;
        if (out_frame(s, n) != 0)
            return fail_node(s, n, HC_UNSUPPORTED, "is inside a loop and cannot be an output");
    }
    /* Fetches are known now, so folding never hides a value someone asked for. */
    if ((st = hc_exec_fuse(s))) return st;
    return hc_exec_make_root_iter(s);
}
