/* cmd_inspect.c - `halfcast inspect FILE [--plan] [--ops]`: what is in a graph, and with
 * --plan what the converter would do with each node and why. */
#include "cli.h"

#include "model/model.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { O_PLAN = 1, O_OPS, O_JSON, O_HELP, O_KEEP, O_IO };

static const hc_opt OPTS[] = {{"plan", 0, HC_OPT_FLAG, O_PLAN},
                              {"ops", 0, HC_OPT_FLAG, O_OPS},
                              {"json", 0, HC_OPT_FLAG, O_JSON},
                              {"help", 'h', HC_OPT_FLAG, O_HELP},
                              {"keep-fp32", 'k', HC_OPT_VALUE, O_KEEP},
                              {"io", 0, HC_OPT_VALUE, O_IO},
                              {0}};

static void help(void) {
    printf("usage: halfcast inspect FILE [--plan [--keep-fp32 P]... [--io keep|fp16]] [--json]\n"
           "       halfcast inspect --ops [--json]\n\n"
           "Nodes, op histogram, graph inputs and outputs, and weight bytes by dtype and\n"
           "encoding (packed tensor_content, or one value at a time in *_val lists).\n\n"
           "  --plan   each node's precision after conversion (fp16, fp32, mixed) and why\n"
           "  --ops    the op table: classes, type attributes and reasons\n"
           "  --json   machine-readable output\n");
}

typedef struct op_count {
    const char *op;
    size_t n;
} op_count;

static int by_count(const void *a, const void *b) {
    const op_count *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return strcmp(x->op, y->op);
}

typedef struct weights {
    uint64_t bytes[HC_DT_COUNT][2]; /* [dtype][0 packed, 1 value list] */
    size_t count[HC_DT_COUNT][2];
} weights;

static void tally_weights(hc_model *m, weights *w) {
    memset(w, 0, sizeof *w);
    for (uint32_t i = 0; i < m->g.n_nodes; i++) {
        const hc_node *n = &m->g.nodes[i];
        if (n->removed || !hc_span_eq_str(n->op, "Const")) continue;
        const hc_attr *v = hc_node_attr(n, "value");
        if (!v || v->kind != HC_ATTR_TENSOR || (unsigned)v->u.tensor->dtype >= HC_DT_COUNT)
            continue;
        const hc_tensor_proto *t = v->u.tensor;
        int list = t->enc == HC_ENC_VALUES;
        w->bytes[t->dtype][list] += list ? t->vals.n : t->content.n;
        w->count[t->dtype][list]++;
    }
}

static op_count *histogram(hc_model *m, size_t *n_ops) {
    op_count *h = calloc(m->g.n_nodes + 1, sizeof *h);
    size_t n = 0;
    for (uint32_t i = 0; h && i < m->g.n_nodes; i++) {
        const hc_node *nd = &m->g.nodes[i];
        const char *op = hc_arena_strndup(&m->g.arena, nd->op.p, nd->op.n);
        size_t k = 0;
        while (k < n && strcmp(h[k].op, op))
            k++;
        if (k == n) h[n++].op = op;
        h[k].n++;
    }
    if (h) qsort(h, n, sizeof *h, by_count);
    *n_ops = n;
    return h;
}

static json_t *io_json(const hc_model *m, bool inputs) {
    json_t *a = json_array();
    size_t n = inputs ? hc_model_input_count(m) : hc_model_output_count(m);
    for (size_t i = 0; i < n; i++) {
        hc_io_info io;
        inputs ? hc_model_input(m, i, &io) : hc_model_output(m, i, &io);
        json_t *shape = json_array();
        for (int k = 0; k < io.rank; k++)
            json_array_append_new(shape, json_integer(io.dims[k]));
        json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "name", io.name, "dtype",
                                           hc_dtype_name(io.dtype), "shape",
                                           io.rank < 0 ? json_null() : shape));
        if (io.rank < 0) json_decref(shape);
    }
    return a;
}

static void print_io(const hc_model *m, bool inputs) {
    size_t n = inputs ? hc_model_input_count(m) : hc_model_output_count(m);
    printf("%s (%zu):\n", inputs ? "inputs" : "outputs", n);
    for (size_t i = 0; i < n; i++) {
        hc_io_info io;
        inputs ? hc_model_input(m, i, &io) : hc_model_output(m, i, &io);
        printf("  %-40s %-8s ", io.name, hc_dtype_name(io.dtype));
        if (io.rank < 0)
            printf("shape unknown\n");
        else {
            printf("[");
            for (int k = 0; k < io.rank; k++)
                printf("%s%lld", k ? ", " : "", (long long)io.dims[k]);
            printf("]\n");
        }
    }
}

