/* test_compare.c - the comparators behind `halfcast verify`: tensor metrics on mixed dtypes,
 * IoU, detection matching (found, missing, extra, score moved, class changed, each with its
 * reason; greedy by score so one B box serves one A box), finding TF OD API outputs by name
 * and by shape, and comparing per-detection rows on matched pairs only. */
#include "common/testlib.h"

#include "base/fp16.h"
#include "compare/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static hc_tensor tensor(hc_dtype dt, const void *data, int rank, int64_t d0, int64_t d1,
                        int64_t d2) {
    hc_tensor t = {dt, rank, {d0, d1, d2}, data};
    return t;
}

static void tensor_metrics_mixed_dtypes(void **state) {
    (void)state;
    float a[4] = {1.0f, -2.0f, 0.5f, 4.0f};
    uint16_t b[4];
    float bf[4] = {1.0f, -2.0f, 0.25f, 4.0f};
    for (int i = 0; i < 4; i++)
        b[i] = hc_f32_to_f16(bf[i]);
    hc_tensor ta = tensor(HC_DT_FLOAT, a, 1, 4, 0, 0), tb = tensor(HC_DT_HALF, b, 1, 4, 0, 0);
    hc_tensor_diff d;
    hc_compare_tensors(&ta, &tb, &d);
    assert_true(d.same_shape);
    assert_int_equal(d.n, 4);
    assert_true(fabs(d.max_abs - 0.25) < 1e-9);
    assert_int_equal(d.argmax_abs, 2);
    assert_true(fabs(d.range_a - 4.0) < 1e-9);
    assert_true(d.cosine < 1.0 && d.cosine > 0.99);
    float n[4] = {NAN, 0, INFINITY, 0};
    hc_tensor tn = tensor(HC_DT_FLOAT, n, 1, 4, 0, 0);
    hc_compare_tensors(&ta, &tn, &d);
    assert_int_equal(d.nan_b, 1);
    assert_int_equal(d.inf_b, 1);
    assert_int_equal(d.nan_a, 0);
    hc_tensor t3 = tensor(HC_DT_FLOAT, a, 2, 2, 2, 0);
    hc_compare_tensors(&ta, &t3, &d);
    assert_false(d.same_shape);
}

static void iou_of_boxes(void **state) {
    (void)state;
    float p[4] = {0, 0, 1, 1}, q[4] = {0, 0.5f, 1, 1.5f}, far[4] = {2, 2, 3, 3};
    assert_true(fabsf(hc_det_iou(p, p) - 1.0f) < 1e-6f);
    assert_true(fabsf(hc_det_iou(p, q) - 1.0f / 3.0f) < 1e-6f);
    assert_true(hc_det_iou(p, far) == 0.0f);
    float flipped[4] = {1, 1, 0, 0}; /* corners in either order */
    assert_true(fabsf(hc_det_iou(p, flipped) - 1.0f) < 1e-6f);
}

static hc_det det(float y0, float x0, float y1, float x1, float score, int cls, int index) {
    hc_det d = {{y0, x0, y1, x1}, score, cls, index};
    return d;
}

