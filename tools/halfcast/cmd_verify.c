/* cmd_verify.c - `halfcast verify A B --images DIR|FILE...`: does model B (fp16) answer like
 * model A (fp32)? Exit 0 within tolerance, 1 not, 2 bad input. */
#include "cli.h"
#include "verify.h"

#include "base/io.h"
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

enum {
    O_IMAGES = 1,
    O_INPUT,
    O_EXTRA,
    O_BOXES,
    O_SCORES,
    O_CLASSES,
    O_COUNT,
    O_IOU,
    O_STOL,
    O_MINSCORE,
    O_MINFOUND,
    O_TTOL,
    O_MEAN,
    O_SCALE,
    O_BGR,
    O_LAYOUT,
    O_SIZE,
    O_JSON,
    O_REPORT,
    O_THREADS,
    O_HELP
};

static const hc_opt OPTS[] = {{"images", 0, HC_OPT_VALUE, O_IMAGES},
                              {"input", 'i', HC_OPT_VALUE, O_INPUT},
                              {"extra", 'e', HC_OPT_VALUE, O_EXTRA},
                              {"boxes", 0, HC_OPT_VALUE, O_BOXES},
                              {"scores", 0, HC_OPT_VALUE, O_SCORES},
                              {"classes", 0, HC_OPT_VALUE, O_CLASSES},
                              {"count", 0, HC_OPT_VALUE, O_COUNT},
                              {"iou", 0, HC_OPT_VALUE, O_IOU},
                              {"score-tol", 0, HC_OPT_VALUE, O_STOL},
                              {"min-score", 0, HC_OPT_VALUE, O_MINSCORE},
                              {"min-found", 0, HC_OPT_VALUE, O_MINFOUND},
                              {"tensor-tol", 0, HC_OPT_VALUE, O_TTOL},
                              {"mean", 0, HC_OPT_VALUE, O_MEAN},
                              {"scale", 0, HC_OPT_VALUE, O_SCALE},
                              {"bgr", 0, HC_OPT_FLAG, O_BGR},
                              {"layout", 0, HC_OPT_VALUE, O_LAYOUT},
                              {"size", 0, HC_OPT_VALUE, O_SIZE},
                              {"json", 0, HC_OPT_FLAG, O_JSON},
                              {"report", 0, HC_OPT_VALUE, O_REPORT},
                              {"threads", 0, HC_OPT_VALUE, O_THREADS},
                              {"help", 'h', HC_OPT_FLAG, O_HELP},
                              {0}};

static void help(void) {
    printf(
        "usage: halfcast verify A B --images DIR|FILE [--images ...] [options]\n\n"
        "Run models A (e.g. fp32) and B (e.g. its fp16 conversion) on every image and compare\n"
        "every output tensor (max abs/rel error, cosine, NaN/Inf) and the detections: boxes\n"
        "matched by class and IoU, the share of A's boxes found in B, IoU of the matches,\n"
        "score deltas, missing and extra boxes. Detection outputs are found automatically for\n"
        "TF Object Detection API models (detection_boxes ... or Identity_k by shape).\n"
        "Exit status: 0 within tolerance, 1 not, 2 bad usage or input.\n\n"
        "options:\n"
        "      --images PATH        an image or a folder of .jpg/.png (repeatable)\n"
        "  -i, --input NAME         the input that takes the image (default: the one of rank 3/4)\n"
        "  -e, --extra NAME=VALUE   another input: numbers or a .npy (repeatable)\n"
        "      --boxes/--scores/--classes/--count NAME   detection outputs by name\n"
        "      --min-score S        A's boxes that count (default 0.3)\n"
        "      --iou T              IoU a match needs (default 0.9)\n"
        "      --score-tol D        |score delta| allowed (default 0.01)\n"
        "      --min-found F        share of A's boxes B must find (default 0.995)\n"
        "      --tensor-tol T       other outputs: max |A-B| <= T x max |A| (default 0.02)\n"
        "      --mean/--scale/--bgr/--layout/--size   image preprocessing, as in 'halfcast run'\n"
        "      --json               print the report as JSON\n"
        "      --report FILE        also write the JSON report to FILE\n"
        "      --threads N          kernel threads\n");
}

static int parse_float(const char *v, float *out) {
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end) return -1;
    *out = (float)d;
    return 0;
}

typedef struct vargs {
    const char *a, *b, *report;
    bool json;
    int threads;
} vargs;

