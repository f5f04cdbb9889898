/* conv_avx512.c - AVX-512 microkernels of the conv family: the 8 x 48 GEMM tile (24 zmm
 * accumulators; A broadcast per row, W rows loaded unaligned with masked tails) and the
 * depthwise row kernel (output pixels x 16-channel vectors, taps unrolled at run time).
 * fp16 outputs are rounded to nearest even by vcvtps2ph. Compiled with -mavx512f/bw/vl/dq;
 * called only when hc_cpu.avx512 is set. */
#include "exec/cpu/conv.h"

#include <immintrin.h>

#define MR            HC_UKR_AVX512_MR
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define RNE           (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

static ALWAYS_INLINE __mmask16 tail_mask(size_t n) {
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

static ALWAYS_INLINE void store16(void *p, size_t i, __m512 v, __mmask16 m, bool f16) {
    if (f16)
        _mm256_mask_storeu_epi16((uint16_t *)p + i, m, _mm512_cvtps_ph(v, RNE));
    else
        _mm512_mask_storeu_ps((float *)p + i, m, v);
}

/* The folded epilogue on one vector: act(v + b) (on: there is a bias). */
static ALWAYS_INLINE __m512 epi16(__m512 v, __m512 b, bool on, int act) {
    if (!on) return v;
    v = _mm512_add_ps(v, b);
    if (act) v = _mm512_max_ps(v, _mm512_setzero_ps());
    if (act == HC_ACT_RELU6) v = _mm512_min_ps(v, _mm512_set1_ps(6.0f));
    return v;
}

/* One tile with NV (1..3) column vectors. The 24 accumulators are named variables (not an
 * array) so that the compiler keeps them in zmm registers across the K loop. */
static ALWAYS_INLINE void ukr_nv(const hc_ukr_args *g, const int nv) {
#define DECL(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = c##r##0, c##r##2 = c##r##0
    DECL(0);
    DECL(1);
    DECL(2);
    DECL(3);
    DECL(4);
    DECL(5);
    DECL(6);
    DECL(7);
#undef DECL
    const __mmask16 lm = tail_mask(g->nr - (size_t)(nv - 1) * 16);
    const size_t ldw = g->ldw, k = g->k;
    for (size_t t = 0; t < g->ntap; t++) {
        const float *const *ap = g->a + t * MR;
        const float *a0 = ap[0], *a1 = ap[1], *a2 = ap[2], *a3 = ap[3];
        const float *a4 = ap[4], *a5 = ap[5], *a6 = ap[6], *a7 = ap[7];
        const float *w = g->w + t * g->w_tap;
        for (size_t i = 0; i < k; i++, w += ldw) {
            __m512 b0, b1 = _mm512_setzero_ps(), b2 = _mm512_setzero_ps();
            b0 = nv == 1 ? _mm512_maskz_loadu_ps(lm, w) : _mm512_loadu_ps(w);
            if (nv >= 2) b1 = nv == 2 ? _mm512_maskz_loadu_ps(lm, w + 16) : _mm512_loadu_ps(w + 16);
            if (nv >= 3) b2 = _mm512_maskz_loadu_ps(lm, w + 32);
#define ROW(r)                                                                                     \
    do {                                                                                           \
        __m512 x = _mm512_set1_ps(a##r[i]);                                                        \
        c##r##0 = _mm512_fmadd_ps(x, b0, c##r##0);                                                 \
        if (nv >= 2) c##r##1 = _mm512_fmadd_ps(x, b1, c##r##1);                                    \
        if (nv >= 3) c##r##2 = _mm512_fmadd_ps(x, b2, c##r##2);                                    \
    } while (0)
            ROW(0);
            ROW(1);
            ROW(2);
            ROW(3);
            ROW(4);
            ROW(5);
            ROW(6);
            ROW(7);
#undef ROW
        }
    }
    const size_t esz = g->f16 ? 2 : 4, mr = g->mr;
    const __mmask16 full = 0xffff;
    const bool on = g->bias != NULL;
    const int act = g->act;
    __m512 e0 = _mm512_setzero_ps(), e1 = e0, e2 = e0;
    if (on) {
        e0 = _mm512_maskz_loadu_ps(nv == 1 ? lm : full, g->bias);
        if (nv >= 2) e1 = _mm512_maskz_loadu_ps(nv == 2 ? lm : full, g->bias + 16);
        if (nv >= 3) e2 = _mm512_maskz_loadu_ps(lm, g->bias + 32);
    }
#define STORE(r)                                                                                   \
    do {                                                                                           \
        if ((r) >= mr) return;                                                                     \
        uint8_t *o = (uint8_t *)g->c + (size_t)(r)*g->ldc * esz;                                   \
        store16(o, 0, epi16(c##r##0, e0, on, act), nv == 1 ? lm : full, g->f16);                   \
        if (nv >= 2) store16(o, 16, epi16(c##r##1, e1, on, act), nv == 2 ? lm : full, g->f16);     \
        if (nv >= 3) store16(o, 32, epi16(c##r##2, e2, on, act), lm, g->f16);                      \
    } while (0)
    STORE(0);
    STORE(1);
    STORE(2);
    STORE(3);
    STORE(4);
    STORE(5);
    STORE(6);
    STORE(7);
#undef STORE
}

void hc_ukr_avx512(const hc_ukr_args *g) {
    switch ((g->nr + 15) / 16) {
    case 1:
        ukr_nv(g, 1);
        break;
    case 2:
        ukr_nv(g, 2);
        break;
    default:
        ukr_nv(g, 3);
        break;
    }
}

/* ---- depthwise ------------------------------------------------------------------------- */

/* NP output pixels x NV channel vectors at pixel x, channel j, taps [k0, k0 + nt) of each
 * row (KW > 0: exactly KW taps, a compile-time count). Accumulators are named variables
 * (p: first vector, q: second) so that they stay in registers. */
static ALWAYS_INLINE __m512 ld_m(const float *p, __mmask16 m, const bool full) {
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

/* FULL: every lane of every vector is a channel (no masks, so loads fold into the FMAs). */
static ALWAYS_INLINE void dw_tile(const hc_dw_args *a, size_t x, size_t j, size_t k0, size_t nt,
                                  const int np, const int nv, const int KW, const bool FULL) {
    const size_t c = a->c, sw = a->sw * c, step = a->dw * c;
    const __mmask16 m0 = tail_mask(c - j), m1 = nv > 1 ? tail_mask(c - j - 16) : 0;
    const size_t col = (x * a->sw + k0 * a->dw - a->pl) * c + j;
    const size_t ntap = KW ? (size_t)KW : nt;
    __m512 p0 = _mm512_setzero_ps(), p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0, p6 = p0, p7 = p0;
    __m512 q0 = p0, q1 = p0, q2 = p0, q3 = p0;
    const size_t nrows = ntap ? a->nrows : 0; /* an edge pixel may have no tap inside */
    for (size_t r = 0; r < nrows; r++) {
        const float *ip = a->rows[r] + col;
        const float *wp = a->w + (r * a->kw + k0) * c + j;
        for (size_t t = 0; t < ntap; t++, ip += step, wp += c) {
            __m512 w0 = ld_m(wp, m0, FULL);
            __m512 w1 = nv > 1 ? ld_m(wp + 16, m1, FULL) : w0;
#define PX(i)                                                                                      \
    do {                                                                                           \
        if (np > (i)) p##i = _mm512_fmadd_ps(ld_m(ip + (i)*sw, m0, FULL), w0, p##i);               \
    } while (0)
#define PQ(i)                                                                                      \
    do {                                                                                           \
        if (nv > 1 && np > (i))                                                                    \
            q##i = _mm512_fmadd_ps(ld_m(ip + (i)*sw + 16, m1, FULL), w1, q##i);                    \
    } while (0)
            PX(0);
            PX(1);
            PX(2);
            PX(3);
            PX(4);
            PX(5);
            PX(6);
            PX(7);
            PQ(0);
            PQ(1);
            PQ(2);
            PQ(3);
#undef PX
#undef PQ
        }
    }
    const bool on = a->bias != NULL;
    const __m512 e0 = on ? _mm512_maskz_loadu_ps(m0, a->bias + j) : _mm512_setzero_ps();
    const __m512 e1 = on && nv > 1 ? _mm512_maskz_loadu_ps(m1, a->bias + j + 16) : e0;
#define ST(i, v, m, off)                                                                           \
    do {                                                                                           \
        if (np > (i))                                                                              \
            store16(a->out, (x + (i)) * c + j + (off), epi16((v), (off) ? e1 : e0, on, a->act),    \
                    (m), a->f16);                                                                  \
    } while (0)
    ST(0, p0, m0, 0);
    ST(1, p1, m0, 0);
    ST(2, p2, m0, 0);
    ST(3, p3, m0, 0);
    ST(4, p4, m0, 0);
    ST(5, p5, m0, 0);
    ST(6, p6, m0, 0);
    ST(7, p7, m0, 0);
    if (nv > 1) {
        ST(0, q0, m1, 16);
        ST(1, q1, m1, 16);
        ST(2, q2, m1, 16);
        ST(3, q3, m1, 16);
    }
#undef ST
}

/* Stride 1, dilation 1: 8 output pixels share input columns, so each row loads its 8 + KW - 1
 * input vectors once and every tap reuses them (half the loads of dw_tile). One vector of
 * channels at j. Fully unrolled so that the arrays live in registers. */
static ALWAYS_INLINE void dw_s1_tile(const hc_dw_args *a, size_t x, size_t j, const int KW,
                                     const bool FULL) {
    const size_t c = a->c;
    const __mmask16 m = tail_mask(c - j);
    __m512 acc[8], in[8 + 5 - 1];
#pragma GCC unroll 8
    for (int p = 0; p < 8; p++)
        acc[p] = _mm512_setzero_ps();
    for (size_t r = 0; r < a->nrows; r++) {
        const float *ip = a->rows[r] + (x - a->pl) * c + j;
        const float *wp = a->w + r * (size_t)KW * c + j;
#pragma GCC unroll 12
        for (int i = 0; i < 8 + KW - 1; i++)
            in[i] = ld_m(ip + (size_t)i * c, m, FULL);
#pragma GCC unroll 5
        for (int kx = 0; kx < KW; kx++) {
            __m512 w = ld_m(wp + (size_t)kx * c, m, FULL);
#pragma GCC unroll 8
            for (int p = 0; p < 8; p++)
                acc[p] = _mm512_fmadd_ps(in[p + kx], w, acc[p]);
        }
    }
    const bool on = a->bias != NULL;
    const __m512 e = on ? _mm512_maskz_loadu_ps(m, a->bias + j) : _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int p = 0; p < 8; p++)
        store16(a->out, (x + (size_t)p) * c + j, epi16(acc[p], e, on, a->act), m, a->f16);
}

/* Interior pixels [lo, hi) with stride 1 and dilation 1 and a 3- or 5-wide filter. */
static ALWAYS_INLINE void dw_s1_interior(const hc_dw_args *a, size_t lo, size_t hi, const int KW) {
    size_t x = lo, c = a->c;
    for (; x + 8 <= hi; x += 8)
        for (size_t j = 0; j < c; j += 16) {
            if (c - j >= 16)
                dw_s1_tile(a, x, j, KW, true);
            else
                dw_s1_tile(a, x, j, KW, false);
        }
    for (; x < hi; x++)
        for (size_t j = 0; j < c; j += 32)
            dw_tile(a, x, j, 0, a->kw, 1, c - j > 16 ? 2 : 1, KW, false);
}

/* Interior pixels [lo, hi): pixel blocks outside, channel blocks inside, so that the input
 * window of a block stays in L1 across its channels. Eight accumulators hide the FMA
 * latency (4 pixels x 2 vectors, or 8 x 1 for 16 channels or fewer). */
static ALWAYS_INLINE void dw_interior(const hc_dw_args *a, size_t lo, size_t hi, const int KW) {
    size_t x = lo, kw = a->kw, c = a->c;
    if (c <= 16) {
        for (; x + 8 <= hi; x += 8)
            dw_tile(a, x, 0, 0, kw, 8, 1, KW, c == 16);
        for (; x < hi; x++)
            dw_tile(a, x, 0, 0, kw, 1, 1, KW, false);
        return;
    }
    for (; x + 4 <= hi; x += 4)
        for (size_t j = 0; j < c; j += 32) {
            if (c - j >= 32)
                dw_tile(a, x, j, 0, kw, 4, 2, KW, true);
            else if (c - j > 16)
                dw_tile(a, x, j, 0, kw, 4, 2, KW, false);
            else
                dw_tile(a, x, j, 0, kw, 4, 1, KW, c - j == 16);
        }
    for (; x < hi; x++)
        for (size_t j = 0; j < c; j += 32)
            dw_tile(a, x, j, 0, kw, 1, c - j > 16 ? 2 : 1, KW, false);
}

static void dw_edge(const hc_dw_args *a, size_t x) {
    size_t k0, k1;
    hc_dw_taps(a, x, &k0, &k1);
    for (size_t j = 0; j < a->c; j += 32) {
        if (a->c - j > 16)
            dw_tile(a, x, j, k0, k1 - k0, 1, 2, 0, false);
        else
            dw_tile(a, x, j, k0, k1 - k0, 1, 1, 0, false);
    }
}

void hc_dw_row_avx512(const hc_dw_args *a) {
    size_t lo, hi;
    hc_dw_interior(a, &lo, &hi);
    for (size_t x = 0; x < lo; x++)
        dw_edge(a, x);
    /* The common 3- and 5-wide filters get their tap loops fully unrolled. */
    if (a->sw == 1 && a->dw == 1 && a->kw == 3)
        dw_s1_interior(a, lo, hi, 3);
    else if (a->sw == 1 && a->dw == 1 && a->kw == 5)
        dw_s1_interior(a, lo, hi, 5);
    else if (a->kw == 3)
        dw_interior(a, lo, hi, 3);
    else if (a->kw == 5)
        dw_interior(a, lo, hi, 5);
    else
        dw_interior(a, lo, hi, 0);
    for (size_t x = hi; x < a->ow; x++)
        dw_edge(a, x);
}