static void matching_reasons(void **state) {
    (void)state;
    hc_det a[] = {
        det(0.0f, 0.0f, 0.5f, 0.5f, 0.90f, 1, 0),   /* found exactly */
        det(0.5f, 0.5f, 1.0f, 1.0f, 0.80f, 2, 1),   /* score moves by 0.05 */
        det(0.0f, 0.5f, 0.4f, 0.9f, 0.70f, 3, 2),   /* comes back as class 4 */
        det(0.6f, 0.0f, 0.9f, 0.3f, 0.60f, 1, 3),   /* moved: IoU about 0.5 */
        det(0.1f, 0.1f, 0.2f, 0.2f, 0.305f, 5, 4),  /* just above 0.3: gone */
        det(0.3f, 0.3f, 0.35f, 0.35f, 0.10f, 1, 5), /* below min_score: ignored */
    };
    hc_det b[] = {
        det(0.0f, 0.0f, 0.5f, 0.5f, 0.905f, 1, 0), det(0.5f, 0.5f, 1.0f, 1.0f, 0.75f, 2, 1),
        det(0.0f, 0.5f, 0.4f, 0.9f, 0.70f, 4, 2),  det(0.65f, 0.1f, 0.95f, 0.4f, 0.55f, 1, 3),
        det(0.7f, 0.7f, 0.8f, 0.8f, 0.50f, 6, 4),  /* extra, well above the threshold */
        det(0.8f, 0.0f, 0.9f, 0.1f, 0.301f, 6, 5), /* extra, on the threshold */
    };
    hc_det_options o;
    hc_det_options_init(&o);
    hc_det_report r;
    assert_int_equal(hc_compare_detections(a, 6, b, 6, &o, &r), HC_OK);
    assert_int_equal(r.a_count, 5);
    assert_int_equal(r.b_count, 6);
    assert_int_equal(r.matched, 2);
    assert_int_equal(r.score_off, 1);
    assert_int_equal(r.missing, 3);
    assert_int_equal(r.extra, 4); /* class-4 box, moved box and the two class-6 boxes */
    assert_int_equal(r.n_pairs, 2);
    assert_int_equal(r.pairs[0].a, 0);
    assert_int_equal(r.pairs[0].b, 0);
    assert_int_equal(r.pairs[1].a, 1);
    assert_int_equal(r.pairs[1].b, 1);
    assert_true(fabs(r.max_score_delta - 0.05) < 1e-6);
    int seen = 0;
    for (size_t k = 0; k < r.n_diffs; k++) {
        const hc_det_diff *d = &r.diffs[k];
        if (d->issue == HC_DET_SCORE) {
            assert_int_equal(d->a.index, 1);
            seen |= 1;
        } else if (d->issue == HC_DET_MISSING && d->a.index == 2) {
            assert_string_equal(d->why, "found with another class");
            seen |= 2;
        } else if (d->issue == HC_DET_MISSING && d->a.index == 3) {
            assert_string_equal(d->why, "box moved: its best match overlaps too little");
            seen |= 4;
        } else if (d->issue == HC_DET_MISSING && d->a.index == 4) {
            assert_string_equal(d->why,
                                "score on the threshold: the box is there in fp32 only just");
            seen |= 8;
        } else if (d->issue == HC_DET_EXTRA && d->b.index == 5) {
            assert_string_equal(d->why, "score on the threshold: only just above it in fp16");
            seen |= 16;
        } else if (d->issue == HC_DET_EXTRA && d->b.index == 4) {
            assert_string_equal(d->why, "not in the fp32 result");
            seen |= 32;
        }
    }
    assert_int_equal(seen, 63);
    hc_det_report_fini(&r);
}

/* fp32 and fp16 kept different boxes of one overlapping pair with nearly equal scores, while
 * the other boxes of the image are found: an NMS tie. When most boxes are lost the same
 * differences read as moved boxes (a shift, not ties). */
static void nms_tie(void **state) {
    (void)state;
    hc_det a[] = {det(0.0f, 0.0f, 0.5f, 0.5f, 0.500f, 1, 0),
                  det(0.6f, 0.6f, 0.9f, 0.9f, 0.9f, 1, 1), det(0.6f, 0.0f, 0.9f, 0.3f, 0.8f, 1, 2)};
    hc_det b[] = {det(0.0f, 0.1f, 0.5f, 0.6f, 0.502f, 1, 0), /* IoU 0.67 with a[0] */
                  det(0.6f, 0.6f, 0.9f, 0.9f, 0.9f, 1, 1), det(0.6f, 0.0f, 0.9f, 0.3f, 0.8f, 1, 2)};
    hc_det_options o;
    hc_det_options_init(&o);
    hc_det_report r;
    assert_int_equal(hc_compare_detections(a, 3, b, 3, &o, &r), HC_OK);
    assert_int_equal(r.matched, 2);
    assert_int_equal(r.missing, 1);
    assert_int_equal(r.extra, 1);
    assert_int_equal(r.n_diffs, 2);
    assert_string_equal(r.diffs[0].why,
                        "NMS tie: fp16 kept an overlapping box of almost the same score instead");
    assert_string_equal(r.diffs[1].why,
                        "NMS tie: fp32 kept an overlapping box of almost the same score instead");
    assert_true(fabsf(r.diffs[1].iou - 2.0f / 3.0f) < 1e-3f);
    hc_det_report_fini(&r);
    /* every box shifted the same way: moved, not tied */
    for (int i = 0; i < 3; i++)
        b[i] = a[i], b[i].box[1] += 0.1f, b[i].box[3] += 0.1f;
    assert_int_equal(hc_compare_detections(a, 3, b, 3, &o, &r), HC_OK);
    assert_int_equal(r.missing, 3);
    for (size_t k = 0; k < r.n_diffs; k++)
        assert_null(strstr(r.diffs[k].why, "NMS tie"));
    assert_string_equal(r.diffs[0].why, "box moved: its best match overlaps too little");
    hc_det_report_fini(&r);
}

