/* fix.c - the doctor's fix: the report's private graph is edited (value lists packed,
 * broadcast constants reduced to one value, duplicate constants merged, unused nodes removed),
 * written, read back as a model, and verified against the input before it is handed out:
 * the same graph inputs and outputs, no more check problems, and every constant with the same
 * dtype, shape and values (a merged duplicate compared with the copy that replaced it). */
#include "doctor/internal.h"
#include "fmt/graphdef/graphdef.h"

#include <stdio.h>

static hc_status set_value(hc_doctor_report *r, int32_t node, hc_tensor_proto *t) {
    hc_attr *a = hc_node_set_attr(&r->g, node, "value");
    if (!a) return HC_NOMEM;
    a->kind = HC_ATTR_TENSOR;
    a->u.tensor = t;
    return HC_OK;
}

/* Dense values of a constant; copies live in the report's arena, which outlives the output
 * (the output model owns its serialized bytes). */
static hc_status dense(hc_doctor_report *r, const hc_node *n, const hc_tensor_proto *t,
                       const void **data, size_t *count) {
    hc_status s = hc_tensor_values(r->ctx, &r->arena, t, data, count);
    if (s) hc_ctx_add_node(r->ctx, n->name.p, n->name.n);
    return s;
}

static hc_status pack(hc_doctor_report *r, int32_t i) {
    const hc_node *n = &r->g.nodes[i];
    const hc_tensor_proto *t = hc_doctor_const_value(n);
    const void *data;
    size_t count;
    hc_status s = dense(r, n, t, &data, &count);
    if (s) return s;
    hc_tensor_proto *nt = hc_arena_alloc(&r->arena, sizeof *nt);
    if (!nt) return HC_NOMEM;
    /* The form the converter writes (dtype, shape, tensor_content), so a repacked seed file
     * has the converter's bytes. */
    *nt = (hc_tensor_proto){.dtype = t->dtype,
                            .shape = t->shape,
                            .enc = count ? HC_ENC_CONTENT : HC_ENC_NONE,
                            .content = hc_span_of(data, count * hc_dtype_size(t->dtype))};
    return set_value(r, i, nt);
}

static hc_status to_one_value(hc_doctor_report *r, int32_t i) {
    const hc_node *n = &r->g.nodes[i];
    const hc_tensor_proto *t = hc_doctor_const_value(n);
    const void *data;
    size_t count;
    hc_status s = dense(r, n, t, &data, &count);
    if (s) return s;
    uint8_t *one = hc_arena_alloc(&r->arena, 10);
    hc_tensor_proto *nt = hc_arena_alloc(&r->arena, sizeof *nt);
    if (!one || !nt) return HC_NOMEM;
    uint32_t wt = 0;
    size_t k = count ? hc_doctor_encode_one(t->dtype, data, one, &wt) : 0;
    if (!HC_ALWAYS(r->ctx, k > 0)) return r->ctx->status;
    *nt = (hc_tensor_proto){.dtype = t->dtype,
                            .shape = t->shape,
                            .enc = HC_ENC_VALUES,
                            .val_field = hc_tensor_val_field(t->dtype),
                            .val_wt = wt,
                            .vals = hc_span_of(one, k),
                            .n_vals = 1};
    return set_value(r, i, nt);
}

/* Readers of a merged duplicate read the copy that is kept: "x" and "x:0" become "keep",
 * "^x" becomes "^keep" (once: a second identical control input is dropped). */
static hc_status repoint(hc_doctor_report *r, const int32_t *repl) {
    hc_graph *g = &r->g;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        hc_node *n = &g->nodes[i];
        if (n->removed) continue;
        uint32_t w = 0;
        for (uint32_t k = 0; k < n->n_in; k++) {
            int32_t to = repl[n->in[k].node];
            hc_span name = n->in_names[k];
            if (to >= 0) {
                name = g->nodes[to].name;
                if (n->in[k].port < 0) {
                    char *c = hc_arena_printf(&g->arena, "^" HC_SPAN_FMT, HC_SPAN_ARG(name));
                    if (!c) return HC_NOMEM;
                    name = hc_span_str(c);
                }
                n->dirty = true;
            }
            bool dup = false;
            for (uint32_t j = 0; j < w && name.n && name.p[0] == '^'; j++)
                dup = dup || hc_span_eq(n->in_names[j], name);
            if (dup) continue;
            n->in_names[w] = name;
            n->in[w] = n->in[k];
            w++;
        }
        n->n_in = w;
    }
    return HC_OK;
}

