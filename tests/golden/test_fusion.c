/* test_fusion.c - BiasAdd and Relu/Relu6 folded into the conv/depthwise/matmul before them
 * (applied to the fp32 accumulators before the store) give bit-identical fp32 results to
 * running the nodes one by one (the same graph with the intermediate values fetched, which
 * keeps them from being folded), with and without SIMD. In fp16 the folded result is rounded
 * once instead of twice: it may differ from the unfolded one by rounding, and it must be at
 * least as close to the fp32 result. A bias of the wrong length still fails like BiasAdd. */
#include "common/gb.h"

#include "base/fp16.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t node(hc_graph *g, const char *op, const char *name, hc_dtype t, const char *a,
                    const char *b) {
    int32_t n = b ? HC_GB_NODE(g, op, name, a, b) : HC_GB_NODE(g, op, name, a);
    hc_gb_type(g, n, "T", t);
    return n;
}

static void weights(hc_graph *g, const char *name, hc_dtype dt, int rank, const int64_t *dims,
                    int salt) {
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    float *f = malloc(n * sizeof *f);
    uint16_t *h = malloc(n * 2);
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)((int)((i * 2654435761u + (unsigned)salt * 97u) % 201) - 100) / 160.0f;
        h[i] = hc_f32_to_f16(f[i]);
    }
    hc_gb_const(g, name, dt, rank, dims, dt == HC_DT_HALF ? (const void *)h : f);
    free(f);
    free(h);
}

static void conv_attrs(hc_graph *g, int32_t n) {
    const int64_t s[4] = {1, 1, 1, 1};
    hc_gb_ints(g, n, "strides", s, 4);
    hc_gb_str(g, n, "padding", "SAME");
}

/* x -> conv -> bias -> relu6 -> depthwise -> bias -> relu -> reshape -> matmul -> bias -> relu */
static void build(hc_graph *g, hc_dtype dt, int64_t cbias) {
    const int64_t xd[4] = {1, 9, 11, 7}, w1[4] = {3, 3, 7, 20}, b1[1] = {20}, w2[4] = {3, 3, 20, 1};
    const int64_t b2[1] = {cbias}, wm[2] = {20, 5}, bm[1] = {5};
    hc_gb_placeholder(g, "x", dt, 4, xd);
    weights(g, "w1", dt, 4, w1, 1);
    weights(g, "b1", dt, 1, b1, 2);
    weights(g, "w2", dt, 4, w2, 3);
    weights(g, "b2", dt, 1, b2, 4);
    weights(g, "wm", dt, 2, wm, 5);
    weights(g, "bm", dt, 1, bm, 6);
    conv_attrs(g, node(g, "Conv2D", "conv", dt, "x", "w1"));
    node(g, "BiasAdd", "bias1", dt, "conv", "b1");
    node(g, "Relu6", "act1", dt, "bias1", NULL);
    conv_attrs(g, node(g, "DepthwiseConv2dNative", "dw", dt, "act1", "w2"));
    node(g, "BiasAdd", "bias2", dt, "dw", "b2");
    node(g, "Relu", "act2", dt, "bias2", NULL);
    const int32_t shape[2] = {99, 20};
    const int64_t sd[1] = {2};
    hc_gb_const_i32(g, "shape", 1, sd, shape);
    int32_t r = node(g, "Reshape", "flat", dt, "act2", "shape");
    hc_gb_type(g, r, "Tshape", HC_DT_INT32);
    node(g, "MatMul", "mm", dt, "flat", "wm");
    node(g, "BiasAdd", "biasm", dt, "mm", "bm");
    node(g, "Relu", "out", dt, "biasm", NULL);
}

