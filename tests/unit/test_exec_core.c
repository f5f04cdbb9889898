/* test_exec_core.c - the scheduler on small graphs built in code: Identity chains, inputs
 * checked by name/dtype/shape, missing kernels and cycles refused with clear errors. */
#include "common/oprun.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identity_forwards),
        cmocka_unit_test(wrong_input_dtype_is_refused),
        cmocka_unit_test(unknown_op_has_no_kernel),
        cmocka_unit_test(cycle_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
