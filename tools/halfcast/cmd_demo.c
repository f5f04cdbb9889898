/* cmd_demo.c - `halfcast demo`: the whole story on the built-in detector (or on a real model
 * with --model/--images): build it and its test image, convert to fp16, show what stays fp32
 * and why, verify the fp16 model finds the same boxes, and benchmark both. */
#include "cli.h"
#include "verify.h"

#include "base/io.h"
#include "demo/demo.h"
#include "model/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { O_DIR = 1, O_MODEL, O_IMAGES, O_INPUT, O_EXTRA, O_NO_BENCH, O_HELP };

static const hc_opt OPTS[] = {
    {"dir", 'd', HC_OPT_VALUE, O_DIR},     {"model", 'm', HC_OPT_VALUE, O_MODEL},
    {"images", 0, HC_OPT_VALUE, O_IMAGES}, {"input", 'i', HC_OPT_VALUE, O_INPUT},
    {"extra", 'e', HC_OPT_VALUE, O_EXTRA}, {"no-bench", 0, HC_OPT_FLAG, O_NO_BENCH},
    {"help", 'h', HC_OPT_FLAG, O_HELP},    {0}};

static void help(void) {
    printf("usage: halfcast demo [--dir DIR] [--model FILE --images PATH ...] [--no-bench]\n\n"
           "Without --model: builds halfcast's own SSD-style detector (uint8 input, a TF1 while\n"
           "loop with TensorArrays for preprocessing, conv + FusedBatchNorm backbone, box\n"
           "decoding with Exp, NonMaxSuppression in a loop) and a test image. Then, on it or on\n"
           "your model: converts to fp16, shows what stays fp32 and why, verifies that the fp16\n"
           "model finds the same boxes, and benchmarks both.\n\n"
           "  -d, --dir DIR        where to write the files (default ./halfcast-demo)\n"
           "  -m, --model FILE     a float32 model of your own\n"
           "      --images PATH    images for it (a file or a folder; repeatable)\n"
           "  -i, --input NAME     the input that takes the image\n"
           "  -e, --extra NAME=V   another input (repeatable)\n"
           "      --no-bench       skip the benchmark\n");
}

typedef struct dargs {
    const char *dir, *model;
    bool no_bench;
    hc_verify_opts *vo;
} dargs;

static int parse(int argc, char **argv, dargs *a) {
    hc_optstate st = {0};
    const char *v;
    int id;
    a->dir = "halfcast-demo";
    while ((id = hc_opt_next("demo", OPTS, argc, argv, &st, &v)) != -1) {
        if (id == -2) return HC_EXIT_USAGE;
        if (id == O_HELP) {
            help();
            return -1;
        }
        if (id == O_DIR) a->dir = v;
        if (id == O_MODEL) a->model = v;
        if (id == O_NO_BENCH) a->no_bench = true;
        if (id == O_INPUT) a->vo->image_input = v;
        if (id == O_EXTRA && a->vo->n_extra < HC_RUN_MAX_INPUTS) a->vo->extra[a->vo->n_extra++] = v;
        if (id == O_IMAGES && !hc_verify_add_images(a->vo, v))
            return hc_cli_usage_error("demo", "no images at '%s'", v);
        if (id == 0) return hc_cli_usage_error("demo", "unexpected argument '%s'", v);
    }
    if (a->model && !a->vo->n_images) return hc_cli_usage_error("demo", "--model needs --images");
    return 0;
}

/* The built-in model and image into dir. */
static hc_status build_builtin(hc_ctx *ctx, const char *model, const char *image) {
    hc_buf b;
    hc_buf_init(&b, ctx);
    hc_status s = hc_demo_model(ctx, &b);
    if (!s) s = hc_write_atomic(ctx, model, b.p, b.n, 0, 0);
    hc_buf_fini(&b);
    if (!s) s = hc_demo_write_image(ctx, image);
    return s;
}

static bool notable(const hc_plan_node *info) {
    static const char *const ops[] = {"NonMaxSuppressionV2",
                                      "NonMaxSuppressionV3",
                                      "NonMaxSuppressionV4",
                                      "NonMaxSuppressionV5",
                                      "Exp",
                                      "FusedBatchNorm",
                                      "ResizeBilinear",
                                      "CropAndResize",
                                      "TopKV2",
                                      "Placeholder",
                                      NULL};
    for (const char *const *o = ops; *o; o++)
        if (!strcmp(info->op, *o)) return info->precision != HC_PREC_NONE;
    return false;
}

static void show_plan(hc_ctx *ctx, const hc_model *m) {
    hc_plan *p;
    if (hc_plan_new(ctx, m, NULL, &p)) return;
    size_t n16 = 0, n32 = 0, shown = 0;
    printf("\n2. What stays fp32, and why (a few of the nodes; 'halfcast inspect --plan' lists "
           "all):\n");
    for (size_t i = 0; i < hc_plan_node_count(p); i++) {
        hc_plan_node info;
        hc_plan_node_info(p, i, &info);
        n16 += info.precision == HC_PREC_FP16;
        n32 += info.precision == HC_PREC_FP32 || info.precision == HC_PREC_MIXED;
        if (!notable(&info) || shown >= 10) continue;
        shown++;
        printf("   %-5s %-20s %s\n         %s\n",
               info.precision == HC_PREC_FP16    ? "fp16"
               : info.precision == HC_PREC_MIXED ? "mixed"
                                                 : "fp32",
               info.op, info.name, info.reason ? info.reason : "");
    }
    printf("   => %zu nodes compute in fp16, %zu stay fp32\n", n16, n32);
    hc_plan_free(p);
}

