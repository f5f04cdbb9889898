/* ew_test.h - helpers for the elementwise and reduce kernel tests: run one op through a real
 * session under a CPU level (HC_CPU) and thread count, tensors of any dtype filled from
 * doubles, NumPy broadcasting for references, and tolerant comparisons. Header-only (static),
 * included by tests/kernels/test_elementwise*.c and test_reduce.c. */
#ifndef HC_TEST_EW_TEST_H
#define HC_TEST_EW_TEST_H

#include "common/oprun.h"

#include "base/fp16.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A run configuration: CPU level cap ("" = the machine's best) and threads. */
typedef struct ew_cfg {
    const char *cpu;
    int threads;
} ew_cfg;

static const ew_cfg EW_CFGS[] = {{"scalar", 1}, {"avx2", 1}, {"", 1}, {"", 2}, {"scalar", 2}};
#define EW_NCFG ((int)(sizeof EW_CFGS / sizeof EW_CFGS[0]))

typedef void (*ew_attrs)(oprun *r, const void *user);

typedef struct ew_out {
    hc_status st;
    hc_tensor t; /* t.data points at data */
    void *data;
    char msg[768];
} ew_out;

static uint64_t ew_rng = 0x9e3779b97f4a7c15ull;

static inline uint64_t ew_next(void) {
    ew_rng ^= ew_rng >> 12;
    ew_rng ^= ew_rng << 25;
    ew_rng ^= ew_rng >> 27;
    return ew_rng * 2685821657736338717ull;
}

/* Uniform in [lo, hi). */
static inline double ew_uniform(double lo, double hi) {
    return lo + (hi - lo) * (double)(ew_next() >> 11) * (1.0 / 9007199254740992.0);
}

static inline int64_t ew_int(int64_t lo, int64_t hi) { /* [lo, hi] */
    return lo + (int64_t)(ew_next() % (uint64_t)(hi - lo + 1));
}

static inline size_t ew_elems(int rank, const int64_t *dims) {
    size_t n = 1;
    for (int d = 0; d < rank; d++)
        n *= (size_t)dims[d];
    return n;
}

static inline size_t ew_tensor_elems(const hc_tensor *t) {
    return ew_elems(t->rank, t->dims);
}

/* Element i of t as double (float, half, double, ints, bool). */
static inline double ew_get(const hc_tensor *t, size_t i) {
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case HC_DT_FLOAT: {
        float f;
        memcpy(&f, p + 4 * i, 4);
        return f;
    }
    case HC_DT_HALF: {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        return hc_f16_to_f32(h);
    }
    case HC_DT_DOUBLE: {
        double d;
        memcpy(&d, p + 8 * i, 8);
        return d;
    }
    case HC_DT_INT32: {
        int32_t v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case HC_DT_INT64: {
        int64_t v;
        memcpy(&v, p + 8 * i, 8);
        return (double)v;
    }
    case HC_DT_INT16: {
        int16_t v;
        memcpy(&v, p + 2 * i, 2);
        return v;
    }
    case HC_DT_UINT16: {
        uint16_t v;
        memcpy(&v, p + 2 * i, 2);
        return v;
    }
    case HC_DT_INT8:
        return (int8_t)p[i];
    case HC_DT_UINT8:
    case HC_DT_BOOL:
        return p[i];
    default:
        fail_msg("ew_get: dtype %s", hc_dtype_name(t->dtype));
        return 0;
    }
}

static inline int64_t ew_get_i64(const hc_tensor *t, size_t i) {
    if (t->dtype == HC_DT_INT64) {
        int64_t v;
        memcpy(&v, (const uint8_t *)t->data + 8 * i, 8);
        return v;
    }
    return (int64_t)ew_get(t, i);
}

/* Store v as dtype dt at element i (floats round to nearest, ints truncate). */
static inline void ew_put(void *data, hc_dtype dt, size_t i, double v) {
    uint8_t *p = data;
    switch (dt) {
    case HC_DT_FLOAT: {
        float f = (float)v;
        memcpy(p + 4 * i, &f, 4);
        break;
    }
    case HC_DT_HALF: {
        uint16_t h = hc_f32_to_f16((float)v);
        memcpy(p + 2 * i, &h, 2);
        break;
    }
    case HC_DT_DOUBLE:
        memcpy(p + 8 * i, &v, 8);
        break;
    case HC_DT_INT32: {
        int32_t x = (int32_t)v;
        memcpy(p + 4 * i, &x, 4);
        break;
    }
    case HC_DT_INT64: {
        int64_t x = (int64_t)v;
        memcpy(p + 8 * i, &x, 8);
        break;
    }
    case HC_DT_INT16: {
        int16_t x = (int16_t)(int64_t)v;
        memcpy(p + 2 * i, &x, 2);
        break;
    }
    case HC_DT_UINT16: {
        uint16_t x = (uint16_t)(int64_t)v;
        memcpy(p + 2 * i, &x, 2);
        break;
    }
    case HC_DT_INT8:
        p[i] = (uint8_t)(int64_t)v;
        break;
    case HC_DT_UINT8:
        p[i] = (uint8_t)(int64_t)v; /* wraps, as the tests intend */
        break;
    case HC_DT_BOOL:
        p[i] = v != 0;
        break;
    default:
        fail_msg("ew_put: dtype %s", hc_dtype_name(dt));
    }
}

