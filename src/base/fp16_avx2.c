/* fp16_avx2.c - F16C conversions, 8 lanes; tails go through the scalar reference. */
#include "base/fp16.h"

#include <immintrin.h>

void hc_f32_to_f16_avx2(const void *src, uint16_t *dst, size_t n) {
    const float *s = src;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(s + i);
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    hc_f32_to_f16_scalar((const uint8_t *)src + 4 * i, dst + i, n - i);
}

void hc_f16_to_f32_avx2(const void *src, float *dst, size_t n) {
    const uint16_t *s = src;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(s + i));
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
    hc_f16_to_f32_scalar((const uint8_t *)src + 2 * i, dst + i, n - i);
}
