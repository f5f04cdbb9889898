/* fp16_avx512.c - AVX-512 conversions, 16 lanes with a masked tail. */
#include "base/fp16.h"

#include <immintrin.h>
#include <string.h>

void hc_f32_to_f16_avx512(const void *src, uint16_t *dst, size_t n) {
    const float *s = src;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(s + i);
        _mm256_storeu_si256((__m256i *)(dst + i), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    if (i < n) {
        __mmask16 k = (__mmask16)((1u << (n - i)) - 1u);
        __m512 v = _mm512_maskz_loadu_ps(k, s + i);
        __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
        _mm256_mask_storeu_epi16(dst + i, k, h);
    }
}

void hc_f16_to_f32_avx512(const void *src, float *dst, size_t n) {
    const uint16_t *s = src;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i h = _mm256_loadu_si256((const __m256i *)(s + i));
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(h));
    }
    if (i < n) {
        __mmask16 k = (__mmask16)((1u << (n - i)) - 1u);
        __m256i h = _mm256_maskz_loadu_epi16(k, s + i);
        _mm512_mask_storeu_ps(dst + i, k, _mm512_cvtph_ps(h));
    }
}

/* The counts of stats_of_pair (fp16.c), 16 lanes at a time: on a large model the scalar loop
 * took longer than the conversion itself. */
void hc_f16_stats_avx512(const void *src, const uint16_t *dst, size_t n, hc_f16_stats *st) {
    const uint32_t *s = src;
    const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i h_abs = _mm512_set1_epi32(0x7fff), h_inf = _mm512_set1_epi32(0x7c00);
    const __m512i h_norm = _mm512_set1_epi32(0x400), zero = _mm512_setzero_si512();
    __m512i maxbits = zero;
    uint64_t over = 0, under = 0, sub = 0, nonfinite = 0;
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
        __m512i x = _mm512_and_si512(_mm512_maskz_loadu_epi32(k, s + i), abs_mask);
        __m512i h =
            _mm512_and_si512(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, dst + i)), h_abs);
        __mmask16 finite = _mm512_mask_cmplt_epu32_mask(k, x, inf);
        nonfinite += (unsigned)__builtin_popcount((unsigned)(k & ~finite));
        over += (unsigned)__builtin_popcount(_mm512_mask_cmpeq_epi32_mask(finite, h, h_inf));
        __mmask16 hz = _mm512_mask_cmpeq_epi32_mask(k, h, zero);
        under += (unsigned)__builtin_popcount(_mm512_mask_cmpneq_epi32_mask(hz, x, zero));
        __mmask16 hsub = _mm512_mask_cmplt_epu32_mask((__mmask16)(k & ~hz), h, h_norm);
        sub += (unsigned)__builtin_popcount(hsub);
        maxbits = _mm512_mask_max_epu32(maxbits, finite, maxbits, x);
    }
    uint32_t mb = _mm512_reduce_max_epu32(maxbits);
    hc_f16_stats d = {over, under, sub, nonfinite, 0.0f};
    memcpy(&d.max_abs, &mb, 4);
    hc_f16_stats_add(st, &d);
}