/* A tensor of dt with malloc'd data filled by gen(i) (NULL: zeros). Free with ew_free. */
static inline hc_tensor ew_tensor(hc_dtype dt, int rank, const int64_t *dims,
                                  double (*gen)(size_t)) {
    size_t n = ew_elems(rank, dims), esz = hc_dtype_size(dt);
    void *data = calloc(n ? n : 1, esz);
    for (size_t i = 0; gen && i < n; i++)
        ew_put(data, dt, i, gen(i));
    return tensor_of(dt, rank, dims, data);
}

static inline void ew_free(hc_tensor *t) {
    free((void *)t->data);
    t->data = NULL;
}

static inline void ew_set_cpu(const char *cpu) {
    if (cpu && *cpu)
        setenv("HC_CPU", cpu, 1);
    else
        unsetenv("HC_CPU");
}

/* Run op on inputs under cfg; the output (port 0) is copied out. */
static inline ew_out ew_run(const char *op, int n_in, const hc_tensor *in, ew_attrs attrs,
                            const void *user, const ew_cfg *cfg) {
    ew_set_cpu(cfg->cpu);
    oprun r;
    oprun_init(&r, op, n_in, in);
    hc_ctx_set_threads(r.t.ctx, cfg->threads);
    if (attrs) attrs(&r, user);
    ew_out o;
    memset(&o, 0, sizeof o);
    o.st = oprun_exec(&r, 1);
    if (o.st) {
        snprintf(o.msg, sizeof o.msg, "%s", hc_ctx_message(r.t.ctx));
    } else {
        o.t = oprun_out(&r, 0);
        size_t bytes = ew_tensor_elems(&o.t) * hc_dtype_size(o.t.dtype);
        o.data = malloc(bytes ? bytes : 1);
        if (bytes) memcpy(o.data, o.t.data, bytes);
        o.t.data = o.data;
    }
    oprun_fini(&r);
    ew_set_cpu(NULL);
    return o;
}

static inline void ew_out_free(ew_out *o) {
    free(o->data);
    o->data = NULL;
}

/* Attribute setter: T = the dtype pointed to by user. */
static inline void ew_attr_t(oprun *r, const void *user) {
    hc_gb_type(&r->t.g, r->node, "T", *(const hc_dtype *)user);
}

/* Offset into `in` of output element oi when in is broadcast to odims (right-aligned). */
static inline size_t ew_bidx(int orank, const int64_t *odims, size_t oi, const hc_tensor *in) {
    size_t off = 0, mul = 1;
    for (int d = orank - 1; d >= 0; d--) {
        size_t idx = oi % (size_t)odims[d];
        oi /= (size_t)odims[d];
        int id = d - (orank - in->rank);
        if (id < 0) continue;
        if (in->dims[id] != 1) off += idx * mul;
        mul *= (size_t)in->dims[id];
    }
    return off;
}

/* |got - want| <= abs + rel |want|; NaN matches NaN, infinities match exactly. */
static inline int ew_close(double got, double want, double rel, double abs_tol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= abs_tol + rel * fabs(want);
}

/* Outputs of two runs are bit-identical. */
static inline void ew_assert_same(const ew_out *a, const ew_out *b, const char *what) {
    if (a->st || b->st) fail_msg("%s: %s %s", what, a->msg, b->msg);
    if (a->t.dtype != b->t.dtype || a->t.rank != b->t.rank) fail_msg("%s: dtype/rank differ", what);
    size_t n = ew_tensor_elems(&a->t) * hc_dtype_size(a->t.dtype);
    if (n && memcmp(a->t.data, b->t.data, n) != 0) fail_msg("%s: outputs differ", what);
}

static inline void ew_shape_str(int rank, const int64_t *dims, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < rank && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, d ? ",%lld" : "%lld", (long long)dims[d]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}
#endif
