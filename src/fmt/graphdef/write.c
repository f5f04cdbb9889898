/* write.c - hc_graph to binary GraphDef. Nodes nobody changed are copied from the input;
 * changed and new nodes are encoded field by field. New nodes follow their anchor node. */
#include "fmt/graphdef/graphdef.h"
#include "pb/wire.h"

static void put_shape(hc_buf *b, const void *arg);

static void put_dim(hc_buf *b, const void *arg) {
    int64_t d = *(const int64_t *)arg;
    if (d != 0) hc_pbw_sint64(b, 1, d);
}

static void put_shape(hc_buf *b, const void *arg) {
    const hc_shape *s = arg;
    if (s->rank < 0) {
        hc_pbw_uint(b, 3, 1);
        return;
    }
    for (int32_t i = 0; i < s->rank; i++)
        hc_pbw_message(b, 2, put_dim, &s->dims[i]);
}

static void put_tensor_body(hc_buf *b, const void *arg) {
    const hc_tensor_proto *t = arg;
    if (t->dtype) hc_pbw_uint(b, 1, (uint64_t)t->dtype);
    hc_pbw_message(b, 2, put_shape, &t->shape);
    if (t->enc == HC_ENC_CONTENT)
        hc_pbw_span(b, 4, t->content);
    else if (t->enc == HC_ENC_VALUES && t->vals.n)
        hc_pbw_span(b, t->val_field, t->vals);
}

void hc_graphdef_put_tensor(hc_buf *b, const hc_tensor_proto *t) {
    put_tensor_body(b, t);
}

static void put_tensor_field(hc_buf *b, uint32_t num, const hc_tensor_proto *t) {
    if (t->src.p && t->src.n) {
        hc_pbw_span(b, num, t->src);
        return;
    }
    hc_pbw_message(b, num, put_tensor_body, t);
}

static void put_name_attr_list(hc_buf *b, const void *arg) {
    hc_pbw_span(b, 1, *(const hc_span *)arg);
}

static void put_packed_varints(hc_buf *b, uint32_t num, const hc_attr_list *l) {
    hc_buf m = {.ctx = b->ctx, .measure = true};
    for (int pass = 0; pass < 2; pass++) {
        hc_buf *o = pass ? b : &m;
        if (pass) {
            hc_pbw_tag(b, num, HC_WT_LEN);
            hc_pbw_varint(b, m.n);
        }
        for (size_t i = 0; i < l->n; i++) {
            uint64_t v = l->kind == HC_ATTR_I   ? (uint64_t)l->u.i[i]
                         : l->kind == HC_ATTR_B ? (uint64_t)l->u.b[i]
                                                : (uint64_t)l->u.type[i];
            hc_pbw_varint(o, v);
        }
    }
}

static void put_list(hc_buf *b, const void *arg) {
    const hc_attr_list *l = arg;
    switch (l->kind) {
    case HC_ATTR_S:
        for (size_t i = 0; i < l->n; i++)
            hc_pbw_span(b, 2, l->u.s[i]);
        break;
    case HC_ATTR_I:
        put_packed_varints(b, 3, l);
        break;
    case HC_ATTR_F:
        hc_pbw_tag(b, 4, HC_WT_LEN);
        hc_pbw_varint(b, 4 * l->n);
        hc_buf_put(b, l->u.f, 4 * l->n);
        break;
    case HC_ATTR_B:
        put_packed_varints(b, 5, l);
        break;
    case HC_ATTR_TYPE:
        put_packed_varints(b, 6, l);
        break;
    case HC_ATTR_SHAPE:
        for (size_t i = 0; i < l->n; i++)
            hc_pbw_message(b, 7, put_shape, &l->u.shape[i]);
        break;
    case HC_ATTR_TENSOR:
        for (size_t i = 0; i < l->n; i++)
            put_tensor_field(b, 8, l->u.tensor[i]);
        break;
    case HC_ATTR_FUNC:
        for (size_t i = 0; i < l->n; i++)
            hc_pbw_message(b, 9, put_name_attr_list, &l->u.s[i]);
        break;
    default:
        break;
    }
}

