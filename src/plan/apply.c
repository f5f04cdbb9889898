/* apply.c - turn the plan's decisions into graph edits:
 *   - lowered type attributes set to half (an absent attribute relying on its default is
 *     written out); ops that need it are rewritten (FusedBatchNorm -> FusedBatchNormV3, U=float);
 *   - lowered constants re-encoded as packed fp16 (broadcast constants keep their few values);
 *   - one conversion per (produced tensor, dtype), shared by all consumers that need it:
 *     from a constant, a second constant (no Cast); from a Cast, a sibling Cast from the same
 *     source (never Cast -> Cast); otherwise a Cast placed right after its producer;
 *   - existing half_val constants repacked as tensor_content. */
#include "plan/plan.h"

#include <stdio.h>

typedef struct conv_key {
    int32_t node, port;
    hc_dtype dt;
    int32_t made; /* node made for this key, -1 when the consumer reads another tensor */
    hc_span name; /* input name consumers use */
    bool used;
} conv_key;

typedef struct applier {
    hc_plan *p;
    hc_graph *g;
    hc_tensor_proto **orig_value; /* per node: Const value as read */
    conv_key *map;
    uint32_t map_cap;
} applier;

static void add_f16_stats(hc_convert_stats *st, const hc_f16_stats *f) {
    st->values_overflow += f->overflow;
    st->values_underflow += f->underflow;
    st->values_subnormal += f->subnormal;
}

/* A half tensor with the values of src (float or half): packed bytes, except that a
 * broadcast constant (fewer values than elements) keeps its few values as half_val. */
static hc_status make_half_tensor(applier *a, const hc_tensor_proto *src, hc_tensor_proto **out) {
    hc_plan *p = a->p;
    const void *vals;
    size_t count;
    hc_status s = hc_tensor_values(p->ctx, &p->arena, src, &vals, &count);
    if (s) return s;
    hc_tensor_proto *t = hc_arena_alloc(&p->arena, sizeof *t);
    if (!t) return HC_NOMEM;
    *t = (hc_tensor_proto){.dtype = HC_DT_HALF, .shape = src->shape};
    bool broadcast = src->enc == HC_ENC_VALUES && src->n_vals < count;
    size_t n = broadcast ? src->n_vals : count;
    uint16_t *h = hc_arena_alloc_raw(&p->arena, 2 * n + 2);
    if (!h) return HC_NOMEM;
    if (src->dtype == HC_DT_HALF) {
        memcpy(h, vals, 2 * n);
    } else {
        hc_f16_stats fs = {0};
        hc_f32_to_f16_array(&p->ctx->cpu, vals, h, n, &fs);
        add_f16_stats(&p->stats, &fs);
    }
    if (!broadcast) {
        t->enc = count ? HC_ENC_CONTENT : HC_ENC_NONE;
        t->content = hc_span_of(h, 2 * n);
    } else {
        /* half_val: one varint per value, packed; at most a handful of values here. */
        uint8_t *v = hc_arena_alloc(&p->arena, 3 * n + 1);
        if (!v) return HC_NOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t x = h[i];
            while (x >= 0x80) {
                v[k++] = (uint8_t)(x | 0x80);
                x >>= 7;
            }
            v[k++] = (uint8_t)x;
        }
        t->enc = HC_ENC_VALUES;
        t->val_field = 13;
        t->val_wt = 0;
        t->vals = hc_span_of(v, k);
        t->n_vals = n;
    }
    *out = t;
    return HC_OK;
}

/* A float tensor from src: a view of the original when it is float already. */
static hc_status make_float_tensor(applier *a, const hc_tensor_proto *src, hc_tensor_proto **out) {
    if (src->dtype == HC_DT_FLOAT) {
        *out = (hc_tensor_proto *)src; /* unchanged bytes (src span) are written verbatim */
        return HC_OK;
    }
    hc_plan *p = a->p;
    const void *vals;
    size_t count;
    hc_status s = hc_tensor_values(p->ctx, &p->arena, src, &vals, &count);
    if (s) return s;
    hc_tensor_proto *t = hc_arena_alloc(&p->arena, sizeof *t);
    float *f = hc_arena_alloc_raw(&p->arena, 4 * count + 4);
    if (!t || !f) return HC_NOMEM;
    hc_f16_to_f32_array(&p->ctx->cpu, vals, f, count);
    *t = (hc_tensor_proto){.dtype = HC_DT_FLOAT,
                           .shape = src->shape,
                           .enc = HC_ENC_CONTENT,
                           .content = hc_span_of(f, 4 * count)};
    *out = t;
    return HC_OK;
}

static hc_status set_type(hc_graph *g, int32_t node, const char *attr, hc_dtype dt) {
    hc_attr *a = hc_node_set_attr(g, node, attr);
    if (!a) return HC_NOMEM;
    a->kind = HC_ATTR_TYPE;
    a->u.type = dt;
    return HC_OK;
}