static int summary(const char *file, hc_model *m, bool json) {
    size_t n_ops;
    op_count *h = histogram(m, &n_ops);
    weights w;
    tally_weights(m, &w);
    if (json) {
        json_t *ops = json_object(), *wj = json_array();
        for (size_t i = 0; h && i < n_ops; i++)
            json_object_set_new(ops, h[i].op, json_integer((json_int_t)h[i].n));
        for (int dt = 0; dt < HC_DT_COUNT; dt++)
            for (int l = 0; l < 2; l++)
                if (w.count[dt][l])
                    json_array_append_new(wj, json_pack("{s:s, s:s, s:I, s:I}", "dtype",
                                                        hc_dtype_name((hc_dtype)dt), "encoding",
                                                        l ? "value_list" : "packed", "constants",
                                                        (json_int_t)w.count[dt][l], "bytes",
                                                        (json_int_t)w.bytes[dt][l]));
        json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "file", file, "format",
                              hc_model_format(m) == HC_FORMAT_PBTXT ? "pbtxt" : "pb", "nodes",
                              (json_int_t)hc_model_node_count(m), "inputs", io_json(m, true),
                              "outputs", io_json(m, false), "ops", ops, "weights", wj);
        char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (txt) puts(txt);
        free(txt);
        json_decref(o);
    } else {
        printf("%s: %s GraphDef, %zu nodes, %zu op types\n", file,
               hc_model_format(m) == HC_FORMAT_PBTXT ? "text" : "binary", hc_model_node_count(m),
               n_ops);
        print_io(m, true);
        print_io(m, false);
        printf("ops:\n");
        for (size_t i = 0; h && i < n_ops; i++)
            printf("  %6zu  %s\n", h[i].n, h[i].op);
        printf("weights (Const values):\n");
        for (int dt = 0; dt < HC_DT_COUNT; dt++)
            for (int l = 0; l < 2; l++)
                if (w.count[dt][l])
                    printf("  %-8s %-11s %5zu constants %12llu bytes%s\n",
                           hc_dtype_name((hc_dtype)dt), l ? "value list" : "packed", w.count[dt][l],
                           (unsigned long long)w.bytes[dt][l],
                           l && dt == HC_DT_HALF && w.bytes[dt][l] > 4096
                               ? "  (slow to load: half_val)"
                               : "");
    }
    free(h);
    return HC_EXIT_OK;
}

static const char *prec_name(hc_precision p) {
    switch (p) {
    case HC_PREC_FP16:
        return "fp16";
    case HC_PREC_FP32:
        return "fp32";
    case HC_PREC_MIXED:
        return "mixed";
    default:
        return "-";
    }
}

static int plan(hc_ctx *ctx, hc_model *m, const hc_convert_options *o, bool json) {
    hc_plan *p;
    hc_status s = hc_plan_new(ctx, m, o, &p);
    if (s) return hc_cli_fail(ctx, s);
    json_t *arr = json ? json_array() : NULL;
    size_t counts[4] = {0};
    for (size_t i = 0; i < hc_plan_node_count(p); i++) {
        hc_plan_node info;
        hc_plan_node_info(p, i, &info);
        if (!info.name[0]) continue;
        counts[info.precision]++;
        if (json)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?}", "name", info.name, "op",
                                                 info.op, "precision", prec_name(info.precision),
                                                 "reason", info.reason));
        else
            printf("%-5s %-24s %s%s%s\n", prec_name(info.precision), info.op, info.name,
                   info.reason ? "  -- " : "", info.reason ? info.reason : "");
    }
    if (json) {
        char *txt = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (txt) puts(txt);
        free(txt);
        json_decref(arr);
    } else {
        printf("%zu fp16, %zu fp32, %zu mixed, %zu without float types\n", counts[HC_PREC_FP16],
               counts[HC_PREC_FP32], counts[HC_PREC_MIXED], counts[HC_PREC_NONE]);
    }
    hc_plan_free(p);
    return HC_EXIT_OK;
}

static int ops_table(bool json) {
    size_t n;
    const hc_opdef *t = hc_op_table(&n);
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (json) {
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s?}", "op", t[i].name, "class",
                                                 hc_opcls_name(t[i].cls), "reason", t[i].reason));
            continue;
        }
        printf("%-32s %-6s", t[i].name, hc_opcls_name(t[i].cls));
        for (int k = 0; k < HC_OP_MAX_TATTRS && t[i].tattrs[k].name; k++)
            printf(" %s", t[i].tattrs[k].name);
        printf("%s%s\n", t[i].reason ? "  -- " : "", t[i].reason ? t[i].reason : "");
    }
    if (json) {
        char *txt = json_dumps(arr, JSON_INDENT(2));
        if (txt) puts(txt);
        free(txt);
        json_decref(arr);
    }
    return HC_EXIT_OK;
}

int hc_cmd_inspect(int argc, char **argv) {
    hc_optstate st = {0};
    const char *v, *file = NULL;
    const char **keep = calloc((size_t)argc + 1, sizeof *keep);
    bool json = false, want_plan = false, want_ops = false;
    hc_convert_options o;
    hc_convert_options_init(&o);
    int id = 0, rc = 0;
    while (keep && (id = hc_opt_next("inspect", OPTS, argc, argv, &st, &v)) != -1) {
        if (id == -2) rc = HC_EXIT_USAGE;
        if (id == O_HELP) help();
        if (id == O_HELP || id == -2) break;
        if (id == O_JSON) json = true;
        if (id == O_PLAN) want_plan = true;
        if (id == O_OPS) want_ops = true;
        if (id == O_KEEP) keep[o.n_keep_fp32++] = v;
        if (id == O_IO) o.io_fp16 = !strcmp(v, "fp16");
        if (id == 0) file = v;
    }
    o.keep_fp32 = keep;
    if (rc || id == O_HELP || !keep) {
        free(keep);
        return rc;
    }
    if (want_ops) {
        free(keep);
        return ops_table(json);
    }
    if (!file) {
        free(keep);
        return hc_cli_usage_error("inspect", "missing FILE");
    }
    hc_ctx *ctx = hc_cli_ctx();
    hc_model *m = NULL;
    hc_status s = ctx ? hc_model_open(ctx, file, &m) : HC_NOMEM;
    if (s)
        rc = hc_cli_fail(ctx, s);
    else
        rc = want_plan ? plan(ctx, m, &o, json) : summary(file, m, json);
    hc_model_free(m);
    hc_ctx_free(ctx);
    free(keep);
    return rc;
}
