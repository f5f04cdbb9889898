/* test_exec_core.c - the scheduler on small graphs built in code: Identity chains, inputs
 * checked by name/dtype/shape, missing kernels and cycles refused with clear errors, and
 * constant sub-graphs folded at load (fold.c). */
#include "base/fp16.h"
#include "common/oprun.h"

#include <math.h>
#include <string.h>

static void identity_forwards(void **state) {
    (void)state;
    float x[6] = {1, 2, 3, 4, 5, 6};
    const int64_t d[2] = {2, 3};
    hc_tensor in = tensor_of(HC_DT_FLOAT, 2, d, x);
    oprun r;
    oprun_init(&r, "Identity", 1, &in);
    hc_gb_type(&r.t.g, r.node, "T", HC_DT_FLOAT);
    hc_status s = oprun_exec(&r, 1);
    if (s) fail_msg("%s", hc_ctx_message(r.t.ctx));
    hc_tensor o = oprun_out(&r, 0);
    assert_int_equal(o.rank, 2);
    assert_int_equal(o.dims[1], 3);
    assert_memory_equal(o.data, x, sizeof x);
    oprun_fini(&r);
}

static void wrong_input_dtype_is_refused(void **state) {
    (void)state;
    int32_t x[2] = {1, 2};
    const int64_t d[1] = {2};
    tg t;
    tg_init(&t);
    hc_gb_placeholder(&t.g, "x", HC_DT_FLOAT, 1, d);
    int32_t n = HC_GB_NODE(&t.g, "Identity", "y", "x");
    hc_gb_type(&t.g, n, "T", HC_DT_FLOAT);
    tg_open(&t);
    hc_session *s;
    assert_int_equal(hc_session_new(t.ctx, t.m, NULL, &s), HC_OK);
    hc_tensor in = tensor_of(HC_DT_INT32, 1, d, x);
    assert_int_equal(hc_session_set_input(s, "x", &in), HC_INVALID);
    assert_non_null(strstr(hc_ctx_message(t.ctx), "int32"));
    hc_ctx_clear(t.ctx);
    assert_int_equal(hc_session_set_input(s, "nope", &in), HC_NOT_FOUND);
    hc_ctx_clear(t.ctx);
    assert_int_equal(hc_session_run(s), HC_INVALID); /* x not set */
    assert_non_null(strstr(hc_ctx_message(t.ctx), "not set"));
    hc_session_free(s);
    tg_fini(&t);
}

static void unknown_op_has_no_kernel(void **state) {
    (void)state;
    const int64_t d[1] = {2};
    tg t;
    tg_init(&t);
    hc_gb_placeholder(&t.g, "x", HC_DT_FLOAT, 1, d);
    HC_GB_NODE(&t.g, "MyCustomOp", "custom", "x");
    tg_open(&t);
    hc_session *s;
    assert_int_equal(hc_session_new(t.ctx, t.m, NULL, &s), HC_UNSUPPORTED);
    assert_non_null(strstr(hc_ctx_message(t.ctx), "MyCustomOp"));
    assert_non_null(strstr(hc_ctx_message(t.ctx), "custom"));
    tg_fini(&t);
}

static void cycle_is_refused(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    int32_t a = HC_GB_NODE(&t.g, "Identity", "a", "b");
    int32_t b = HC_GB_NODE(&t.g, "Identity", "b", "a");
    hc_gb_type(&t.g, a, "T", HC_DT_FLOAT);
    hc_gb_type(&t.g, b, "T", HC_DT_FLOAT);
    int32_t c = HC_GB_NODE(&t.g, "Identity", "c", "b");
    hc_gb_type(&t.g, c, "T", HC_DT_FLOAT);
    tg_open(&t);
    hc_session *s;
    assert_int_equal(hc_session_new(t.ctx, t.m, NULL, &s), HC_UNSUPPORTED);
    assert_non_null(strstr(hc_ctx_message(t.ctx), "cycle"));
    tg_fini(&t);
}

/* q (quint8) -> Dequantize -> Cast to half is computed once at load: a run then executes
 * only the Placeholder, the folded Cast, the Mul and the Relu reading it, and the fetched
 * Dequantize. The folded value must survive runs: the Relu may work in place on a buffer
 * nobody else holds, and the session holds this one. */
