/* detout.c - which outputs of a model are its detections, and reading them.
 * By name first (TF OD API: detection_boxes, detection_scores, detection_classes,
 * num_detections; also boxes/scores/classes/num_boxes), then by shape and values for the
 * unnamed Identity_k outputs of TF2 exports: boxes [1, N, 4]; scores [1, N] in [0, 1] and
 * sorted; classes [1, N] whole numbers (the smallest such set); count [1] <= N. Also dense
 * outputs cut before NMS (TF1 OD graphs converted for tfjs): boxes [1, N, 1, 4] and scores
 * [1, N, C] per anchor and class, read as one detection per anchor (its best class). */
#include "compare/compare.h"

#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool name_is(const char *name, const char *const *want) {
    if (!name) return false;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (; *want; want++)
        if (!strcmp(base, *want) || !strcmp(name, *want)) return true;
    return false;
}

static int64_t boxes_n(const hc_tensor *t) {
    if (t->rank == 3 && t->dims[0] == 1 && t->dims[2] == 4) return t->dims[1];
    if (t->rank == 4 && t->dims[0] == 1 && t->dims[2] == 1 && t->dims[3] == 4) return t->dims[1];
    if (t->rank == 2 && t->dims[1] == 4) return t->dims[0];
    return -1;
}

static int64_t vector_n(const hc_tensor *t) {
    if (t->rank == 2 && t->dims[0] == 1) return t->dims[1];
    if (t->rank == 1) return t->dims[0];
    return -1;
}

/* Probabilities, sorted best first unless dense (one row of class scores per anchor). */
static bool looks_like_scores(const hc_tensor *t, bool dense) {
    size_t n = hc_tensor_elems(t);
    bool fractional = false;
    for (size_t i = 0; i < n; i++) {
        double v = hc_tensor_at(t, i);
        if (!(v >= 0.0 && v <= 1.0)) return false;
        if (!dense && i && v > hc_tensor_at(t, i - 1) + 1e-6) return false;
        fractional |= v != floor(v);
    }
    return fractional || n == 0;
}

static double whole_max(const hc_tensor *t) {
    size_t n = hc_tensor_elems(t);
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = hc_tensor_at(t, i);
        if (!(v >= 0.0) || v != floor(v)) return -1;
        m = HC_MAX(m, v);
    }
    return m;
}

static void by_name(const char *const *names, size_t n, hc_det_outputs *f) {
    static const char *const B[] = {"detection_boxes", "boxes", "box", NULL};
    static const char *const S[] = {"detection_scores", "scores", "prob", NULL};
    static const char *const C[] = {"detection_classes", "classes", NULL};
    static const char *const N[] = {"num_detections", "num_boxes", NULL};
    for (size_t i = 0; names && i < n; i++) {
        if (name_is(names[i], B) && f->boxes < 0) f->boxes = (int)i;
        if (name_is(names[i], S) && f->scores < 0) f->scores = (int)i;
        if (name_is(names[i], C) && f->classes < 0) f->classes = (int)i;
        if (name_is(names[i], N) && f->count < 0) f->count = (int)i;
    }
}

/* For a boxes candidate with N rows, pick scores/classes/count among the other outputs; dense:
 * look for per-anchor class scores [1, N, C] instead of final sorted scores [1, N]. */
static bool by_shape(const hc_tensor *outs, size_t n, int b, bool dense, hc_det_outputs *f) {
    int64_t rows = boxes_n(&outs[b]);
    int scores = -1, classes = -1, count = -1;
    double best_cls = INFINITY;
    for (size_t i = 0; i < n; i++) {
        const hc_tensor *t = &outs[i];
        if ((int)i == b) continue;
        if (dense) {
            bool per_anchor = t->rank == 3 && t->dims[0] == 1 && t->dims[1] == rows;
            if (per_anchor && rows > 1 && scores < 0 && looks_like_scores(t, true)) scores = (int)i;
        } else if (vector_n(t) == rows && rows > 1) {
            double wm = whole_max(t);
            if (scores < 0 && looks_like_scores(t, false))
                scores = (int)i;
            else if (wm >= 0 && wm < best_cls)
                classes = (int)i, best_cls = wm;
        } else if (hc_tensor_elems(t) == 1 && count < 0) {
            double v = hc_tensor_at(t, 0);
            if (v >= 0 && v <= (double)rows && v == floor(v)) count = (int)i;
        }
    }
    if (scores < 0) return false;
    f->boxes = b;
    f->scores = scores;
    f->classes = classes;
    f->count = count;
    return true;
}