static hc_status run(tg *t, const char *const *outs, size_t n, hc_dtype dt, hc_tensor *res) {
    hc_session *s;
    hc_session_options o = {outs, n};
    hc_status st = hc_session_new(t->ctx, t->m, &o, &s);
    float x[9 * 11 * 7];
    uint16_t xh[9 * 11 * 7];
    for (int i = 0; i < 9 * 11 * 7; i++) {
        x[i] = (float)((i * 37) % 23 - 11) / 4.0f;
        xh[i] = hc_f32_to_f16(x[i]);
    }
    hc_tensor in = {dt, 4, {1, 9, 11, 7}, dt == HC_DT_HALF ? (const void *)xh : x};
    if (!st) st = hc_session_set_input(s, "x", &in);
    if (!st) st = hc_session_run(s);
    if (!st) {
        hc_tensor o0;
        hc_session_output(s, 0, &o0);
        size_t bytes = 99 * 5 * hc_dtype_size(dt);
        void *copy = malloc(bytes);
        memcpy(copy, o0.data, bytes);
        *res = o0;
        res->data = copy;
    }
    hc_session_free(s);
    return st;
}

static void set_level(const char *level) {
    if (level)
        setenv("HC_CPU", level, 1);
    else
        unsetenv("HC_CPU");
}

/* The model's output in dtype dt, folded (fetch "out" only) or node by node. */
static void output(hc_dtype dt, bool folded, hc_tensor *res) {
    tg t;
    tg_init(&t);
    build(&t.g, dt, 20);
    tg_open(&t);
    const char *fused[] = {"out"};
    const char *apart[] = {"out", "conv", "bias1", "dw", "bias2", "mm", "biasm"};
    if (run(&t, folded ? fused : apart, folded ? 1 : 7, dt, res))
        fail_msg("%s", hc_ctx_message(t.ctx));
    assert_int_equal(res->rank, 2);
    tg_fini(&t);
}

static double at(const hc_tensor *t, size_t i) {
    return t->dtype == HC_DT_HALF ? (double)hc_f16_to_f32(((const uint16_t *)t->data)[i])
                                  : (double)((const float *)t->data)[i];
}

static void folded_equals_unfolded(void **state) {
    (void)state;
    const char *levels[3] = {NULL, "avx2", "scalar"};
    for (int l = 0; l < 3; l++) {
        set_level(levels[l]);
        hc_tensor a, b, ref, ha, hb;
        output(HC_DT_FLOAT, true, &a);
        output(HC_DT_FLOAT, false, &b);
        assert_memory_equal(a.data, b.data, 99 * 5 * sizeof(float));
        output(HC_DT_HALF, true, &ha);
        output(HC_DT_HALF, false, &hb);
        ref = a;
        double err_folded = 0, err_apart = 0, range = 0, diff = 0;
        for (size_t i = 0; i < 99 * 5; i++) {
            double r = at(&ref, i);
            err_folded += fabs(at(&ha, i) - r);
            err_apart += fabs(at(&hb, i) - r);
            diff = fmax(diff, fabs(at(&ha, i) - at(&hb, i)));
            range = fmax(range, fabs(r));
        }
        if (err_folded > err_apart * 1.0001)
            fail_msg("%s: fp16 folded is further from fp32 (%g) than unfolded (%g)",
                     levels[l] ? levels[l] : "native", err_folded, err_apart);
        assert_true(diff <= range / 128.0); /* rounding, not a different computation */
        free((void *)a.data);
        free((void *)b.data);
        free((void *)ha.data);
        free((void *)hb.data);
    }
    unsetenv("HC_CPU");
}

static void wrong_bias_length_fails(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build(&t.g, HC_DT_FLOAT, 19); /* the depthwise output has 20 channels */
    tg_open(&t);
    const char *fused[] = {"out"};
    hc_tensor a;
    assert_int_equal(run(&t, fused, 1, HC_DT_FLOAT, &a), HC_INVALID);
    assert_non_null(strstr(hc_ctx_message(t.ctx), "bias has 19 values"));
    tg_fini(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folded_equals_unfolded),
        cmocka_unit_test(wrong_bias_length_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
