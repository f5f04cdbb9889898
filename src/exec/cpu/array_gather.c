/* array_gather.c - ops that pick elements by index: Gather, GatherV2 (axis, batch_dims),
 * GatherNd, OneHot and Where. An index out of range is an error naming the index, as on TF's
 * CPU (gather_op.cc, gather_nd_op.cc); OneHot leaves out-of-range indices all off
 * (one_hot_op.h); Where lists coordinates in row-major order (where_op.cc). */
#include "exec/cpu/array.h"

#include <stdio.h>

/* Indices as int64 in scratch memory of at least `room` entries (freed by the caller with
 * hc_k_scratch_free). */
static hc_status read_indices(hc_kernel_ctx *k, uint32_t i, int64_t room, int64_t **out,
                              int64_t *n) {
    const hc_val *v = &k->in[i];
    int64_t c = hc_val_elems(v), x;
    if (c > 0 && !hc_arr_index_at(v, 0, &x))
        return hc_k_fail(k, HC_TYPE, "indices must be int16, int32 or int64, not %s",
                         hc_dtype_name(v->dtype));
    *out = hc_k_scratch(k, (size_t)HC_MAX(HC_MAX(c, room), 1) * sizeof(int64_t));
    if (!*out) return k->ctx->status;
    for (int64_t j = 0; j < c; j++)
        hc_arr_index_at(v, j, &(*out)[j]);
    *n = c;
    return HC_OK;
}

/* "2,0" - the coordinates of flat element i of v, for messages. */
static const char *coords(char *buf, size_t n, const hc_val *v, int rank, int64_t i) {
    int64_t c[HC_MAX_RANK];
    for (int d = rank - 1; d >= 0; d--) {
        c[d] = v->dims[d] ? i % v->dims[d] : 0;
        i = v->dims[d] ? i / v->dims[d] : 0;
    }
    hc_arr_dims_str(buf, n, rank, c);
    size_t len = strlen(buf);
    if (len >= 2) { /* drop the brackets */
        memmove(buf, buf + 1, len - 2);
        buf[len - 2] = 0;
    }
    return buf;
}

typedef struct gather_job {
    const uint8_t *params;
    uint8_t *out;
    const int64_t *idx;
    size_t outer, nidx, axis_n, row; /* per batch: outer x nidx rows of `row` bytes */
} gather_job;

/* Unit u = (batch * outer + o) * nidx + j. */
static void gather_run(void *arg, size_t b, size_t e) {
    const gather_job *g = arg;
    for (size_t u = b; u < e; u++) {
        size_t j = u % g->nidx, bo = u / g->nidx, batch = bo / g->outer;
        size_t src = bo * g->axis_n + (size_t)g->idx[batch * g->nidx + j];
        memcpy(g->out + u * g->row, g->params + src * g->row, g->row);
    }
}

static size_t prod(const int64_t *d, int from, int to) {
    size_t p = 1;
    for (int i = from; i < to; i++)
        p *= (size_t)d[i];
    return p;
}

static hc_status gather_core(hc_kernel_ctx *k, int axis, int bd) {
    const hc_val *p = &k->in[0], *iv = &k->in[1];
    size_t esz;
    hc_status st = hc_arr_esz(k, 0, &esz);
    if (st) return st;
    int orank = p->rank - 1 + iv->rank - bd;
    if (orank > HC_MAX_RANK) return hc_k_fail(k, HC_LIMIT, "output rank exceeds %d", HC_MAX_RANK);
    int64_t dims[HC_MAX_RANK];
    int o = 0;
    for (int d = 0; d < axis; d++)
        dims[o++] = p->dims[d];
    for (int d = bd; d < iv->rank; d++)
        dims[o++] = iv->dims[d];
    for (int d = axis + 1; d < p->rank; d++)
        dims[o++] = p->dims[d];
    int64_t *idx = NULL, n = 0, lim = p->dims[axis];
    if ((st = read_indices(k, 1, 0, &idx, &n))) return st;
    for (int64_t i = 0; i < n && !st; i++)
        if (idx[i] < 0 || idx[i] >= lim) {
            char b[96];
            st = hc_k_fail(k, HC_INVALID, "indices[%s] = %lld is not in [0, %lld)",
                           coords(b, sizeof b, iv, iv->rank, i), (long long)idx[i], (long long)lim);
        }
    if (!st) st = hc_k_alloc(k, 0, p->dtype, orank, dims);
    gather_job g = {p->data,
                    k->out[0].data,
                    idx,
                    prod(p->dims, bd, axis),
                    prod(iv->dims, bd, iv->rank),
                    (size_t)lim,
                    prod(p->dims, axis + 1, p->rank) * esz};
    size_t units = prod(p->dims, 0, bd) * g.outer * g.nidx;
    if (!st && g.row && units) hc_arr_parallel(k, units, units * g.row, gather_run, &g);
    hc_k_scratch_free(k, idx);
    return st;
}