/* An fp16 box above the threshold whose fp32 twin is just below it. */
static void extra_on_the_threshold(void **state) {
    (void)state;
    hc_det a[] = {det(0.0f, 0.0f, 0.5f, 0.5f, 0.296f, 1, 0)};
    hc_det b[] = {det(0.0f, 0.0f, 0.5f, 0.5f, 0.303f, 1, 0)};
    hc_det_options o;
    hc_det_options_init(&o);
    hc_det_report r;
    assert_int_equal(hc_compare_detections(a, 1, b, 1, &o, &r), HC_OK);
    assert_int_equal(r.a_count, 0);
    assert_int_equal(r.extra, 1);
    assert_string_equal(r.diffs[0].why,
                        "score on the threshold: fp32 has the same box just below it");
    hc_det_report_fini(&r);
}

static void one_b_box_serves_one_a_box(void **state) {
    (void)state;
    /* Two A boxes on the same spot, one B box: the higher-scoring A box takes it. */
    hc_det a[] = {det(0, 0, 1, 1, 0.5f, 1, 0), det(0, 0, 1, 1, 0.9f, 1, 1)};
    hc_det b[] = {det(0, 0, 1, 1, 0.9f, 1, 0)};
    hc_det_options o;
    hc_det_options_init(&o);
    hc_det_report r;
    assert_int_equal(hc_compare_detections(a, 2, b, 1, &o, &r), HC_OK);
    assert_int_equal(r.matched, 1);
    assert_int_equal(r.pairs[0].a, 1);
    assert_int_equal(r.missing, 1);
    assert_string_equal(r.diffs[0].why, "its counterpart matched a higher-scoring box");
    hc_det_report_fini(&r);
    /* Nothing on either side: everything found, nothing to free. */
    assert_int_equal(hc_compare_detections(NULL, 0, NULL, 0, &o, &r), HC_OK);
    assert_int_equal(r.a_count, 0);
    hc_det_report_fini(&r);
}

/* A TF2 OD export: Identity_k outputs found by shape and values; per-class scores [1, N, C]
 * and anchor indices [1, N] recognised as per-detection rows. */
static void outputs_found_by_shape(void **state) {
    (void)state;
    enum { N = 4, C = 3 };
    float boxes[N * 4] = {0, 0, 1, 1, 0, 0, .5f, .5f, .2f, .2f, .4f, .4f, 0, 0, 0, 0};
    float scores[N] = {0.9f, 0.6f, 0.4f, 0.0f};
    float classes[N] = {1, 2, 1, 0};
    float count[1] = {3};
    float multi[N * C] = {0};
    float anchors[N] = {10, 200, 3000, 7};
    float raw[10 * C] = {0};
    hc_tensor outs[] = {
        tensor(HC_DT_FLOAT, anchors, 2, 1, N, 0), tensor(HC_DT_FLOAT, boxes, 3, 1, N, 4),
        tensor(HC_DT_FLOAT, classes, 2, 1, N, 0), tensor(HC_DT_FLOAT, multi, 3, 1, N, C),
        tensor(HC_DT_FLOAT, scores, 2, 1, N, 0),  tensor(HC_DT_FLOAT, count, 1, 1, 0, 0),
        tensor(HC_DT_FLOAT, raw, 3, 1, 10, C),
    };
    hc_det_outputs f;
    assert_true(hc_find_detection_outputs(NULL, outs, 7, &f));
    assert_int_equal(f.boxes, 1);
    assert_int_equal(f.scores, 4);
    assert_int_equal(f.classes, 2); /* smaller whole numbers than the anchor indices */
    assert_int_equal(f.count, 5);
    hc_det *d;
    size_t n;
    assert_true(hc_read_detections(outs, &f, &d, &n));
    assert_int_equal(n, 3); /* num_detections cuts the padding */
    assert_int_equal(d[1].cls, 2);
    assert_true(d[1].box[2] == 0.5f);
    free(d);
    assert_int_equal(hc_det_row_size(&outs[1], &outs[3]), C);
    assert_int_equal(hc_det_row_size(&outs[1], &outs[0]), 1);
    assert_int_equal(hc_det_row_size(&outs[1], &outs[6]), 0);
    /* Named outputs win over shapes. */
    const char *names[] = {"a", "detection_boxes", "c", "d", "detection_scores", "n", "r"};
    assert_true(hc_find_detection_outputs(names, outs, 7, &f));
    assert_int_equal(f.boxes, 1);
    assert_int_equal(f.scores, 4);
    assert_int_equal(f.classes, -1);
    /* Boxes of the wrong shape are not read. */
    hc_det_outputs bad = {6, 4, -1, -1};
    assert_false(hc_read_detections(outs, &bad, &d, &n));
}

