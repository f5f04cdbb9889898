/* test_detect.c - NonMaxSuppression V1..V5 and TopK/TopKV2 through real sessions: against
 * independent references written here (a sorted greedy NMS, an eager soft-NMS, a sorted
 * top-k) on random inputs, and hand-made cases for TensorFlow's corner rules: score ties,
 * identical and flipped boxes, thresholds exactly at the boundary, max_output_size 0, padding,
 * soft-NMS decay, fp16, malformed inputs; threads 1 vs 2 and scalar vs SIMD dispatch. */
#include "test_detect_util.h"

#include <float.h>

/* ---------------------------------------------------------------------------------------- */
/* References                                                                                */

static float ref_iou(const float *b, int i, int j) {
    const float *p = b + (size_t)4 * (size_t)i, *q = b + (size_t)4 * (size_t)j;
    float y1i = p[0] < p[2] ? p[0] : p[2], y2i = p[0] < p[2] ? p[2] : p[0];
    float x1i = p[1] < p[3] ? p[1] : p[3], x2i = p[1] < p[3] ? p[3] : p[1];
    float y1j = q[0] < q[2] ? q[0] : q[2], y2j = q[0] < q[2] ? q[2] : q[0];
    float x1j = q[1] < q[3] ? q[1] : q[3], x2j = q[1] < q[3] ? q[3] : q[1];
    float ai = (y2i - y1i) * (x2i - x1i), aj = (y2j - y1j) * (x2j - x1j);
    if (ai <= 0 || aj <= 0) return 0;
    float ih = (y2i < y2j ? y2i : y2j) - (y1i > y1j ? y1i : y1j);
    float iw = (x2i < x2j ? x2i : x2j) - (x1i > x1j ? x1i : x1j);
    float inter = (ih > 0 ? ih : 0) * (iw > 0 ? iw : 0);
    return inter / (ai + aj - inter);
}

/* Candidates above thr by (score desc, index asc): insertion sort, n is small. */
static int ref_order(const float *s, int n, float thr, int *ord) {
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!(s[i] > thr)) continue;
        int j = m++;
        while (j > 0 && (s[ord[j - 1]] < s[i])) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = i;
    }
    return m;
}

/* Hard NMS; half: IoU rounded to half before the comparison (TensorFlow's T = half). */
static int ref_nms(const float *b, const float *s, int n, int max_out, float iou_thr,
                   float score_thr, bool half, int *sel) {
    int *ord = malloc(sizeof(int) * (size_t)(n + 1)), ns = 0;
    int m = ref_order(s, n, score_thr, ord);
    for (int c = 0; c < m && ns < max_out; c++) {
        bool keep = true;
        for (int j = 0; j < ns && keep; j++) {
            float v = ref_iou(b, ord[c], sel[j]);
            if (half) v = dt_round_half(v);
            if (v > iou_thr) keep = false;
        }
        if (keep) sel[ns++] = ord[c];
    }
    free(ord);
    return ns;
}

/* Soft NMS, eager: after each selection every remaining score is decayed at once. */
static int ref_soft_nms(const float *b, const float *s, int n, int max_out, float score_thr,
                        float sigma, int *sel, float *sel_s) {
    float *cur = malloc(sizeof(float) * (size_t)(n + 1)), scale = -0.5f / sigma;
    bool *alive = calloc((size_t)n + 1, 1);
    int ns = 0;
    for (int i = 0; i < n; i++) {
        cur[i] = s[i];
        alive[i] = s[i] > score_thr;
    }
    while (ns < max_out) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (alive[i] && (best < 0 || cur[i] > cur[best])) best = i;
        if (best < 0) break;
        alive[best] = false;
        sel[ns] = best;
        sel_s[ns++] = cur[best];
        for (int i = 0; i < n; i++) {
            if (!alive[i]) continue;
            float v = ref_iou(b, i, best);
            cur[i] *= expf(scale * v * v);
            if (cur[i] <= score_thr) alive[i] = false;
        }
    }
    free(cur);
    free(alive);
    return ns;
}

/* ---------------------------------------------------------------------------------------- */
/* Running NMS                                                                               */

