/* pshape.h - partially known shapes (TensorFlow's PartialTensorShape) for the TensorArray and
 * TensorList kernels: unknown rank, unknown dimensions (-1), merging and compatibility. */
#ifndef HC_EXEC_CPU_PSHAPE_H
#define HC_EXEC_CPU_PSHAPE_H

#include "exec/exec.h"

#include <stdio.h>

/* hc_k_fail whose value is visibly the status (so static analysis sees a failure). */
#ifndef HC_KFAIL
#define HC_KFAIL(k, st, ...) ((void)hc_k_fail((k), (st), __VA_ARGS__), (hc_status)(st))
#endif

typedef struct hc_pshape {
    int32_t rank; /* -1: unknown rank */
    int64_t dims[HC_MAX_RANK];
} hc_pshape;

static inline hc_pshape hc_pshape_unknown(void) {
    hc_pshape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

static inline hc_pshape hc_pshape_of(const hc_val *v) {
    hc_pshape s;
    memset(&s, 0, sizeof s);
    s.rank = v->rank;
    for (int32_t i = 0; i < v->rank; i++)
        s.dims[i] = v->dims[i];
    return s;
}

static inline bool hc_pshape_full(const hc_pshape *s) {
    if (s->rank < 0) return false;
    for (int32_t i = 0; i < s->rank; i++)
        if (s->dims[i] < 0) return false;
    return true;
}

/* PartialTensorShape::IsCompatibleWith. */
static inline bool hc_pshape_compatible(const hc_pshape *a, const hc_pshape *b) {
    if (a->rank < 0 || b->rank < 0) return true;
    if (a->rank != b->rank) return false;
    for (int32_t i = 0; i < a->rank; i++)
        if (a->dims[i] >= 0 && b->dims[i] >= 0 && a->dims[i] != b->dims[i]) return false;
    return true;
}

static inline bool hc_pshape_fits(const hc_pshape *s, const hc_val *v) {
    hc_pshape t = hc_pshape_of(v);
    return hc_pshape_compatible(s, &t);
}

/* PartialTensorShape::MergeWith: false when the shapes are incompatible. */
static inline bool hc_pshape_merge(const hc_pshape *a, const hc_pshape *b, hc_pshape *out) {
    if (!hc_pshape_compatible(a, b)) return false;
    hc_pshape m = a->rank < 0 ? *b : *a;
    for (int32_t i = 0; a->rank >= 0 && b->rank >= 0 && i < a->rank; i++)
        if (m.dims[i] < 0) m.dims[i] = b->dims[i];
    *out = m;
    return true;
}

/* "[2,?,3]" or "<unknown>" into buf. */
static inline const char *hc_pshape_str(const hc_pshape *s, char *buf, size_t n) {
    if (s->rank < 0) {
        snprintf(buf, n, "<unknown>");
        return buf;
    }
    size_t at = 0;
    at += (size_t)snprintf(buf, n, "[");
    for (int32_t i = 0; i < s->rank && at < n; i++) {
        if (s->dims[i] < 0)
            at += (size_t)snprintf(buf + at, n - at, "%s?", i ? "," : "");
        else
            at += (size_t)snprintf(buf + at, n - at, "%s%lld", i ? "," : "", (long long)s->dims[i]);
    }
    if (at < n) snprintf(buf + at, n - at, "]");
    return buf;
}

/* A shape attribute (absent: unknown). False when its rank is beyond HC_MAX_RANK. */
static inline bool hc_pshape_attr(const hc_node *n, const char *name, hc_pshape *out) {
    *out = hc_pshape_unknown();
    const hc_attr *a = hc_node_attr(n, name);
    if (!a || a->kind != HC_ATTR_SHAPE || a->u.shape.rank < 0) return true;
    if (a->u.shape.rank > HC_MAX_RANK) return false;
    out->rank = a->u.shape.rank;
    for (int32_t i = 0; i < out->rank; i++)
        out->dims[i] = a->u.shape.dims[i] < 0 ? -1 : a->u.shape.dims[i];
    return true;
}

/* TensorShapeFromTensor: a scalar -1 is the unknown shape; else an int32/int64 vector of
 * dimensions, -1 for unknown ones. */
static inline hc_status hc_pshape_from_val(hc_kernel_ctx *k, const hc_val *v, hc_pshape *out) {
    *out = hc_pshape_unknown();
    if (v->dtype != HC_DT_INT32 && v->dtype != HC_DT_INT64)
        return HC_KFAIL(k, HC_INVALID, "a shape tensor must be int32 or int64, got %s",
                        hc_dtype_name(v->dtype));
    int64_t x;
    if (v->rank == 0) {
        if (hc_k_int_at(v, 0, &x) && x == -1) return HC_OK;
        return HC_KFAIL(k, HC_INVALID, "the only valid scalar shape tensor is -1 (unknown)");
    }
    if (v->rank != 1) return HC_KFAIL(k, HC_INVALID, "a shape tensor must be a vector");
    if (v->dims[0] > HC_MAX_RANK)
        return HC_KFAIL(k, HC_LIMIT, "shape rank %lld is beyond %d", (long long)v->dims[0],
                        HC_MAX_RANK);
    out->rank = (int32_t)v->dims[0];
    for (int32_t i = 0; i < out->rank; i++) {
        hc_k_int_at(v, i, &x);
        if (x < -1)
            return HC_KFAIL(k, HC_INVALID, "invalid dimension %lld in a shape", (long long)x);
        out->dims[i] = x;
    }
    return HC_OK;
}

/* Allocate output `out` of dtype dt with shape [lead] + s (s fully known), zero-filled. */
static inline hc_status hc_pshape_alloc_zeros(hc_kernel_ctx *k, uint32_t out, hc_dtype dt,
                                              int64_t lead, bool has_lead, const hc_pshape *s) {
    int64_t dims[HC_MAX_RANK + 1];
    int rank = 0;
    if (has_lead) dims[rank++] = lead;
    if (s->rank + rank > HC_MAX_RANK)
        return HC_KFAIL(k, HC_LIMIT, "output rank is beyond %d", HC_MAX_RANK);
    for (int32_t i = 0; i < s->rank; i++)
        dims[rank++] = s->dims[i];
    hc_status st = hc_k_alloc(k, out, dt, rank, dims);
    if (!st && k->out[out].data) memset(k->out[out].data, 0, hc_val_bytes(&k->out[out]));
    return st;
}
#endif