static hc_status set_tensor(hc_graph *g, int32_t node, hc_tensor_proto *t) {
    hc_attr *a = hc_node_set_attr(g, node, "value");
    if (!a) return HC_NOMEM;
    a->kind = HC_ATTR_TENSOR;
    a->u.tensor = t;
    return HC_OK;
}

/* Rewrite an op whose fp16 form is another op (FusedBatchNorm -> V3): the new op's type
 * attributes that the node lacks are set to float (U). */
static hc_status rewrite_op(applier *a, int32_t i) {
    hc_graph *g = a->g;
    const hc_opdef *as = hc_op_find_str(g->nodes[i].def->fp16_as);
    if (!as) return hc_fail(g->ctx, HC_UNSUPPORTED, NULL, "no op %s", g->nodes[i].def->fp16_as);
    g->nodes[i].op = hc_span_str(as->name);
    g->nodes[i].dirty = true;
    for (int k = 0; k < HC_OP_MAX_TATTRS && as->tattrs[k].name; k++) {
        if (hc_node_attr(&g->nodes[i], as->tattrs[k].name)) continue;
        hc_status s = set_type(g, i, as->tattrs[k].name, HC_DT_FLOAT);
        if (s) return s;
    }
    a->p->stats.batchnorm_rewritten++;
    return HC_OK;
}

static hc_status lower_node(applier *a, int32_t i) {
    hc_plan *p = a->p;
    hc_graph *g = a->g;
    const hc_opdef *def = g->nodes[i].def;
    bool lowered = false;
    for (int k = 0; def && k < HC_OP_MAX_TATTRS && def->tattrs[k].name; k++) {
        uint32_t c = hc_plan_class_of(p, (int32_t)(p->t.elem_base[i] + (uint32_t)k));
        if (c == UINT32_MAX || p->cls[c].decision != HC_CLS_FP16) continue;
        hc_status s = set_type(g, i, def->tattrs[k].name, HC_DT_HALF);
        if (s) return s;
        lowered = true;
    }
    if (!lowered) return HC_OK;
    if (def->flags & HC_OPF_CONST) {
        if (!a->orig_value[i])
            return hc_fail_n(g->ctx, HC_MALFORMED, g->nodes[i].name.p, g->nodes[i].name.n,
                             "Const has no tensor value");
        hc_tensor_proto *t;
        hc_status s = make_half_tensor(a, a->orig_value[i], &t);
        if (s) {
            hc_ctx_add_node(g->ctx, g->nodes[i].name.p, g->nodes[i].name.n);
            return s;
        }
        p->stats.consts_fp16++;
        return set_tensor(g, i, t);
    }
    if (def->fp16_as) {
        const hc_op_tattr *ta = hc_op_tattr_find(def, hc_span_str("T"));
        if (!ta || !(ta->allowed & HC_DTM(HC_DT_HALF))) return rewrite_op(a, i);
    }
    return HC_OK;
}

static conv_key *map_slot(applier *a, int32_t node, int32_t port, hc_dtype dt) {
    uint64_t h = ((uint64_t)(uint32_t)node * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)port << 8) ^ dt;
    for (uint32_t s = (uint32_t)(h & (a->map_cap - 1));; s = (s + 1) & (a->map_cap - 1)) {
        conv_key *k = &a->map[s];
        if (!k->used || (k->node == node && k->port == port && k->dt == dt)) return k;
    }
}

static hc_span unique_name(applier *a, int32_t node, int32_t port, hc_dtype dt) {
    hc_graph *g = a->g;
    const hc_node *n = &g->nodes[node];
    for (int tries = 0;; tries++) {
        char *s = port ? hc_arena_printf(&g->arena, HC_SPAN_FMT "/_hc_%s_%d", HC_SPAN_ARG(n->name),
                                         hc_dtype_name(dt), port)
                       : hc_arena_printf(&g->arena, HC_SPAN_FMT "/_hc_%s", HC_SPAN_ARG(n->name),
                                         hc_dtype_name(dt));
        if (!s) return hc_span_of(NULL, 0);
        if (tries) s = hc_arena_printf(&g->arena, "%s_%d", s, tries);
        if (!s) return hc_span_of(NULL, 0);
        hc_span sp = hc_span_str(s);
        if (hc_graph_find(g, sp) < 0) return sp;
    }
}

/* A new node written right after `like`. A node without data inputs (a constant copy) also
 * copies like's control inputs: inside a loop they are what places it in the loop's frame. */