typedef struct nms_case {
    const char *op; /* NonMaxSuppression, V2 .. V5 */
    hc_dtype t;     /* boxes/scores: float or half */
    int n;
    const float *boxes, *scores;
    int32_t max_out;
    float iou, score, sigma;
    bool pad;
} nms_case;

static void nms_attrs(hc_graph *g, int32_t node, const void *arg) {
    const nms_case *c = arg;
    if (strcmp(c->op, "NonMaxSuppression") == 0) {
        hc_gb_float(g, node, "iou_threshold", c->iou);
        return;
    }
    hc_gb_type(g, node, "T", c->t);
    if (strcmp(c->op, "NonMaxSuppressionV5") != 0) hc_gb_type(g, node, "T_threshold", c->t);
    if (!strcmp(c->op, "NonMaxSuppressionV4") || !strcmp(c->op, "NonMaxSuppressionV5"))
        hc_gb_bool(g, node, "pad_to_max_output_size", c->pad);
}

static void *as_type(hc_dtype t, const float *v, size_t n) {
    if (t == HC_DT_FLOAT) {
        float *p = malloc(4 * n + 4);
        memcpy(p, v, 4 * n);
        return p;
    }
    uint16_t *h = malloc(2 * n + 2);
    for (size_t i = 0; i < n; i++)
        h[i] = hc_f32_to_f16(v[i]);
    return h;
}

static void run_nms(const nms_case *c, const char *cpu, int threads, dt_out *o) {
    int ver = !strcmp(c->op, "NonMaxSuppression") ? 1 : c->op[strlen(c->op) - 1] - '0';
    int64_t bd[2] = {c->n, 4}, sd[1] = {c->n};
    void *b = as_type(c->t, c->boxes, 4 * (size_t)c->n),
         *s = as_type(c->t, c->scores, (size_t)c->n);
    void *thr[3] = {as_type(c->t, &c->iou, 1), as_type(c->t, &c->score, 1),
                    as_type(c->t, &c->sigma, 1)};
    hc_tensor in[6] = {tensor_of(c->t, 2, bd, b),
                       tensor_of(c->t, 1, sd, s),
                       tensor_of(HC_DT_INT32, 0, NULL, &c->max_out),
                       tensor_of(c->t, 0, NULL, thr[0]),
                       tensor_of(c->t, 0, NULL, thr[1]),
                       tensor_of(c->t, 0, NULL, thr[2])};
    int n_in = ver == 1 ? 3 : ver == 2 ? 4 : ver == 5 ? 6 : 5;
    int n_out = ver == 5 ? 3 : ver == 4 ? 2 : 1;
    dt_run(c->op, n_in, in, nms_attrs, c, n_out, cpu, threads, o);
    free(b);
    free(s);
    for (int i = 0; i < 3; i++)
        free(thr[i]);
}

static void expect_indices(const dt_out *o, const int *want, int n) {
    dt_ok(o);
    assert_int_equal(o->t[0].dtype, HC_DT_INT32);
    assert_int_equal(o->t[0].rank, 1);
    if (o->t[0].dims[0] != n) {
        fprintf(stderr, "got %lld indices, want %d\n", (long long)o->t[0].dims[0], n);
        for (int i = 0; i < o->t[0].dims[0]; i++)
            fprintf(stderr, " %lld", (long long)dt_i64_at(&o->t[0], (size_t)i));
        fprintf(stderr, "\n");
    }
    assert_int_equal(o->t[0].dims[0], n);
    for (int i = 0; i < n; i++)
        assert_int_equal(dt_i64_at(&o->t[0], (size_t)i), want[i]);
}

/* Random boxes around a few centres (many overlaps), corners flipped at random, scores on a
 * coarse grid (many ties). */
