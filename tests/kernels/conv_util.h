/* conv_util.h - helpers shared by the conv family's tests (test_conv*.c): random data, fp16
 * rounding, running one op through a real session under a chosen CPU level and thread count,
 * and tolerance checks. Header-only (static functions) so each test stays one executable. */
#ifndef HC_TEST_CONV_UTIL_H
#define HC_TEST_CONV_UTIL_H

#include "base/fp16.h"
#include "common/oprun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers (deterministic) ---------------------------------------------------- */

static uint64_t cu_state = 0x9e3779b97f4a7c15ull;

static inline uint32_t cu_rand(void) {
    cu_state ^= cu_state << 13;
    cu_state ^= cu_state >> 7;
    cu_state ^= cu_state << 17;
    return (uint32_t)(cu_state >> 16);
}

/* Uniform integer in [lo, hi]. */
static inline int64_t cu_range(int64_t lo, int64_t hi) {
    return lo + (int64_t)(cu_rand() % (uint32_t)(hi - lo + 1));
}

static inline int64_t cu_pick(const int64_t *v, size_t n) {
    return v[cu_rand() % n];
}

/* Values in [-1, 1), rounded through fp16 when f16 so both precisions see the same inputs. */
static inline void cu_fill(float *x, size_t n, bool f16) {
    for (size_t i = 0; i < n; i++) {
        float v = (float)(cu_rand() % 65536u) / 32768.0f - 1.0f;
        x[i] = f16 ? hc_f16_to_f32(hc_f32_to_f16(v)) : v;
    }
}

/* ---- tensors ---------------------------------------------------------------------------- */

/* A tensor of dt made from fp32 values, stored `offset` bytes past a 64-byte aligned address
 * (offset 1: kernels must use unaligned loads, as they must for weights in a mapped file;
 * offset 0: aligned like the activations a session allocates). The caller frees c.mem. */
typedef struct cu_tensor {
    hc_tensor t;
    uint8_t *mem;
} cu_tensor;

static inline cu_tensor cu_make_at(hc_dtype dt, int rank, const int64_t *dims, const float *v,
                                   size_t offset) {
    cu_tensor c;
    size_t n = 1, esz = hc_dtype_size(dt);
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    size_t bytes = (n * esz + 64 + 63) / 64 * 64;
    c.mem = aligned_alloc(64, bytes);
    memset(c.mem, 0, bytes);
    uint8_t *p = c.mem + offset;
    for (size_t i = 0; i < n; i++) {
        if (dt == HC_DT_HALF) {
            uint16_t h = hc_f32_to_f16(v[i]);
            memcpy(p + 2 * i, &h, 2);
        } else if (dt == HC_DT_FLOAT) {
            memcpy(p + 4 * i, &v[i], 4);
        } else if (dt == HC_DT_INT32) {
            int32_t x = (int32_t)v[i];
            memcpy(p + 4 * i, &x, 4);
        }
    }
    c.t = tensor_of(dt, rank, dims, p);
    return c;
}

static inline cu_tensor cu_make(hc_dtype dt, int rank, const int64_t *dims, const float *v) {
    return cu_make_at(dt, rank, dims, v, 1);
}

/* ---- running an op ---------------------------------------------------------------------- */

typedef void (*cu_attr_fn)(oprun *r, const void *ud);

typedef struct cu_out {
    hc_status st;
    char msg[512];
    hc_dtype dtype;
    int rank;
    int64_t dims[8];
    size_t n;  /* elements */
    void *raw; /* output bytes as produced */
    float *f;  /* output as fp32 */
} cu_out;

static inline void cu_out_free(cu_out *o) {
    free(o->raw);
    free(o->f);
    memset(o, 0, sizeof *o);
}

/* Run op on the inputs with attributes set by `set`, on CPU level `cpu` (NULL: the machine's
 * best, or "scalar" / "avx2") and `threads` workers; fetch output `which` of n_out. */
static inline cu_out cu_run(const char *op, int n_in, const cu_tensor *in, cu_attr_fn set,
                            const void *ud, const char *cpu, int threads, int n_out, int which) {
    cu_out o;
    memset(&o, 0, sizeof o);
    hc_tensor t[8];
    for (int i = 0; i < n_in; i++)
        t[i] = in[i].t;
    if (cpu) setenv("HC_CPU", cpu, 1);
    oprun r;
    oprun_init(&r, op, n_in, t);
    if (cpu) unsetenv("HC_CPU");
    hc_ctx_set_threads(r.t.ctx, threads);
    set(&r, ud);
    o.st = oprun_exec(&r, n_out);
    if (o.st) {
        snprintf(o.msg, sizeof o.msg, "%s", hc_ctx_message(r.t.ctx));
        oprun_fini(&r);
        return o;
    }
    hc_tensor out = oprun_out(&r, which);
    o.dtype = out.dtype;
    o.rank = out.rank;
    o.n = 1;
    for (int i = 0; i < out.rank; i++) {
        o.dims[i] = out.dims[i];
        o.n *= (size_t)out.dims[i];
    }
    size_t esz = hc_dtype_size(out.dtype);
    o.raw = malloc(o.n * esz + 1);
    o.f = malloc(o.n * sizeof(float) + 1);
    if (o.n) memcpy(o.raw, out.data, o.n * esz);
    for (size_t i = 0; i < o.n; i++)
        o.f[i] = out.dtype == HC_DT_HALF ? hc_f16_to_f32(((const uint16_t *)o.raw)[i])
                                         : ((const float *)o.raw)[i];
    oprun_fini(&r);
    return o;
}