static hc_status apply(hc_doctor_report *r, hc_doctor_fix_stats *st, int32_t *repl) {
    for (size_t k = 0; k < r->n_items; k++) {
        const hc_doctor_finding *f = &r->items[k];
        /* A node another finding removes needs no repacking. */
        if (!f->fixable || r->g.nodes[f->node].removed) continue;
        hc_status s = HC_OK;
        switch (f->kind) {
        case HC_DOC_VALUE_LIST:
            s = pack(r, f->node);
            break;
        case HC_DOC_BROADCAST:
            s = to_one_value(r, f->node);
            break;
        case HC_DOC_DUPLICATE:
        case HC_DOC_UNUSED:
            if (f->kind == HC_DOC_DUPLICATE) repl[f->node] = f->same_as;
            r->g.nodes[f->node].removed = true;
            st->nodes_removed++;
            break;
        default:
            break;
        }
        if (s) return s;
        st->fixed[f->kind]++;
    }
    return repoint(r, repl);
}

/* ---- verification ----------------------------------------------------------------------- */

static bool same_shape(const hc_shape *a, const hc_shape *b) {
    if (a->rank != b->rank) return false;
    for (int32_t d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d]) return false;
    return true;
}

static hc_status same_values(hc_ctx *ctx, const hc_node *n, const hc_tensor_proto *x,
                             const hc_tensor_proto *y) {
    if (!y || x->dtype != y->dtype || !same_shape(&x->shape, &y->shape))
        return hc_fail_n(ctx, HC_CHECK, n->name.p, n->name.n,
                         "the fix changed the constant's dtype or shape; nothing written");
    if (!hc_doctor_decodable(x)) return HC_OK; /* strings and the like are never edited */
    hc_arena tmp;
    hc_arena_init(&tmp, ctx);
    const void *dx, *dy;
    size_t cx, cy;
    hc_status s = hc_tensor_values(ctx, &tmp, x, &dx, &cx);
    if (!s) s = hc_tensor_values(ctx, &tmp, y, &dy, &cy);
    if (!s && (cx != cy || memcmp(dx, dy, cx * hc_dtype_size(x->dtype))))
        s = hc_fail_n(ctx, HC_CHECK, n->name.p, n->name.n,
                      "the fix changed the constant's values; nothing written");
    hc_arena_fini(&tmp);
    return s;
}

static hc_status verify_consts(hc_doctor_report *r, const hc_model *out, const int32_t *repl) {
    const hc_graph *in = &r->model->g;
    for (uint32_t i = 0; i < in->n_nodes; i++) {
        const hc_node *n = &in->nodes[i];
        const hc_tensor_proto *t = hc_doctor_const_value(n);
        if (!t) continue;
        int32_t to = (int32_t)i;
        if (repl[i] >= 0)
            to = repl[i];
        else if (r->g.nodes[i].removed)
            continue; /* unused: gone on purpose */
        int32_t o = hc_graph_find(&out->g, r->g.nodes[to].name);
        const hc_tensor_proto *u = o >= 0 ? hc_doctor_const_value(&out->g.nodes[o]) : NULL;
        hc_status s = same_values(r->ctx, n, t, u);
        if (s) return s;
    }
    return HC_OK;
}

static hc_status verify_io(hc_doctor_report *r, const hc_model *out) {
    const hc_model *in = r->model;
    bool same = in->n_inputs == out->n_inputs && in->n_outputs == out->n_outputs;
    for (size_t k = 0; same && k < in->n_inputs; k++)
        same = !strcmp(in->inputs[k].name, out->inputs[k].name);
    for (size_t k = 0; same && k < in->n_outputs; k++)
        same = !strcmp(in->outputs[k].name, out->outputs[k].name);
    return same ? HC_OK
                : hc_fail(r->ctx, HC_CHECK, NULL,
                          "the fix changed the graph's inputs or outputs; nothing written");
}