static void random_boxes(dt_rng *r, int n, float *b, float *s, bool ties) {
    float cy[4], cx[4];
    for (int k = 0; k < 4; k++)
        cy[k] = dt_uniform(r, 0, 1), cx[k] = dt_uniform(r, 0, 1);
    for (int i = 0; i < n; i++) {
        int k = (int)(dt_u32(r) % 4);
        float h = dt_uniform(r, 0.05f, 0.4f), w = dt_uniform(r, 0.05f, 0.4f);
        float y = cy[k] + dt_uniform(r, -0.1f, 0.1f), x = cx[k] + dt_uniform(r, -0.1f, 0.1f);
        bool fy = dt_u32(r) & 1, fx = dt_u32(r) & 1;
        b[4 * i + 0] = fy ? y + h : y;
        b[4 * i + 2] = fy ? y : y + h;
        b[4 * i + 1] = fx ? x + w : x;
        b[4 * i + 3] = fx ? x : x + w;
        s[i] = ties ? (float)(dt_u32(r) % 16) / 16.0f : dt_uniform(r, 0, 1);
    }
}

static void nms_matches_reference(void **state) {
    (void)state;
    static const int sizes[] = {1, 7, 15, 16, 17, 33, 64, 300};
    static const char *ops[] = {"NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionV3",
                                "NonMaxSuppressionV4", "NonMaxSuppressionV5"};
    dt_rng r = {0x1234567};
    for (size_t si = 0; si < HC_COUNT(sizes); si++)
        for (size_t oi = 0; oi < HC_COUNT(ops); oi++)
            for (int half = 0; half < 2; half++) {
                if (half && oi == 0) continue; /* V1 is float only */
                int n = sizes[si];
                float *b = malloc(16 * (size_t)n), *s = malloc(4 * (size_t)n);
                random_boxes(&r, n, b, s, si % 2 == 0);
                nms_case c = {ops[oi],
                              half ? HC_DT_HALF : HC_DT_FLOAT,
                              n,
                              b,
                              s,
                              (int32_t)(dt_u32(&r) % (unsigned)(n + 2)),
                              0.3f + 0.1f * (float)(si % 4),
                              oi >= 2 ? 0.25f : 0.0f,
                              0.0f,
                              false};
                if (half) { /* what TensorFlow sees: values in half */
                    for (int i = 0; i < 4 * n; i++)
                        b[i] = dt_round_half(b[i]);
                    for (int i = 0; i < n; i++)
                        s[i] = dt_round_half(s[i]);
                }
                float iou_t = half ? dt_round_half(c.iou) : c.iou;
                float sc_t = oi >= 2 ? (half ? dt_round_half(c.score) : c.score)
                                     : (half ? -HC_F16_MAX : -FLT_MAX);
                int *want = malloc(sizeof(int) * (size_t)(n + 1));
                int nw = ref_nms(b, s, n, c.max_out, iou_t, sc_t, half, want);
                dt_out o = {0}, o1 = {0};
                run_nms(&c, NULL, 2, &o);
                expect_indices(&o, want, nw);
                run_nms(&c, "scalar", 1, &o1);
                dt_same(&o, &o1);
                if (oi == 4) { /* V5 hard: scores of the kept boxes, valid count */
                    for (int i = 0; i < nw; i++)
                        assert_true(dt_f32_at(&o.t[1], (size_t)i) == s[want[i]]);
                    assert_int_equal(dt_i64_at(&o.t[2], 0), nw);
                }
                dt_out_free(&o);
                dt_out_free(&o1);
                free(want);
                free(b);
                free(s);
            }
}

static void nms_soft_matches_reference(void **state) {
    (void)state;
    dt_rng r = {0xabcdef};
    static const int sizes[] = {1, 7, 17, 64, 200};
    for (size_t si = 0; si < HC_COUNT(sizes); si++) {
        int n = sizes[si];
        float *b = malloc(16 * (size_t)n), *s = malloc(4 * (size_t)n);
        random_boxes(&r, n, b, s, false);
        nms_case c = {"NonMaxSuppressionV5", HC_DT_FLOAT, n, b, s, n, 0.5f, 0.05f, 0.5f, false};
        int *want = malloc(sizeof(int) * (size_t)(n + 1));
        float *ws = malloc(sizeof(float) * (size_t)(n + 1));
        int nw = ref_soft_nms(b, s, n, n, c.score, c.sigma, want, ws);
        dt_out o = {0};
        run_nms(&c, NULL, 0, &o);
        expect_indices(&o, want, nw);
        for (int i = 0; i < nw; i++) {
            float got = dt_f32_at(&o.t[1], (size_t)i);
            assert_true(fabsf(got - ws[i]) <= 1e-5f * fabsf(ws[i]));
        }
        assert_int_equal(dt_i64_at(&o.t[2], 0), nw);
        dt_out_free(&o);
        free(want);
        free(ws);
        free(b);
        free(s);
    }
}

