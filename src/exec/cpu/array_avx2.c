/* array_avx2.c - AVX2 microkernels of the array family (compiled with -mavx2; called only when
 * k->cpu->avx2): quint8 Dequantize. Results are bit-identical to the scalar loop in
 * array_dequant.c: the same float multiply, then the same float add (never an FMA). */
#include "exec/cpu/array.h"

#include <immintrin.h>

void hc_arr_dequant_u8_avx2(const uint8_t *x, float *y, size_t n, float scale, float offset) {
    const __m256 s = _mm256_set1_ps(scale), b = _mm256_set1_ps(offset);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i q = _mm_loadl_epi64((const __m128i *)(const void *)(x + i));
        __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q));
        __m256 t = _mm256_mul_ps(f, s);
        _mm256_storeu_ps(y + i, _mm256_add_ps(t, b));
    }
    for (; i < n; i++) {
        float t = (float)x[i] * scale;
        y[i] = t + offset;
    }
}

/* 8x8 transpose of 32-bit lanes in registers r[0..7]. */
static void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

void hc_arr_tile4_avx2(uint8_t *d, const uint8_t *s, int64_t na, int64_t nb, int64_t B,
                       int64_t sb) {
    int64_t a8 = na & ~(int64_t)7, b8 = nb & ~(int64_t)7;
    for (int64_t a = 0; a < a8; a += 8)
        for (int64_t b = 0; b < b8; b += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++)
                r[i] = _mm256_loadu_ps((const float *)(const void *)(s + 4 * (a + (b + i) * sb)));
            transpose8(r);
            for (int i = 0; i < 8; i++)
                _mm256_storeu_ps((float *)(void *)(d + 4 * ((a + i) * B + b)), r[i]);
        }
    /* Edges: one element at a time, the same mapping. */
    for (int64_t a = 0; a < na; a++)
        for (int64_t b = a < a8 ? b8 : 0; b < nb; b++)
            memcpy(d + 4 * (a * B + b), s + 4 * (a + b * sb), 4);
}