static int parse_value(int id, const char *v, hc_verify_opts *o, vargs *va) {
    float f = 0;
    switch (id) {
    case O_IMAGES:
        if (!hc_verify_add_images(o, v))
            return hc_cli_usage_error("verify", "no images at '%s'", v);
        return 0;
    case O_INPUT:
        o->image_input = v;
        return 0;
    case O_EXTRA:
        if (o->n_extra == HC_RUN_MAX_INPUTS)
            return hc_cli_usage_error("verify", "too many --extra");
        o->extra[o->n_extra++] = v;
        return 0;
    case O_BOXES:
        o->boxes = v;
        return 0;
    case O_SCORES:
        o->scores = v;
        return 0;
    case O_CLASSES:
        o->classes = v;
        return 0;
    case O_COUNT:
        o->count = v;
        return 0;
    case O_LAYOUT:
        if (strcmp(v, "nchw") && strcmp(v, "nhwc"))
            return hc_cli_usage_error("verify", "--layout takes nhwc or nchw");
        o->prep.layout = strcmp(v, "nchw") ? HC_LAYOUT_NHWC : HC_LAYOUT_NCHW;
        return 0;
    case O_SIZE:
        return hc_run_size(v, &o->prep) ? hc_cli_usage_error("verify", "--size takes HxW") : 0;
    case O_MEAN:
        return hc_run_floats(v, o->prep.mean, 4) < 0 ? hc_cli_usage_error("verify", "bad --mean")
                                                     : 0;
    case O_SCALE:
        return hc_run_floats(v, o->prep.scale, 4) < 0 ? hc_cli_usage_error("verify", "bad --scale")
                                                      : 0;
    case O_REPORT:
        va->report = v;
        return 0;
    case O_THREADS:
        if ((va->threads = hc_cli_count(v)) < 0)
            return hc_cli_usage_error("verify", "--threads takes a number");
        return 0;
    default:
        break;
    }
    if (parse_float(v, &f)) return hc_cli_usage_error("verify", "'%s' is not a number", v);
    if (id == O_IOU) o->det.iou = f;
    if (id == O_STOL) o->det.score_tol = f;
    if (id == O_MINSCORE) o->det.min_score = f;
    if (id == O_MINFOUND) o->min_match = f;
    if (id == O_TTOL) o->tensor_tol = f;
    return 0;
}

static int parse(int argc, char **argv, hc_verify_opts *o, vargs *va) {
    hc_optstate st = {0};
    const char *v;
    int id, rc;
    while ((id = hc_opt_next("verify", OPTS, argc, argv, &st, &v)) != -1) {
        if (id == -2) return 2;
        if (id == O_HELP) {
            help();
            return -1;
        }
        if (id == O_JSON)
            va->json = true;
        else if (id == O_BGR)
            o->prep.bgr = true;
        else if (id == 0 && !va->a)
            va->a = v;
        else if (id == 0 && !va->b)
            va->b = v;
        else if (id == 0)
            return hc_cli_usage_error("verify", "two models only ('%s')", v);
        else if ((rc = parse_value(id, v, o, va)))
            return rc;
    }
    if (!va->a || !va->b) return hc_cli_usage_error("verify", "give two models, A and B");
    if (!o->n_images) return hc_cli_usage_error("verify", "give --images");
    return 0;
}

int hc_verify_write_report(hc_ctx *ctx, const char *path, json_t *report) {
    char *txt = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!txt) return -1;
    hc_status s = hc_write_atomic(ctx, path, txt, strlen(txt), 0, 0);
    free(txt);
    return s ? -1 : 0;
}

int hc_cmd_verify(int argc, char **argv) {
    hc_verify_opts *o = calloc(1, sizeof *o);
    if (!o) return HC_EXIT_USAGE;
    hc_verify_opts_init(o);
    vargs va = {0};
    int rc = parse(argc, argv, o, &va);
    hc_ctx *ctx = rc ? NULL : hc_cli_ctx();
    hc_model *a = NULL, *b = NULL;
    if (ctx) {
        if (va.threads > 0) hc_ctx_set_threads(ctx, va.threads);
        bool pass = false;
        json_t *report = NULL;
        hc_status s = hc_model_open(ctx, va.a, &a);
        if (!s) s = hc_model_open(ctx, va.b, &b);
        if (!s)
            s = hc_verify_models(ctx, va.a, a, va.b, b, o, va.json ? NULL : stdout, &pass, &report);
        if (!s && va.report && hc_verify_write_report(ctx, va.report, report)) s = ctx->status;
        if (!s && va.json) {
            char *txt = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            if (txt) puts(txt);
            free(txt);
        }
        rc = s ? hc_cli_fail(ctx, s) : pass ? HC_EXIT_OK : HC_EXIT_CHECK;
        json_decref(report);
    }
    hc_model_free(b);
    hc_model_free(a);
    hc_ctx_free(ctx);
    for (int i = 0; i < o->n_images; i++)
        free((void *)o->images[i]);
    free(o);
    return rc < 0 ? 0 : rc;
}
