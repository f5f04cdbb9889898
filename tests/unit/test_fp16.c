/* test_fp16.c - the one fp16 module: the scalar conversions are bit-exact IEEE binary16 with
 * round-to-nearest-even (checked against a reference written here from the definition, on
 * all 65,536 halves and on edge and random floats), the F16C / AVX-512 paths equal the scalar
 * path on the same inputs (tails included), and the counts are right. */
#include "common/testlib.h"

#include "base/cpu.h"
#include "base/fp16.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reference: value of a half from its fields. */
static double half_value(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

static void all_halves_widen_exactly(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = hc_f16_to_f32((uint16_t)h);
        double ref = half_value((uint16_t)h);
        if (isnan(ref)) {
            assert_true(isnan(f));
            continue;
        }
        assert_true((double)f == ref);
        if (ref == 0) assert_int_equal(signbit(f) != 0, (h >> 15) != 0);
    }
}

/* Reference narrowing: the nearest half, ties to the even mantissa, by search over halves. */
static uint16_t narrow_ref(float f) {
    if (isnan(f)) return 0x7e00;
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    double a = fabs((double)f);
    if (a >= 65520.0) return sign | 0x7c00;
    uint16_t best = 0;
    double best_d = INFINITY;
    for (uint16_t h = 0; h < 0x7c00; h++) {
        double d = fabs(half_value(h) - a);
        if (d < best_d || (d == best_d && !(h & 1))) best = h, best_d = d;
    }
    return sign | best;
}

static void edge_floats_round_to_nearest_even(void **state) {
    (void)state;
    const float edges[] = {0.0f,           -0.0f,          1.0f,           65504.0f,
                           65519.99f,      65520.0f,       1e9f,           6.103515625e-05f,
                           6.0975552e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f,
                           1e-10f,         1.0009766f,     1.0004883f,     1.0014648f,
                           2049.0f,        2051.0f,        0.1f,           3.14159f,
                           -7.5e-6f,       1.5e-45f,       INFINITY,       -INFINITY};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        uint16_t got = hc_f32_to_f16(edges[i]), want = narrow_ref(edges[i]);
        if (got != want) fail_msg("%.9g: got 0x%04x want 0x%04x", (double)edges[i], got, want);
    }
    assert_true(isnan(hc_f16_to_f32(hc_f32_to_f16(NAN))));
    /* round trip of every half through float is the identity (NaNs stay NaN) */
    for (uint32_t h = 0; h < 65536; h++) {
        uint16_t back = hc_f32_to_f16(hc_f16_to_f32((uint16_t)h));
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            assert_true((back & 0x7c00) == 0x7c00 && (back & 0x3ff));
        else
            assert_int_equal(back, h);
    }
}

static float random_float(uint32_t *seed) {
    *seed = *seed * 1664525u + 1013904223u;
    uint32_t bits = *seed;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void vector_paths_match_scalar(void **state) {
    (void)state;
    hc_cpu cpu;
    hc_cpu_detect(&cpu);
    enum { N = 4099 };
    float *src = malloc(N * sizeof *src);
    uint16_t *a = malloc(N * 2), *b = malloc(N * 2);
    float *fa = malloc(N * 4), *fb = malloc(N * 4);
    uint32_t seed = 12345;
    for (int i = 0; i < N; i++)
        src[i] = random_float(&seed);
    hc_f32_to_f16_scalar(src, a, N);
    for (size_t n = 0; n < 40; n++) { /* tails around the 8 and 16 lane widths */
        if (cpu.avx2) {
            hc_f32_to_f16_avx2(src, b, n);
            assert_memory_equal(a, b, 2 * n);
        }
        if (cpu.avx512) {
            hc_f32_to_f16_avx512(src, b, n);
            assert_memory_equal(a, b, 2 * n);
        }
    }
    if (cpu.avx512) {
        hc_f32_to_f16_avx512(src, b, N);
        assert_memory_equal(a, b, 2 * N);
    }
    /* widening: every half value, all paths */
    uint16_t *all = malloc(65536 * 2);
    float *wa = malloc(65536 * 4), *wb = malloc(65536 * 4);
    for (uint32_t h = 0; h < 65536; h++)
        all[h] = (uint16_t)h;
    hc_f16_to_f32_scalar(all, wa, 65536);
    if (cpu.avx2) {
        hc_f16_to_f32_avx2(all, wb, 65536);
        assert_memory_equal(wa, wb, 65536 * 4);
    }
    if (cpu.avx512) {
        hc_f16_to_f32_avx512(all + 1, wb, 65535);
        assert_memory_equal(wa + 1, wb, 65535 * 4);
    }
    (void)fa;
    (void)fb;
    free(src), free(a), free(b), free(fa), free(fb), free(all), free(wa), free(wb);
}

static void counts_are_reported(void **state) {
    (void)state;
    hc_cpu cpu;
    hc_cpu_detect(&cpu);
    const float v[] = {1.0f, 70000.0f, -1e6f, 1e-9f, 3e-6f, 0.0f, INFINITY, 65504.0f, -2e-8f};
    uint16_t h[9];
    hc_f16_stats st = {0};
    hc_f32_to_f16_array(&cpu, v, h, 9, &st);
    assert_int_equal(st.overflow, 2);  /* 70000, -1e6 */
    assert_int_equal(st.underflow, 2); /* 1e-9, -2e-8 */
    assert_int_equal(st.subnormal, 1); /* 3e-6 */
    assert_int_equal(st.nonfinite, 1);
    assert_true(st.max_abs == 1e6f);
}

/* The vector counts equal the scalar ones on every kind of value, at lengths with tails. */
static void vector_counts_match_scalar(void **state) {
    (void)state;
    hc_cpu cpu;
    hc_cpu_detect(&cpu);
    if (!cpu.avx512) skip();
    enum { N = 4099 };
    float *v = malloc(N * sizeof *v);
    uint16_t *h = malloc(N * 2);
    uint32_t seed = 12345;
    for (size_t i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        uint32_t bits = seed;
        if (i % 7 == 0) bits = (bits & 0x807fffffu) | (0x67u << 23);  /* around fp16's smallest */
        if (i % 11 == 0) bits = (bits & 0x807fffffu) | (0x8fu << 23); /* around 65504 */
        memcpy(&v[i], &bits, 4);
    }
    v[3] = NAN, v[5] = -INFINITY, v[8] = 0.0f, v[9] = -0.0f;
    for (size_t n = 1; n <= N; n += 409) {
        hc_f16_stats a = {0}, b = {0};
        hc_f32_to_f16_array(NULL, v, h, n, &a);
        hc_f32_to_f16_array(&cpu, v, h, n, &b);
        assert_int_equal(a.overflow, b.overflow);
        assert_int_equal(a.underflow, b.underflow);
        assert_int_equal(a.subnormal, b.subnormal);
        assert_int_equal(a.nonfinite, b.nonfinite);
        assert_true(a.max_abs == b.max_abs);
    }
    hc_f16_stats all = {0};
    hc_f32_to_f16_array(&cpu, v, h, N, &all);
    assert_true(all.overflow > 0 && all.underflow > 0 && all.subnormal > 0 && all.nonfinite > 0);
    free(v);
    free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_halves_widen_exactly),
        cmocka_unit_test(edge_floats_round_to_nearest_even),
        cmocka_unit_test(vector_paths_match_scalar),
        cmocka_unit_test(counts_are_reported),
        cmocka_unit_test(vector_counts_match_scalar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