/* Problems the check finds; HC_OK or HC_CHECK both count. */
static hc_status check_count(hc_ctx *ctx, const hc_model *m, size_t *n, char *first, size_t cap) {
    hc_check_report *rep = NULL;
    hc_status s = hc_check(ctx, m, &rep);
    *n = hc_check_report_count(rep);
    if (*n) snprintf(first, cap, "%s", hc_check_report_item(rep, 0));
    hc_check_report_free(rep);
    return s == HC_CHECK ? HC_OK : s;
}

static hc_status verify(hc_doctor_report *r, const hc_model *out, const int32_t *repl) {
    hc_status s = verify_io(r, out);
    if (!s) s = verify_consts(r, out, repl);
    size_t n_out = 0, n_in = 0;
    char first[256] = "", ignored[256];
    if (!s) s = check_count(r->ctx, out, &n_out, first, sizeof first);
    /* The input's own problems (unknown dtypes, ...) are not the fix's doing. */
    if (!s && n_out) s = check_count(r->ctx, r->model, &n_in, ignored, sizeof ignored);
    if (!s && n_out > n_in)
        s = hc_fail(r->ctx, HC_CHECK, NULL,
                    "the fixed graph fails its check (%zu problems, the input %zu; first: %s); "
                    "nothing written",
                    n_out, n_in, first);
    return s;
}

/* ---- the fix ---------------------------------------------------------------------------- */

static hc_status fix(hc_doctor_report *r, hc_model **out, hc_doctor_fix_stats *st) {
    int32_t *repl = hc_arena_array(&r->arena, r->g.n_nodes + 1u, sizeof *repl);
    if (!repl) return HC_NOMEM;
    for (uint32_t i = 0; i < r->g.n_nodes; i++)
        repl[i] = -1;
    hc_status s = apply(r, st, repl);
    if (!s) s = hc_graph_link(&r->g);
    if (s) return s;
    hc_buf b;
    hc_buf_init(&b, r->ctx);
    s = hc_graphdef_write(&r->g, &b);
    if (s) {
        hc_buf_fini(&b);
        return s;
    }
    size_t n;
    uint8_t *bytes = hc_buf_take(&b, &n);
    st->bytes_out = n;
    s = hc_model_from_bytes(r->ctx, hc_span_of(bytes, n), bytes, r->model->path, out);
    if (s) return s;
    (*out)->format = r->model->format;
    s = verify(r, *out, repl);
    if (s) {
        hc_model_free(*out);
        *out = NULL;
    }
    return s;
}

hc_status hc_doctor_fix(hc_doctor_report *r, hc_model **out, hc_doctor_fix_stats *stats) {
    *out = NULL;
    if (r->fixed)
        return hc_fail(r->ctx, HC_INVALID, NULL, "a doctor report can be used for one fix only");
    r->fixed = true;
    hc_doctor_fix_stats st = {.bytes_in = r->model->bytes.n};
    const char *saved = r->ctx->file;
    if (r->model->path) r->ctx->file = r->model->path;
    hc_status s = fix(r, out, &st);
    r->ctx->file = saved;
    if (!s && stats) *stats = st;
    return s;
}

hc_status hc_doctor_save(hc_ctx *ctx, const hc_model *in, const hc_model *fixed, const char *path,
                         hc_format fmt) {
    if (fmt == HC_FORMAT_AUTO) fmt = in->format;
    /* hc_model_save would guard the fixed model's own (absent) file: guard the input's. */
    if (fmt == HC_FORMAT_PB)
        return hc_write_atomic(ctx, path, fixed->bytes.p, fixed->bytes.n, in->map.dev, in->map.ino);
    void *data;
    size_t n;
    hc_status s = hc_model_serialize(ctx, fixed, fmt, &data, &n);
    if (s) return s;
    s = hc_write_atomic(ctx, path, data, n, in->map.dev, in->map.ino);
    hc_dealloc(ctx, data);
    return s;
}