static hc_status gather_args(hc_kernel_ctx *k, int64_t axis_v, bool has_axis) {
    const hc_val *p = &k->in[0], *iv = &k->in[1];
    if (p->rank < 1) return hc_k_fail(k, HC_INVALID, "params must be at least 1 dimensional");
    int64_t bd = hc_k_attr_int(k->node, "batch_dims", 0);
    int axis;
    hc_status st = hc_arr_axis(k, axis_v, p->rank, "axis", &axis);
    if (st) return st;
    if (bd != 0) {
        if (bd < -(int64_t)iv->rank || bd > iv->rank)
            return hc_k_fail(k, HC_INVALID,
                             "expected batch_dims in the range [%d, %d], but got %lld",
                             -(int)iv->rank, (int)iv->rank, (long long)bd);
        if (bd < 0) bd += iv->rank;
        if (!has_axis) axis = (int)bd;
        if (bd >= p->rank)
            return hc_k_fail(k, HC_INVALID, "batch_dims (%lld) must be less than rank(params) (%d)",
                             (long long)bd, (int)p->rank);
        if (axis < bd)
            return hc_k_fail(k, HC_INVALID,
                             "batch_dims (%lld) must be less than or equal to axis "
                             "(%d)",
                             (long long)bd, axis);
        for (int i = 0; i < bd; i++)
            if (p->dims[i] != iv->dims[i])
                return hc_k_fail(k, HC_INVALID,
                                 "params.shape[%d]: %lld should be equal to "
                                 "indices.shape[%d]: %lld",
                                 i, (long long)p->dims[i], i, (long long)iv->dims[i]);
    }
    return gather_core(k, axis, (int)bd);
}

hc_status hc_arr_gather(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    return st ? st : gather_args(k, 0, false);
}

hc_status hc_arr_gather_v2(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 3);
    int64_t axis;
    if (st || (st = hc_arr_int_scalar(k, 2, "axis", &axis))) return st;
    return gather_args(k, axis, true);
}

/* ---- GatherNd ------------------------------------------------------------------------ */

typedef struct gnd_job {
    const uint8_t *params;
    uint8_t *out;
    const int64_t *off; /* per slice: source offset in slices */
    size_t row;
} gnd_job;

static void gnd_run(void *arg, size_t b, size_t e) {
    const gnd_job *g = arg;
    for (size_t u = b; u < e; u++)
        memcpy(g->out + u * g->row, g->params + (size_t)g->off[u] * g->row, g->row);
}

/* Turn each index row into a slice offset (in place: off[n] overwrites idx[n*K]). */
static hc_status gnd_offsets(hc_kernel_ctx *k, int64_t *idx, int64_t ns, int K) {
    const hc_val *p = &k->in[0], *iv = &k->in[1];
    for (int64_t n = 0; n < ns; n++) {
        int64_t off = 0;
        for (int j = 0; j < K; j++) {
            int64_t x = idx[n * K + j];
            if (x < 0 || x >= p->dims[j]) {
                char a[96], b[96], c[96];
                hc_val row = {.rank = K, .dims = {0}};
                for (int t = 0; t < K; t++)
                    row.dims[t] = idx[n * K + t];
                return hc_k_fail(k, HC_INVALID,
                                 "indices[%s] = %s does not index into param shape %s",
                                 coords(a, sizeof a, iv, iv->rank - 1, n),
                                 hc_arr_dims_str(b, sizeof b, K, row.dims),
                                 hc_arr_dims_str(c, sizeof c, p->rank, p->dims));
            }
            off = off * p->dims[j] + x;
        }
        idx[n] = off;
    }
    return HC_OK;
}

