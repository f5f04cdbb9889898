/* util.h - spans (views into mapped or arena memory), checked size arithmetic and small
 * string helpers used everywhere. */
#ifndef HC_BASE_UTIL_H
#define HC_BASE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A view of bytes owned by someone else (the mapping, an arena). */
typedef struct hc_span {
    const uint8_t *p;
    size_t n;
} hc_span;

static inline hc_span hc_span_of(const void *p, size_t n) {
    hc_span s = {(const uint8_t *)p, n};
    return s;
}

static inline hc_span hc_span_str(const char *s) {
    return hc_span_of(s, strlen(s));
}

static inline bool hc_span_eq(hc_span a, hc_span b) {
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline bool hc_span_eq_str(hc_span a, const char *s) {
    size_t n = strlen(s);
    return a.n == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

#define HC_SPAN_FMT    "%.*s"
#define HC_SPAN_ARG(s) (int)((s).n > 0x7fffffff ? 0x7fffffff : (s).n), (const char *)(s).p

/* Checked arithmetic: return false on overflow. */
static inline bool hc_mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

static inline bool hc_add_size(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

static inline bool hc_mul_i64(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}

/* 64-bit FNV-1a, for name hashing. */
static inline uint64_t hc_hash(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Glob match with '*' and '?' over the whole string. */
bool hc_glob_match(const char *pattern, const char *s, size_t n);

/* Unaligned little-endian loads and stores (the mapped file need not be aligned). */
static inline float hc_ld_f32(const void *p) {
    float v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint16_t hc_ld_u16(const void *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static inline int32_t hc_ld_i32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline int64_t hc_ld_i64(const void *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

#define HC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HC_MAX(a, b) ((a) > (b) ? (a) : (b))
#define HC_COUNT(a)  (sizeof(a) / sizeof((a)[0]))

#endif
