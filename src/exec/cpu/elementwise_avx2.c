/* elementwise_avx2.c - AVX2/FMA fp32 microkernels of the elementwise family: binary
 * arithmetic in the three broadcast modes, Relu/Relu6/LeakyRelu, Exp/Sigmoid and a softmax
 * row. Arithmetic and the activations are bit-identical to the scalar references (the same
 * IEEE operations, max/min operand order chosen to match x < y ? y : x); exp is a Cody-Waite
 * reduction with a degree-7 polynomial, within 2 ulp of libm's expf (tested to 1e-6). */
#include "exec/cpu/elementwise.h"

#include <immintrin.h>
#include <math.h>

#define V __m256
#define W 8

/* ---- binary ----------------------------------------------------------------------------- */

#define BIN_AVX2(name, vexpr, sfn)                                                                 \
    bool hc_ew_##name##_f32_avx2(const void *va, const void *vb, void *vo, size_t n, int mode) {   \
        const float *a = va, *b = vb;                                                              \
        float *o = vo;                                                                             \
        size_t i = 0;                                                                              \
        if (mode == HC_EW_VV) {                                                                    \
            for (; i + W <= n; i += W) {                                                           \
                V x = _mm256_loadu_ps(a + i), y = _mm256_loadu_ps(b + i);                          \
                _mm256_storeu_ps(o + i, vexpr);                                                    \
            }                                                                                      \
            for (; i < n; i++)                                                                     \
                o[i] = sfn(a[i], b[i]);                                                            \
        } else if (mode == HC_EW_VS) {                                                             \
            const V y = _mm256_set1_ps(b[0]);                                                      \
            for (; i + W <= n; i += W) {                                                           \
                V x = _mm256_loadu_ps(a + i);                                                      \
                _mm256_storeu_ps(o + i, vexpr);                                                    \
            }                                                                                      \
            for (; i < n; i++)                                                                     \
                o[i] = sfn(a[i], b[0]);                                                            \
        } else {                                                                                   \
            const V x = _mm256_set1_ps(a[0]);                                                      \
            for (; i + W <= n; i += W) {                                                           \
                V y = _mm256_loadu_ps(b + i);                                                      \
                _mm256_storeu_ps(o + i, vexpr);                                                    \
            }                                                                                      \
            for (; i < n; i++)                                                                     \
                o[i] = sfn(a[0], b[i]);                                                            \
        }                                                                                          \
        return true;                                                                               \
    }

/* Scalar tails: the same IEEE operations as the vectors and the scalar references. */
static inline float s_add(float x, float y) {
    return x + y;
}
static inline float s_sub(float x, float y) {
    return x - y;
}
static inline float s_mul(float x, float y) {
    return x * y;
}
static inline float s_div(float x, float y) {
    return x / y;
}
static inline float s_max(float x, float y) {
    return x < y ? y : x;
}
static inline float s_min(float x, float y) {
    return y < x ? y : x;
}
static inline float s_sqd(float x, float y) {
    return (x - y) * (x - y);
}

static inline V sqd(V x, V y) {
    V d = _mm256_sub_ps(x, y);
    return _mm256_mul_ps(d, d);
}

/* max_ps/min_ps return their second operand when either is NaN or both are equal, so
 * max(y, x) is x < y ? y : x exactly. */
BIN_AVX2(add, _mm256_add_ps(x, y), s_add)
BIN_AVX2(sub, _mm256_sub_ps(x, y), s_sub)
BIN_AVX2(mul, _mm256_mul_ps(x, y), s_mul)
BIN_AVX2(div, _mm256_div_ps(x, y), s_div)
BIN_AVX2(max, _mm256_max_ps(y, x), s_max)
BIN_AVX2(min, _mm256_min_ps(y, x), s_min)
BIN_AVX2(sqdiff, sqd(x, y), s_sqd)

/* ---- exp -------------------------------------------------------------------------------- */

/* e^x: x = n ln2 + r with |r| <= ln2/2 (ln2 split so n * hi is exact), e^r by its Taylor
 * polynomial to r^7 (truncation below 1e-8 relative), times 2^n applied in two halves so
 * results down to the subnormals and up to overflow come out with one rounding. */
