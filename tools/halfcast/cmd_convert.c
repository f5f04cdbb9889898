/* cmd_convert.c - `halfcast convert IN -o OUT`: plan, convert, check and write atomically. */
#include "cli.h"

#include "model/model.h"
#include "verify.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_OUT = 1,
    O_KEEP,
    O_OUTPUTS,
    O_IO,
    O_STORAGE,
    O_FORMAT,
    O_JSON,
    O_HELP,
    O_QUIET,
    O_VERIFY,
    O_IMAGES,
    O_KEEP_FAILED,
    O_INPUT,
    O_EXTRA,
    O_SYNC
};

static const hc_opt OPTS[] = {{"output", 'o', HC_OPT_VALUE, O_OUT},
                              {"keep-fp32", 'k', HC_OPT_VALUE, O_KEEP},
                              {"outputs", 0, HC_OPT_VALUE, O_OUTPUTS},
                              {"io", 0, HC_OPT_VALUE, O_IO},
                              {"storage-only", 0, HC_OPT_FLAG, O_STORAGE},
                              {"format", 0, HC_OPT_VALUE, O_FORMAT},
                              {"json", 0, HC_OPT_FLAG, O_JSON},
                              {"quiet", 'q', HC_OPT_FLAG, O_QUIET},
                              {"help", 'h', HC_OPT_FLAG, O_HELP},
                              {"verify", 0, HC_OPT_FLAG, O_VERIFY},
                              {"images", 0, HC_OPT_VALUE, O_IMAGES},
                              {"keep-failed", 0, HC_OPT_FLAG, O_KEEP_FAILED},
                              {"input", 'i', HC_OPT_VALUE, O_INPUT},
                              {"extra", 'e', HC_OPT_VALUE, O_EXTRA},
                              {"sync", 0, HC_OPT_FLAG, O_SYNC},
                              {0}};

static void help(void) {
    printf(
        "usage: halfcast convert IN -o OUT [options]\n\n"
        "Convert a float32 TensorFlow graph (.pb or .pbtxt, detected by content) to fp16.\n"
        "Every edge stays type-correct: the result is checked before it is written, and it\n"
        "is written atomically. IN is never modified.\n\n"
        "options:\n"
        "  -o, --output FILE       where to write the fp16 graph (required)\n"
        "  -k, --keep-fp32 PATTERN keep an op type, a node name or a glob of names fp32\n"
        "                          (repeatable)\n"
        "      --outputs A,B,...   graph outputs; nodes they do not need are dropped\n"
        "      --io keep|fp16      graph inputs and outputs keep their dtypes (default), or\n"
        "                          become fp16 with no boundary casts\n"
        "      --storage-only      fp16 weights, fp32 compute (a Cast after each weight)\n"
        "      --format pb|pbtxt   output format (default: the input's)\n"
        "      --verify            run both models on --images and keep the output only when\n"
        "                          the fp16 model answers like the original (exit 1 if not)\n"
        "      --images PATH       images for --verify (a file or a folder; repeatable)\n"
        "  -i, --input NAME        the input that takes the image (default: the one of rank 3/4)\n"
        "  -e, --extra NAME=VALUE  another input for --verify (repeatable)\n"
        "      --keep-failed       write the output even when --verify fails (and say so)\n"
        "      --sync              fsync the output before renaming it into place\n"
        "      --json              print the summary as JSON\n"
        "  -q, --quiet             print nothing on success\n");
}

typedef struct args {
    const char *in, *out;
    const char **keep;
    size_t n_keep;
    char *outputs_buf;
    const char **outputs;
    size_t n_outputs;
    bool io_fp16, storage, json, quiet, verify, keep_failed, sync;
    hc_format format;
    hc_verify_opts *vo;
} args;

static int split_outputs(args *a, const char *v) {
    free(a->outputs_buf);
    free(a->outputs);
    a->outputs_buf = strdup(v);
    a->outputs = calloc(strlen(v) + 1, sizeof *a->outputs);
    if (!a->outputs_buf || !a->outputs) return -1;
    a->n_outputs = 0;
    for (char *save = NULL, *t = strtok_r(a->outputs_buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save))
        if (*t) a->outputs[a->n_outputs++] = t;
    return 0;
}

