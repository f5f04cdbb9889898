/* test_verify_faults.c - verify catches planted faults that really change detections, on the
 * built-in demo detector: a conv's weights negated, two outputs swapped, boxes shifted by a
 * planted Add. Each must fail (exit 1) with a message naming the output and the image; the
 * clean fp16 model must pass (exit 0). Runs the real CLI. */
#include "common/faults.h"
#include "common/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char bin[4096], dir[4096];

static int verify(const char *b, const char *log) {
    return hc_test_sh("'%s' verify '%s/demo.pb' '%s' --images '%s/demo.png' > '%s' 2>&1", bin, dir,
                      b, dir, log);
}

static void must_contain(const char *log, const char *what) {
    size_t n;
    char *t = (char *)hc_test_read(log, &n);
    assert_non_null(t);
    t = realloc(t, n + 1);
    t[n] = 0;
    if (!strstr(t, what)) fail_msg("'%s' not in:\n%s", what, t);
    free(t);
}

static int setup(void **state) {
    (void)state;
    snprintf(bin, sizeof bin, "%s", getenv("HC_BIN"));
    snprintf(dir, sizeof dir, "%s", hc_test_tmp("demo"));
    return hc_test_sh("'%s' demo --dir '%s' --no-bench > /dev/null", bin, dir);
}

static void clean_fp16_passes(void **state) {
    (void)state;
    char log[4200];
    snprintf(log, sizeof log, "%s/clean.log", dir);
    char b[4200];
    snprintf(b, sizeof b, "%s/demo.f16.pb", dir);
    assert_int_equal(verify(b, log), 0);
    must_contain(log, "verdict: PASS");
}

static void negated_conv_fails(void **state) {
    (void)state;
    hc_ctx *ctx;
    hc_ctx_new(&ctx);
    char in[4200], out[4200], log[4200];
    snprintf(in, sizeof in, "%s/demo.f16.pb", dir);
    snprintf(out, sizeof out, "%s/negated.pb", dir);
    snprintf(log, sizeof log, "%s/negated.log", dir);
    assert_int_equal(fault_negate_conv(ctx, in, out), 0);
    assert_int_equal(verify(out, log), 1);
    must_contain(log, "verdict: FAIL");
    must_contain(log, "missing");
    must_contain(log, "demo.png");
    hc_ctx_free(ctx);
}

static void swapped_outputs_fail(void **state) {
    (void)state;
    hc_ctx *ctx;
    hc_ctx_new(&ctx);
    char in[4200], out[4200], log[4200];
    snprintf(in, sizeof in, "%s/demo.f16.pb", dir);
    snprintf(out, sizeof out, "%s/swapped.pb", dir);
    snprintf(log, sizeof log, "%s/swapped.log", dir);
    assert_int_equal(fault_swap_names(ctx, in, out, "detection_scores", "detection_classes"), 0);
    assert_int_equal(verify(out, log), 1);
    must_contain(log, "verdict: FAIL");
    must_contain(log, "detection_");
    must_contain(log, "demo.png");
    hc_ctx_free(ctx);
}

static void shifted_boxes_fail(void **state) {
    (void)state;
    hc_ctx *ctx;
    hc_ctx_new(&ctx);
    char in[4200], out[4200], log[4200];
    snprintf(in, sizeof in, "%s/demo.f16.pb", dir);
    snprintf(out, sizeof out, "%s/shifted.pb", dir);
    snprintf(log, sizeof log, "%s/shifted.log", dir);
    assert_int_equal(fault_shift(ctx, in, out, "Postprocessor/boxes", 0.05f), 0);
    assert_int_equal(verify(out, log), 1);
    must_contain(log, "verdict: FAIL");
    must_contain(log, "box moved");
    must_contain(log, "demo.png");
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_fp16_passes),
        cmocka_unit_test(negated_conv_fails),
        cmocka_unit_test(swapped_outputs_fail),
        cmocka_unit_test(shifted_boxes_fail),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