/* Equal scores: the lower index first; an identical box is suppressed (IoU 1). */
static void nms_ties_and_identical(void **state) {
    (void)state;
    const float b[] = {0, 0, 1, 1, 5, 5, 6, 6, 0, 0, 1, 1, 10, 10, 11, 11};
    const float s[] = {0.5f, 0.9f, 0.9f, 0.5f};
    nms_case c = {"NonMaxSuppressionV3", HC_DT_FLOAT, 4, b, s, 10, 0.5f, 0.0f, 0, false};
    dt_out o = {0};
    run_nms(&c, NULL, 0, &o);
    const int want[] = {1, 2, 3}; /* 1 and 2 tie: 1 first; 0 == 2 suppressed; then 3 */
    expect_indices(&o, want, 3);
    dt_out_free(&o);
}

/* Corners in any order give the same boxes. */
static void nms_flipped_corners(void **state) {
    (void)state;
    const float b[] = {1, 1, 0, 0, 0, 0.1f, 1, 1.1f, 0, 2, 1, 3};
    const float s[] = {0.9f, 0.8f, 0.7f};
    nms_case c = {"NonMaxSuppressionV2", HC_DT_FLOAT, 3, b, s, 3, 0.5f, 0, 0, false};
    dt_out o = {0};
    run_nms(&c, NULL, 0, &o);
    const int want[] = {0, 2};
    expect_indices(&o, want, 2);
    dt_out_free(&o);
}

/* IoU exactly at the threshold keeps the box (suppression needs IoU > threshold); a score
 * exactly at score_threshold is dropped (candidates need score > threshold). */
static void nms_boundaries(void **state) {
    (void)state;
    const float b[] = {0, 0, 1, 3, 0, 1, 1, 4, 5, 5, 6, 6}; /* IoU(0,1) = 2 / 4 */
    const float s[] = {0.9f, 0.8f, 0.25f};
    nms_case c = {"NonMaxSuppressionV3", HC_DT_FLOAT, 3, b, s, 10, 0.5f, 0.25f, 0, false};
    dt_out o = {0};
    run_nms(&c, NULL, 0, &o);
    const int want[] = {0, 1};
    expect_indices(&o, want, 2);
    dt_out_free(&o);
    c.iou = 0.4999f; /* now suppressed */
    run_nms(&c, NULL, 0, &o);
    expect_indices(&o, want, 1);
    dt_out_free(&o);
    /* A box of zero area never overlaps anything. */
    const float z[] = {0, 0, 1, 1, 0.5f, 0.5f, 0.5f, 0.9f};
    const float zs[] = {0.9f, 0.8f};
    nms_case cz = {"NonMaxSuppressionV3", HC_DT_FLOAT, 2, z, zs, 10, 0.0f, -1.0f, 0, false};
    run_nms(&cz, NULL, 0, &o);
    const int wz[] = {0, 1};
    expect_indices(&o, wz, 2);
    dt_out_free(&o);
}

