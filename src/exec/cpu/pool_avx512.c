/* pool_avx512.c - AVX-512 row kernels for pooling and batch normalisation: channels in
 * 16-lane vectors with masked tails, fp16 converted on load and store (F16C semantics,
 * round to nearest even). Same operation order as the scalar references, so results match
 * them exactly. Called only when hc_cpu.avx512 is set. */
#include "exec/cpu/conv.h"

#include <immintrin.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define RNE           (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

static ALWAYS_INLINE __mmask16 tail_mask(size_t n) {
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

static ALWAYS_INLINE __m512 load16(const void *p, size_t i, __mmask16 m, bool f16) {
    if (f16) return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)p + i));
    return _mm512_maskz_loadu_ps(m, (const float *)p + i);
}

static ALWAYS_INLINE void store16(void *p, size_t i, __m512 v, __mmask16 m, bool f16) {
    if (f16)
        _mm256_mask_storeu_epi16((uint16_t *)p + i, m, _mm512_cvtps_ph(v, RNE));
    else
        _mm512_mask_storeu_ps((float *)p + i, m, v);
}

static ALWAYS_INLINE void pool_px(const hc_pool_args *a, size_t x, const bool f16, const bool avg) {
    size_t x0 = (size_t)a->x0[x], x1 = (size_t)a->x1[x], c = a->c;
    __m512 div = _mm512_set1_ps((float)(a->nrows * (x1 - x0)));
    for (size_t j = 0; j < c; j += 16) {
        __mmask16 m = tail_mask(c - j);
        __m512 acc = avg ? _mm512_setzero_ps() : _mm512_set1_ps(-__builtin_inff());
        for (size_t r = 0; r < a->nrows; r++)
            for (size_t ix = x0; ix < x1; ix++) {
                __m512 v = load16(a->rows[r], ix * c + j, m, f16);
                /* max(v, acc) keeps acc unless v > acc, as the scalar loop does. */
                acc = avg ? _mm512_add_ps(acc, v) : _mm512_max_ps(v, acc);
            }
        if (avg) acc = _mm512_div_ps(acc, div);
        store16(a->out, x * c + j, acc, m, f16);
    }
}

void hc_pool_row_avx512(const hc_pool_args *a) {
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
        for (size_t j = 0; j < c; j += 16) {
            __mmask16 m = tail_mask(c - j);
            size_t i = r * c + j;
            __m512 v =
                _mm512_sub_ps(load16(a->x, i, m, f16), _mm512_maskz_loadu_ps(m, a->mean + j));
            v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, a->mul + j));
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, a->add + j));
            store16(a->y, i, v, m, f16);
        }
}

void hc_bn_rows_avx512(const hc_bn_args *a) {
    if (a->f16)
        bn_rows(a, true);
    else
        bn_rows(a, false);
}
