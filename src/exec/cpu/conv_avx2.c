/* conv_avx2.c - AVX2 + FMA + F16C microkernels of the conv family: the 6 x 16 GEMM tile (12
 * ymm accumulators) and the depthwise row kernel, with masked loads for column tails (no
 * reads past the last column). Called only when hc_cpu.avx2 is set. */
#include "exec/cpu/conv.h"

#include <immintrin.h>

#define MR            HC_UKR_AVX2_MR
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define RNE           (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

static ALWAYS_INLINE __m256i tail_mask(size_t n) {
    static const int32_t lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(const void *)(lanes + 8 - (n >= 8 ? 8 : n)));
}

static ALWAYS_INLINE __m256 load8(const float *p, size_t n, __m256i m) {
    return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

/* Store n (1..8) lanes as fp32 or fp16. */
static ALWAYS_INLINE void store8(void *base, size_t i, __m256 v, size_t n, __m256i m, bool f16) {
    if (f16) {
        __m128i h = _mm256_cvtps_ph(v, RNE);
        uint16_t *o = (uint16_t *)base + i;
        if (n >= 8) {
            _mm_storeu_si128((__m128i *)(void *)o, h);
        } else {
            uint16_t tmp[8];
            _mm_storeu_si128((__m128i *)(void *)tmp, h);
            memcpy(o, tmp, n * 2);
        }
    } else if (n >= 8) {
        _mm256_storeu_ps((float *)base + i, v);
    } else {
        _mm256_maskstore_ps((float *)base + i, m, v);
    }
}

/* The folded epilogue on one vector: act(v + b) (on: there is a bias). */
static ALWAYS_INLINE __m256 epi8(__m256 v, __m256 b, bool on, int act) {
    if (!on) return v;
    v = _mm256_add_ps(v, b);
    if (act) v = _mm256_max_ps(v, _mm256_setzero_ps());
    if (act == HC_ACT_RELU6) v = _mm256_min_ps(v, _mm256_set1_ps(6.0f));
    return v;
}

/* The 12 accumulators are named variables so that they stay in ymm registers. */
static ALWAYS_INLINE void ukr_nv(const hc_ukr_args *g, const int nv) {
#define DECL(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = c##r##0
    DECL(0);
    DECL(1);
    DECL(2);
    DECL(3);
    DECL(4);
    DECL(5);
#undef DECL
    const size_t last = g->nr - (size_t)(nv - 1) * 8;
    const __m256i lm = tail_mask(last);
    const size_t ldw = g->ldw, k = g->k;
    for (size_t t = 0; t < g->ntap; t++) {
        const float *const *ap = g->a + t * MR;
        const float *a0 = ap[0], *a1 = ap[1], *a2 = ap[2], *a3 = ap[3], *a4 = ap[4], *a5 = ap[5];
        const float *w = g->w + t * g->w_tap;
        for (size_t i = 0; i < k; i++, w += ldw) {
            __m256 b0 = nv == 1 ? load8(w, last, lm) : _mm256_loadu_ps(w);
            __m256 b1 = nv == 2 ? load8(w + 8, last, lm) : b0;
#define ROW(r)                                                                                     \
    do {                                                                                           \
        __m256 x = _mm256_broadcast_ss(a##r + i);                                                  \
        c##r##0 = _mm256_fmadd_ps(x, b0, c##r##0);                                                 \
        if (nv == 2) c##r##1 = _mm256_fmadd_ps(x, b1, c##r##1);                                    \
    } while (0)
            ROW(0);
            ROW(1);
            ROW(2);
            ROW(3);
            ROW(4);
            ROW(5);
#undef ROW
        }
    }
    const size_t esz = g->f16 ? 2 : 4, mr = g->mr;
    const bool on = g->bias != NULL;
    const int act = g->act;
    __m256 e0 = _mm256_setzero_ps(), e1 = e0; /* e1: the last (maybe partial) vector */
    if (on) {
        e0 = nv == 2 ? _mm256_loadu_ps(g->bias) : load8(g->bias, last, lm);
        e1 = nv == 2 ? load8(g->bias + 8, last, lm) : e0;
    }
#define STORE(r)                                                                                   \
    do {                                                                                           \
        if ((r) >= mr) return;                                                                     \
        uint8_t *o = (uint8_t *)g->c + (size_t)(r)*g->ldc * esz;                                   \
        if (nv == 2) store8(o, 0, epi8(c##r##0, e0, on, act), 8, lm, g->f16);                      \
        store8(o, (size_t)(nv - 1) * 8, epi8(nv == 2 ? c##r##1 : c##r##0, e1, on, act), last, lm,  \
               g->f16);                                                                            \
    } while (0)
    STORE(0);
    STORE(1);
    STORE(2);
    STORE(3);
    STORE(4);
    STORE(5);
#undef STORE
}

void hc_ukr_avx2(const hc_ukr_args *g) {
    if (g->nr > 8)
        ukr_nv(g, 2);
    else
        ukr_nv(g, 1);
}

/* ---- depthwise ------------------------------------------------------------------------- */

/* NP output pixels x one 8-channel vector (n lanes valid) at pixel x, channel j, taps
 * [k0, k0 + nt) (KW > 0: exactly KW); named accumulators stay in registers. */
static ALWAYS_INLINE void dw_tile(const hc_dw_args *a, size_t x, size_t j, size_t k0, size_t nt,
                                  const int np, const int KW) {
    const size_t c = a->c, sw = a->sw * c, n = c - j, step = a->dw * c;
    const __m256i m = tail_mask(n);
    const size_t col = (x * a->sw + k0 * a->dw - a->pl) * c + j;
    const size_t ntap = KW ? (size_t)KW : nt;
    __m256 p0 = _mm256_setzero_ps(), p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0, p6 = p0, p7 = p0;
    const size_t nrows = ntap ? a->nrows : 0; /* an edge pixel may have no tap inside */
    for (size_t r = 0; r < nrows; r++) {
        const float *ip = a->rows[r] + col;
        const float *wp = a->w + (r * a->kw + k0) * c + j;
        for (size_t t = 0; t < ntap; t++, ip += step, wp += c) {
            __m256 w0 = load8(wp, n, m);
#define PX(i)                                                                                      \
    do {                                                                                           \
        if (np > (i)) p##i = _mm256_fmadd_ps(load8(ip + (i)*sw, n, m), w0, p##i);                  \
    } while (0)
            PX(0);
            PX(1);
            PX(2);
            PX(3);
            PX(4);
            PX(5);
            PX(6);
            PX(7);
#undef PX
        }
    }
    const bool on = a->bias != NULL;
    const __m256 e = on ? load8(a->bias + j, n, m) : _mm256_setzero_ps();
#define ST(i)                                                                                      \
    do {                                                                                           \
        if (np > (i)) store8(a->out, (x + (i)) * c + j, epi8(p##i, e, on, a->act), n, m, a->f16);  \
    } while (0)
    ST(0);
    ST(1);
    ST(2);
    ST(3);
    ST(4);
    ST(5);
    ST(6);
    ST(7);
#undef ST
}

static ALWAYS_INLINE void dw_interior(const hc_dw_args *a, size_t j, size_t lo, size_t hi,
                                      const int KW) {
    size_t x = lo;
    for (; x + 8 <= hi; x += 8)
        dw_tile(a, x, j, 0, a->kw, 8, KW);
    for (; x < hi; x++)
        dw_tile(a, x, j, 0, a->kw, 1, KW);
}

void hc_dw_row_avx2(const hc_dw_args *a) {
    size_t lo, hi, k0, k1;
    hc_dw_interior(a, &lo, &hi);
    for (size_t j = 0; j < a->c; j += 8) {
        for (size_t x = 0; x < lo; x++) {
            hc_dw_taps(a, x, &k0, &k1);
            dw_tile(a, x, j, k0, k1 - k0, 1, 0);
        }
        if (a->kw == 3)
            dw_interior(a, j, lo, hi, 3);
        else if (a->kw == 5)
            dw_interior(a, j, lo, hi, 5);
        else
            dw_interior(a, j, lo, hi, 0);
        for (size_t x = hi; x < a->ow; x++) {
            hc_dw_taps(a, x, &k0, &k1);
            dw_tile(a, x, j, k0, k1 - k0, 1, 0);
        }
    }
}
