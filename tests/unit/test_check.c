/* test_check.c - `check` finds every kind of problem it claims to, on graphs built in code
 * with one fault each, and passes the same graphs without it. */
#include "common/gb.h"

#include <string.h>

typedef void (*builder)(hc_graph *g, bool fault);

static void relu_chain(hc_graph *g, bool fault) {
    const int64_t d[1] = {4};
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 1, d);
    int32_t r = HC_GB_NODE(g, "Relu", "r", "x");
    hc_gb_type(g, r, "T", fault ? HC_DT_HALF : HC_DT_FLOAT); /* edge float -> half */
}

static void disallowed_dtype(hc_graph *g, bool fault) {
    const int64_t d[1] = {4};
    hc_gb_placeholder(g, "x", fault ? HC_DT_STRING : HC_DT_FLOAT, 1, d);
    int32_t r = HC_GB_NODE(g, "Relu", "r", "x");
    hc_gb_type(g, r, "T", fault ? HC_DT_STRING : HC_DT_FLOAT);
}

static void missing_attr(hc_graph *g, bool fault) {
    const int64_t d[1] = {4};
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 1, d);
    int32_t r = HC_GB_NODE(g, "Relu", "r", "x");
    if (!fault) hc_gb_type(g, r, "T", HC_DT_FLOAT);
}

static void wrong_input_count(hc_graph *g, bool fault) {
    const int64_t d[1] = {4};
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 1, d);
    int32_t r = fault ? HC_GB_NODE(g, "AddV2", "a", "x") : HC_GB_NODE(g, "AddV2", "a", "x", "x");
    hc_gb_type(g, r, "T", HC_DT_FLOAT);
}

static void const_mismatch(hc_graph *g, bool fault) {
    const float v[2] = {1, 2};
    const int64_t d[1] = {2};
    int32_t c = HC_GB_SOURCE(g, "Const", "c");
    hc_gb_type(g, c, "dtype", fault ? HC_DT_DOUBLE : HC_DT_FLOAT);
    hc_gb_tensor(g, c, "value", HC_DT_FLOAT, 1, d, v);
}

static void tensor_array_mismatch(hc_graph *g, bool fault) {
    hc_gb_scalar_i32(g, "size", 2);
    hc_gb_scalar_i32(g, "i", 0);
    hc_gb_scalar_f32(g, "v", 1.0f);
    int32_t ta = HC_GB_NODE(g, "TensorArrayV3", "ta", "size");
    hc_gb_type(g, ta, "dtype", fault ? HC_DT_HALF : HC_DT_FLOAT);
    int32_t w = HC_GB_NODE(g, "TensorArrayWriteV3", "w", "ta", "i", "v", "ta:1");
    hc_gb_type(g, w, "T", HC_DT_FLOAT);
}

static void cycle(hc_graph *g, bool fault) {
    const int64_t d[1] = {4};
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 1, d);
    int32_t a = HC_GB_NODE(g, "AddV2", "a", "x", fault ? "b" : "x");
    int32_t b = HC_GB_NODE(g, "Relu", "b", "a");
    hc_gb_type(g, a, "T", HC_DT_FLOAT);
    hc_gb_type(g, b, "T", HC_DT_FLOAT);
}

static void run_case(builder build, const char *want) {
    for (int fault = 0; fault < 2; fault++) {
        tg t;
        tg_init(&t);
        build(&t.g, fault);
        tg_open(&t);
        hc_check_report *r = NULL;
        hc_status s = hc_check(t.ctx, t.m, &r);
        if (!fault) {
            if (s) fail_msg("clean graph fails: %s", hc_check_report_item(r, 0));
        } else {
            assert_int_equal(s, HC_CHECK);
            const char *item = hc_check_report_item(r, 0);
            if (!strstr(item, want)) fail_msg("'%s' does not mention '%s'", item, want);
        }
        hc_check_report_free(r);
        tg_fini(&t);
    }
}

static void finds_each_problem(void **state) {
    (void)state;
    run_case(relu_chain, "is float but Relu expects half");
    run_case(disallowed_dtype, "T = string is not allowed");
    run_case(missing_attr, "missing type attribute 'T'");
    run_case(wrong_input_count, "has 1 data inputs, AddV2 takes 2");
    run_case(const_mismatch, "value is float but dtype is double");
    run_case(tensor_array_mismatch, "T = float but the TensorArray it uses ('ta') holds half");
    run_case(cycle, "cycle");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(finds_each_problem)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
