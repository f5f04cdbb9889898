/* fp16.h - the one fp16 module: bit-exact IEEE binary16 conversions with round-to-nearest-
 * even, array versions dispatched to F16C/AVX-512 at run time, and counts of values that
 * overflow, underflow or become subnormal (never silently clamped). */
#ifndef HC_BASE_FP16_H
#define HC_BASE_FP16_H
#include "base/ctx.h"

#define HC_F16_MAX           65504.0f
#define HC_F16_MIN_NORMAL    6.103515625e-05f
#define HC_F16_MIN_SUBNORMAL 5.9604644775390625e-08f

typedef struct hc_f16_stats {
    uint64_t overflow;  /* finite inputs that became +-inf */
    uint64_t underflow; /* nonzero inputs that became +-0 */
    uint64_t subnormal; /* inputs that became nonzero subnormals */
    uint64_t nonfinite; /* inf/nan inputs (kept as inf/nan) */
    float max_abs;      /* largest finite |x| seen */
} hc_f16_stats;

/* st += d (counts summed, the larger max_abs kept). */
void hc_f16_stats_add(hc_f16_stats *st, const hc_f16_stats *d);

uint16_t hc_f32_to_f16(float f);
float hc_f16_to_f32(uint16_t h);

/* src may be unaligned. stats may be NULL; counts are added to it. */
void hc_f32_to_f16_array(const hc_cpu *cpu, const void *src, uint16_t *dst, size_t n,
                         hc_f16_stats *stats);
void hc_f16_to_f32_array(const hc_cpu *cpu, const void *src, float *dst, size_t n);
/* Count what converting would do, without converting. */
void hc_f16_stats_of(const void *src, size_t n, hc_f16_stats *stats);

/* Element i of an array of numeric dtype dt as double (NaN for non-numeric dtypes). The one
 * place that knows how every dtype is stored; src may be unaligned. */
double hc_load_double(hc_dtype dt, const void *src, size_t i);

/* Scalar references, exposed for the tests that compare the vector paths with them. */
void hc_f32_to_f16_scalar(const void *src, uint16_t *dst, size_t n);
void hc_f16_to_f32_scalar(const void *src, float *dst, size_t n);

/* Per-ISA variants (compiled with their own flags; call only when the CPU has them). */
void hc_f32_to_f16_avx2(const void *src, uint16_t *dst, size_t n);
void hc_f16_to_f32_avx2(const void *src, float *dst, size_t n);
void hc_f32_to_f16_avx512(const void *src, uint16_t *dst, size_t n);
void hc_f16_to_f32_avx512(const void *src, float *dst, size_t n);
/* Adds the hc_f16_stats counts of n converted values (src fp32, dst their fp16). */
void hc_f16_stats_avx512(const void *src, const uint16_t *dst, size_t n, hc_f16_stats *st);
#endif