bool hc_find_detection_outputs(const char *const *names, const hc_tensor *outs, size_t n,
                               hc_det_outputs *f) {
    f->boxes = f->scores = f->classes = f->count = -1;
    by_name(names, n, f);
    if (f->boxes >= 0 && f->scores >= 0) return true;
    /* Final detections (after NMS) first: a TF2 export also has the raw per-anchor ones. */
    for (int dense = 0; dense < 2; dense++) {
        for (size_t b = 0; b < n; b++) {
            if (boxes_n(&outs[b]) < 1) continue;
            hc_det_outputs g;
            if (by_shape(outs, n, (int)b, dense, &g)) {
                *f = g;
                return true;
            }
        }
    }
    return false;
}

bool hc_read_detections(const hc_tensor *outs, const hc_det_outputs *w, hc_det **dets, size_t *n) {
    *dets = NULL;
    *n = 0;
    if (w->boxes < 0 || w->scores < 0) return false;
    const hc_tensor *b = &outs[w->boxes], *s = &outs[w->scores];
    int64_t rows = boxes_n(b);
    if (rows < 0) return false;
    if (rows == 0) return hc_tensor_elems(s) == 0;  /* nothing detected */
    size_t per = hc_tensor_elems(s) / (size_t)rows; /* classes per anchor when dense */
    if (per < 1 || hc_tensor_elems(s) % (size_t)rows) return false;
    const hc_tensor *c = w->classes >= 0 ? &outs[w->classes] : NULL;
    if (c && (int64_t)hc_tensor_elems(c) != rows) return false;
    int64_t k = rows;
    if (w->count >= 0 && hc_tensor_elems(&outs[w->count]) >= 1) {
        double v = hc_tensor_at(&outs[w->count], 0);
        if (v >= 0 && v < (double)rows) k = (int64_t)v;
    }
    hc_det *d = calloc((size_t)k + 1, sizeof *d);
    if (!d) return false;
    for (int64_t i = 0; i < k; i++) {
        for (int j = 0; j < 4; j++)
            d[i].box[j] = (float)hc_tensor_at(b, (size_t)(i * 4 + j));
        d[i].score = (float)hc_tensor_at(s, (size_t)i * per);
        d[i].cls = c ? (int)hc_tensor_at(c, (size_t)i) : 0;
        for (size_t j = 1; j < per; j++) {
            float v = (float)hc_tensor_at(s, (size_t)i * per + j);
            if (v > d[i].score) d[i].score = v, d[i].cls = (int)j;
        }
        d[i].index = (int)i;
    }
    *dets = d;
    *n = (size_t)k;
    return true;
}

size_t hc_det_row_size(const hc_tensor *boxes, const hc_tensor *t) {
    int64_t rows = boxes_n(boxes);
    if (rows < 1) return 0;
    int lead = boxes->rank == 3 ? 2 : 1; /* [1, N, ...] when the boxes are batched */
    if (t->rank < lead || t->dims[lead - 1] != rows || (lead == 2 && t->dims[0] != 1)) return 0;
    return hc_tensor_elems(t) / (size_t)rows;
}

void hc_compare_det_rows(const hc_tensor *a, const hc_tensor *b, size_t row,
                         const hc_det_pair *pairs, size_t n, double *max_abs, double *range) {
    *max_abs = *range = 0;
    size_t na = hc_tensor_elems(a), nb = hc_tensor_elems(b);
    for (size_t k = 0; k < n; k++) {
        size_t ia = (size_t)pairs[k].a * row, ib = (size_t)pairs[k].b * row;
        if (ia + row > na || ib + row > nb) continue;
        for (size_t j = 0; j < row; j++) {
            double x = hc_tensor_at(a, ia + j), y = hc_tensor_at(b, ib + j);
            *max_abs = HC_MAX(*max_abs, fabs(x - y));
            *range = HC_MAX(*range, fabs(x));
        }
    }
}
