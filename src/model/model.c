/* model.c - opening (format detected by content), saving atomically, and graph I/O. */
#include "model/model.h"
#include "fmt/graphdef/graphdef.h"

#include <stdio.h>

static void model_release(hc_model *m) {
    hc_ctx *ctx = m->ctx;
    hc_graph_fini(&m->g);
    hc_map_release(ctx, &m->map);
    hc_dealloc(ctx, m->owned);
    hc_free_pages(ctx, m->owned_pages, m->owned_pages_len);
    hc_dealloc(ctx, m);
}

void hc_model_free(hc_model *m) {
    if (m) model_release(m);
}

/* Transcode text to binary when the bytes are text format; the model then owns them. */
static hc_status to_binary(hc_model *m, hc_span in, hc_span *bin) {
    if (!hc_pbtxt_sniff(in)) {
        *bin = in;
        m->format = HC_FORMAT_PB;
        return HC_OK;
    }
    hc_buf b;
    hc_buf_init(&b, m->ctx);
    hc_status s = hc_pbtxt_to_wire(m->ctx, in, &b);
    if (s) {
        hc_buf_fini(&b);
        return s;
    }
    uint8_t *p = hc_buf_take(&b, &m->owned_n);
    hc_dealloc(m->ctx, m->owned); /* text input no longer needed once transcoded */
    m->owned = p;
    *bin = hc_span_of(p, m->owned_n);
    m->format = HC_FORMAT_PBTXT;
    return HC_OK;
}

static hc_status load(hc_model *m, hc_span in) {
    hc_span bin;
    hc_status s = to_binary(m, in, &bin);
    if (s) return s;
    m->bytes = bin;
    hc_progress(m->ctx, "reading", 0.0);
    s = hc_graphdef_read(&m->g, bin);
    if (s) return s;
    s = hc_model_find_io(m);
    hc_progress(m->ctx, "reading", 1.0);
    return s;
}

static hc_model *model_new(hc_ctx *ctx) {
    hc_model *m = hc_calloc(ctx, 1, sizeof *m);
    if (!m) return NULL;
    m->ctx = ctx;
    hc_graph_init(&m->g, ctx);
    return m;
}

hc_status hc_model_from_bytes(hc_ctx *ctx, hc_span bytes, uint8_t *owned, const char *name,
                              hc_model **out) {
    *out = NULL;
    hc_model *m = model_new(ctx);
    if (!m) {
        hc_dealloc(ctx, owned);
        return HC_NOMEM;
    }
    m->owned = owned;
    m->owned_n = owned ? bytes.n : 0;
    const char *saved = ctx->file;
    if (name) ctx->file = name;
    hc_status s = load(m, bytes);
    ctx->file = saved;
    if (s) {
        model_release(m);
        return s;
    }
    *out = m;
    return HC_OK;
}

hc_status hc_model_open_memory(hc_ctx *ctx, const void *data, size_t size, const char *name,
                               hc_model **out) {
    return hc_model_from_bytes(ctx, hc_span_of(data, size), NULL, name ? name : "<memory>", out);
}

hc_status hc_model_open(hc_ctx *ctx, const char *path, hc_model **out) {
    *out = NULL;
    hc_model *m = model_new(ctx);
    if (!m) return HC_NOMEM;
    const char *saved = ctx->file;
    ctx->file = path;
    hc_status s = hc_map_file(ctx, path, &m->map);
    if (s == HC_OK) {
        m->path = hc_arena_strndup(&m->g.arena, path, strlen(path));
        s = m->path ? load(m, hc_span_of(m->map.p, m->map.n)) : HC_NOMEM;
    }
    ctx->file = saved;
    if (s) {
        model_release(m);
        return s;
    }
    *out = m;
    return HC_OK;
}

hc_status hc_model_serialize(hc_ctx *ctx, const hc_model *m, hc_format fmt, void **data,
                             size_t *size) {
    *data = NULL;
    *size = 0;
    if (fmt == HC_FORMAT_AUTO) fmt = m->format;
    hc_buf b;
    hc_buf_init(&b, ctx);
    hc_status s = hc_graphdef_write(&m->g, &b);
    if (s == HC_OK && fmt == HC_FORMAT_PBTXT) {
        hc_buf t;
        hc_buf_init(&t, ctx);
        s = hc_wire_to_pbtxt(ctx, hc_span_of(b.p, b.n), &t);
        hc_buf_fini(&b);
        b = t;
    }
    if (s) {
        hc_buf_fini(&b);
        return s;
    }
    *data = hc_buf_take(&b, size);
    return HC_OK;
}

