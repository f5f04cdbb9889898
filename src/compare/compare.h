/* compare.h - comparators that answer "does the fp16 model give what the fp32 one gives":
 * tensor metrics (max abs/rel error, cosine, NaN/Inf counts) and detection matching (boxes
 * matched by class and IoU; matched share, IoU of the matches, score deltas, missing and
 * extra boxes, each difference with the likely reason). */
#ifndef HC_COMPARE_COMPARE_H
#define HC_COMPARE_COMPARE_H
#include "halfcast/halfcast.h"

typedef struct hc_tensor_diff {
    bool same_shape;
    size_t n;                /* elements compared */
    double max_abs, max_rel; /* max |a-b| and max |a-b| / max(|a|, eps) */
    size_t argmax_abs;       /* where max_abs is */
    double mean_abs;
    double range_a; /* max |a| */
    double cosine;  /* of the flattened tensors; 1 when both are zero */
    size_t nan_a, nan_b, inf_a, inf_b;
} hc_tensor_diff;

/* Compare two tensors of any numeric dtypes (float, half, ints) element by element. */
void hc_compare_tensors(const hc_tensor *a, const hc_tensor *b, hc_tensor_diff *out);
/* Element i of a numeric tensor as double (NaN for non-numeric dtypes). */
double hc_tensor_at(const hc_tensor *t, size_t i);
size_t hc_tensor_elems(const hc_tensor *t);

typedef struct hc_det {
    float box[4]; /* ymin, xmin, ymax, xmax */
    float score;
    int cls;
    int index; /* position in the model's output */
} hc_det;

typedef struct hc_det_options {
    float min_score; /* A's boxes at or above this are the ones that must be found (0.3) */
    float iou;       /* a match needs this IoU (0.9) and the same class */
    float score_tol; /* |score_a - score_b| allowed for a match (0.01) */
} hc_det_options;

void hc_det_options_init(hc_det_options *o);

typedef enum hc_det_issue {
    HC_DET_MISSING = 1, /* an A box with no B box of its class at the IoU */
    HC_DET_EXTRA,       /* a B box above the threshold no A box matched */
    HC_DET_SCORE,       /* matched, but the score moved more than score_tol */
} hc_det_issue;

typedef struct hc_det_diff {
    hc_det_issue issue;
    hc_det a, b;     /* the box and its best counterpart (b.index -1 when none) */
    float iou;       /* of a and b */
    const char *why; /* the likely reason, a static string */
} hc_det_diff;

typedef struct hc_det_pair {
    int a, b; /* indices (hc_det.index) of a matched A box and its B box */
} hc_det_pair;

typedef struct hc_det_report {
    size_t a_count; /* A boxes with score >= min_score */
    size_t b_count;
    size_t matched; /* A boxes found in B (class and IoU), whatever their score delta */
    size_t missing, extra, score_off;
    double min_iou, mean_iou, max_score_delta;
    hc_det_diff *diffs; /* owned: free with hc_det_report_fini */
    size_t n_diffs;
    hc_det_pair *pairs; /* every match, owned like diffs */
    size_t n_pairs;
} hc_det_report;

/* Match B's detections to A's. Returns HC_NOMEM only. */
hc_status hc_compare_detections(const hc_det *a, size_t na, const hc_det *b, size_t nb,
                                const hc_det_options *o, hc_det_report *rep);
void hc_det_report_fini(hc_det_report *rep);
float hc_det_iou(const float *p, const float *q);

/* Which outputs of a model hold detections. Found automatically for TF Object Detection API
 * style outputs (detection_boxes, detection_scores, detection_classes, num_detections, and
 * the Identity_k forms by shape and values), or named by the caller. -1: absent. */
typedef struct hc_det_outputs {
    int boxes, scores, classes, count;
} hc_det_outputs;

/* Find detection outputs among n named tensors. names may be NULL for unnamed. Returns true
 * when at least boxes and scores were found. */
bool hc_find_detection_outputs(const char *const *names, const hc_tensor *outs, size_t n,
                               hc_det_outputs *found);
/* Read detections (batch 0) from the outputs. *n receives the count; the caller frees
 * *dets with free(). Returns false when shapes do not fit. */
bool hc_read_detections(const hc_tensor *outs, const hc_det_outputs *w, hc_det **dets, size_t *n);

/* Outputs besides those four that hold one row per detection (the per-class scores [1, N, C]
 * or anchor indices [1, N] of TF2 exports): their order follows the detections, so only the
 * rows of matched detections can be compared. Elements per row, 0 when t is not one. */
size_t hc_det_row_size(const hc_tensor *boxes, const hc_tensor *t);
/* Over the matched pairs: max |a_row - b_row| and max |a_row| (row: elements per row). */
void hc_compare_det_rows(const hc_tensor *a, const hc_tensor *b, size_t row,
                         const hc_det_pair *pairs, size_t n, double *max_abs, double *range);
#endif