static inline V exp8(V x) {
    const V nan_mask = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    V xc = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(89.0f)), _mm256_set1_ps(-104.0f));
    V n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    V p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    V s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    V s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    V res = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    return _mm256_blendv_ps(res, x, nan_mask);
}

static inline V sigmoid8(V x) {
    const V one = _mm256_set1_ps(1.0f);
    V e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

/* ---- unary ------------------------------------------------------------------------------ */

/* Full vectors, then the tail through one padded vector so every element takes the same
 * path (the tail lanes beyond n are computed on `pad` and dropped). */
#define UN_AVX2(name, vexpr, pad)                                                                  \
    void hc_ew_##name##_f32_avx2(const void *vx, void *vy, size_t n, float alpha) {                \
        const float *xs = vx;                                                                      \
        float *ys = vy;                                                                            \
        const V va = _mm256_set1_ps(alpha);                                                        \
        (void)va;                                                                                  \
        size_t i = 0;                                                                              \
        for (; i + W <= n; i += W) {                                                               \
            V x = _mm256_loadu_ps(xs + i);                                                         \
            _mm256_storeu_ps(ys + i, vexpr);                                                       \
        }                                                                                          \
        if (i < n) {                                                                               \
            float t[W];                                                                            \
            for (size_t k = 0; k < W; k++)                                                         \
                t[k] = i + k < n ? xs[i + k] : (pad);                                              \
            V x = _mm256_loadu_ps(t);                                                              \
            _mm256_storeu_ps(t, vexpr);                                                            \
            for (size_t k = 0; i + k < n; k++)                                                     \
                ys[i + k] = t[k];                                                                  \
        }                                                                                          \
    }

static inline V relu6(V x) {
    return _mm256_min_ps(_mm256_set1_ps(6.0f), _mm256_max_ps(_mm256_setzero_ps(), x));
}

static inline V leaky(V x, V alpha) {
    V gt = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(x, alpha), x, gt);
}

UN_AVX2(relu, _mm256_max_ps(_mm256_setzero_ps(), x), 0.0f)
UN_AVX2(relu6, relu6(x), 0.0f)
UN_AVX2(leaky, leaky(x, va), 0.0f)
UN_AVX2(exp, exp8(x), 0.0f)
UN_AVX2(sigmoid, sigmoid8(x), 0.0f)

/* ---- softmax row ------------------------------------------------------------------------ */

static inline double hsum_pd(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

static inline float hmax_ps(V v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* Elements [i, i + c) of x, c <= W, as a vector padded with `pad`. */
static inline V load_pad(const float *x, size_t c, float pad) {
    if (c == W) return _mm256_loadu_ps(x);
    float t[W];
    for (size_t k = 0; k < W; k++)
        t[k] = k < c ? x[k] : pad;
    return _mm256_loadu_ps(t);
}

void hc_ew_softmax_row_avx2(const float *x, float *y, size_t n, bool logsm) {
    V vm = _mm256_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i + W <= n; i += W)
        vm = _mm256_max_ps(_mm256_loadu_ps(x + i), vm); /* NaN loses */
    float m = hmax_ps(vm);
    for (size_t k = i; k < n; k++)
        m = x[k] > m ? x[k] : m;
    vm = _mm256_set1_ps(m);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (i = 0; i < n; i += W) {
        size_t c = HC_MIN((size_t)W, n - i);
        /* Tail lanes hold the max (exp gives 1, no underflow assist) and are zeroed here. */
        V e = exp8(_mm256_sub_ps(load_pad(x + i, c, m), vm));
        if (c < W)
            e = _mm256_and_ps(
                e, _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)c), iota)));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
        if (logsm) continue;
        if (c == W) {
            _mm256_storeu_ps(y + i, e);
        } else {
            float t[W];
            _mm256_storeu_ps(t, e);
            for (size_t k = 0; k < c; k++)
                y[i + k] = t[k];
        }
    }
    double sum = hsum_pd(_mm256_add_pd(s0, s1));
    if (logsm) {
        float ls = (float)log(sum);
        for (i = 0; i < n; i++)
            y[i] = (x[i] - m) - ls;
    } else {
        V vs = _mm256_set1_ps((float)sum);
        for (i = 0; i + W <= n; i += W)
            _mm256_storeu_ps(y + i, _mm256_div_ps(_mm256_loadu_ps(y + i), vs));
        for (; i < n; i++)
            y[i] /= (float)sum;
    }
}
