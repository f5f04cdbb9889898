/* detections.c - matching detections of model B to those of model A (class + IoU, greedy by
 * A's score), with a reason for every difference; and finding the detection outputs of TF
 * Object Detection API style models by name or by shape and values. */
#include "compare/compare.h"

#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hc_det_options_init(hc_det_options *o) {
    o->min_score = 0.3f;
    o->iou = 0.9f;
    o->score_tol = 0.01f;
}

float hc_det_iou(const float *p, const float *q) {
    float py0 = HC_MIN(p[0], p[2]), py1 = HC_MAX(p[0], p[2]);
    float px0 = HC_MIN(p[1], p[3]), px1 = HC_MAX(p[1], p[3]);
    float qy0 = HC_MIN(q[0], q[2]), qy1 = HC_MAX(q[0], q[2]);
    float qx0 = HC_MIN(q[1], q[3]), qx1 = HC_MAX(q[1], q[3]);
    float iy = HC_MIN(py1, qy1) - HC_MAX(py0, qy0), ix = HC_MIN(px1, qx1) - HC_MAX(px0, qx0);
    if (iy <= 0 || ix <= 0) return 0.0f;
    float inter = iy * ix;
    float uni = (py1 - py0) * (px1 - px0) + (qy1 - qy0) * (qx1 - qx0) - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

static int by_score_desc(const void *x, const void *y) {
    const hc_det *a = x, *b = y;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return a->index - b->index;
}

static bool push_diff(hc_det_report *r, hc_det_issue issue, const hc_det *a, const hc_det *b,
                      float iou, const char *why) {
    hc_det_diff *d = realloc(r->diffs, (r->n_diffs + 1) * sizeof *d);
    if (!d) return false;
    r->diffs = d;
    hc_det none = {{0, 0, 0, 0}, 0, 0, -1};
    d[r->n_diffs++] = (hc_det_diff){issue, a ? *a : none, b ? *b : none, iou, why};
    return true;
}

/* Overlap at which two boxes compete in non-maximum suppression (TF OD API configs use 0.3 to
 * 0.6): a box lost to such a neighbour of nearly equal score is a tie broken by rounding. Ties
 * are rare; when most boxes of an image are lost, they moved (ties is false then). */
#define NMS_NEIGHBOUR 0.3f

/* Why an A box found no B box of its class at the IoU. */
static const char *missing_reason(const hc_det *a, const hc_det *best, float best_iou,
                                  const hc_det *b, size_t nb, const hc_det_options *o, bool ties) {
    for (size_t j = 0; j < nb; j++)
        if (b[j].cls != a->cls && hc_det_iou(a->box, b[j].box) >= o->iou)
            return "found with another class";
    if (best && best_iou >= o->iou) return "its counterpart matched a higher-scoring box";
    if (ties && best && best_iou >= NMS_NEIGHBOUR && fabsf(best->score - a->score) <= o->score_tol)
        return "NMS tie: fp16 kept an overlapping box of almost the same score instead";
    if (a->score - o->min_score < 2 * o->score_tol)
        return "score on the threshold: the box is there in fp32 only just";
    if (best && best_iou >= 0.1f) return "box moved: its best match overlaps too little";
    return "not found: no box of this class nearby";
}

static int best_candidate(const hc_det *a, const hc_det *b, size_t nb, const uint8_t *used,
                          float *iou) {
    int best = -1;
    *iou = 0.0f;
    for (size_t j = 0; j < nb; j++) {
        if (used[j] || b[j].cls != a->cls) continue;
        float v = hc_det_iou(a->box, b[j].box);
        if (v > *iou) *iou = v, best = (int)j;
    }
    return best;
}

static bool push_pair(hc_det_report *r, const hc_det *a, const hc_det *b) {
    hc_det_pair *p = realloc(r->pairs, (r->n_pairs + 1) * sizeof *p);
    if (!p) return false;
    r->pairs = p;
    p[r->n_pairs++] = (hc_det_pair){a->index, b->index};
    return true;
}

static bool match_a(const hc_det *a, const hc_det *b, size_t nb, uint8_t *used,
                    const hc_det_options *o, bool ties, hc_det_report *r, double *iou_sum) {
    float iou;
    int j = best_candidate(a, b, nb, used, &iou);
    if (j >= 0 && iou >= o->iou) {
        used[j] = 1;
        r->matched++;
        *iou_sum += iou;
        if (iou < r->min_iou) r->min_iou = iou;
        double ds = fabs((double)a->score - (double)b[j].score);
        if (ds > r->max_score_delta) r->max_score_delta = ds;
        if (!push_pair(r, a, &b[j])) return false;
        if (ds <= o->score_tol) return true;
        r->score_off++;
        return push_diff(r, HC_DET_SCORE, a, &b[j], iou, "score moved more than the tolerance");
    }
    float any_iou;
    uint8_t *none = calloc(nb + 1, 1);
    if (!none) return false;
    int k = best_candidate(a, b, nb, none, &any_iou);
    free(none);
    r->missing++;
    const hc_det *best = k >= 0 ? &b[k] : NULL;
    return push_diff(r, HC_DET_MISSING, a, best, any_iou,
                     missing_reason(a, best, any_iou, b, nb, o, ties));
}

/* Why a B box matched no A box; *iou: its best overlap with an A box of its class. */
static const char *extra_reason(const hc_det *b, const hc_det *a, size_t na,
                                const hc_det_options *o, bool ties, float *iou) {
    const hc_det *tie = NULL, *best = NULL;
    for (size_t i = 0; i < na; i++) {
        if (a[i].cls != b->cls) continue;
        float v = hc_det_iou(a[i].box, b->box);
        if (v > *iou) *iou = v, best = &a[i];
        if (v >= NMS_NEIGHBOUR && fabsf(a[i].score - b->score) <= o->score_tol) tie = &a[i];
    }
    if (best && *iou >= o->iou)
        return best->score < o->min_score
                   ? "score on the threshold: fp32 has the same box just below it"
                   : "duplicate: its fp32 box matched another fp16 box";
    if (ties && tie)
        return "NMS tie: fp32 kept an overlapping box of almost the same score instead";
    if (b->score - o->min_score < 2 * o->score_tol)
        return "score on the threshold: only just above it in fp16";
    return "not in the fp32 result";
}

/* A boxes with no B box of their class at the IoU, whatever else matched it. */
static size_t count_lost(const hc_det *a, size_t n, const hc_det *b, size_t nb,
                         const hc_det_options *o) {
    size_t lost = 0;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < nb && !found; j++)
            found = b[j].cls == a[i].cls && hc_det_iou(a[i].box, b[j].box) >= o->iou;
        lost += !found;
    }
    return lost;
}