static int parse(int argc, char **argv, args *a) {
    hc_optstate st = {0};
    const char *v;
    int id;
    a->keep = calloc((size_t)argc, sizeof *a->keep);
    if (!a->keep) return 2;
    while ((id = hc_opt_next("convert", OPTS, argc, argv, &st, &v)) != -1) {
        switch (id) {
        case -2:
            return 2;
        case 0:
            if (a->in) return hc_cli_usage_error("convert", "one input file only ('%s')", v);
            a->in = v;
            break;
        case O_OUT:
            a->out = v;
            break;
        case O_KEEP:
            a->keep[a->n_keep++] = v;
            break;
        case O_OUTPUTS:
            if (split_outputs(a, v)) return 2;
            break;
        case O_IO:
            if (strcmp(v, "fp16") && strcmp(v, "keep"))
                return hc_cli_usage_error("convert", "--io takes 'keep' or 'fp16', not '%s'", v);
            a->io_fp16 = !strcmp(v, "fp16");
            break;
        case O_STORAGE:
            a->storage = true;
            break;
        case O_FORMAT:
            if (hc_cli_format("convert", v, &a->format)) return HC_EXIT_USAGE;
            break;
        case O_JSON:
            a->json = true;
            break;
        case O_QUIET:
            a->quiet = true;
            break;
        case O_VERIFY:
            a->verify = true;
            break;
        case O_KEEP_FAILED:
            a->keep_failed = true;
            break;
        case O_SYNC:
            a->sync = true;
            break;
        case O_IMAGES:
            if (!hc_verify_add_images(a->vo, v))
                return hc_cli_usage_error("convert", "no images at '%s'", v);
            break;
        case O_INPUT:
            a->vo->image_input = v;
            break;
        case O_EXTRA:
            if (a->vo->n_extra == HC_RUN_MAX_INPUTS)
                return hc_cli_usage_error("convert", "too many --extra");
            a->vo->extra[a->vo->n_extra++] = v;
            break;
        case O_HELP:
            help();
            return -1;
        default:
            break;
        }
    }
    if (!a->in) return hc_cli_usage_error("convert", "missing input file");
    if (!a->out) return hc_cli_usage_error("convert", "missing -o OUT");
    if (a->verify && !a->vo->n_images)
        return hc_cli_usage_error("convert", "--verify needs --images");
    return 0;
}

static bool made_here(hc_span name) {
    for (size_t i = 0; i + 5 <= name.n; i++)
        if (!memcmp(name.p + i, "/_hc_", 5)) return true;
    return false;
}

/* With --io fp16, name every cast that could not be avoided and why. */
static void report_casts(const hc_model *out, bool json, json_t *arr) {
    const hc_graph *g = &out->g;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const hc_node *n = &g->nodes[i];
        if (!hc_span_eq_str(n->op, "Cast") || !made_here(n->name)) continue;
        if (json) {
            json_array_append_new(arr, json_stringn((const char *)n->name.p, n->name.n));
            continue;
        }
        fprintf(stderr,
                "note: cast '%.*s' reads '%.*s': an fp32 node needs it (see 'halfcast "
                "inspect --plan')\n",
                HC_SPAN_ARG(n->name), HC_SPAN_ARG(n->in_names[0]));
    }
}

