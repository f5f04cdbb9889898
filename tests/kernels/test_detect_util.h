/* test_detect_util.h - shared by the detect family tests: run one op through a real session
 * (tests/common/oprun.h) with a chosen CPU level and thread count, keeping copies of the
 * outputs; a small deterministic random generator; fp16 rounding. Header-only (static). */
#ifndef HC_TEST_DETECT_UTIL_H
#define HC_TEST_DETECT_UTIL_H

#include "common/oprun.h"
#include "base/fp16.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*dt_attr_fn)(hc_graph *g, int32_t node, const void *arg);

typedef struct dt_out {
    hc_status st;
    char msg[768];
    int n;
    hc_tensor t[4];
    void *data[4];
} dt_out;

static inline void dt_out_free(dt_out *o) {
    for (int i = 0; i < o->n; i++)
        free(o->data[i]);
    memset(o, 0, sizeof *o);
}

static inline size_t dt_bytes(const hc_tensor *t) {
    size_t n = hc_dtype_size(t->dtype);
    for (int i = 0; i < t->rank; i++)
        n *= (size_t)t->dims[i];
    return n;
}

/* Run `op` on n_in inputs; cpu: NULL (default) or "scalar"/"avx2"; threads 0: default.
 * *o must be zeroed or hold an earlier result (freed here). */
static inline void dt_run(const char *op, int n_in, const hc_tensor *in, dt_attr_fn set,
                          const void *arg, int n_out, const char *cpu, int threads, dt_out *o) {
    dt_out_free(o);
    if (cpu) setenv("HC_CPU", cpu, 1);
    oprun r;
    oprun_init(&r, op, n_in, in);
    if (cpu) unsetenv("HC_CPU");
    if (threads) hc_ctx_set_threads(r.t.ctx, threads);
    if (set) set(&r.t.g, r.node, arg);
    o->st = oprun_exec(&r, n_out);
    if (o->st) {
        snprintf(o->msg, sizeof o->msg, "%s", hc_ctx_message(r.t.ctx));
    } else {
        o->n = n_out;
        for (int i = 0; i < n_out; i++) {
            o->t[i] = oprun_out(&r, i);
            size_t b = dt_bytes(&o->t[i]);
            o->data[i] = malloc(b ? b : 1);
            if (b) memcpy(o->data[i], o->t[i].data, b);
            o->t[i].data = o->data[i];
        }
    }
    oprun_fini(&r);
}

/* Fails the test with the session's message when the run failed. */
static inline void dt_ok(const dt_out *o) {
    if (o->st) fail_msg("run failed (%d): %s", (int)o->st, o->msg);
}

static inline void dt_same(const dt_out *a, const dt_out *b) {
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        assert_int_equal(a->t[i].rank, b->t[i].rank);
        for (int d = 0; d < a->t[i].rank; d++)
            assert_int_equal(a->t[i].dims[d], b->t[i].dims[d]);
        size_t n = dt_bytes(&a->t[i]);
        if (n) assert_memory_equal(a->data[i], b->data[i], n);
    }
}

/* xorshift64*: deterministic across platforms. */
typedef struct dt_rng {
    uint64_t s;
} dt_rng;

static inline uint32_t dt_u32(dt_rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 2685821657736338717ull) >> 32);
}

/* Uniform in [lo, hi). */
static inline float dt_uniform(dt_rng *r, float lo, float hi) {
    return lo + (hi - lo) * (float)(dt_u32(r) >> 8) / 16777216.0f;
}

static inline float dt_round_half(float x) {
    return hc_f16_to_f32(hc_f32_to_f16(x));
}

static inline float dt_f32_at(const hc_tensor *t, size_t i) {
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case HC_DT_FLOAT: {
        float v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case HC_DT_HALF: {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        return hc_f16_to_f32(h);
    }
    case HC_DT_UINT8: {
        uint8_t u = 0;
        memcpy(&u, p + i, 1);
        return (float)u;
    }
    case HC_DT_INT32: {
        int32_t v;
        memcpy(&v, p + 4 * i, 4);
        return (float)v;
    }
    default:
        fail_msg("dt_f32_at: dtype %d", (int)t->dtype);
    }
    return 0;
}

static inline int64_t dt_i64_at(const hc_tensor *t, size_t i) {
    const uint8_t *p = t->data;
    if (t->dtype == HC_DT_INT64) {
        int64_t v;
        memcpy(&v, p + 8 * i, 8);
        return v;
    }
    if (t->dtype == HC_DT_INT16) {
        int16_t v;
        memcpy(&v, p + 2 * i, 2);
        return v;
    }
    int32_t v;
    memcpy(&v, p + 4 * i, 4);
    return v;
}
#endif
