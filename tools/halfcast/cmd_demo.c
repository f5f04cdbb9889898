/* cmd_demo.c - `halfcast demo`: the whole story on the built-in detection model: build it and
 * its test image, convert to fp16, check, and show what was kept fp32 and why. */
#include "cli.h"

#include "base/io.h"
#include "demo/demo.h"
#include "model/model.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { O_DIR = 1, O_HELP };

static const hc_opt OPTS[] = {{"dir", 'd', HC_OPT_VALUE, O_DIR}, {"help", 'h', HC_OPT_FLAG, O_HELP}, {0}};

static void help(void) {
    printf("usage: halfcast demo [--dir DIR]\n\n"
           "Builds halfcast's own SSD-style detector (uint8 input, a TF1 while loop with\n"
           "TensorArrays for preprocessing, conv + FusedBatchNorm backbone, box decoding with\n"
           "Exp, NonMaxSuppression in a loop) and a test image, converts the model to fp16,\n"
           "checks it and prints the result.\n\n"
           "  -d, --dir DIR   where to write demo.pb, demo.f16.pb and demo.png\n"
           "                  (default: ./halfcast-demo)\n");
}

static int fail(hc_ctx *ctx, hc_status s) {
    int rc = hc_cli_fail(ctx, s);
    hc_ctx_free(ctx);
    return rc;
}

static void show_plan(hc_ctx *ctx, const hc_model *m) {
    hc_plan *p;
    if (hc_plan_new(ctx, m, NULL, &p)) return;
    size_t n16 = 0, n32 = 0;
    printf("\nplan (nodes with float types):\n");
    for (size_t i = 0; i < hc_plan_node_count(p); i++) {
        hc_plan_node info;
        hc_plan_node_info(p, i, &info);
        n16 += info.precision == HC_PREC_FP16;
        n32 += info.precision == HC_PREC_FP32 || info.precision == HC_PREC_MIXED;
        bool notable = strstr(info.op, "NonMax") || !strcmp(info.op, "Exp") ||
                       strstr(info.op, "BatchNorm") || strstr(info.op, "ResizeBilinear") ||
                       !strcmp(info.op, "Conv2D");
        if (notable && info.precision != HC_PREC_NONE)
            printf("  %-5s %-22s %s\n        %s\n",
                   info.precision == HC_PREC_FP16 ? "fp16" : info.precision == HC_PREC_MIXED ? "mixed" : "fp32",
                   info.op, info.name, info.reason ? info.reason : "");
    }
    printf("  ... %zu nodes fp16, %zu fp32 ('halfcast inspect --plan' lists them all)\n", n16, n32);
    hc_plan_free(p);
}

int hc_cmd_demo(int argc, char **argv) {
    hc_optstate st = {0};
    const char *v, *dir = "halfcast-demo";
    int id;
    while ((id = hc_opt_next("demo", OPTS, argc, argv, &st, &v)) != -1) {
        if (id == -2) return HC_EXIT_USAGE;
        if (id == O_HELP) {
            help();
            return HC_EXIT_OK;
        }
        if (id == O_DIR) dir = v;
        if (id == 0) return hc_cli_usage_error("demo", "unexpected argument '%s'", v);
    }
    hc_ctx *ctx = hc_cli_ctx();
    if (!ctx) return HC_EXIT_USAGE;
    if (mkdir(dir, 0755) != 0 && access(dir, W_OK) != 0) {
        fprintf(stderr, "halfcast demo: cannot use folder %s\n", dir);
        hc_ctx_free(ctx);
        return HC_EXIT_USAGE;
    }
    char model_path[4096], out_path[4096], img_path[4096];
    snprintf(model_path, sizeof model_path, "%s/demo.pb", dir);
    snprintf(out_path, sizeof out_path, "%s/demo.f16.pb", dir);
    snprintf(img_path, sizeof img_path, "%s/demo.png", dir);
    hc_buf b;
    hc_buf_init(&b, ctx);
    hc_status s = hc_demo_model(ctx, &b);
    if (!s) s = hc_write_atomic(ctx, model_path, b.p, b.n, 0, 0);
    hc_buf_fini(&b);
    if (!s) s = hc_demo_write_image(ctx, img_path);
    if (s) return fail(ctx, s);
    printf("built the demo detector: %s (and its test image %s)\n", model_path, img_path);
    hc_model *m = NULL, *out = NULL;
    hc_convert_stats cs;
    s = hc_model_open(ctx, model_path, &m);
    if (!s) s = hc_convert(ctx, m, NULL, &out, &cs);
    if (!s) s = hc_model_save(ctx, out, out_path, HC_FORMAT_PB);
    if (s) {
        hc_model_free(m);
        return fail(ctx, s);
    }
    printf("converted to fp16: %s\n", out_path);
    printf("  %zu nodes; %zu type classes fp16, %zu fp32; %zu casts; %zu constants fp16; "
           "%zu FusedBatchNorm -> V3\n", cs.nodes, cs.classes_fp16, cs.classes_fp32,
           cs.casts_added, cs.consts_fp16, cs.batchnorm_rewritten);
    printf("  size %llu -> %llu bytes (%.2fx); check: passed\n", (unsigned long long)cs.bytes_in,
           (unsigned long long)cs.bytes_out, (double)cs.bytes_out / (double)cs.bytes_in);
    show_plan(ctx, m);
    hc_model_free(out);
    hc_model_free(m);
    hc_ctx_free(ctx);
    return HC_EXIT_OK;
}
