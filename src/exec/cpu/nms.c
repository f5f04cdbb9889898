/* nms.c - NonMaxSuppression V1..V5 as TensorFlow's non_max_suppression_op.cc computes them:
 * boxes [n,4] as (y1,x1,y2,x2) in any corner order, candidates with score > score_threshold
 * taken from a priority queue (higher score first, the lower box index first on ties), IoU in
 * float, a candidate dropped when IoU > iou_threshold (hard NMS) or its score decayed by
 * exp(-0.5 * iou^2 / sigma) and put back (soft NMS, V5 with sigma > 0). For T = half every
 * operation TensorFlow does in Eigen::half is rounded to half here too. */
#include "exec/cpu/detect.h"

#include "base/fp16.h"

#include <float.h>
#include <math.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* TensorFlow's float arithmetic, no fused multiply-adds */
#endif

typedef struct nms_state {
    int version;    /* 1..5 */
    hc_dtype t;     /* boxes, scores (float or half) */
    float iou_attr; /* V1: iou_threshold attribute */
    bool pad;       /* V4, V5: pad_to_max_output_size */
} nms_state;

typedef struct nms_params {
    int32_t max_out;
    float iou_thr, score_thr, scale;
    bool soft, half;
} nms_params;

/* A box with its corners sorted and its area, as IOU() computes them for every pair. */
typedef struct nms_box {
    float ymin, xmin, ymax, xmax, area;
} nms_box;

typedef struct nms_cand {
    int32_t idx;
    float score;
    int32_t begin; /* selected boxes below this index were already compared */
} nms_cand;

/* Eigen::numext::mini/maxi are std::min/std::max: their NaN behaviour is kept. */
static inline float mini(float a, float b) {
    return b < a ? b : a;
}
static inline float maxi(float a, float b) {
    return a < b ? b : a;
}

static inline float rnd(const nms_params *p, float x) {
    return p->half ? hc_f16_to_f32(hc_f32_to_f16(x)) : x;
}

static float iou(const nms_box *a, const nms_box *b) {
    if (a->area <= 0 || b->area <= 0) return 0.0f;
    float iy1 = maxi(a->ymin, b->ymin), ix1 = maxi(a->xmin, b->xmin);
    float iy2 = mini(a->ymax, b->ymax), ix2 = mini(a->xmax, b->xmax);
    float inter = maxi(iy2 - iy1, 0.0f) * maxi(ix2 - ix1, 0.0f);
    return inter / (a->area + b->area - inter);
}

/* Priority: a higher score first, then the lower box index (TensorFlow's queue order). */
static inline bool above(const nms_cand *a, const nms_cand *b) {
    return a->score > b->score || (a->score == b->score && a->idx < b->idx);
}

static void sift_down(nms_cand *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && above(&h[l], &h[m])) m = l;
        if (r < n && above(&h[r], &h[m])) m = r;
        if (m == i) return;
        nms_cand t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void sift_up(nms_cand *h, size_t i) {
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!above(&h[i], &h[parent])) return;
        nms_cand t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

hc_status hc_detect_nms_prepare(hc_kernel_prep *p) {
    nms_state *st = hc_arena_alloc(p->arena, sizeof *st);
    if (!st) return HC_NOMEM;
    hc_span op = p->node->op;
    st->version = hc_span_eq_str(op, "NonMaxSuppression") ? 1 : (int)(op.p[op.n - 1] - '0');
    st->t = hc_k_attr_type(p->node, "T", HC_DT_FLOAT);
    if (st->version == 1) st->t = HC_DT_FLOAT;
    if (st->t != HC_DT_FLOAT && st->t != HC_DT_HALF)
        return hc_kp_fail(p, HC_UNSUPPORTED, "boxes of type %s are not supported (float, half)",
                          hc_dtype_name(st->t));
    st->iou_attr = hc_k_attr_float(p->node, "iou_threshold", 0.5f);
    st->pad = hc_k_attr_bool(p->node, "pad_to_max_output_size", false);
    p->state = st;
    return HC_OK;
}

/* A threshold input: a scalar of float, half, double or bfloat16, converted to T. */
static hc_status scalar_in(hc_kernel_ctx *k, uint32_t i, const char *what, bool half, float *out) {
    const hc_val *v = &k->in[i];
    if (v->rank != 0)
        return HC_KFAIL(k, HC_INVALID, "%s must be a scalar, got rank %d", what, v->rank);
    float x;
    switch (v->dtype) {
    case HC_DT_FLOAT:
    case HC_DT_HALF:
    case HC_DT_DOUBLE:
    case HC_DT_BFLOAT16:
        hc_detect_to_f32(v->dtype, v->data, 1, &x);
        break;
    default:
        return HC_KFAIL(k, HC_INVALID, "%s has type %s", what, hc_dtype_name(v->dtype));
    }
    *out = half ? hc_f16_to_f32(hc_f32_to_f16(x)) : x;
    return HC_OK;
}

