/* resize_avx2.c - AVX2 version of the bilinear vertical pass (see detect.h). Products and sums
 * are separate instructions, as in the scalar pass, so the results are the same bits. (The
 * horizontal pass stays scalar: AVX2 gathers measured slower than scalar loads.) */
#include "exec/cpu/detect.h"

#include <immintrin.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* keep mul and add separate: no fused multiply-adds */
#endif

void hc_detect_vlerp_avx2(const float *top, const float *bot, float lerp, size_t n, float *out) {
    __m256 w = _mm256_set1_ps(lerp);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 t = _mm256_loadu_ps(top + i);
        __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(bot + i), t), w);
        _mm256_storeu_ps(out + i, _mm256_add_ps(t, d));
    }
    hc_detect_vlerp_scalar(top + i, bot + i, lerp, n - i, out + i);
}