hc_status hc_arr_gather_nd(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *p = &k->in[0], *iv = &k->in[1];
    if (p->rank < 1) return hc_k_fail(k, HC_INVALID, "params must be at least a vector");
    if (iv->rank < 1) return hc_k_fail(k, HC_INVALID, "indices must be at least a vector");
    int K = (int)iv->dims[iv->rank - 1];
    if (iv->dims[iv->rank - 1] > p->rank)
        return hc_k_fail(k, HC_INVALID,
                         "index innermost dimension length must be <= params rank; "
                         "saw: %lld vs. %d",
                         (long long)iv->dims[iv->rank - 1], (int)p->rank);
    int orank = iv->rank - 1 + p->rank - K;
    if (orank > HC_MAX_RANK) return hc_k_fail(k, HC_LIMIT, "output rank exceeds %d", HC_MAX_RANK);
    int64_t dims[HC_MAX_RANK];
    int o = 0;
    for (int d = 0; d < iv->rank - 1; d++)
        dims[o++] = iv->dims[d];
    for (int d = K; d < p->rank; d++)
        dims[o++] = p->dims[d];
    int64_t ns = (int64_t)prod(iv->dims, 0, iv->rank - 1), *idx = NULL, n = 0;
    if (ns > 0 && hc_val_elems(p) == 0)
        return hc_k_fail(k, HC_INVALID, "requested more than 0 entries, but params is empty");
    /* K == 0 has no index values but one (whole-params) slice per row. */
    if ((st = read_indices(k, 1, ns, &idx, &n))) return st;
    if (K == 0)
        for (int64_t i = 0; i < ns; i++)
            idx[i] = 0; /* every slice is the whole params */
    else
        st = gnd_offsets(k, idx, ns, K);
    if (!st) st = hc_k_alloc(k, 0, p->dtype, orank, dims);
    gnd_job g = {p->data, k->out[0].data, idx, prod(p->dims, K, p->rank) * esz};
    if (!st && g.row && ns) hc_arr_parallel(k, (size_t)ns, (size_t)ns * g.row, gnd_run, &g);
    hc_k_scratch_free(k, idx);
    return st;
}

/* ---- OneHot --------------------------------------------------------------------------- */

hc_status hc_arr_one_hot(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 4);
    size_t esz;
    int64_t depth;
    if (st || (st = hc_arr_esz(k, 2, &esz)) || (st = hc_arr_int_scalar(k, 1, "depth", &depth)))
        return st;
    const hc_val *iv = &k->in[0], *on = &k->in[2], *off = &k->in[3];
    if (k->in[1].rank != 0) return hc_k_fail(k, HC_INVALID, "depth must be a scalar");
    if (on->rank != 0 || off->rank != 0 || off->dtype != on->dtype)
        return hc_k_fail(k, HC_INVALID, "on_value and off_value must be scalars of one dtype");
    if (depth < 0)
        return hc_k_fail(k, HC_INVALID, "depth must be non-negative, got %lld", (long long)depth);
    int64_t axis = hc_k_attr_int(k->node, "axis", -1);
    int odims = iv->rank + 1;
    if (axis != -1 && (axis < 0 || axis >= odims))
        return hc_k_fail(k, HC_INVALID,
                         "expected axis to be -1 or between [0, %d), but received "
                         "%lld",
                         odims, (long long)axis);
    if (odims > HC_MAX_RANK) return hc_k_fail(k, HC_LIMIT, "output rank exceeds %d", HC_MAX_RANK);
    int ax = axis == -1 ? iv->rank : (int)axis;
    int64_t dims[HC_MAX_RANK];
    for (int d = 0, i = 0; d < odims; d++)
        dims[d] = d == ax ? depth : iv->dims[i++];
    int64_t *idx = NULL, n = 0;
    if ((st = read_indices(k, 0, 0, &idx, &n))) return st;
    if (!(st = hc_k_alloc(k, 0, on->dtype, odims, dims)) && hc_val_elems(&k->out[0])) {
        uint8_t *o = k->out[0].data;
        hc_arr_fill(o, off->data, esz, (size_t)hc_val_elems(&k->out[0]));
        int64_t suffix = (int64_t)prod(iv->dims, ax, iv->rank);
        for (int64_t i = 0; i < n; i++) {
            if (idx[i] < 0 || idx[i] >= depth) continue;
            int64_t pre = i / suffix, s = i % suffix;
            memcpy(o + (size_t)((pre * depth + idx[i]) * suffix + s) * esz, on->data, esz);
        }
    }
    hc_k_scratch_free(k, idx);
    return st;
}

