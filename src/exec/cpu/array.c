/* array.c - the array kernel family's table (see kernel.h, array.h) and its shape-only ops:
 * Reshape, Squeeze and ExpandDims (views of their input, no copy), Shape, ShapeN, Size, Rank,
 * Fill and Range. The data-movement kernels live in array_*.c. */
#include "exec/cpu/array.h"

#include <math.h>

/* ---- Reshape, Squeeze, ExpandDims: the data does not move ---------------------------- */

/* TF's rule (reshape_op.h): one -1 is inferred; zero sizes are left out of the product so
 * the other sizes can still be inferred from an empty input. */
static hc_status reshape(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    if (st) return st;
    int64_t sz[HC_MAX_RANK], n;
    if ((st = hc_arr_int_vec(k, 1, "shape", true, sz, HC_MAX_RANK, &n))) return st;
    int64_t product = 1, unknown = -1;
    bool has_zero = false;
    for (int64_t d = 0; d < n; d++) {
        if (sz[d] == -1) {
            if (unknown >= 0)
                return hc_k_fail(k, HC_INVALID,
                                 "only one input size may be -1, not both %lld and %lld",
                                 (long long)unknown, (long long)d);
            unknown = d;
        } else if (sz[d] < 0) {
            return hc_k_fail(k, HC_INVALID, "size %lld must be non-negative, not %lld",
                             (long long)d, (long long)sz[d]);
        } else if (sz[d] == 0) {
            has_zero = true;
        } else if (!hc_mul_i64(product, sz[d], &product)) {
            return hc_k_fail(k, HC_LIMIT, "shape overflows");
        }
    }
    const hc_val *in = &k->in[0];
    if (unknown >= 0) {
        int64_t elems = 1;
        bool in_zero = false;
        for (int d = 0; d < in->rank; d++) {
            if (in->dims[d] > 0 || !has_zero)
                elems *= in->dims[d];
            else
                in_zero = true;
        }
        int64_t missing = elems / product;
        if (!in_zero && product * missing != elems)
            return hc_k_fail(k, HC_INVALID,
                             "input has %lld values, but the requested shape requires a multiple "
                             "of %lld",
                             (long long)elems, (long long)product);
        sz[unknown] = missing;
    }
    int64_t want = 1;
    for (int64_t d = 0; d < n; d++)
        if (!hc_mul_i64(want, sz[d], &want)) return hc_k_fail(k, HC_LIMIT, "shape overflows");
    if (want != hc_val_elems(in))
        return hc_k_fail(k, HC_INVALID,
                         "input to reshape is a tensor with %lld values, but the "
                         "requested shape has %lld",
                         (long long)hc_val_elems(in), (long long)want);
    return hc_k_view(k, 0, 0, (int)n, sz);
}

typedef struct squeeze_state {
    size_t n;
    const int64_t *dims;
} squeeze_state;

static hc_status squeeze_prepare(hc_kernel_prep *p) {
    squeeze_state *s = hc_arena_alloc(p->arena, sizeof *s);
    if (!s) return HC_NOMEM;
    const hc_attr *a = hc_node_attr(p->node, "squeeze_dims");
    if (a && a->kind != HC_ATTR_NONE && !hc_k_attr_ints(p->node, "squeeze_dims", &s->dims, &s->n))
        return hc_kp_fail(p, HC_MALFORMED, "squeeze_dims is not a list of ints");
    p->state = s;
    return HC_OK;
}

static hc_status squeeze(hc_kernel_ctx *k) {
    const squeeze_state *s = k->state;
    const hc_val *in = &k->in[0];
    bool drop[HC_MAX_RANK] = {false};
    for (size_t i = 0; s && i < s->n; i++) {
        int a;
        hc_status st = hc_arr_axis(k, s->dims[i], in->rank, "squeeze dimension", &a);
        if (st) return st;
        if (in->dims[a] != 1)
            return hc_k_fail(k, HC_INVALID,
                             "can not squeeze dim[%d], expected a dimension of 1, got %lld", a,
                             (long long)in->dims[a]);
        drop[a] = true;
    }
    int64_t dims[HC_MAX_RANK];
    int r = 0;
    for (int d = 0; d < in->rank; d++) {
        bool all = !s || s->n == 0;
        if (drop[d] || (all && in->dims[d] == 1)) continue;
        dims[r++] = in->dims[d];
    }
    return hc_k_view(k, 0, 0, r, dims);
}

