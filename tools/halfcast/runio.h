/* runio.h - what `run`, `verify` and `bench` share: turning --input arguments into tensors
 * (.npy, images, numbers), loading and running a model with timings, writing outputs. */
#ifndef HC_CLI_RUNIO_H
#define HC_CLI_RUNIO_H

#include "base/npy.h"
#include "image/image.h"

#define HC_RUN_MAX_INPUTS 16

typedef struct hc_run_args {
    const char *model;
    const char *inputs[HC_RUN_MAX_INPUTS]; /* "NAME=SOURCE" or "SOURCE" */
    int n_inputs;
    const char *out_dir;
    const char *save_inputs; /* write the prepared inputs as DIR/<input>.npy */
    int time;
    const char *outputs; /* comma list */
    hc_image_prep prep;  /* layout, mean, scale, bgr (size and dtype come from the model) */
    int threads;
    bool json, quiet;
} hc_run_args;

typedef struct hc_run_state {
    hc_model *model;
    hc_session *session;
    hc_npy inputs[HC_RUN_MAX_INPUTS];
    char input_names[HC_RUN_MAX_INPUTS][512];
    int n_inputs;
    char *outputs_buf;
    const char **outputs;
} hc_run_state;

typedef struct hc_run_timing {
    double load_ms, first_ms, median_ms, p90_ms;
} hc_run_timing;

typedef struct hc_run_stats {
    double min, max, mean;
    size_t nonfinite;
} hc_run_stats;

/* Parse --size "HxW" (or "H,W") into prep's height and width. 0, or -1 when malformed. */
int hc_run_size(const char *s, hc_image_prep *prep);
/* Parse "a,b,c" into out (1 value fills all n). Returns the count or -1. */
int hc_run_floats(const char *s, float *out, int n);
/* Open, prepare inputs, run once (timed) and `time` more times. */
hc_status hc_run_model(hc_ctx *ctx, const hc_run_args *a, hc_run_state *r, hc_run_timing *t);
/* Make the tensor for input `name` of the session from SOURCE. */
hc_status hc_run_make_input(hc_ctx *ctx, const hc_session *s, const char *name, const char *source,
                            const hc_image_prep *prep, hc_npy *out);
/* Write every output as DIR/<name with '/' and ':' as '_'>.npy. */
hc_status hc_run_write_outputs(hc_ctx *ctx, const hc_session *s, const char *dir);
void hc_run_state_fini(hc_ctx *ctx, hc_run_state *r);
hc_run_stats hc_run_tensor_stats(const hc_tensor *t);
void hc_run_shape_str(const hc_tensor *t, char *buf, size_t n);
#endif