static void put_attr_value(hc_buf *b, const void *arg) {
    const hc_attr *a = arg;
    if (a->src.p) {
        hc_buf_put(b, a->src.p, a->src.n);
        return;
    }
    switch (a->kind) {
    case HC_ATTR_LIST:
        hc_pbw_message(b, 1, put_list, a->u.list);
        break;
    case HC_ATTR_S:
        hc_pbw_span(b, 2, a->u.s);
        break;
    case HC_ATTR_I:
        hc_pbw_sint64(b, 3, a->u.i);
        break;
    case HC_ATTR_F:
        hc_pbw_float(b, 4, a->u.f);
        break;
    case HC_ATTR_B:
        hc_pbw_uint(b, 5, a->u.b);
        break;
    case HC_ATTR_TYPE:
        hc_pbw_uint(b, 6, (uint64_t)a->u.type);
        break;
    case HC_ATTR_SHAPE:
        hc_pbw_message(b, 7, put_shape, &a->u.shape);
        break;
    case HC_ATTR_TENSOR:
        put_tensor_field(b, 8, a->u.tensor);
        break;
    case HC_ATTR_PLACEHOLDER:
        hc_pbw_span(b, 9, a->u.s);
        break;
    case HC_ATTR_FUNC:
        hc_pbw_message(b, 10, put_name_attr_list, &a->u.func);
        break;
    default:
        break;
    }
}

static void put_attr_entry(hc_buf *b, const void *arg) {
    const hc_attr *a = arg;
    hc_pbw_span(b, 1, a->name);
    hc_pbw_message(b, 2, put_attr_value, a);
}

static void put_node_body(hc_buf *b, const void *arg) {
    const hc_node *n = arg;
    hc_pbw_span(b, 1, n->name);
    hc_pbw_span(b, 2, n->op);
    for (uint32_t i = 0; i < n->n_in; i++)
        hc_pbw_span(b, 3, n->in_names[i]);
    if (n->device.n) hc_pbw_span(b, 4, n->device);
    for (uint32_t i = 0; i < n->n_attrs; i++)
        hc_pbw_message(b, 5, put_attr_entry, &n->attrs[i]);
    for (uint32_t i = 0; i < n->n_opaque; i++)
        hc_buf_put(b, n->opaque[i].p, n->opaque[i].n);
}

static void put_node(hc_buf *b, const hc_node *n) {
    if (n->removed) return;
    if (!n->dirty && n->src.p) {
        hc_pbw_span(b, 1, n->src);
        return;
    }
    hc_pbw_message(b, 1, put_node_body, n);
}

static void put_with_followers(const hc_graph *g, hc_buf *out, int32_t i, int depth) {
    put_node(out, &g->nodes[i]);
    if (depth > 64) return; /* follower chains are made by the converter and stay shallow */
    for (int32_t k = g->nodes[i].follow_head; k >= 0; k = g->nodes[k].follow_next)
        put_with_followers(g, out, k, depth + 1);
}

static void write_graph(const hc_graph *g, hc_buf *out);

hc_status hc_graphdef_write(const hc_graph *g, hc_buf *out) {
    /* Measure first, so the output is allocated once (no regrowth copies of the weights). */
    hc_buf m = {.ctx = out->ctx, .measure = true};
    write_graph(g, &m);
    if (!out->measure) hc_buf_reserve(out, m.n);
    write_graph(g, out);
    if (out->failed) return g->ctx->status ? g->ctx->status : HC_NOMEM;
    return HC_OK;
}

static void write_graph(const hc_graph *g, hc_buf *out) {
    /* Nodes in array order, except that followers come right after their anchor (and are
     * skipped at their own position); the other GraphDef fields go back between the nodes
     * exactly where they were read. */
    uint32_t next = 0;
    for (uint32_t f = 0; f <= g->n_top_fields; f++) {
        uint32_t upto = f < g->n_top_fields ? g->top_pos[f] : g->n_nodes;
        for (; next < upto; next++)
            if (!g->nodes[next].follower) put_with_followers(g, out, (int32_t)next, 0);
        if (f < g->n_top_fields) hc_buf_put(out, g->top_fields[f].p, g->top_fields[f].n);
    }
}