hc_status hc_compare_detections(const hc_det *a0, size_t na, const hc_det *b, size_t nb,
                                const hc_det_options *o, hc_det_report *r) {
    memset(r, 0, sizeof *r);
    r->min_iou = 1.0;
    hc_det *a = malloc((na + 1) * sizeof *a);
    uint8_t *used = calloc(nb + 1, 1);
    if (!a || !used) {
        free(a);
        free(used);
        return HC_NOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < na; i++)
        if (a0[i].score >= o->min_score) a[n++] = a0[i];
    qsort(a, n, sizeof *a, by_score_desc);
    r->a_count = n;
    double iou_sum = 0;
    bool ok = true, ties = 2 * count_lost(a, n, b, nb, o) <= n;
    for (size_t i = 0; i < n && ok; i++)
        ok = match_a(&a[i], b, nb, used, o, ties, r, &iou_sum);
    for (size_t j = 0; j < nb && ok; j++) {
        if (b[j].score < o->min_score) continue;
        r->b_count++;
        if (used[j]) continue;
        r->extra++;
        float iou = 0.0f;
        const char *why = extra_reason(&b[j], a0, na, o, ties, &iou);
        ok = push_diff(r, HC_DET_EXTRA, NULL, &b[j], iou, why);
    }
    r->mean_iou = r->matched ? iou_sum / (double)r->matched : 1.0;
    if (!r->matched) r->min_iou = 0.0;
    free(a);
    free(used);
    return ok ? HC_OK : HC_NOMEM;
}

void hc_det_report_fini(hc_det_report *r) {
    free(r->diffs);
    free(r->pairs);
    memset(r, 0, sizeof *r);
}