static hc_status read_params(hc_kernel_ctx *k, const nms_state *st, nms_params *p) {
    memset(p, 0, sizeof *p);
    p->half = st->t == HC_DT_HALF;
    const hc_val *m = &k->in[2];
    if (m->rank != 0 || m->dtype != HC_DT_INT32)
        return HC_KFAIL(k, HC_INVALID, "max_output_size must be an int32 scalar");
    p->max_out = hc_ld_i32(m->data);
    p->iou_thr = st->iou_attr;
    hc_status s = st->version >= 2 ? scalar_in(k, 3, "iou_threshold", p->half, &p->iou_thr) : 0;
    if (s) return s;
    if (!(p->iou_thr >= 0.0f && p->iou_thr <= 1.0f))
        return HC_KFAIL(k, HC_INVALID, "iou_threshold must be in [0, 1], got %g",
                        (double)p->iou_thr);
    p->score_thr = p->half ? -HC_F16_MAX : -FLT_MAX; /* V1, V2: numeric_limits<T>::lowest() */
    if (st->version >= 3 && (s = scalar_in(k, 4, "score_threshold", p->half, &p->score_thr)))
        return s;
    if (st->version == 5) {
        float sigma;
        if ((s = scalar_in(k, 5, "soft_nms_sigma", p->half, &sigma))) return s;
        if (!(sigma >= 0.0f))
            return HC_KFAIL(k, HC_INVALID, "soft_nms_sigma must be >= 0, got %g", (double)sigma);
        p->soft = sigma > 0.0f;
        if (p->soft) p->scale = rnd(p, -0.5f / sigma);
    }
    if (p->max_out < 0) return HC_KFAIL(k, HC_INVALID, "max_output_size must be non-negative");
    return HC_OK;
}

static hc_status check_inputs(hc_kernel_ctx *k, const nms_state *st, int32_t *n_boxes) {
    const hc_val *b = &k->in[0], *sc = &k->in[1];
    if (b->dtype != st->t || sc->dtype != st->t)
        return HC_KFAIL(k, HC_INVALID, "boxes and scores must be %s, got %s and %s",
                        hc_dtype_name(st->t), hc_dtype_name(b->dtype), hc_dtype_name(sc->dtype));
    if (b->rank != 2 || b->dims[1] != 4)
        return HC_KFAIL(k, HC_INVALID, "boxes must have shape [num_boxes, 4]");
    if (b->dims[0] > INT32_MAX) return HC_KFAIL(k, HC_LIMIT, "too many boxes");
    if (sc->rank != 1 || sc->dims[0] != b->dims[0])
        return HC_KFAIL(k, HC_INVALID, "scores must have shape [%lld], one per box",
                        (long long)b->dims[0]);
    *n_boxes = (int32_t)b->dims[0];
    return HC_OK;
}

/* The weight a selected box with similarity `sim` (already in T) puts on a candidate's score. */
static float suppress_weight(const nms_params *p, float sim) {
    float w = rnd(p, expf(rnd(p, rnd(p, p->scale * sim) * sim)));
    return p->soft || sim <= p->iou_thr ? w : 0.0f;
}

/* Compare candidate c against the selected boxes it has not met yet; true: hard-suppressed. */
static bool visit(const nms_params *p, const nms_box *boxes, const int32_t *sel, int32_t n_sel,
                  nms_cand *c) {
    for (int32_t j = n_sel - 1; j >= c->begin; j--) {
        float sim = rnd(p, iou(&boxes[c->idx], &boxes[sel[j]]));
        if (!p->soft && sim == sim) {
            /* Hard NMS: the weight is exp(0) = 1 unless the box is suppressed outright. */
            if (sim > p->iou_thr) return true;
            continue;
        }
        c->score = rnd(p, c->score * suppress_weight(p, sim));
        if (!p->soft && sim > p->iou_thr) return true;
        if (c->score <= p->score_thr) break;
    }
    return false;
}

/* Greedy selection; fills sel/sel_score (capacity min(n, max_out)) and *n_sel. */
static void select_boxes(const nms_params *p, const nms_box *boxes, nms_cand *heap, size_t n_heap,
                         int32_t *sel, float *sel_score, int32_t *n_sel) {
    int32_t ns = 0;
    for (size_t i = n_heap / 2; i-- > 0;)
        sift_down(heap, n_heap, i);
    while (ns < p->max_out && n_heap > 0) {
        nms_cand c = heap[0];
        heap[0] = heap[--n_heap];
        sift_down(heap, n_heap, 0);
        float original = c.score;
        bool hard = visit(p, boxes, sel, ns, &c);
        c.begin = ns;
        if (hard) continue;
        if (c.score == original) {
            sel[ns] = c.idx;
            sel_score[ns++] = c.score;
        } else if (c.score > p->score_thr) {
            heap[n_heap] = c;
            sift_up(heap, n_heap++);
        }
    }
    *n_sel = ns;
}

