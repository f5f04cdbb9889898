/* faults.c - see faults.h. Edits a private copy of the graph with the graph API. */
#include "common/faults.h"

#include "base/fp16.h"
#include "fmt/graphdef/graphdef.h"
#include "graph/build.h"
#include "model/model.h"

#include <stdio.h>
#include <string.h>

typedef struct edit {
    hc_model *m;
    hc_graph g;
} edit;

static int edit_open(hc_ctx *ctx, const char *in, edit *e) {
    memset(e, 0, sizeof *e);
    if (hc_model_open(ctx, in, &e->m)) return -1;
    hc_graph_init(&e->g, ctx);
    return hc_graphdef_read(&e->g, e->m->bytes) ? -1 : 0;
}

static int edit_save(hc_ctx *ctx, edit *e, const char *out) {
    hc_buf b;
    hc_buf_init(&b, ctx);
    int rc = hc_graph_link(&e->g) || hc_graphdef_write(&e->g, &b) ? -1 : 0;
    FILE *f = rc ? NULL : fopen(out, "wb");
    if (f) {
        rc = fwrite(b.p, 1, b.n, f) == b.n ? 0 : -1;
        fclose(f);
    } else {
        rc = -1;
    }
    hc_buf_fini(&b);
    hc_graph_fini(&e->g);
    hc_model_free(e->m);
    return rc;
}

int fault_negate_conv(hc_ctx *ctx, const char *in, const char *out) {
    edit e;
    if (edit_open(ctx, in, &e)) return -1;
    for (uint32_t i = 0; i < e.g.n_nodes; i++) {
        hc_node *n = &e.g.nodes[i];
        if (!hc_span_eq_str(n->op, "Conv2D") || n->n_in < 2) continue;
        int32_t w = n->in[1].node;
        const hc_attr *a = hc_node_attr(&e.g.nodes[w], "value");
        if (!a || a->u.tensor->enc != HC_ENC_CONTENT) continue;
        hc_tensor_proto *t = hc_arena_alloc(&e.g.arena, sizeof *t);
        *t = *a->u.tensor;
        t->src = hc_span_of(NULL, 0);
        uint8_t *c = hc_arena_alloc(&e.g.arena, t->content.n);
        memcpy(c, t->content.p, t->content.n);
        size_t sz = hc_dtype_size(t->dtype);
        for (size_t k = sz - 1; k < t->content.n; k += sz)
            c[k] ^= 0x80; /* flip the sign bits */
        t->content = hc_span_of(c, t->content.n);
        hc_attr *na = hc_node_set_attr(&e.g, w, "value");
        na->kind = HC_ATTR_TENSOR;
        na->u.tensor = t;
        break;
    }
    return edit_save(ctx, &e, out);
}

int fault_swap_names(hc_ctx *ctx, const char *in, const char *out, const char *a, const char *b) {
    edit e;
    if (edit_open(ctx, in, &e)) return -1;
    int32_t ia = hc_graph_find(&e.g, hc_span_str(a)), ib = hc_graph_find(&e.g, hc_span_str(b));
    if (ia < 0 || ib < 0) return -1;
    hc_span t = e.g.nodes[ia].name;
    e.g.nodes[ia].name = e.g.nodes[ib].name;
    e.g.nodes[ib].name = t;
    e.g.nodes[ia].dirty = e.g.nodes[ib].dirty = true;
    /* consumers keep reading the same tensors under their new names */
    for (uint32_t i = 0; i < e.g.n_nodes; i++)
        for (uint32_t k = 0; k < e.g.nodes[i].n_in; k++) {
            int32_t src = e.g.nodes[i].in[k].node;
            if (src != ia && src != ib) continue;
            e.g.nodes[i].in_names[k] = e.g.nodes[src].name;
            e.g.nodes[i].dirty = true;
        }
    return edit_save(ctx, &e, out);
}

int fault_shift(hc_ctx *ctx, const char *in, const char *out, const char *node, float delta) {
    edit e;
    if (edit_open(ctx, in, &e)) return -1;
    int32_t src = hc_graph_find(&e.g, hc_span_str(node));
    hc_dtype dt = HC_DT_FLOAT;
    const char *why;
    if (src < 0 || !hc_node_out_dtype(&e.g, &e.g.nodes[src], 0, &dt, &why)) return -1;
    char cname[512], aname[512];
    snprintf(cname, sizeof cname, "%s/planted_delta", node);
    snprintf(aname, sizeof aname, "%s/planted_add", node);
    int32_t c = HC_GB_SOURCE(&e.g, "Const", cname);
    hc_gb_type(&e.g, c, "dtype", dt);
    uint16_t h = hc_f32_to_f16(delta);
    hc_gb_tensor_vals(&e.g, c, "value", dt, 0, NULL, dt == HC_DT_HALF ? (const void *)&h : &delta,
                      1);
    int32_t add = HC_GB_NODE(&e.g, "AddV2", aname, node, cname);
    hc_gb_type(&e.g, add, "T", dt);
    hc_span an = e.g.nodes[add].name;
    for (uint32_t i = 0; i < e.g.n_nodes; i++) {
        if ((int32_t)i == add) continue;
        for (uint32_t k = 0; k < e.g.nodes[i].n_in; k++)
            if (hc_span_eq_str(e.g.nodes[i].in_names[k], node)) {
                e.g.nodes[i].in_names[k] = an;
                e.g.nodes[i].dirty = true;
            }
    }
    return edit_save(ctx, &e, out);
}