/* A TF1 OD graph cut before NMS: boxes [1, N, 1, 4] and per-anchor class scores [1, N, C];
 * one detection per anchor with its best class. Final outputs win when both kinds exist. */
static void dense_outputs_before_nms(void **state) {
    (void)state;
    enum { N = 3, C = 2 };
    float boxes[N * 4] = {0, 0, 1, 1, 0, 0, .5f, .5f, .2f, .2f, .4f, .4f};
    float scores[N * C] = {0.1f, 0.7f, 0.5f, 0.2f, 0.0f, 0.05f};
    hc_tensor outs[] = {tensor(HC_DT_FLOAT, scores, 3, 1, N, C), {0}};
    outs[1] = (hc_tensor){HC_DT_FLOAT, 4, {1, N, 1, 4}, boxes};
    hc_det_outputs f;
    assert_true(hc_find_detection_outputs(NULL, outs, 2, &f));
    assert_int_equal(f.boxes, 1);
    assert_int_equal(f.scores, 0);
    assert_int_equal(f.classes, -1);
    hc_det *d;
    size_t n;
    assert_true(hc_read_detections(outs, &f, &d, &n));
    assert_int_equal(n, N);
    assert_int_equal(d[0].cls, 1);
    assert_true(d[0].score == 0.7f);
    assert_int_equal(d[1].cls, 0);
    assert_true(d[1].score == 0.5f);
    assert_true(d[2].box[3] == 0.4f);
    free(d);
    /* Scores out of [0, 1] are not probabilities: nothing found. */
    scores[3] = 3.0f;
    assert_false(hc_find_detection_outputs(NULL, outs, 2, &f));
    /* With final detections [1, M, 4] + sorted [1, M] beside, those are chosen. */
    scores[3] = 0.2f;
    float fb[2 * 4] = {0, 0, 1, 1, 0, 0, .5f, .5f}, fs[2] = {0.9f, 0.4f};
    hc_tensor both[] = {outs[0], outs[1], tensor(HC_DT_FLOAT, fb, 3, 1, 2, 4),
                        tensor(HC_DT_FLOAT, fs, 2, 1, 2, 0)};
    assert_true(hc_find_detection_outputs(NULL, both, 4, &f));
    assert_int_equal(f.boxes, 2);
    assert_int_equal(f.scores, 3);
}

static void rows_of_matched_pairs(void **state) {
    (void)state;
    /* Rows in a different order in B: compared through the pairs, not position by position. */
    float a[3 * 2] = {1, 2, 3, 4, 5, 6};
    float b[3 * 2] = {5, 6.5f, 1, 2, 3, 4};
    hc_tensor ta = tensor(HC_DT_FLOAT, a, 3, 1, 3, 2), tb = tensor(HC_DT_FLOAT, b, 3, 1, 3, 2);
    hc_det_pair pairs[] = {{0, 1}, {1, 2}, {2, 0}};
    double max_abs, range;
    hc_compare_det_rows(&ta, &tb, 2, pairs, 2, &max_abs, &range);
    assert_true(max_abs == 0.0);
    assert_true(range == 4.0);
    hc_compare_det_rows(&ta, &tb, 2, pairs, 3, &max_abs, &range);
    assert_true(max_abs == 0.5);
    assert_true(range == 6.0);
    hc_det_pair outside[] = {{7, 0}};
    hc_compare_det_rows(&ta, &tb, 2, outside, 1, &max_abs, &range);
    assert_true(max_abs == 0.0 && range == 0.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tensor_metrics_mixed_dtypes),
        cmocka_unit_test(nms_tie),
        cmocka_unit_test(extra_on_the_threshold),
        cmocka_unit_test(iou_of_boxes),
        cmocka_unit_test(matching_reasons),
        cmocka_unit_test(one_b_box_serves_one_a_box),
        cmocka_unit_test(outputs_found_by_shape),
        cmocka_unit_test(dense_outputs_before_nms),
        cmocka_unit_test(rows_of_matched_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