/* ---- Where ---------------------------------------------------------------------------- */

/* How an element is tested for "true": integer bytes nonzero, or float bits nonzero apart
 * from the sign (so -0.0 is false and NaN true, as x != 0 in C++). */
typedef enum nz_kind { NZ_INT, NZ_FLOAT, NZ_COMPLEX } nz_kind;

static bool nz_kind_of(hc_dtype dt, nz_kind *kind) {
    switch (dt) {
    case HC_DT_HALF:
    case HC_DT_BFLOAT16:
    case HC_DT_FLOAT:
    case HC_DT_DOUBLE:
        *kind = NZ_FLOAT;
        return true;
    case HC_DT_COMPLEX64:
    case HC_DT_COMPLEX128:
        *kind = NZ_COMPLEX;
        return true;
    case HC_DT_BOOL:
    case HC_DT_INT8:
    case HC_DT_UINT8:
    case HC_DT_INT16:
    case HC_DT_UINT16:
    case HC_DT_INT32:
    case HC_DT_UINT32:
    case HC_DT_INT64:
    case HC_DT_UINT64:
    case HC_DT_QINT8:
    case HC_DT_QUINT8:
    case HC_DT_QINT16:
    case HC_DT_QUINT16:
    case HC_DT_QINT32:
        *kind = NZ_INT;
        return true;
    default:
        return false;
    }
}

/* Element at p of esz bytes (little-endian) is nonzero; for floats the top bit is the sign. */
static bool nonzero(const uint8_t *p, size_t esz, nz_kind kind) {
    if (kind == NZ_COMPLEX)
        return nonzero(p, esz / 2, NZ_FLOAT) || nonzero(p + esz / 2, esz / 2, NZ_FLOAT);
    for (size_t i = 0; i + 1 < esz; i++)
        if (p[i]) return true;
    return (p[esz - 1] & (kind == NZ_FLOAT ? 0x7f : 0xff)) != 0;
}

hc_status hc_arr_where(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 1);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *in = &k->in[0];
    nz_kind kind;
    if (!nz_kind_of(in->dtype, &kind))
        return hc_k_fail(k, HC_UNSUPPORTED, "Where of %s is not supported",
                         hc_dtype_name(in->dtype));
    const uint8_t *p = in->data;
    int64_t total = hc_val_elems(in), count = 0;
    for (int64_t i = 0; i < total; i++)
        count += nonzero(p + (size_t)i * esz, esz, kind);
    int64_t dims[2] = {count, in->rank};
    if ((st = hc_k_alloc(k, 0, HC_DT_INT64, 2, dims))) return st;
    int64_t *o = k->out[0].data, idx[HC_MAX_RANK] = {0};
    if (in->rank == 0) return HC_OK; /* [count, 0]: no coordinates to write */
    for (int64_t i = 0; i < total; i++) {
        if (nonzero(p + (size_t)i * esz, esz, kind)) {
            memcpy(o, idx, (size_t)in->rank * sizeof *o);
            o += in->rank;
        }
        for (int d = in->rank - 1; d >= 0; d--) {
            if (++idx[d] < in->dims[d]) break;
            idx[d] = 0;
        }
    }
    return HC_OK;
}