static hc_status convert_step(hc_ctx *ctx, const char *in_path, const char *out_path, hc_model **in,
                              hc_model **out) {
    hc_convert_stats cs;
    hc_status s = hc_model_open(ctx, in_path, in);
    if (!s) s = hc_convert(ctx, *in, NULL, out, &cs);
    if (!s) s = hc_model_save(ctx, *out, out_path, HC_FORMAT_PB);
    if (s) return s;
    printf("\n1. Converted to fp16: %s\n", out_path);
    printf("   %zu nodes; type classes %zu fp16 / %zu fp32; %zu casts added; %zu constants stored "
           "fp16 (packed)%s\n",
           cs.nodes, cs.classes_fp16, cs.classes_fp32, cs.casts_added, cs.consts_fp16,
           cs.batchnorm_rewritten ? "; FusedBatchNorm -> V3 (T=half, U=float)" : "");
    printf("   size %llu -> %llu bytes (%.2fx); every edge type-checked: passed\n",
           (unsigned long long)cs.bytes_in, (unsigned long long)cs.bytes_out,
           (double)cs.bytes_out / (double)cs.bytes_in);
    return HC_OK;
}

static int story(hc_ctx *ctx, dargs *a, const char *model, const char *out_path) {
    hc_model *in = NULL, *out = NULL;
    hc_status s = convert_step(ctx, model, out_path, &in, &out);
    if (!s) show_plan(ctx, in);
    bool pass = false;
    json_t *report = NULL;
    if (!s) {
        printf("\n3. Does the fp16 model find what the fp32 one finds?\n");
        s = hc_verify_models(ctx, model, in, out_path, out, a->vo, stdout, &pass, &report);
    }
    json_decref(report);
    hc_model_free(out);
    hc_model_free(in);
    if (s) return hc_cli_fail(ctx, s);
    if (!a->no_bench) {
        printf("\n4. Load and run, fp32 vs fp16 (fresh processes):\n");
        const char *models[2] = {model, out_path};
        const char *pass_opts[2 + 2 * HC_RUN_MAX_INPUTS];
        int np = 0;
        char in_arg[4096];
        snprintf(in_arg, sizeof in_arg, "%s%s%s", a->vo->image_input ? a->vo->image_input : "",
                 a->vo->image_input ? "=" : "", a->vo->images[0]);
        pass_opts[np++] = "--input";
        pass_opts[np++] = in_arg;
        for (int i = 0; i < a->vo->n_extra; i++) {
            pass_opts[np++] = "--input";
            pass_opts[np++] = a->vo->extra[i];
        }
        fflush(stdout);
        if (hc_bench_models(models, 2, pass_opts, np, 3, 10)) return HC_EXIT_USAGE;
    }
    printf("\nResult: %s\n", pass ? "the fp16 model is verified: same detections within tolerance"
                                  : "the fp16 model differs (see above)");
    return pass ? HC_EXIT_OK : HC_EXIT_CHECK;
}

int hc_cmd_demo(int argc, char **argv) {
    dargs a = {0};
    a.vo = calloc(1, sizeof *a.vo);
    if (!a.vo) return HC_EXIT_USAGE;
    hc_verify_opts_init(a.vo);
    int rc = parse(argc, argv, &a);
    hc_ctx *ctx = rc ? NULL : hc_cli_ctx();
    if (ctx && mkdir(a.dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "halfcast demo: cannot make folder %s: %s\n", a.dir, strerror(errno));
        rc = HC_EXIT_USAGE;
    } else if (ctx) {
        char model[4096], out[4200], image[4096];
        snprintf(model, sizeof model, "%s/demo.pb", a.dir);
        snprintf(image, sizeof image, "%s/demo.png", a.dir);
        hc_status s = HC_OK;
        if (!a.model) {
            s = build_builtin(ctx, model, image);
            if (!s) hc_verify_add_images(a.vo, image);
            if (!s) printf("Built halfcast's demo detector: %s (test image %s)\n", model, image);
        } else {
            snprintf(model, sizeof model, "%s", a.model);
        }
        const char *base = strrchr(model, '/');
        base = base ? base + 1 : model;
        const char *dot = strrchr(base, '.');
        int stem = dot ? (int)(dot - base) : (int)strlen(base);
        snprintf(out, sizeof out, "%.2000s/%.*s.f16.pb", a.dir, stem > 2000 ? 2000 : stem, base);
        rc = s ? hc_cli_fail(ctx, s) : story(ctx, &a, model, out);
    }
    hc_ctx_free(ctx);
    for (int i = 0; i < a.vo->n_images; i++)
        free((void *)a.vo->images[i]);
    free(a.vo);
    return rc < 0 ? 0 : rc;
}
