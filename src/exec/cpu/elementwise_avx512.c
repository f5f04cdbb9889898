/* elementwise_avx512.c - AVX-512 fp32 microkernels of the elementwise family (the same set as
 * elementwise_avx2.c, 16 lanes, masked tails). Arithmetic and the activations are
 * bit-identical to the scalar references; exp reduces as the AVX2 one and scales with
 * vscalefps (one rounding, subnormals and overflow included). */
#include "exec/cpu/elementwise.h"

#include <immintrin.h>
#include <math.h>

#define V __m512
#define W 16

static inline __mmask16 tail_mask(size_t left) {
    return left >= W ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

/* ---- binary ----------------------------------------------------------------------------- */

#define BIN_AVX512(name, vexpr)                                                                    \
    bool hc_ew_##name##_f32_avx512(const void *va, const void *vb, void *vo, size_t n, int mode) { \
        const float *a = va, *b = vb;                                                              \
        float *o = vo;                                                                             \
        if (mode == HC_EW_VV) {                                                                    \
            for (size_t i = 0; i < n; i += W) {                                                    \
                __mmask16 m = tail_mask(n - i);                                                    \
                V x = _mm512_maskz_loadu_ps(m, a + i), y = _mm512_maskz_loadu_ps(m, b + i);        \
                _mm512_mask_storeu_ps(o + i, m, vexpr);                                            \
            }                                                                                      \
        } else if (mode == HC_EW_VS) {                                                             \
            const V y = _mm512_set1_ps(b[0]);                                                      \
            for (size_t i = 0; i < n; i += W) {                                                    \
                __mmask16 m = tail_mask(n - i);                                                    \
                V x = _mm512_maskz_loadu_ps(m, a + i);                                             \
                _mm512_mask_storeu_ps(o + i, m, vexpr);                                            \
            }                                                                                      \
        } else {                                                                                   \
            const V x = _mm512_set1_ps(a[0]);                                                      \
            for (size_t i = 0; i < n; i += W) {                                                    \
                __mmask16 m = tail_mask(n - i);                                                    \
                V y = _mm512_maskz_loadu_ps(m, b + i);                                             \
                _mm512_mask_storeu_ps(o + i, m, vexpr);                                            \
            }                                                                                      \
        }                                                                                          \
        return true;                                                                               \
    }

static inline V sqd(V x, V y) {
    V d = _mm512_sub_ps(x, y);
    return _mm512_mul_ps(d, d);
}

/* max/min return their second operand when either is NaN or both are equal, so max(y, x) is
 * x < y ? y : x exactly. */
BIN_AVX512(add, _mm512_add_ps(x, y))
BIN_AVX512(sub, _mm512_sub_ps(x, y))
BIN_AVX512(mul, _mm512_mul_ps(x, y))
BIN_AVX512(div, _mm512_div_ps(x, y))
BIN_AVX512(max, _mm512_max_ps(y, x))
BIN_AVX512(min, _mm512_min_ps(y, x))
BIN_AVX512(sqdiff, sqd(x, y))

/* ---- exp -------------------------------------------------------------------------------- */

/* e^x = 2^n e^r, |r| <= ln2/2, e^r by its Taylor polynomial to r^7; see elementwise_avx2.c. */
static inline V exp16(V x) {
    const __mmask16 nan_mask = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    V xc = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(89.0f)), _mm512_set1_ps(-104.0f));
    V n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    V p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    V res = _mm512_scalef_ps(p, n);
    return _mm512_mask_blend_ps(nan_mask, res, x);
}

static inline V sigmoid16(V x) {
    const V one = _mm512_set1_ps(1.0f);
    V e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_div_ps(one, _mm512_add_ps(one, e));
}

/* ---- unary ------------------------------------------------------------------------------ */

#define UN_AVX512(name, vexpr)                                                                     \
    void hc_ew_##name##_f32_avx512(const void *vx, void *vy, size_t n, float alpha) {              \
        const float *xs = vx;                                                                      \
        float *ys = vy;                                                                            \
        const V va = _mm512_set1_ps(alpha);                                                        \
        (void)va;                                                                                  \
        for (size_t i = 0; i < n; i += W) {                                                        \
            __mmask16 m = tail_mask(n - i);                                                        \
            V x = _mm512_maskz_loadu_ps(m, xs + i);                                                \
            _mm512_mask_storeu_ps(ys + i, m, vexpr);                                               \
        }                                                                                          \
    }

static inline V relu6(V x) {
    return _mm512_min_ps(_mm512_set1_ps(6.0f), _mm512_max_ps(_mm512_setzero_ps(), x));
}

static inline V leaky(V x, V alpha) {
    __mmask16 gt = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_mask_blend_ps(gt, _mm512_mul_ps(x, alpha), x);
}

UN_AVX512(relu, _mm512_max_ps(_mm512_setzero_ps(), x))
UN_AVX512(relu6, relu6(x))
UN_AVX512(leaky, leaky(x, va))
UN_AVX512(exp, exp16(x))
UN_AVX512(sigmoid, sigmoid16(x))

/* ---- softmax row ------------------------------------------------------------------------ */

void hc_ew_softmax_row_avx512(const float *x, float *y, size_t n, bool logsm) {
    const V ninf = _mm512_set1_ps(-INFINITY);
    V vm = ninf;
    for (size_t i = 0; i < n; i += W) /* NaN loses: max returns its second operand */
        vm = _mm512_max_ps(_mm512_mask_loadu_ps(ninf, tail_mask(n - i), x + i), vm);
    float m = _mm512_reduce_max_ps(vm);
    vm = _mm512_set1_ps(m);
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    for (size_t i = 0; i < n; i += W) {
        __mmask16 k = tail_mask(n - i);
        /* Tail lanes hold the max (exp gives 1, no underflow assist) and are zeroed after. */
        V e = _mm512_maskz_mov_ps(k, exp16(_mm512_sub_ps(_mm512_mask_loadu_ps(vm, k, x + i), vm)));
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        s1 = _mm512_add_pd(
            s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
        if (!logsm) _mm512_mask_storeu_ps(y + i, k, e);
    }
    double sum = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    if (logsm) {
        const V ls = _mm512_set1_ps((float)log(sum));
        for (size_t i = 0; i < n; i += W) {
            __mmask16 k = tail_mask(n - i);
            V v = _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm), ls);
            _mm512_mask_storeu_ps(y + i, k, v);
        }
    } else {
        const V vs = _mm512_set1_ps((float)sum);
        for (size_t i = 0; i < n; i += W) {
            __mmask16 k = tail_mask(n - i);
            _mm512_mask_storeu_ps(y + i, k, _mm512_div_ps(_mm512_maskz_loadu_ps(k, y + i), vs));
        }
    }
}
