/* fp16.c - scalar binary16 conversions (bit-exact, round to nearest even) and dispatch. */
#include "base/fp16.h"
#include "base/util.h"

#include <math.h>

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t hc_f32_to_f16(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf or nan: keep nan quiet and non-zero */
        return (uint16_t)(sign | 0x7c00u |
                          (absx > 0x7f800000u ? 0x200u | ((absx >> 13) & 0x3ffu) : 0));
    if (absx >= 0x477ff000u) /* rounds to >= 65520: overflow to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (absx < 0x38800000u) {                /* below the smallest normal half: subnormal or zero */
        if (absx < 0x33000000u) return sign; /* < 2^-25 rounds to zero */
        uint32_t e = absx >> 23;
        uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - e; /* 14..24 */
        uint32_t q = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1u);
        uint32_t half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (q & 1u))) q++;
        return (uint16_t)(sign | q);
    }
    /* Normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even. */
    uint32_t r = absx - 0x38000000u;
    uint32_t q = r >> 13, rem = r & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1u))) q++;
    return (uint16_t)(sign | q);
}

float hc_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1f) /* inf, or nan made quiet as the hardware does */
        return bits_f32(sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u));
    if (e == 0) {
        if (m == 0) return bits_f32(sign);
        /* subnormal: value = m * 2^-24 (exact in float) */
        float v = (float)m * 5.9604644775390625e-08f;
        return sign ? -v : v;
    }
    return bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

void hc_f32_to_f16_scalar(const void *src, uint16_t *dst, size_t n) {
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        dst[i] = hc_f32_to_f16(hc_ld_f32(s + 4 * i));
}

void hc_f16_to_f32_scalar(const void *src, float *dst, size_t n) {
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        dst[i] = hc_f16_to_f32(hc_ld_u16(s + 2 * i));
}

void hc_f16_stats_of(const void *src, size_t n, hc_f16_stats *st) {
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++) {
        float f = hc_ld_f32(s + 4 * i);
        float a = fabsf(f);
        if (!isfinite(f)) {
            st->nonfinite++;
            continue;
        }
        if (a > st->max_abs) st->max_abs = a;
        if (a == 0.0f) continue;
        uint16_t h = hc_f32_to_f16(f) & 0x7fffu;
        if (h == 0x7c00u)
            st->overflow++;
        else if (h == 0)
            st->underflow++;
        else if (h < 0x400u)
            st->subnormal++;
    }
}

/* Counts from the input and its conversion: cheaper than converting twice. */
static void stats_of_pair(const uint8_t *src, const uint16_t *dst, size_t n, hc_f16_stats *st) {
    uint64_t over = 0, under = 0, sub = 0, nonfinite = 0;
    uint32_t maxbits = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x;
        memcpy(&x, src + 4 * i, 4);
        x &= 0x7fffffffu;
        uint32_t h = dst[i] & 0x7fffu;
        bool finite = x < 0x7f800000u;
        nonfinite += !finite;
        over += finite && h == 0x7c00u;
        under += x != 0 && h == 0;
        sub += h != 0 && h < 0x400u;
        if (finite && x > maxbits) maxbits = x; /* positive floats order like their bits */
    }
    hc_f16_stats d = {over, under, sub, nonfinite, 0.0f};
    memcpy(&d.max_abs, &maxbits, 4);
    hc_f16_stats_add(st, &d);
}

void hc_f16_stats_add(hc_f16_stats *st, const hc_f16_stats *d) {
    st->overflow += d->overflow;
    st->underflow += d->underflow;
    st->subnormal += d->subnormal;
    st->nonfinite += d->nonfinite;
    if (d->max_abs > st->max_abs) st->max_abs = d->max_abs;
}

void hc_f32_to_f16_array(const hc_cpu *cpu, const void *src, uint16_t *dst, size_t n,
                         hc_f16_stats *stats) {
    if (cpu && cpu->avx512)
        hc_f32_to_f16_avx512(src, dst, n);
    else if (cpu && cpu->avx2)
        hc_f32_to_f16_avx2(src, dst, n);
    else
        hc_f32_to_f16_scalar(src, dst, n);
    if (stats && cpu && cpu->avx512)
        hc_f16_stats_avx512(src, dst, n, stats);
    else if (stats)
        stats_of_pair(src, dst, n, stats);
}

void hc_f16_to_f32_array(const hc_cpu *cpu, const void *src, float *dst, size_t n) {
    if (cpu && cpu->avx512)
        hc_f16_to_f32_avx512(src, dst, n);
    else if (cpu && cpu->avx2)
        hc_f16_to_f32_avx2(src, dst, n);
    else
        hc_f16_to_f32_scalar(src, dst, n);
}

double hc_load_double(hc_dtype dt, const void *src, size_t i) {
    const uint8_t *p = src;
    switch (dt) {
    case HC_DT_FLOAT:
        return hc_ld_f32(p + 4 * i);
    case HC_DT_HALF:
        return hc_f16_to_f32(hc_ld_u16(p + 2 * i));
    case HC_DT_BFLOAT16: {
        uint32_t u = (uint32_t)hc_ld_u16(p + 2 * i) << 16;
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    case HC_DT_DOUBLE: {
        double d;
        memcpy(&d, p + 8 * i, 8);
        return d;
    }
    case HC_DT_INT32:
        return hc_ld_i32(p + 4 * i);
    case HC_DT_INT64:
        return (double)hc_ld_i64(p + 8 * i);
    case HC_DT_INT16:
        return (int16_t)hc_ld_u16(p + 2 * i);
    case HC_DT_UINT16:
        return hc_ld_u16(p + 2 * i);
    case HC_DT_INT8:
    case HC_DT_QINT8:
        return (int8_t)p[i];
    case HC_DT_UINT8:
    case HC_DT_QUINT8:
    case HC_DT_BOOL:
        return p[i];
    case HC_DT_UINT32:
        return (uint32_t)hc_ld_i32(p + 4 * i);
    case HC_DT_UINT64:
        return (double)(uint64_t)hc_ld_i64(p + 8 * i);
    default:
        return NAN;
    }
}
