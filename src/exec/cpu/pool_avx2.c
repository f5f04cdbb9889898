/* pool_avx2.c - AVX2 + F16C row kernels for pooling and batch normalisation: channels in
 * 8-lane vectors; tails go through a small stack buffer so nothing past the row is read or
 * written. Same operation order as the scalar references, so results match them exactly.
 * Called only when hc_cpu.avx2 is set. */
#include "exec/cpu/conv.h"

#include <immintrin.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define RNE           (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* Load n (1..8) lanes at element i, zero-filled. */
static ALWAYS_INLINE __m256 load8(const void *p, size_t i, size_t n, bool f16) {
    if (n >= 8) {
        if (f16)
            return _mm256_cvtph_ps(
                _mm_loadu_si128((const __m128i *)(const void *)((const uint16_t *)p + i)));
        return _mm256_loadu_ps((const float *)p + i);
    }
    if (f16) {
        uint16_t t[8] = {0};
        memcpy(t, (const uint16_t *)p + i, n * 2);
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)t));
    }
    float t[8] = {0};
    memcpy(t, (const float *)p + i, n * 4);
    return _mm256_loadu_ps(t);
}

static ALWAYS_INLINE void store8(void *p, size_t i, __m256 v, size_t n, bool f16) {
    if (f16) {
        __m128i h = _mm256_cvtps_ph(v, RNE);
        if (n >= 8) {
            _mm_storeu_si128((__m128i *)(void *)((uint16_t *)p + i), h);
        } else {
            uint16_t t[8];
            _mm_storeu_si128((__m128i *)(void *)t, h);
            memcpy((uint16_t *)p + i, t, n * 2);
        }
    } else if (n >= 8) {
        _mm256_storeu_ps((float *)p + i, v);
    } else {
        float t[8];
        _mm256_storeu_ps(t, v);
        memcpy((float *)p + i, t, n * 4);
    }
}

static ALWAYS_INLINE void pool_px(const hc_pool_args *a, size_t x, const bool f16, const bool avg) {
    size_t x0 = (size_t)a->x0[x], x1 = (size_t)a->x1[x], c = a->c;
    __m256 div = _mm256_set1_ps((float)(a->nrows * (x1 - x0)));
    for (size_t j = 0; j < c; j += 8) {
        size_t n = c - j;
        __m256 acc = avg ? _mm256_setzero_ps() : _mm256_set1_ps(-__builtin_inff());
        for (size_t r = 0; r < a->nrows; r++)
            for (size_t ix = x0; ix < x1; ix++) {
                __m256 v = load8(a->rows[r], ix * c + j, n, f16);
                acc = avg ? _mm256_add_ps(acc, v) : _mm256_max_ps(v, acc);
            }
        if (avg) acc = _mm256_div_ps(acc, div);
        store8(a->out, x * c + j, acc, n, f16);
    }
}

void hc_pool_row_avx2(const hc_pool_args *a) {
    for (size_t x = 0; x < a->ow; x++) {
        if (a->f16)
            a->avg ? pool_px(a, x, true, true) : pool_px(a, x, true, false);
        else
            a->avg ? pool_px(a, x, false, true) : pool_px(a, x, false, false);
    }
}

static ALWAYS_INLINE void bn_rows(const hc_bn_args *a, const bool f16) {
    size_t c = a->c;
    for (size_t r = 0; r < a->rows; r++)
        for (size_t j = 0; j < c; j += 8) {
            size_t n = c - j, i = r * c + j;
            __m256 v = _mm256_sub_ps(load8(a->x, i, n, f16), load8(a->mean, j, n, false));
            v = _mm256_mul_ps(v, load8(a->mul, j, n, false));
            v = _mm256_add_ps(v, load8(a->add, j, n, false));
            store8(a->y, i, v, n, f16);
        }
}

void hc_bn_rows_avx2(const hc_bn_args *a) {
    if (a->f16)
        bn_rows(a, true);
    else
        bn_rows(a, false);
}