hc_status hc_model_save(hc_ctx *ctx, const hc_model *m, const char *path, hc_format fmt) {
    if (fmt == HC_FORMAT_AUTO) fmt = m->format;
    /* A model's graph is never edited after it is read, so its binary form is the bytes it
     * was read from: write those without encoding them again. */
    if (fmt == HC_FORMAT_PB && m->format == HC_FORMAT_PB)
        return hc_write_atomic(ctx, path, m->bytes.p, m->bytes.n, m->map.dev, m->map.ino);
    void *data;
    size_t n;
    hc_status s = hc_model_serialize(ctx, m, fmt, &data, &n);
    if (s) return s;
    s = hc_write_atomic(ctx, path, data, n, m->map.dev, m->map.ino);
    hc_dealloc(ctx, data);
    return s;
}

hc_format hc_model_format(const hc_model *m) {
    return m->format;
}

size_t hc_model_node_count(const hc_model *m) {
    size_t c = 0;
    for (uint32_t i = 0; i < m->g.n_nodes; i++)
        c += !m->g.nodes[i].removed;
    return c;
}

static void io_fill(hc_model *m, hc_io *io, int32_t node, int32_t port) {
    hc_graph *g = &m->g;
    const hc_node *n = &g->nodes[node];
    io->node = node;
    io->port = port;
    io->name = port ? hc_arena_printf(&g->arena, HC_SPAN_FMT ":%d", HC_SPAN_ARG(n->name), port)
                    : hc_node_cname(g, n);
    const char *why;
    if (!hc_node_out_dtype(g, n, port, &io->dtype, &why)) io->dtype = HC_DT_INVALID;
    io->shape.rank = -1;
    const hc_attr *a = hc_node_attr(n, "shape");
    if (a && a->kind == HC_ATTR_SHAPE) io->shape = a->u.shape;
    a = hc_node_attr(n, "_output_shapes");
    if (io->shape.rank < 0 && a && a->kind == HC_ATTR_LIST && a->u.list->kind == HC_ATTR_SHAPE &&
        (size_t)port < a->u.list->n)
        io->shape = a->u.list->u.shape[port];
}

hc_status hc_model_find_io(hc_model *m) {
    hc_graph *g = &m->g;
    uint8_t *used = hc_calloc(m->ctx, g->n_nodes ? g->n_nodes : 1, 1);
    if (!used) return HC_NOMEM;
    size_t ni = 0, no = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (uint32_t k = 0; k < g->nodes[i].n_in; k++)
            used[g->nodes[i].in[k].node] = 1;
    for (int pass = 0; pass < 2; pass++) {
        ni = no = 0;
        for (uint32_t i = 0; i < g->n_nodes; i++) {
            const hc_node *n = &g->nodes[i];
            if (n->removed) continue;
            bool is_input = hc_span_eq_str(n->op, "Placeholder");
            bool is_output = !used[i] && !is_input && n->n_out != 0 &&
                             !hc_span_eq_str(n->op, "Const") && !hc_span_eq_str(n->op, "NoOp");
            if (pass && is_input && m->inputs) io_fill(m, &m->inputs[ni], (int32_t)i, 0);
            if (pass && is_output && m->outputs) io_fill(m, &m->outputs[no], (int32_t)i, 0);
            ni += is_input;
            no += is_output;
        }
        if (!pass) {
            m->inputs = ni ? hc_arena_array(&g->arena, ni, sizeof(hc_io)) : NULL;
            m->outputs = no ? hc_arena_array(&g->arena, no, sizeof(hc_io)) : NULL;
            if ((ni && !m->inputs) || (no && !m->outputs)) {
                hc_dealloc(m->ctx, used);
                return HC_NOMEM;
            }
        }
    }
    m->n_inputs = ni;
    m->n_outputs = no;
    hc_dealloc(m->ctx, used);
    return HC_OK;
}

size_t hc_model_input_count(const hc_model *m) {
    return m->n_inputs;
}

size_t hc_model_output_count(const hc_model *m) {
    return m->n_outputs;
}

static hc_status io_info(const hc_io *io, hc_io_info *info) {
    info->name = io->name;
    info->dtype = io->dtype;
    info->rank = io->shape.rank;
    info->dims = io->shape.dims;
    return HC_OK;
}

hc_status hc_model_input(const hc_model *m, size_t i, hc_io_info *info) {
    if (i >= m->n_inputs) return HC_INVALID;
    return io_info(&m->inputs[i], info);
}

hc_status hc_model_output(const hc_model *m, size_t i, hc_io_info *info) {
    if (i >= m->n_outputs) return HC_INVALID;
    return io_info(&m->outputs[i], info);
}
