/* cmd_run.c - `halfcast run FILE --input NAME=X.npy|IMAGE|VALUES ...`: run a model once (or N
 * times with --time), write every output as .npy and print a summary. */
#include "cli.h"

#include "base/io.h"
#include "base/npy.h"
#include "image/image.h"
#include "model/model.h"
#include "runio.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    O_INPUT = 1,
    O_OUT,
    O_TIME,
    O_OUTPUTS,
    O_LAYOUT,
    O_SIZE,
    O_MEAN,
    O_SCALE,
    O_BGR,
    O_THREADS,
    O_JSON,
    O_HELP,
    O_QUIET,
    O_SAVE_INPUTS
};

static const hc_opt OPTS[] = {{"input", 'i', HC_OPT_VALUE, O_INPUT},
                              {"out", 'o', HC_OPT_VALUE, O_OUT},
                              {"time", 't', HC_OPT_VALUE, O_TIME},
                              {"outputs", 0, HC_OPT_VALUE, O_OUTPUTS},
                              {"layout", 0, HC_OPT_VALUE, O_LAYOUT},
                              {"size", 0, HC_OPT_VALUE, O_SIZE},
                              {"mean", 0, HC_OPT_VALUE, O_MEAN},
                              {"scale", 0, HC_OPT_VALUE, O_SCALE},
                              {"bgr", 0, HC_OPT_FLAG, O_BGR},
                              {"threads", 0, HC_OPT_VALUE, O_THREADS},
                              {"json", 0, HC_OPT_FLAG, O_JSON},
                              {"quiet", 'q', HC_OPT_FLAG, O_QUIET},
                              {"help", 'h', HC_OPT_FLAG, O_HELP},
                              {"save-inputs", 0, HC_OPT_VALUE, O_SAVE_INPUTS},
                              {0}};

static void help(void) {
    printf("usage: halfcast run FILE --input [NAME=]SOURCE ... [options]\n\n"
           "Run a model with halfcast's executor and write every output as .npy.\n"
           "SOURCE is a .npy file, an image (JPEG or PNG: decoded, resized to the input's\n"
           "fixed size when it has one, converted to its dtype), or numbers for small inputs\n"
           "(min_size=40, thresholds=0.6,0.7,0.7). NAME may be left out for a one-input model.\n\n"
           "options:\n"
           "  -i, --input [NAME=]SOURCE  an input (repeatable)\n"
           "  -o, --out DIR              write <output>.npy files here\n"
           "  -t, --time N               run N more times; report load, first and steady latency\n"
           "      --outputs A,B          outputs to compute (default: the graph's outputs)\n"
           "      --layout nhwc|nchw     image layout (default nhwc)\n"
           "      --size HxW             resize images to this when the input's size is unknown\n"
           "      --mean M[,M,M]         subtract from image pixels (default 0)\n"
           "      --scale S[,S,S]        then multiply (default 1)\n"
           "      --bgr                  feed images as BGR\n"
           "      --threads N            kernel threads (default: one per CPU)\n"
           "      --save-inputs DIR      also write the prepared inputs as DIR/<input>.npy\n"
           "      --json                 print the summary as JSON\n"
           "  -q, --quiet                print nothing on success\n");
}