static int32_t new_node(applier *a, int32_t like, hc_span name, const char *op, uint32_t n_in) {
    hc_graph *g = a->g;
    uint32_t ctrl = 0;
    for (uint32_t k = 0; n_in == 0 && k < g->nodes[like].n_in; k++)
        ctrl += g->nodes[like].in[k].port < 0;
    int32_t id = hc_graph_add_node(g);
    if (id < 0) return -1;
    hc_node *n = &g->nodes[id];
    n->name = name;
    n->op = hc_span_str(op);
    n->device = g->nodes[like].device;
    n->dirty = true;
    n->n_in = n_in + ctrl;
    n->in_names = hc_arena_array(&g->arena, n->n_in + 1, sizeof(hc_span));
    if (!n->in_names) return -1;
    uint32_t j = n_in;
    for (uint32_t k = 0; ctrl && k < g->nodes[like].n_in; k++)
        if (g->nodes[like].in[k].port < 0) n->in_names[j++] = g->nodes[like].in_names[k];
    hc_graph_follow(g, like, id);
    return id;
}

static hc_status make_const_copy(applier *a, conv_key *key) {
    hc_graph *g = a->g;
    hc_tensor_proto *t;
    hc_status s = key->dt == HC_DT_HALF ? make_half_tensor(a, a->orig_value[key->node], &t)
                                        : make_float_tensor(a, a->orig_value[key->node], &t);
    if (s) return s;
    int32_t id = new_node(a, key->node, key->name, "Const", 0);
    if (id < 0) return g->ctx->status ? g->ctx->status : HC_NOMEM;
    key->made = id;
    if ((s = set_type(g, id, "dtype", key->dt)) || (s = set_tensor(g, id, t))) return s;
    a->p->stats.consts_duplicated++;
    return HC_OK;
}

static hc_status make_cast(applier *a, conv_key *key, hc_span input, hc_dtype src, int32_t after) {
    hc_graph *g = a->g;
    int32_t id = new_node(a, after, key->name, "Cast", 1);
    if (id < 0) return g->ctx->status ? g->ctx->status : HC_NOMEM;
    g->nodes[id].in_names[0] = input;
    key->made = id;
    hc_status s = set_type(g, id, "SrcT", src);
    if (!s) s = set_type(g, id, "DstT", key->dt);
    a->p->stats.casts_added++;
    return s;
}

/* The tensor that gives (node:port) as dtype dt: made once, then shared. */
static hc_status conversion(applier *a, int32_t node, int32_t port, hc_dtype src, hc_dtype dt,
                            hc_span *out) {
    hc_plan *p = a->p;
    hc_graph *g = a->g;
    conv_key *key = map_slot(a, node, port, dt);
    if (key->used) {
        *out = key->name;
        return HC_OK;
    }
    *key = (conv_key){node, port, dt, -1, {0}, true};
    const hc_opdef *def = g->nodes[node].def;
    bool is_const = def && (def->flags & HC_OPF_CONST) && a->orig_value[node];
    if (is_const && !p->opts.storage_only) {
        key->name = unique_name(a, node, port, dt);
        *out = key->name;
        return key->name.p ? make_const_copy(a, key) : HC_NOMEM;
    }
    if (hc_span_eq_str(g->nodes[node].op, "Cast") && port == 0 && g->nodes[node].n_in) {
        /* Never Cast -> Cast: convert from the first Cast's own input instead. */
        hc_edge in = g->nodes[node].in[0];
        hc_dtype s0 = hc_plan_port_dtype(p, p->t.in_type[node][0]);
        if (s0 == dt) {
            key->name = g->nodes[node].in_names[0];
            *out = key->name;
            return HC_OK;
        }
        key->name = unique_name(a, node, port, dt);
        *out = key->name;
        if (!key->name.p) return HC_NOMEM;
        return make_cast(a, key, g->nodes[node].in_names[0], s0, in.node);
    }
    key->name = unique_name(a, node, port, dt);
    *out = key->name;
    if (!key->name.p) return HC_NOMEM;
    hc_span input = port ? hc_arena_span(&g->arena, "", 0) : g->nodes[node].name;
    if (port) {
        char *s =
            hc_arena_printf(&g->arena, HC_SPAN_FMT ":%d", HC_SPAN_ARG(g->nodes[node].name), port);
        if (!s) return HC_NOMEM;
        input = hc_span_str(s);
    }
    return make_cast(a, key, input, src, node);
}

static bool is_float_pair(hc_dtype a, hc_dtype b) {
    return (a == HC_DT_FLOAT || a == HC_DT_HALF) && (b == HC_DT_FLOAT || b == HC_DT_HALF);
}