static void constant_subgraph_folds_once(void **state) {
    (void)state;
    const uint8_t q[4] = {0, 64, 128, 255};
    const int64_t d[1] = {4};
    tg t;
    tg_init(&t);
    hc_gb_const(&t.g, "q", HC_DT_QUINT8, 1, d, q);
    hc_gb_scalar_f32(&t.g, "mn", -1.0f);
    hc_gb_scalar_f32(&t.g, "mx", 1.0f);
    int32_t dq = HC_GB_NODE(&t.g, "Dequantize", "dq", "q", "mn", "mx");
    hc_gb_type(&t.g, dq, "T", HC_DT_QUINT8);
    hc_gb_str(&t.g, dq, "mode", "MIN_COMBINED");
    int32_t c = HC_GB_NODE(&t.g, "Cast", "c", "dq");
    hc_gb_type(&t.g, c, "SrcT", HC_DT_FLOAT);
    hc_gb_type(&t.g, c, "DstT", HC_DT_HALF);
    hc_gb_placeholder(&t.g, "x", HC_DT_HALF, 1, d);
    int32_t y = HC_GB_NODE(&t.g, "Mul", "y", "x", "c");
    hc_gb_type(&t.g, y, "T", HC_DT_HALF);
    int32_t r = HC_GB_NODE(&t.g, "Relu", "r", "c");
    hc_gb_type(&t.g, r, "T", HC_DT_HALF);
    tg_open(&t);
    const char *outs[3] = {"y", "r", "dq"};
    hc_session_options o = {outs, 3};
    hc_session *s;
    if (hc_session_new(t.ctx, t.m, &o, &s)) fail_msg("%s", hc_ctx_message(t.ctx));
    uint16_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = hc_f32_to_f16(2.0f);
    hc_tensor in = tensor_of(HC_DT_HALF, 1, d, x);
    for (int run = 0; run < 3; run++) {
        assert_int_equal(hc_session_set_input(s, "x", &in), HC_OK);
        if (hc_session_run(s)) fail_msg("%s", hc_ctx_message(t.ctx));
        assert_int_equal(hc_session_nodes_run(s), 5);
        hc_tensor ty, tr, tdq;
        assert_int_equal(hc_session_output(s, 0, &ty), HC_OK);
        assert_int_equal(hc_session_output(s, 1, &tr), HC_OK);
        assert_int_equal(hc_session_output(s, 2, &tdq), HC_OK);
        assert_int_equal(tdq.dtype, HC_DT_FLOAT);
        for (int i = 0; i < 4; i++) {
            float want = (float)q[i] * (2.0f / 255.0f) - 1.0f; /* MIN_COMBINED, quint8 */
            float got = ((const float *)tdq.data)[i];
            assert_true(fabsf(got - want) < 1e-6f);
            float h = hc_f16_to_f32(hc_f32_to_f16(got));
            assert_true(hc_f16_to_f32(((const uint16_t *)ty.data)[i]) == 2.0f * h);
            assert_true(hc_f16_to_f32(((const uint16_t *)tr.data)[i]) == (h > 0 ? h : 0.0f));
        }
    }
    hc_session_free(s);
    tg_fini(&t);
}

/* nodes_run of one run of the graph a (shape da) x b (shape db), both constants. */
static uint64_t run_const_mul(const int64_t *da, const int64_t *db, float *first) {
    float a[64], b[64];
    for (int i = 0; i < 64; i++)
        a[i] = (float)i, b[i] = 0.5f * (float)i;
    tg t;
    tg_init(&t);
    hc_gb_const_f32(&t.g, "a", 2, da, a);
    hc_gb_const_f32(&t.g, "b", 2, db, b);
    int32_t m = HC_GB_NODE(&t.g, "Mul", "m", "a", "b");
    hc_gb_type(&t.g, m, "T", HC_DT_FLOAT);
    tg_open(&t);
    hc_session *s;
    if (hc_session_new(t.ctx, t.m, NULL, &s)) fail_msg("%s", hc_ctx_message(t.ctx));
    if (hc_session_run(s)) fail_msg("%s", hc_ctx_message(t.ctx));
    hc_tensor o;
    assert_int_equal(hc_session_output(s, 0, &o), HC_OK);
    *first = ((const float *)o.data)[o.dims[0] == 64 ? 65 : 1]; /* (1, 1), or (0, 1) */
    uint64_t n = hc_session_nodes_run(s);
    hc_session_free(s);
    tg_fini(&t);
    return n;
}

/* A constant expression that would grow small constants into a large resident one is left
 * to run time ([64,1] x [1,64]: 512 bytes in, 16 KiB out); one that does not grow folds
 * ([1,64] x [1,64]), and then only the folded node runs. */
static void growth_is_not_folded(void **state) {
    (void)state;
    const int64_t col[2] = {64, 1}, row[2] = {1, 64};
    float v = 0;
    assert_int_equal(run_const_mul(col, row, &v), 3);
    assert_true(v == 1.0f * 0.5f);
    assert_int_equal(run_const_mul(row, row, &v), 1);
    assert_true(v == 1.0f * 0.5f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_forwards),
        cmocka_unit_test(wrong_input_dtype_is_refused),
        cmocka_unit_test(unknown_op_has_no_kernel),
        cmocka_unit_test(cycle_is_refused),
        cmocka_unit_test(constant_subgraph_folds_once),
        cmocka_unit_test(growth_is_not_folded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