static void nms_max_output_and_padding(void **state) {
    (void)state;
    const float b[] = {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3};
    const float s[] = {0.9f, 0.8f, 0.7f};
    nms_case c = {"NonMaxSuppressionV4", HC_DT_FLOAT, 3, b, s, 0, 0.5f, 0.0f, 0, false};
    dt_out o = {0};
    run_nms(&c, NULL, 0, &o);
    expect_indices(&o, NULL, 0);
    assert_int_equal(dt_i64_at(&o.t[1], 0), 0);
    dt_out_free(&o);
    c.max_out = 5;
    c.pad = true;
    run_nms(&c, NULL, 0, &o);
    const int want[] = {0, 2, 0, 0, 0};
    expect_indices(&o, want, 5);
    assert_int_equal(o.t[1].rank, 0);
    assert_int_equal(dt_i64_at(&o.t[1], 0), 2);
    dt_out_free(&o);
    c.op = "NonMaxSuppressionV5";
    run_nms(&c, NULL, 0, &o);
    expect_indices(&o, want, 5);
    const float ws[] = {0.9f, 0.7f, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        assert_true(dt_f32_at(&o.t[1], (size_t)i) == ws[i]);
    assert_int_equal(dt_i64_at(&o.t[2], 0), 2);
    dt_out_free(&o);
}

/* Soft-NMS by hand: box 1 overlaps box 0 with IoU 1/3 and decays by exp(-0.5 iou^2 / sigma);
 * then it is put back and selected with the decayed score after box 2. */
static void nms_soft_by_hand(void **state) {
    (void)state;
    const float b[] = {0, 0, 1, 2, 0, 1, 1, 3, 5, 5, 6, 6};
    const float s[] = {0.9f, 0.8f, 0.75f};
    nms_case c = {"NonMaxSuppressionV5", HC_DT_FLOAT, 3, b, s, 10, 0.2f, 0.0f, 0.5f, false};
    dt_out o = {0};
    run_nms(&c, NULL, 0, &o);
    float iou = 1.0f / 3.0f, scale = -0.5f / 0.5f;
    float decayed = 0.8f * expf(scale * iou * iou); /* 0.7167: below 0.75 */
    const int want[] = {0, 2, 1};
    expect_indices(&o, want, 3);
    assert_true(dt_f32_at(&o.t[1], 0) == 0.9f);
    assert_true(dt_f32_at(&o.t[1], 1) == 0.75f);
    assert_true(dt_f32_at(&o.t[1], 2) == decayed);
    dt_out_free(&o);
    /* sigma 0: hard NMS; IoU 1/3 > 0.2 suppresses box 1. */
    c.sigma = 0;
    run_nms(&c, NULL, 0, &o);
    expect_indices(&o, want, 2);
    dt_out_free(&o);
    /* Decayed below score_threshold: dropped. */
    c.sigma = 0.5f;
    c.score = 0.72f;
    run_nms(&c, NULL, 0, &o);
    expect_indices(&o, want, 2);
    dt_out_free(&o);
}

/* NaN scores are never candidates. A box with a NaN corner has NaN IoU: TensorFlow then
 * multiplies the score by a weight of 0 and, when 0 is still above score_threshold, puts it
 * back, to be selected after every box with a positive score. */
static void nms_nan_follows_tensorflow(void **state) {
    (void)state;
    const float b[] = {0, 0, 1, 1, NAN, 0, 1, 1, 5, 5, 6, 6, 0, 0, 1, 1};
    const float s[] = {0.9f, 0.8f, 0.7f, NAN};
    nms_case c = {"NonMaxSuppressionV2", HC_DT_FLOAT, 4, b, s, 10, 0.5f, 0, 0, false};
    dt_out o = {0};
    run_nms(&c, NULL, 0, &o);
    const int want[] = {0, 2, 1};
    expect_indices(&o, want, 3);
    dt_out_free(&o);
    c.op = "NonMaxSuppressionV3";
    c.score = 0.5f; /* decayed to 0 <= 0.5: dropped */
    run_nms(&c, NULL, 0, &o);
    expect_indices(&o, want, 2);
    dt_out_free(&o);
}

static void nms_rejects_bad_inputs(void **state) {
    (void)state;
    const float b[] = {0, 0, 1, 1, 0, 0, 1, 1};
    const float s[] = {0.9f, 0.8f};
    dt_out o = {0};
    nms_case c = {"NonMaxSuppressionV3", HC_DT_FLOAT, 2, b, s, -1, 0.5f, 0.0f, 0, false};
    run_nms(&c, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "max_output_size"));
    c.max_out = 2;
    c.iou = 1.5f;
    run_nms(&c, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "iou_threshold"));
    c.iou = 0.5f;
    c.op = "NonMaxSuppressionV5";
    c.sigma = -1;
    run_nms(&c, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    /* boxes [2, 2]: wrong shape */
    int64_t bd[2] = {2, 2}, sd[1] = {2};
    int32_t mo = 2;
    float thr = 0.5f;
    hc_tensor in[4] = {tensor_of(HC_DT_FLOAT, 2, bd, b), tensor_of(HC_DT_FLOAT, 1, sd, s),
                       tensor_of(HC_DT_INT32, 0, NULL, &mo), tensor_of(HC_DT_FLOAT, 0, NULL, &thr)};
    nms_case c2 = {"NonMaxSuppressionV2", HC_DT_FLOAT, 2, b, s, 2, 0.5f, 0, 0, false};
    dt_run("NonMaxSuppressionV2", 4, in, nms_attrs, &c2, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "boxes"));
    /* scores of the wrong length */
    bd[1] = 4;
    sd[0] = 3;
    float s3[3] = {1, 2, 3};
    in[0] = tensor_of(HC_DT_FLOAT, 2, bd, b);
    in[1] = tensor_of(HC_DT_FLOAT, 1, sd, s3);
    dt_run("NonMaxSuppressionV2", 4, in, nms_attrs, &c2, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "scores"));
    dt_out_free(&o);
}