static hc_status expand_dims(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    int64_t dim;
    if (st || (st = hc_arr_int_scalar(k, 1, "dim", &dim))) return st;
    const hc_val *in = &k->in[0];
    if (dim < -1 - (int64_t)in->rank || dim > in->rank)
        return hc_k_fail(k, HC_INVALID,
                         "tried to expand dim index %lld for tensor with %d dimensions",
                         (long long)dim, (int)in->rank);
    if (in->rank >= HC_MAX_RANK)
        return hc_k_fail(k, HC_LIMIT, "output rank would exceed %d", HC_MAX_RANK);
    int at = (int)(dim < 0 ? dim + in->rank + 1 : dim);
    int64_t dims[HC_MAX_RANK];
    for (int d = 0, o = 0; d <= in->rank; d++)
        dims[d] = d == at ? 1 : in->dims[o++];
    return hc_k_view(k, 0, 0, in->rank + 1, dims);
}

/* ---- Shape, ShapeN, Size, Rank ------------------------------------------------------- */

static hc_status put_ints(hc_kernel_ctx *k, uint32_t out, hc_dtype dt, int rank, const int64_t *v,
                          int64_t n) {
    if (dt != HC_DT_INT32 && dt != HC_DT_INT64)
        return hc_k_fail(k, HC_TYPE, "out_type must be int32 or int64, not %s", hc_dtype_name(dt));
    int64_t dims[1] = {n};
    hc_status st = hc_k_alloc(k, out, dt, rank, dims);
    if (st) return st;
    uint8_t *p = k->out[out].data;
    for (int64_t i = 0; i < n; i++) {
        if (dt == HC_DT_INT64) {
            memcpy(p + 8 * i, &v[i], 8);
            continue;
        }
        if (v[i] > INT32_MAX)
            return hc_k_fail(k, HC_LIMIT, "value %lld does not fit out_type int32",
                             (long long)v[i]);
        int32_t x = (int32_t)v[i];
        memcpy(p + 4 * i, &x, 4);
    }
    return HC_OK;
}

static hc_status shape(hc_kernel_ctx *k) {
    hc_dtype dt = hc_k_attr_type(k->node, "out_type", HC_DT_INT32);
    return put_ints(k, 0, dt, 1, k->in[0].dims, k->in[0].rank);
}

static hc_status shape_n(hc_kernel_ctx *k) {
    if (k->n_in != k->n_out)
        return hc_k_fail(k, HC_MALFORMED, "has %u inputs but %u outputs", k->n_in, k->n_out);
    hc_dtype dt = hc_k_attr_type(k->node, "out_type", HC_DT_INT32);
    for (uint32_t i = 0; i < k->n_in; i++) {
        hc_status st = put_ints(k, i, dt, 1, k->in[i].dims, k->in[i].rank);
        if (st) return st;
    }
    return HC_OK;
}

static hc_status size(hc_kernel_ctx *k) {
    hc_dtype dt = hc_k_attr_type(k->node, "out_type", HC_DT_INT32);
    int64_t n = hc_val_elems(&k->in[0]);
    return put_ints(k, 0, dt, 0, &n, 1);
}

static hc_status rank(hc_kernel_ctx *k) {
    int64_t r = k->in[0].rank;
    return put_ints(k, 0, HC_DT_INT32, 0, &r, 1);
}

/* ---- Fill, Range --------------------------------------------------------------------- */