static hc_status convert_edges(applier *a) {
    hc_plan *p = a->p;
    hc_graph *g = a->g;
    uint32_t n0 = g->n_nodes; /* nodes made here need nothing */
    for (uint32_t i = 0; i < n0; i++) {
        if (g->nodes[i].removed) continue;
        for (uint32_t k = 0; k < g->nodes[i].n_in; k++) {
            hc_edge e = g->nodes[i].in[k];
            if (e.port < 0) continue;
            hc_dtype src = hc_plan_port_dtype(p, p->t.out_type[e.node][e.port]);
            hc_dtype dst = hc_plan_port_dtype(p, p->t.in_type[i][k]);
            if (src == dst || !is_float_pair(src, dst)) continue;
            hc_span name;
            hc_status s = conversion(a, e.node, e.port, src, dst, &name);
            if (s) return s;
            g->nodes[i].in_names[k] = name;
            g->nodes[i].dirty = true;
        }
    }
    return HC_OK;
}

/* Existing half_val constants become packed bytes. */
static hc_status repack(applier *a) {
    hc_graph *g = a->g;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        hc_node *n = &g->nodes[i];
        if (n->removed || !n->def || !(n->def->flags & HC_OPF_CONST)) continue;
        const hc_attr *v = hc_node_attr(n, "value");
        if (!v || v->kind != HC_ATTR_TENSOR) continue;
        const hc_tensor_proto *t = v->u.tensor;
        if (t->dtype != HC_DT_HALF || t->enc != HC_ENC_VALUES || t->val_field != 13) continue;
        int64_t elems = hc_shape_elems(&t->shape);
        if (elems < 0 || (size_t)elems != t->n_vals || t->n_vals <= 1) continue;
        hc_tensor_proto *nt;
        hc_status s = make_half_tensor(a, t, &nt);
        if (s) return s;
        if ((s = set_tensor(g, (int32_t)i, nt))) return s;
        a->p->stats.consts_repacked++;
    }
    return HC_OK;
}

/* A Const whose value is stored in another dtype than its dtype attribute (TensorFlow refuses
 * such a graph at load) is rewritten in the attribute's dtype, which its consumers expect. */
static hc_status repair_consts(applier *a) {
    hc_graph *g = a->g;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        hc_node *n = &g->nodes[i];
        hc_dtype dt;
        if (n->removed || !n->def || !(n->def->flags & HC_OPF_CONST)) continue;
        const hc_attr *v = hc_node_attr(n, "value");
        if (!v || v->kind != HC_ATTR_TENSOR || !hc_node_attr_type(n, "dtype", &dt)) continue;
        const hc_tensor_proto *t = v->u.tensor;
        if (t->dtype == dt || !hc_dtype_size(dt) || !hc_dtype_size(t->dtype)) continue;
        const void *data;
        size_t count;
        hc_status s = hc_tensor_values_as(g->ctx, &a->p->arena, t, dt, &data, &count);
        if (s) return s;
        hc_tensor_proto *nt = hc_arena_alloc(&a->p->arena, sizeof *nt);
        if (!nt) return HC_NOMEM;
        *nt = (hc_tensor_proto){.dtype = dt,
                                .shape = t->shape,
                                .enc = HC_ENC_CONTENT,
                                .content = hc_span_of(data, count * hc_dtype_size(dt))};
        if ((s = set_tensor(g, (int32_t)i, nt))) return s;
        a->p->stats.consts_repaired++;
    }
    return HC_OK;
}

static hc_status snapshot_consts(applier *a) {
    hc_graph *g = a->g;
    a->orig_value = hc_arena_array(&a->p->arena, g->n_nodes + 1u, sizeof(hc_tensor_proto *));
    if (!a->orig_value) return HC_NOMEM;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const hc_node *n = &g->nodes[i];
        if (n->removed || !n->def || !(n->def->flags & HC_OPF_CONST)) continue;
        const hc_attr *v = hc_node_attr(n, "value");
        if (v && v->kind == HC_ATTR_TENSOR) a->orig_value[i] = v->u.tensor;
    }
    return HC_OK;
}

hc_status hc_plan_apply(hc_plan *p) {
    applier a = {.p = p, .g = &p->g};
    hc_status s = repair_consts(&a);
    if (!s) s = snapshot_consts(&a);
    if (s) return s;
    uint32_t edges = 0;
    for (uint32_t i = 0; i < p->g.n_nodes; i++)
        edges += p->g.nodes[i].n_in;
    a.map_cap = 16;
    while (a.map_cap < 2u * edges + 2u)
        a.map_cap *= 2;
    a.map = hc_arena_array(&p->arena, a.map_cap, sizeof(conv_key));
    if (!a.map) return HC_NOMEM;
    /* Conversions first: they read the constants as they were. Nodes they make are already
     * in their final form, so only the original nodes are lowered. */
    uint32_t n0 = p->g.n_nodes;
    if ((s = convert_edges(&a))) return s;
    for (uint32_t i = 0; i < n0; i++)
        if (!p->g.nodes[i].removed && (s = lower_node(&a, (int32_t)i))) return s;
    if ((s = repack(&a))) return s;
    return hc_graph_link(&p->g);
}
