/* array_concat.c - joining and cutting along one axis: Concat, ConcatV2, Pack, Unpack, Split,
 * SplitV. Each views the tensors as [outer, width] byte rows around the axis and moves whole
 * rows with memcpy, split over outer rows on the pool. Checks and messages follow TF's
 * concat_op.cc, pack_op.cc, unpack_op.cc and split_op.cc / split_v_op.cc. */
#include "exec/cpu/array.h"

/* Parts of a row: part i is w[i] bytes at offset off[i] of each big row (total bytes wide). */
typedef struct rows_job {
    uint32_t n;
    uint8_t **part; /* per part: its own buffer, [outer, w[i]] */
    size_t *w, *off;
    size_t total;
    uint8_t *big; /* [outer, total] */
    bool gather;  /* true: parts -> big (concat); false: big -> parts (split) */
} rows_job;

static void rows_run(void *arg, size_t b, size_t e) {
    const rows_job *j = arg;
    for (size_t r = b; r < e; r++)
        for (uint32_t i = 0; i < j->n; i++) {
            if (!j->w[i]) continue;
            uint8_t *big = j->big + r * j->total + j->off[i], *part = j->part[i] + r * j->w[i];
            if (j->gather)
                memcpy(big, part, j->w[i]);
            else
                memcpy(part, big, j->w[i]);
        }
}

/* Scratch arrays for n parts; NULL (error recorded) when they cannot be had. */
static void *job_alloc(hc_kernel_ctx *k, rows_job *j, uint32_t n) {
    uint8_t *m = hc_k_scratch(k, (size_t)n * (sizeof(uint8_t *) + 2 * sizeof(size_t)));
    if (!m) return NULL;
    j->n = n;
    j->part = (uint8_t **)(void *)m;
    j->w = (size_t *)(void *)(m + (size_t)n * sizeof(uint8_t *));
    j->off = j->w + n;
    return m;
}

static size_t prod(const int64_t *d, int from, int to) {
    size_t p = 1;
    for (int i = from; i < to; i++)
        p *= (size_t)d[i];
    return p;
}

/* Concatenate inputs [first, first + n) along axis (TF's ConcatBaseOp checks). */
static hc_status concat_core(hc_kernel_ctx *k, uint32_t first, uint32_t n, int64_t axis_v) {
    const hc_val *v0 = &k->in[first];
    size_t esz;
    hc_status st = hc_arr_esz(k, first, &esz);
    if (st) return st;
    int r = v0->rank, axis;
    if (r == 0) return hc_k_fail(k, HC_INVALID, "can't concatenate scalars (use Pack instead)");
    if ((st = hc_arr_axis(k, axis_v, r, "concat axis", &axis))) return st;
    int64_t dims[HC_MAX_RANK];
    memcpy(dims, v0->dims, sizeof dims);
    dims[axis] = 0;
    for (uint32_t i = 0; i < n; i++) {
        const hc_val *v = &k->in[first + i];
        if ((st = hc_arr_esz(k, first + i, &esz))) return st;
        if (v->dtype != v0->dtype || v->rank != r)
            return hc_k_fail(k, HC_INVALID, "input %u is %s of rank %d, input 0 %s of rank %d", i,
                             hc_dtype_name(v->dtype), (int)v->rank, hc_dtype_name(v0->dtype), r);
        for (int d = 0; d < r; d++)
            if (d != axis && v->dims[d] != v0->dims[d])
                return hc_k_fail(k, HC_INVALID, "dimension %d of input %u is %lld, of input 0 %lld",
                                 d, i, (long long)v->dims[d], (long long)v0->dims[d]);
        dims[axis] += v->dims[axis];
    }
    if (n == 1) {
        hc_k_forward(k, 0, first);
        return HC_OK;
    }
    if ((st = hc_k_alloc(k, 0, v0->dtype, r, dims))) return st;
    rows_job j;
    void *m = job_alloc(k, &j, n);
    if (!m) return k->ctx->status;
    size_t inner = prod(dims, axis + 1, r) * esz, outer = prod(dims, 0, axis);
    j.total = (size_t)dims[axis] * inner;
    j.big = k->out[0].data;
    j.gather = true;
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        j.part[i] = k->in[first + i].data;
        j.w[i] = (size_t)k->in[first + i].dims[axis] * inner;
        j.off[i] = off;
        off += j.w[i];
    }
    if (j.total) hc_arr_parallel(k, outer, outer * j.total, rows_run, &j);
    hc_k_scratch_free(k, m);
    return HC_OK;
}

hc_status hc_arr_concat(hc_kernel_ctx *k) {
    int64_t axis;
    hc_status st = hc_arr_need_inputs(k, 2);
    if (st || (st = hc_arr_int_scalar(k, 0, "concat_dim", &axis))) return st;
    return concat_core(k, 1, k->n_in - 1, axis);
}