static hc_status fill(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    int64_t dims[HC_MAX_RANK], n;
    size_t esz;
    if (st || (st = hc_arr_int_vec(k, 0, "dims", false, dims, HC_MAX_RANK, &n)) ||
        (st = hc_arr_esz(k, 1, &esz)))
        return st;
    if (k->in[1].rank != 0) return hc_k_fail(k, HC_INVALID, "value must be a scalar");
    for (int64_t d = 0; d < n; d++)
        if (dims[d] < 0)
            return hc_k_fail(k, HC_INVALID, "dimension %lld must be >= 0, got %lld", (long long)d,
                             (long long)dims[d]);
    if ((st = hc_k_alloc(k, 0, k->in[1].dtype, (int)n, dims))) return st;
    hc_arr_fill(k->out[0].data, k->in[1].data, esz, (size_t)hc_val_elems(&k->out[0]));
    return HC_OK;
}

/* TF's RangeOp (sequence_ops.cc): the count from |limit - start| and |delta| in the element
 * type, then val += delta per element (accumulated, not start + i * delta, so float ranges
 * round as TF's do). */
static hc_status range_check(hc_kernel_ctx *k, double s, double l, double d) {
    if (isnan(s) || isnan(l) || isnan(d))
        return hc_k_fail(k, HC_INVALID, "start, limit and delta must not be NaN");
    if (d == 0) return hc_k_fail(k, HC_INVALID, "requires delta != 0");
    if (d > 0 ? s > l : s < l)
        return hc_k_fail(k, HC_INVALID, "requires start %s limit when delta %s 0: %g/%g",
                         d > 0 ? "<=" : ">=", d > 0 ? ">" : "<", s, l);
    return HC_OK;
}

static hc_status range_alloc(hc_kernel_ctx *k, double count, int64_t *n) {
    if (!(count <= 1e15)) return hc_k_fail(k, HC_LIMIT, "range of %g values is too large", count);
    *n = (int64_t)count;
    return hc_k_alloc(k, 0, k->in[0].dtype, 1, n);
}

static hc_status range_int(hc_kernel_ctx *k) {
    int64_t v[3] = {0}, n = 0;
    for (int i = 0; i < 3; i++)
        hc_k_int_at(&k->in[i], 0, &v[i]);
    hc_status st = range_check(k, (double)v[0], (double)v[1], (double)v[2]);
    if (st) return st;
    /* Count in unsigned integers: exact where doubles are not (large int64). */
    uint64_t span =
        v[1] >= v[0] ? (uint64_t)v[1] - (uint64_t)v[0] : (uint64_t)v[0] - (uint64_t)v[1];
    uint64_t ad = v[2] < 0 ? (uint64_t)0 - (uint64_t)v[2] : (uint64_t)v[2];
    uint64_t count = span / ad + (span % ad != 0 ? 1u : 0u);
    if ((st = range_alloc(k, (double)count, &n))) return st;
    uint8_t *p = k->out[0].data;
    int64_t val = v[0];
    for (int64_t i = 0; i < n; i++, val += v[2]) {
        if (k->in[0].dtype == HC_DT_INT64) {
            memcpy(p + 8 * i, &val, 8);
        } else {
            int32_t x = (int32_t)val;
            memcpy(p + 4 * i, &x, 4);
        }
    }
    return HC_OK;
}

static hc_status range_float(hc_kernel_ctx *k) {
    float s = hc_ld_f32(k->in[0].data), l = hc_ld_f32(k->in[1].data);
    float d = hc_ld_f32(k->in[2].data);
    int64_t n = 0;
    hc_status st = range_check(k, s, l, d);
    if (st || (st = range_alloc(k, (double)ceilf(fabsf((l - s) / d)), &n))) return st;
    uint8_t *o = k->out[0].data;
    float val = s;
    for (int64_t i = 0; i < n; i++, val += d)
        memcpy(o + 4 * i, &val, 4);
    return HC_OK;
}