/* Boxes with sorted corners and areas, and the candidates above the score threshold. */
static size_t gather_candidates(hc_kernel_ctx *k, const nms_params *p, int32_t n, nms_box *boxes,
                                nms_cand *heap) {
    hc_dtype t = k->in[0].dtype;
    size_t esz = hc_dtype_size(t), nc = 0;
    const uint8_t *bp = k->in[0].data, *sp = k->in[1].data;
    for (int32_t i = 0; i < n; i++) {
        float c[4], s;
        hc_detect_to_f32(t, bp + (size_t)i * 4 * esz, 4, c);
        hc_detect_to_f32(t, sp + (size_t)i * esz, 1, &s);
        nms_box *b = &boxes[i];
        b->ymin = mini(c[0], c[2]);
        b->xmin = mini(c[1], c[3]);
        b->ymax = maxi(c[0], c[2]);
        b->xmax = maxi(c[1], c[3]);
        b->area = (b->ymax - b->ymin) * (b->xmax - b->xmin);
        if (s > p->score_thr) heap[nc++] = (nms_cand){i, s, 0};
    }
    return nc;
}

static void store_score(hc_dtype t, void *dst, size_t i, float v) {
    if (t == HC_DT_HALF) {
        uint16_t h = hc_f32_to_f16(v);
        memcpy((uint8_t *)dst + 2 * i, &h, 2);
    } else {
        memcpy((uint8_t *)dst + 4 * i, &v, 4);
    }
}

static hc_status write_outputs(hc_kernel_ctx *k, const nms_state *st, const nms_params *p,
                               const int32_t *sel, const float *sel_score, int32_t ns) {
    int64_t n_out = st->pad ? p->max_out : ns;
    hc_status s = hc_k_alloc(k, 0, HC_DT_INT32, 1, &n_out);
    if (s) return s;
    for (int64_t i = 0; i < n_out; i++) {
        int32_t v = i < ns ? sel[i] : 0;
        memcpy((uint8_t *)k->out[0].data + 4 * i, &v, 4);
    }
    uint32_t valid_port = 1;
    if (st->version == 5) {
        if ((s = hc_k_alloc(k, 1, st->t, 1, &n_out))) return s;
        for (int64_t i = 0; i < n_out; i++)
            store_score(st->t, k->out[1].data, (size_t)i, i < ns ? sel_score[i] : 0.0f);
        valid_port = 2;
    }
    if (st->version >= 4) {
        if ((s = hc_k_alloc(k, valid_port, HC_DT_INT32, 0, NULL))) return s;
        memcpy(k->out[valid_port].data, &ns, 4);
    }
    return HC_OK;
}

hc_status hc_detect_nms_run(hc_kernel_ctx *k) {
    const nms_state *st = k->state;
    uint32_t need = st->version == 1 ? 3 : st->version == 2 ? 4 : st->version == 5 ? 6 : 5;
    if (k->n_in != need) return HC_KFAIL(k, HC_MALFORMED, "expects %u inputs", need);
    nms_params p;
    int32_t n;
    hc_status s = read_params(k, st, &p);
    if (!s) s = check_inputs(k, st, &n);
    if (s) return s;
    size_t cap = (size_t)HC_MIN(n, p.max_out), bytes;
    size_t per_box = sizeof(nms_box) + sizeof(nms_cand);
    if (!hc_mul_size((size_t)n, per_box, &bytes) || !hc_add_size(bytes, cap * 8, &bytes))
        return HC_KFAIL(k, HC_LIMIT, "too many boxes");
    uint8_t *mem = hc_k_scratch(k, bytes);
    if (!mem) return k->ctx->status ? k->ctx->status : HC_NOMEM;
    nms_box *boxes = (nms_box *)mem;
    nms_cand *heap = (nms_cand *)(boxes + n);
    int32_t *sel = (int32_t *)(heap + n);
    float *sel_score = (float *)(sel + cap);
    size_t nc = gather_candidates(k, &p, n, boxes, heap);
    int32_t ns = 0;
    select_boxes(&p, boxes, heap, nc, sel, sel_score, &ns);
    s = write_outputs(k, st, &p, sel, sel_score, ns);
    hc_k_scratch_free(k, mem);
    return s;
}