hc_status hc_arr_concat_v2(hc_kernel_ctx *k) {
    int64_t axis;
    hc_status st = hc_arr_need_inputs(k, 2);
    if (st || (st = hc_arr_int_scalar(k, k->n_in - 1, "axis", &axis))) return st;
    return concat_core(k, 0, k->n_in - 1, axis);
}

hc_status hc_arr_pack(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 1);
    if (st) return st;
    const hc_val *v0 = &k->in[0];
    int r = v0->rank, axis;
    size_t esz = 0;
    if ((st = hc_arr_axis(k, hc_k_attr_int(k->node, "axis", 0), r + 1, "axis", &axis))) return st;
    if (r + 1 > HC_MAX_RANK) return hc_k_fail(k, HC_LIMIT, "output rank exceeds %d", HC_MAX_RANK);
    for (uint32_t i = 0; i < k->n_in; i++) {
        const hc_val *v = &k->in[i];
        if ((st = hc_arr_esz(k, i, &esz))) return st;
        bool same = v->dtype == v0->dtype && v->rank == r;
        for (int d = 0; same && d < r; d++)
            same = v->dims[d] == v0->dims[d];
        if (!same) {
            char a[96], b[96];
            return hc_k_fail(k, HC_INVALID,
                             "shapes of all inputs must match: values[0].shape = %s "
                             "!= values[%u].shape = %s",
                             hc_arr_dims_str(a, sizeof a, r, v0->dims), i,
                             hc_arr_dims_str(b, sizeof b, v->rank, v->dims));
        }
    }
    int64_t dims[HC_MAX_RANK];
    for (int d = 0, o = 0; d <= r; d++)
        dims[d] = d == axis ? (int64_t)k->n_in : v0->dims[o++];
    if (k->n_in == 1) return hc_k_view(k, 0, 0, r + 1, dims);
    if ((st = hc_k_alloc(k, 0, v0->dtype, r + 1, dims))) return st;
    rows_job j;
    void *m = job_alloc(k, &j, k->n_in);
    if (!m) return k->ctx->status;
    size_t w = prod(v0->dims, axis, r) * esz, outer = prod(v0->dims, 0, axis);
    j.total = w * k->n_in;
    j.big = k->out[0].data;
    j.gather = true;
    for (uint32_t i = 0; i < k->n_in; i++) {
        j.part[i] = k->in[i].data;
        j.w[i] = w;
        j.off[i] = i * w;
    }
    if (j.total) hc_arr_parallel(k, outer, outer * j.total, rows_run, &j);
    hc_k_scratch_free(k, m);
    return HC_OK;
}

/* Cut input `in` along axis into n_out parts of sizes[i] (already validated). */
static hc_status split_core(hc_kernel_ctx *k, uint32_t in, int axis, const int64_t *sizes,
                            bool drop_axis) {
    const hc_val *v = &k->in[in];
    size_t esz = hc_dtype_size(v->dtype);
    int r = v->rank;
    int64_t dims[HC_MAX_RANK];
    rows_job j;
    void *m = job_alloc(k, &j, k->n_out);
    if (!m) return k->ctx->status;
    size_t inner = prod(v->dims, axis + 1, r) * esz, outer = prod(v->dims, 0, axis);
    size_t off = 0;
    hc_status st = HC_OK;
    for (uint32_t i = 0; i < k->n_out && !st; i++) {
        int o = 0;
        for (int d = 0; d < r; d++) {
            if (d != axis)
                dims[o++] = v->dims[d];
            else if (!drop_axis)
                dims[o++] = sizes[i];
        }
        st = hc_k_alloc(k, i, v->dtype, o, dims);
        j.part[i] = st ? NULL : k->out[i].data;
        j.w[i] = (size_t)sizes[i] * inner;
        j.off[i] = off;
        off += j.w[i];
    }
    j.total = (size_t)v->dims[axis] * inner;
    j.big = v->data;
    j.gather = false;
    if (!st && j.total) hc_arr_parallel(k, outer, outer * j.total, rows_run, &j);
    hc_k_scratch_free(k, m);
    return st;
}