static hc_status range_double(hc_kernel_ctx *k) {
    double v[3];
    int64_t n = 0;
    for (int i = 0; i < 3; i++)
        memcpy(&v[i], k->in[i].data, 8);
    hc_status st = range_check(k, v[0], v[1], v[2]);
    if (st || (st = range_alloc(k, ceil(fabs((v[1] - v[0]) / v[2])), &n))) return st;
    uint8_t *o = k->out[0].data;
    double val = v[0];
    for (int64_t i = 0; i < n; i++, val += v[2])
        memcpy(o + 8 * i, &val, 8);
    return HC_OK;
}

static hc_status range(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 3);
    if (st) return st;
    hc_dtype dt = k->in[0].dtype;
    static const char *const names[3] = {"start", "limit", "delta"};
    for (int i = 0; i < 3; i++) {
        if (k->in[i].dtype != dt)
            return hc_k_fail(k, HC_TYPE, "start, limit and delta differ in dtype");
        if (!(k->in[i].rank == 0 || (k->in[i].rank == 1 && k->in[i].dims[0] == 1)))
            return hc_k_fail(k, HC_INVALID, "%s must be a scalar", names[i]);
    }
    switch (dt) {
    case HC_DT_INT32:
    case HC_DT_INT64:
        return range_int(k);
    case HC_DT_FLOAT:
        return range_float(k);
    case HC_DT_DOUBLE:
        return range_double(k);
    default:
        return hc_k_fail(k, HC_UNSUPPORTED,
                         "Range of %s is not supported (TF's CPU kernel has float, double, int32 "
                         "and int64)",
                         hc_dtype_name(dt));
    }
}

/* Sorted by op name (strcmp order: registry.c binary-searches it). */
const hc_kernel hc_kernels_array[] = {
    {"BatchToSpaceND", NULL, hc_arr_batch_to_space},
    {"BroadcastTo", NULL, hc_arr_broadcast_to},
    {"Concat", NULL, hc_arr_concat},
    {"ConcatV2", NULL, hc_arr_concat_v2},
    {"DepthToSpace", hc_arr_block_prepare, hc_arr_depth_to_space},
    {"Dequantize", hc_arr_dequantize_prepare, hc_arr_dequantize},
    {"ExpandDims", NULL, expand_dims},
    {"Fill", NULL, fill},
    {"Gather", NULL, hc_arr_gather},
    {"GatherNd", NULL, hc_arr_gather_nd},
    {"GatherV2", NULL, hc_arr_gather_v2},
    {"MirrorPad", hc_arr_mirror_pad_prepare, hc_arr_mirror_pad},
    {"OneHot", NULL, hc_arr_one_hot},
    {"Pack", NULL, hc_arr_pack},
    {"Pad", NULL, hc_arr_pad},
    {"PadV2", NULL, hc_arr_pad_v2},
    {"Range", NULL, range},
    {"Rank", NULL, rank},
    {"Reshape", NULL, reshape},
    {"Reverse", NULL, hc_arr_reverse},
    {"ReverseV2", NULL, hc_arr_reverse_v2},
    {"Shape", NULL, shape},
    {"ShapeN", NULL, shape_n},
    {"Size", NULL, size},
    {"Slice", NULL, hc_arr_slice},
    {"SpaceToBatchND", NULL, hc_arr_space_to_batch},
    {"SpaceToDepth", hc_arr_block_prepare, hc_arr_space_to_depth},
    {"Split", NULL, hc_arr_split},
    {"SplitV", NULL, hc_arr_split_v},
    {"Squeeze", squeeze_prepare, squeeze},
    {"StridedSlice", hc_arr_strided_slice_prepare, hc_arr_strided_slice},
    {"Tile", NULL, hc_arr_tile},
    {"Transpose", NULL, hc_arr_transpose},
    {"Unpack", NULL, hc_arr_unpack},
    {"Where", NULL, hc_arr_where},
};
const size_t hc_n_kernels_array = sizeof hc_kernels_array / sizeof hc_kernels_array[0];