static void summary(const args *a, const hc_model *out, const hc_convert_stats *s) {
    double ratio = s->bytes_in ? (double)s->bytes_out / (double)s->bytes_in : 0.0;
    if (a->json) {
        json_t *casts = json_array();
        report_casts(out, true, casts);
        json_t *o = json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, "
            "s:o}",
            "input", a->in, "output", a->out, "nodes", (json_int_t)s->nodes, "classes_fp16",
            (json_int_t)s->classes_fp16, "classes_fp32", (json_int_t)s->classes_fp32, "casts_added",
            (json_int_t)s->casts_added, "consts_fp16", (json_int_t)s->consts_fp16,
            "consts_repacked", (json_int_t)s->consts_repacked, "consts_duplicated",
            (json_int_t)s->consts_duplicated, "batchnorm_rewritten",
            (json_int_t)s->batchnorm_rewritten, "values_overflow", (json_int_t)s->values_overflow,
            "values_underflow", (json_int_t)s->values_underflow, "values_subnormal",
            (json_int_t)s->values_subnormal, "consts_repaired", (json_int_t)s->consts_repaired,
            "bytes_in", (json_int_t)s->bytes_in, "bytes_out", (json_int_t)s->bytes_out,
            "size_ratio", ratio, "casts", casts);
        char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (txt) puts(txt);
        free(txt);
        json_decref(o);
        return;
    }
    if (a->quiet) return;
    printf("%s -> %s\n", a->in, a->out);
    printf("  type classes: %zu fp16, %zu fp32; %zu casts added; %zu constants fp16 "
           "(%zu split between fp16 and fp32 users, %zu repacked from half_val)\n",
           s->classes_fp16, s->classes_fp32, s->casts_added, s->consts_fp16, s->consts_duplicated,
           s->consts_repacked);
    if (s->consts_repaired)
        printf("  %zu constants stored in another dtype than their dtype attribute were rewritten "
               "in the attribute's dtype\n",
               s->consts_repaired);
    if (s->batchnorm_rewritten)
        printf("  %zu FusedBatchNorm rewritten to FusedBatchNormV3 (T=half, U=float)\n",
               s->batchnorm_rewritten);
    printf("  size: %llu -> %llu bytes (%.2fx)\n", (unsigned long long)s->bytes_in,
           (unsigned long long)s->bytes_out, ratio);
    printf("  weights: %llu values overflowed to inf, %llu became zero, %llu became subnormal\n",
           (unsigned long long)s->values_overflow, (unsigned long long)s->values_underflow,
           (unsigned long long)s->values_subnormal);
    printf("  check: passed\n");
    if (a->io_fp16) report_casts(out, false, NULL);
}

/* --verify: keep the output only when the fp16 model answers like the original. */
static hc_status verify_step(hc_ctx *ctx, const args *a, const hc_model *in, const hc_model *out,
                             bool *write, bool *failed) {
    bool pass = false;
    json_t *report = NULL;
    hc_status s = hc_verify_models(ctx, a->in, in, a->out, out, a->vo, a->json ? NULL : stdout,
                                   &pass, &report);
    json_decref(report);
    if (s) return s;
    *write = pass || a->keep_failed;
    *failed = !pass;
    if (!pass)
        fprintf(stderr, "halfcast: %s: verification failed: %s\n", a->in,
                a->keep_failed ? "output kept anyway (--keep-failed)" : "nothing written");
    return HC_OK;
}

static void free_args(args *a) {
    for (int i = 0; a->vo && i < a->vo->n_images; i++)
        free((void *)a->vo->images[i]);
    free(a->vo);
    free(a->keep);
    free(a->outputs);
    free(a->outputs_buf);
}

int hc_cmd_convert(int argc, char **argv) {
    args a = {0};
    a.vo = calloc(1, sizeof *a.vo);
    if (!a.vo) return HC_EXIT_USAGE;
    hc_verify_opts_init(a.vo);
    int rc = parse(argc, argv, &a);
    if (rc) {
        free_args(&a);
        return rc < 0 ? 0 : rc;
    }
    hc_ctx *ctx = hc_cli_ctx();
    if (!ctx) {
        free_args(&a);
        return HC_EXIT_USAGE;
    }
    hc_ctx_set_sync(ctx, a.sync);
    hc_model *in = NULL, *out = NULL;
    hc_convert_options o;
    hc_convert_options_init(&o);
    o.keep_fp32 = a.keep;
    o.n_keep_fp32 = a.n_keep;
    o.outputs = a.outputs;
    o.n_outputs = a.n_outputs;
    o.io_fp16 = a.io_fp16;
    o.storage_only = a.storage;
    hc_convert_stats st;
    bool write = true, failed = false;
    hc_status s = hc_model_open(ctx, a.in, &in);
    if (!s) s = hc_convert(ctx, in, &o, &out, &st);
    if (!s && a.verify) s = verify_step(ctx, &a, in, out, &write, &failed);
    if (!s && write) s = hc_model_save(ctx, out, a.out, a.format);
    hc_cli_progress_done();
    if (!s && write) summary(&a, out, &st);
    rc = s ? hc_cli_fail(ctx, s) : failed ? HC_EXIT_CHECK : HC_EXIT_OK;
    hc_model_free(out);
    hc_model_free(in);
    hc_ctx_free(ctx);
    free_args(&a);
    return rc;
}