/* ---------------------------------------------------------------------------------------- */
/* TopK                                                                                      */

typedef struct topk_case {
    bool v2;
    hc_dtype t, index_type;
    int64_t k;
    bool sorted;
} topk_case;

static void topk_attrs(hc_graph *g, int32_t node, const void *arg) {
    const topk_case *c = arg;
    hc_gb_type(g, node, "T", c->t);
    hc_gb_bool(g, node, "sorted", c->sorted);
    if (c->v2)
        hc_gb_type(g, node, "index_type", c->index_type);
    else
        hc_gb_int(g, node, "k", c->k);
}

/* Reference: for each row, repeatedly take the best remaining (largest, lowest index). */
static void ref_topk(const float *x, size_t rows, size_t n, size_t k, float *v, int64_t *idx) {
    bool *used = calloc(n + 1, 1);
    for (size_t r = 0; r < rows; r++) {
        memset(used, 0, n);
        for (size_t j = 0; j < k; j++) {
            size_t best = n;
            for (size_t i = 0; i < n; i++)
                if (!used[i] && (best == n || x[r * n + i] > x[r * n + best])) best = i;
            used[best] = true;
            v[r * k + j] = x[r * n + best];
            idx[r * k + j] = (int64_t)best;
        }
    }
    free(used);
}

static void check_topk(hc_dtype t, hc_dtype it, int rank, const int64_t *dims, int64_t k, dt_rng *r,
                       bool ties) {
    size_t total = 1;
    for (int i = 0; i < rank; i++)
        total *= (size_t)dims[i];
    size_t n = (size_t)dims[rank - 1], rows = n ? total / n : 0;
    float *x = malloc(4 * total + 4);
    for (size_t i = 0; i < total; i++)
        x[i] = ties ? (float)(dt_u32(r) % 5) - 2.0f : dt_uniform(r, -100, 100);
    if (total > 3) x[1] = -0.0f, x[2] = 0.0f; /* -0 ties with +0 */
    void *data;
    if (t == HC_DT_INT32) {
        int32_t *p = malloc(4 * total + 4);
        for (size_t i = 0; i < total; i++)
            p[i] = (int32_t)x[i], x[i] = (float)p[i];
        data = p;
    } else {
        if (t == HC_DT_HALF)
            for (size_t i = 0; i < total; i++)
                x[i] = dt_round_half(x[i]);
        data = as_type(t, x, total);
    }
    float *wv = malloc(4 * rows * (size_t)k + 4);
    int64_t *wi = malloc(8 * rows * (size_t)k + 8);
    ref_topk(x, rows, n, (size_t)k, wv, wi);
    int32_t k32 = (int32_t)k;
    hc_tensor in[2] = {tensor_of(t, rank, dims, data), tensor_of(HC_DT_INT32, 0, NULL, &k32)};
    topk_case c = {true, t, it, k, true};
    dt_out o1 = {0}, o2 = {0};
    dt_run("TopKV2", 2, in, topk_attrs, &c, 2, NULL, 2, &o1);
    dt_run("TopKV2", 2, in, topk_attrs, &c, 2, "scalar", 1, &o2);
    dt_ok(&o1);
    dt_same(&o1, &o2);
    assert_int_equal(o1.t[1].dtype, it);
    assert_int_equal(o1.t[0].dims[rank - 1], k);
    for (size_t i = 0; i < rows * (size_t)k; i++) {
        assert_true(dt_f32_at(&o1.t[0], i) == wv[i]);
        assert_int_equal(dt_i64_at(&o1.t[1], i), wi[i]);
    }
    dt_out_free(&o1);
    dt_out_free(&o2);
    free(x);
    free(data);
    free(wv);
    free(wi);
}

