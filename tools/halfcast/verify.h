/* verify.h - the verify engine shared by `verify` and `convert --verify`: run models A and B
 * on the same images and compare every output and the detections. */
#ifndef HC_CLI_VERIFY_H
#define HC_CLI_VERIFY_H

#include "compare/compare.h"
#include "runio.h"

#include <jansson.h>

#define HC_VERIFY_MAX_IMAGES 4096

typedef struct hc_verify_opts {
    const char *images[HC_VERIFY_MAX_IMAGES]; /* image files (folders already expanded) */
    int n_images;
    const char *image_input;              /* which input takes the image (NULL: guess) */
    const char *extra[HC_RUN_MAX_INPUTS]; /* NAME=VALUE for the other inputs */
    int n_extra;
    hc_image_prep prep;
    const char *boxes, *scores, *classes, *count; /* detection outputs by name (NULL: find) */
    hc_det_options det;
    double min_match;  /* share of A's boxes that must be found (0.995) */
    double tensor_tol; /* without detections: max |a-b| <= tol * max |a| (0.01) */
} hc_verify_opts;

void hc_verify_opts_init(hc_verify_opts *o);
/* Add FILE, or every .jpg/.jpeg/.png in a folder (sorted). false when nothing was found. */
bool hc_verify_add_images(hc_verify_opts *o, const char *path);

/* Run the comparison. *verdict is true when B is within tolerance of A. *report is a JSON
 * object (owned by the caller) with per-image and overall results; the human summary is
 * printed to `out` unless it is NULL. Returns an error status only when the comparison could
 * not be made (bad input, a model that does not run). */
hc_status hc_verify_models(hc_ctx *ctx, const char *name_a, const hc_model *a, const char *name_b,
                           const hc_model *b, const hc_verify_opts *o, FILE *out, bool *verdict,
                           json_t **report);
/* Write a JSON report atomically; 0 or -1 (error in ctx). */
int hc_verify_write_report(hc_ctx *ctx, const char *path, json_t *report);
#endif