static int parse(int argc, char **argv, hc_run_args *a) {
    hc_optstate st = {0};
    const char *v;
    int id;
    hc_image_prep_init(&a->prep);
    while ((id = hc_opt_next("run", OPTS, argc, argv, &st, &v)) != -1) {
        switch (id) {
        case -2:
            return 2;
        case 0:
            if (a->model) return hc_cli_usage_error("run", "one model only ('%s')", v);
            a->model = v;
            break;
        case O_INPUT:
            if (a->n_inputs == HC_RUN_MAX_INPUTS)
                return hc_cli_usage_error("run", "too many inputs");
            a->inputs[a->n_inputs++] = v;
            break;
        case O_OUT:
            a->out_dir = v;
            break;
        case O_SAVE_INPUTS:
            a->save_inputs = v;
            break;
        case O_TIME:
            if ((a->time = hc_cli_count(v)) < 0)
                return hc_cli_usage_error("run", "--time takes a number");
            break;
        case O_OUTPUTS:
            a->outputs = v;
            break;
        case O_LAYOUT:
            if (strcmp(v, "nhwc") && strcmp(v, "nchw"))
                return hc_cli_usage_error("run", "--layout takes nhwc or nchw");
            a->prep.layout = strcmp(v, "nchw") ? HC_LAYOUT_NHWC : HC_LAYOUT_NCHW;
            break;
        case O_SIZE:
            if (hc_run_size(v, &a->prep)) return hc_cli_usage_error("run", "--size takes HxW");
            break;
        case O_MEAN:
        case O_SCALE:
            if (hc_run_floats(v, id == O_MEAN ? a->prep.mean : a->prep.scale, 4) < 0)
                return hc_cli_usage_error("run", "--%s takes 1 to 4 numbers",
                                          id == O_MEAN ? "mean" : "scale");
            break;
        case O_BGR:
            a->prep.bgr = true;
            break;
        case O_THREADS:
            if ((a->threads = hc_cli_count(v)) < 0)
                return hc_cli_usage_error("run", "--threads takes a number");
            break;
        case O_JSON:
            a->json = true;
            break;
        case O_QUIET:
            a->quiet = true;
            break;
        case O_HELP:
            help();
            return -1;
        default:
            break;
        }
    }
    if (!a->model) return hc_cli_usage_error("run", "missing model FILE");
    return 0;
}

static void print_summary(const hc_run_args *a, hc_session *s, const hc_run_timing *t) {
    if (a->quiet) return;
    json_t *outs = a->json ? json_array() : NULL;
    if (!a->json) printf("%s: load %.2f ms, first run %.2f ms", a->model, t->load_ms, t->first_ms);
    if (!a->json && a->time > 0)
        printf(", steady median %.2f ms (p90 %.2f, %d runs)", t->median_ms, t->p90_ms, a->time);
    if (!a->json) printf("\n");
    for (size_t i = 0; i < hc_session_output_count(s); i++) {
        hc_tensor o;
        hc_session_output(s, i, &o);
        hc_run_stats st = hc_run_tensor_stats(&o);
        char shape[128];
        hc_run_shape_str(&o, shape, sizeof shape);
        const char *name = hc_session_output_name(s, i);
        if (a->json)
            json_array_append_new(outs, json_pack("{s:s, s:s, s:s, s:f, s:f, s:f}", "name", name,
                                                  "dtype", hc_dtype_name(o.dtype), "shape", shape,
                                                  "min", st.min, "max", st.max, "mean", st.mean));
        else
            printf("  %-40s %-6s %-16s min %-10.4g max %-10.4g mean %.4g\n", name,
                   hc_dtype_name(o.dtype), shape, st.min, st.max, st.mean);
    }
    if (!a->json) return;
    json_t *o = json_pack("{s:s, s:f, s:f, s:f, s:f, s:i, s:o}", "model", a->model, "load_ms",
                          t->load_ms, "first_ms", t->first_ms, "median_ms", t->median_ms, "p90_ms",
                          t->p90_ms, "runs", a->time, "outputs", outs);
    char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (txt) puts(txt);
    free(txt);
    json_decref(o);
}

int hc_cmd_run(int argc, char **argv) {
    hc_run_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    hc_ctx *ctx = hc_cli_ctx();
    if (!ctx) return HC_EXIT_USAGE;
    if (a.threads > 0) hc_ctx_set_threads(ctx, a.threads);
    hc_run_state r;
    hc_run_timing t;
    hc_status s = hc_run_model(ctx, &a, &r, &t);
    if (!s && a.out_dir) s = hc_run_write_outputs(ctx, r.session, a.out_dir);
    hc_cli_progress_done();
    if (!s) print_summary(&a, r.session, &t);
    rc = s ? hc_cli_fail(ctx, s) : HC_EXIT_OK;
    hc_run_state_fini(ctx, &r);
    hc_ctx_free(ctx);
    return rc;
}