/* ---- tolerances ------------------------------------------------------------------------- */

/* fp32 results against a double reference: |got - ref| <= 1e-5 * mag + 1e-6, where mag is the
 * sum of |terms| of the output element (fp32 accumulation error). fp16 results: also half an
 * fp16 ulp of the value (2^-11 relative, rounding on store) plus the smallest subnormal. */
static inline double cu_tol(double ref, double mag, bool f16) {
    double t = 1e-5 * mag + 1e-6;
    if (f16) t += fabs(ref) * (1.0 / 2048.0) + 6e-8;
    return t;
}

/* Compare got with ref/mag (n elements); fails the test naming what and the first bad index. */
static inline void cu_check(const char *what, const float *got, const double *ref,
                            const double *mag, size_t n, bool f16) {
    for (size_t i = 0; i < n; i++) {
        double tol = cu_tol(ref[i], mag ? mag[i] : fabs(ref[i]), f16);
        if (!(fabs((double)got[i] - ref[i]) <= tol))
            fail_msg("%s: element %zu is %.9g, reference %.9g (tolerance %.3g)", what, i,
                     (double)got[i], ref[i], tol);
    }
}

/* SIMD against scalar: both within tolerance of the reference means within twice of each
 * other; checked directly too so a failure names the path. */
static inline void cu_check_pair(const char *what, const float *a, const float *b,
                                 const double *ref, const double *mag, size_t n, bool f16) {
    for (size_t i = 0; i < n; i++) {
        double tol = 2 * cu_tol(ref[i], mag ? mag[i] : fabs(ref[i]), f16);
        if (!(fabs((double)a[i] - (double)b[i]) <= tol))
            fail_msg("%s: element %zu is %.9g vs scalar %.9g (tolerance %.3g)", what, i,
                     (double)a[i], (double)b[i], tol);
    }
}

static inline void cu_expect_dims(const cu_out *o, int rank, const int64_t *dims) {
    assert_int_equal(o->rank, rank);
    for (int i = 0; i < rank; i++)
        if (o->dims[i] != dims[i])
            fail_msg("output dim %d is %lld, expected %lld", i, (long long)o->dims[i],
                     (long long)dims[i]);
}

/* Run one configuration four ways: best SIMD on 1 and 2 threads (bit-identical), AVX2 (also
 * bit-identical to the best level: every vector kernel sums in the same order with FMA) and
 * scalar (within tolerance: it rounds each step like an FMA via double, which can differ in
 * a double-rounding tie). Each is within tolerance of the reference. */
typedef struct cu_case {
    const char *op;
    int n_in;
    const cu_tensor *in;
    cu_attr_fn set;
    const void *ud;
    int n_out, which;
    const double *ref, *mag;
    size_t n;
    bool f16;
    const char *name;
} cu_case;

static inline void cu_run_case(const cu_case *c) {
    cu_out best1 = cu_run(c->op, c->n_in, c->in, c->set, c->ud, NULL, 1, c->n_out, c->which);
    if (best1.st) fail_msg("%s: %s", c->name, best1.msg);
    if (best1.n != c->n) fail_msg("%s: %zu elements, expected %zu", c->name, best1.n, c->n);
    cu_check(c->name, best1.f, c->ref, c->mag, c->n, c->f16);
    cu_out best2 = cu_run(c->op, c->n_in, c->in, c->set, c->ud, NULL, 2, c->n_out, c->which);
    if (best2.st) fail_msg("%s: %s", c->name, best2.msg);
    if (c->n && memcmp(best1.raw, best2.raw, c->n * hc_dtype_size(best1.dtype)))
        fail_msg("%s: 1 and 2 threads differ", c->name);
    static const char *levels[] = {"scalar", "avx2"};
    for (int l = 0; l < 2; l++) {
        cu_out o = cu_run(c->op, c->n_in, c->in, c->set, c->ud, levels[l], 2, c->n_out, c->which);
        if (o.st) fail_msg("%s (%s): %s", c->name, levels[l], o.msg);
        char what[160];
        snprintf(what, sizeof what, "%s (%s)", c->name, levels[l]);
        cu_check(what, o.f, c->ref, c->mag, c->n, c->f16);
        cu_check_pair(what, best1.f, o.f, c->ref, c->mag, c->n, c->f16);
        if (l == 1 && c->n && memcmp(best1.raw, o.raw, c->n * hc_dtype_size(o.dtype)))
            fail_msg("%s: AVX2 and the best SIMD level differ", what);
        cu_out_free(&o);
    }
    cu_out_free(&best2);
    cu_out_free(&best1);
}

/* Expect op to fail with status st (and a message naming the node "op"). */
static inline void cu_expect_fail(const char *op, int n_in, const cu_tensor *in, cu_attr_fn set,
                                  const void *ud, hc_status st, const char *needle) {
    cu_out o = cu_run(op, n_in, in, set, ud, NULL, 1, 1, 0);
    if (o.st == HC_OK) fail_msg("%s: expected failure '%s', got success", op, needle);
    if (HC_STATUS_PRIMARY(o.st) != st)
        fail_msg("%s: expected status %d, got %d: %s", op, (int)st, (int)o.st, o.msg);
    if (needle && !strstr(o.msg, needle))
        fail_msg("%s: message '%s' does not mention '%s'", op, o.msg, needle);
    if (!strstr(o.msg, "op")) fail_msg("%s: message '%s' does not name the node", op, o.msg);
    cu_out_free(&o);
}
#endif