static void topk_matches_reference(void **state) {
    (void)state;
    dt_rng r = {42};
    static const int64_t cols[] = {1, 7, 15, 16, 17, 33, 64};
    for (size_t i = 0; i < HC_COUNT(cols); i++) {
        int64_t n = cols[i], ks[] = {0, 1, n / 2, n};
        for (size_t j = 0; j < 4; j++) {
            int64_t d2[2] = {3, n}, d3[3] = {2, 2, n}, d1[1] = {n};
            check_topk(HC_DT_FLOAT, HC_DT_INT32, 2, d2, ks[j], &r, j % 2 == 1);
            check_topk(HC_DT_HALF, HC_DT_INT64, 3, d3, ks[j], &r, true);
            check_topk(HC_DT_INT32, HC_DT_INT32, 1, d1, ks[j], &r, j % 2 == 0);
        }
    }
    int64_t big[2] = {40, 1000};
    check_topk(HC_DT_FLOAT, HC_DT_INT32, 2, big, 100, &r, true);
}

static void topk_v1_and_errors(void **state) {
    (void)state;
    const float x[6] = {1, 3, 2, 3, 0, -1};
    int64_t d[2] = {2, 3};
    hc_tensor in[2] = {tensor_of(HC_DT_FLOAT, 2, d, x)};
    topk_case c = {false, HC_DT_FLOAT, HC_DT_INT32, 2, true};
    dt_out o = {0};
    dt_run("TopK", 1, in, topk_attrs, &c, 2, NULL, 0, &o);
    dt_ok(&o);
    const float wv[4] = {3, 2, 3, 0};
    const int64_t wi[4] = {1, 2, 0, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_true(dt_f32_at(&o.t[0], i) == wv[i]);
        assert_int_equal(dt_i64_at(&o.t[1], i), wi[i]);
    }
    dt_out_free(&o);
    int32_t k = 4;
    in[1] = tensor_of(HC_DT_INT32, 0, NULL, &k);
    c.v2 = true;
    dt_run("TopKV2", 2, in, topk_attrs, &c, 2, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "k"));
    k = -1;
    dt_run("TopKV2", 2, in, topk_attrs, &c, 2, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    c.v2 = false; /* TopK with k = -1: refused when the session is made */
    c.k = -1;
    dt_run("TopK", 1, in, topk_attrs, &c, 2, NULL, 0, &o);
    assert_int_equal(o.st, HC_MALFORMED);
    c.v2 = true;
    in[0] = tensor_of(HC_DT_FLOAT, 0, NULL, x);
    k = 0;
    dt_run("TopKV2", 2, in, topk_attrs, &c, 2, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nms_matches_reference),  cmocka_unit_test(nms_soft_matches_reference),
        cmocka_unit_test(nms_ties_and_identical), cmocka_unit_test(nms_flipped_corners),
        cmocka_unit_test(nms_boundaries),         cmocka_unit_test(nms_max_output_and_padding),
        cmocka_unit_test(nms_soft_by_hand),       cmocka_unit_test(nms_nan_follows_tensorflow),
        cmocka_unit_test(nms_rejects_bad_inputs), cmocka_unit_test(topk_matches_reference),
        cmocka_unit_test(topk_v1_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