hc_status hc_arr_unpack(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 1);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *v = &k->in[0];
    int axis;
    if ((st = hc_arr_axis(k, hc_k_attr_int(k->node, "axis", 0), v->rank, "axis", &axis))) return st;
    if (v->dims[axis] != (int64_t)k->n_out)
        return hc_k_fail(k, HC_INVALID, "input shape axis %d must equal %u, got %lld", axis,
                         k->n_out, (long long)v->dims[axis]);
    if (k->n_out == 1) {
        int64_t dims[HC_MAX_RANK];
        for (int d = 0, o = 0; d < v->rank; d++)
            if (d != axis) dims[o++] = v->dims[d];
        return hc_k_view(k, 0, 0, v->rank - 1, dims);
    }
    int64_t *ones = hc_k_scratch(k, k->n_out * sizeof(int64_t));
    if (!ones) return k->ctx->status;
    for (uint32_t i = 0; i < k->n_out; i++)
        ones[i] = 1;
    st = split_core(k, 0, axis, ones, true);
    hc_k_scratch_free(k, ones);
    return st;
}

hc_status hc_arr_split(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    int64_t a;
    size_t esz;
    if (st || (st = hc_arr_int_scalar(k, 0, "split_dim", &a)) || (st = hc_arr_esz(k, 1, &esz)))
        return st;
    const hc_val *v = &k->in[1];
    int axis;
    if ((st = hc_arr_axis(k, a, v->rank, "split_dim", &axis))) return st;
    if (k->n_out == 0) return hc_k_fail(k, HC_MALFORMED, "num_split must be at least 1");
    if (v->dims[axis] % (int64_t)k->n_out != 0)
        return hc_k_fail(k, HC_INVALID,
                         "number of ways to split should evenly divide the split dimension, but "
                         "got split_dim %d (size = %lld) and num_split %u",
                         axis, (long long)v->dims[axis], k->n_out);
    if (k->n_out == 1) {
        hc_k_forward(k, 0, 1);
        return HC_OK;
    }
    int64_t *sizes = hc_k_scratch(k, k->n_out * sizeof(int64_t));
    if (!sizes) return k->ctx->status;
    for (uint32_t i = 0; i < k->n_out; i++)
        sizes[i] = v->dims[axis] / (int64_t)k->n_out;
    st = split_core(k, 1, axis, sizes, false);
    hc_k_scratch_free(k, sizes);
    return st;
}

/* TF's order (split_v_op.cc): sum every size but the -1, check the sum against the axis, fill
 * in the -1, and only then refuse negative sizes. */
static hc_status split_sizes(hc_kernel_ctx *k, int64_t dim, int64_t *sizes) {
    const hc_val *s = &k->in[1];
    if (s->rank != 1 || s->dims[0] != (int64_t)k->n_out)
        return hc_k_fail(k, HC_INVALID, "length of size_splits should be equal to num_split (%u)",
                         k->n_out);
    int64_t known = 0, neg = -1;
    for (uint32_t i = 0; i < k->n_out; i++) {
        if (!hc_arr_index_at(s, i, &sizes[i]))
            return hc_k_fail(k, HC_TYPE, "size_splits must be int8, int32 or int64");
        if (sizes[i] == -1) {
            if (neg >= 0)
                return hc_k_fail(k, HC_INVALID, "there can only be one -1 in size_splits");
            neg = i;
        } else if (__builtin_add_overflow(known, sizes[i], &known)) {
            return hc_k_fail(k, HC_LIMIT, "size_splits overflow");
        }
    }
    if ((neg < 0 && known != dim) || (neg >= 0 && known > dim))
        return hc_k_fail(k, HC_INVALID,
                         "determined shape must either match input shape along split_dim exactly "
                         "if fully specified, or be less than the size of the input along "
                         "split_dim if not fully specified; got %lld for a dimension of %lld",
                         (long long)known, (long long)dim);
    if (neg >= 0) sizes[neg] = dim - known;
    for (uint32_t i = 0; i < k->n_out; i++)
        if (sizes[i] < 0)
            return hc_k_fail(k, HC_INVALID, "split size at index %u must be >= 0, got %lld", i,
                             (long long)sizes[i]);
    return HC_OK;
}

hc_status hc_arr_split_v(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 3);
    int64_t a;
    size_t esz;
    if (st || (st = hc_arr_int_scalar(k, 2, "split_dim", &a)) || (st = hc_arr_esz(k, 0, &esz)))
        return st;
    const hc_val *v = &k->in[0];
    int axis;
    if ((st = hc_arr_axis(k, a, v->rank, "split_dim", &axis))) return st;
    if (k->n_out == 0) return hc_k_fail(k, HC_MALFORMED, "num_split must be at least 1");
    int64_t *sizes = hc_k_scratch(k, k->n_out * sizeof(int64_t));
    if (!sizes) return k->ctx->status;
    st = split_sizes(k, v->dims[axis], sizes);
    if (!st && k->n_out == 1)
        hc_k_forward(k, 0, 0);
    else if (!st)
        st = split_core(k, 0, axis, sizes, false);
    hc_k_scratch_free(k, sizes);
    return st;
}
