/* array_shuffle.c - ops that permute, repeat or mirror elements, each one strided copy:
 * Transpose (permuted strides; NHWC<->NCHW and last-two-axes swaps take the engine's
 * cache-blocked transpose), Tile (each axis split into [multiple, size] with stride 0 on the
 * repeat), BroadcastTo (stride 0 on broadcast axes), Reverse / ReverseV2 (negative strides),
 * DepthToSpace and SpaceToDepth (NHWC, a 6-axis view of the block layout). Checks follow TF's
 * transpose_op.cc, tile_ops.cc, broadcast_to_op.cc, reverse_op.cc, depthtospace_op.cc and
 * spacetodepth_op.cc. */
#include "exec/cpu/array.h"

static void strides_of(const hc_val *v, int64_t *st) {
    int64_t s = 1;
    for (int d = v->rank - 1; d >= 0; d--) {
        st[d] = s;
        s *= v->dims[d];
    }
}

/* Allocate output 0 (input 0's dtype) and copy with c's dims/strides from input 0 + off. */
static hc_status copy_out(hc_kernel_ctx *k, hc_arr_copy *c, int out_rank, const int64_t *out_dims,
                          int64_t off) {
    hc_status st = hc_k_alloc(k, 0, k->in[0].dtype, out_rank, out_dims);
    if (st) return st;
    if (hc_val_elems(&k->out[0]) == 0) return HC_OK;
    c->esz = hc_dtype_size(k->in[0].dtype);
    c->dst = k->out[0].data;
    c->src = (const uint8_t *)k->in[0].data + off * (int64_t)c->esz;
    hc_arr_copy_run(k, c);
    return HC_OK;
}

hc_status hc_arr_transpose(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *in = &k->in[0];
    int64_t perm[HC_MAX_RANK], n;
    if ((st = hc_arr_int_vec(k, 1, "perm", false, perm, HC_MAX_RANK, &n))) return st;
    if (n != in->rank)
        return hc_k_fail(k, HC_INVALID, "transpose expects a vector of size %d, but perm has %lld",
                         (int)in->rank, (long long)n);
    bool seen[HC_MAX_RANK] = {false}, identity = true;
    int64_t ist[HC_MAX_RANK], dims[HC_MAX_RANK];
    strides_of(in, ist);
    hc_arr_copy c = {.rank = in->rank};
    for (int i = 0; i < in->rank; i++) {
        if (perm[i] < 0 || perm[i] >= in->rank || seen[perm[i]])
            return hc_k_fail(k, HC_INVALID, "perm is not a permutation of 0..%d (perm[%d] = %lld)",
                             (int)in->rank - 1, i, (long long)perm[i]);
        seen[perm[i]] = true;
        identity &= perm[i] == i;
        dims[i] = c.dims[i] = in->dims[perm[i]];
        c.st[i] = ist[perm[i]];
    }
    if (identity) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    return copy_out(k, &c, in->rank, dims, 0);
}

hc_status hc_arr_tile(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *in = &k->in[0];
    int64_t m[HC_MAX_RANK], n, dims[HC_MAX_RANK], ist[HC_MAX_RANK];
    if ((st = hc_arr_int_vec(k, 1, "multiples", false, m, HC_MAX_RANK, &n))) return st;
    if (n != in->rank)
        return hc_k_fail(k, HC_INVALID,
                         "expected multiples argument to be a vector of length %d "
                         "but got length %lld",
                         (int)in->rank, (long long)n);
    strides_of(in, ist);
    hc_arr_copy c = {.rank = 2 * in->rank};
    bool identity = true;
    for (int i = 0; i < in->rank; i++) {
        if (m[i] < 0)
            return hc_k_fail(k, HC_INVALID, "expected multiples[%d] >= 0, but got %lld", i,
                             (long long)m[i]);
        if (!hc_mul_i64(in->dims[i], m[i], &dims[i]))
            return hc_k_fail(k, HC_LIMIT, "tiled dimension %d overflows", i);
        identity &= m[i] == 1;
        int j = 2 * i; /* axis i as [multiple (stride 0), size] */
        c.dims[j] = m[i];
        c.st[j] = 0;
        c.dims[j + 1] = in->dims[i];
        c.st[j + 1] = ist[i];
    }
    if (identity) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    return copy_out(k, &c, in->rank, dims, 0);
}

hc_status hc_arr_broadcast_to(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *in = &k->in[0];
    int64_t dims[HC_MAX_RANK], n, ist[HC_MAX_RANK];
    if ((st = hc_arr_int_vec(k, 1, "shape", false, dims, HC_MAX_RANK, &n))) return st;
    strides_of(in, ist);
    hc_arr_copy c = {.rank = (int)n};
    bool ok = n >= in->rank, same = n == in->rank;
    for (int j = 0; ok && j < (int)n; j++) {
        int i = j - ((int)n - in->rank);
        ok = dims[j] >= 0;
        c.dims[j] = dims[j];
        c.st[j] = 0;
        if (i < 0 || !ok) continue;
        if (in->dims[i] == dims[j])
            c.st[j] = ist[i];
        else
            ok = in->dims[i] == 1;
        same &= in->dims[i] == dims[j];
    }
    if (!ok) {
        char a[96], b[96];
        return hc_k_fail(k, HC_INVALID,
                         "unable to broadcast tensor of shape %s to tensor of shape %s",
                         hc_arr_dims_str(a, sizeof a, in->rank, in->dims),
                         hc_arr_dims_str(b, sizeof b, (int)HC_MIN(n, HC_MAX_RANK), dims));
    }
    if (same) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    return copy_out(k, &c, (int)n, dims, 0);
}

/* Reverse the axes flagged in rev (at least one). */
static hc_status reverse_axes(hc_kernel_ctx *k, const bool *rev) {
    const hc_val *in = &k->in[0];
    hc_arr_copy c = {.rank = in->rank};
    int64_t off = 0;
    strides_of(in, c.st);
    for (int i = 0; i < in->rank; i++) {
        c.dims[i] = in->dims[i];
        if (!rev[i] || in->dims[i] == 0) continue;
        off += (in->dims[i] - 1) * c.st[i];
        c.st[i] = -c.st[i];
    }
    return copy_out(k, &c, in->rank, in->dims, off);
}

hc_status hc_arr_reverse(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *in = &k->in[0], *d = &k->in[1];
    if (d->dtype != HC_DT_BOOL || d->rank != 1)
        return hc_k_fail(k, HC_INVALID, "'dims' must be a 1-D bool tensor");
    if (d->dims[0] != in->rank)
        return hc_k_fail(k, HC_INVALID,
                         "'dims' must have the same number of values as 'input' "
                         "has dimensions: %d vs %lld",
                         (int)in->rank, (long long)d->dims[0]);
    bool rev[HC_MAX_RANK] = {false}, any = false;
    for (int i = 0; i < in->rank; i++)
        any |= rev[i] = ((const uint8_t *)d->data)[i] != 0;
    if (!any) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    return reverse_axes(k, rev);
}

hc_status hc_arr_reverse_v2(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *in = &k->in[0];
    int64_t ax[HC_MAX_RANK + 1], n;
    if ((st = hc_arr_int_vec(k, 1, "axis", false, ax, HC_MAX_RANK + 1, &n))) return st;
    if (in->rank == 0) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    bool rev[HC_MAX_RANK] = {false}, any = false;
    for (int64_t i = 0; i < n; i++) {
        int a;
        if ((st = hc_arr_axis(k, ax[i], in->rank, "axis", &a))) return st;
        if (rev[a]) return hc_k_fail(k, HC_INVALID, "axis %d specified more than once", a);
        any = rev[a] = true;
    }
    if (!any) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    return reverse_axes(k, rev);
}

/* ---- DepthToSpace, SpaceToDepth (NHWC) ------------------------------------------------ */

hc_status hc_arr_block_prepare(hc_kernel_prep *p) {
    int64_t *b = hc_arena_alloc(p->arena, sizeof *b);
    if (!b) return HC_NOMEM;
    *b = hc_k_attr_int(p->node, "block_size", 0);
    if (*b < 2 || *b > INT32_MAX)
        return hc_kp_fail(p, HC_INVALID, "block size should be > 1, but was: %lld", (long long)*b);
    hc_span f;
    if (hc_k_attr_str(p->node, "data_format", &f) && !hc_span_eq_str(f, "NHWC"))
        return hc_kp_fail(p, HC_UNSUPPORTED,
                          "data_format " HC_SPAN_FMT " is not supported (NHWC "
                          "only, as TF's CPU kernel)",
                          HC_SPAN_ARG(f));
    p->state = b;
    return HC_OK;
}

static hc_status nhwc_input(hc_kernel_ctx *k, size_t *esz) {
    hc_status st = hc_arr_need_inputs(k, 1);
    if (st || (st = hc_arr_esz(k, 0, esz))) return st;
    if (k->in[0].rank != 4)
        return hc_k_fail(k, HC_INVALID, "input rank should be 4 instead of %d", (int)k->in[0].rank);
    return HC_OK;
}

/* out[n, h*b + i, w*b + j, c] = in[n, h, w, (i*b + j)*C' + c]: the output walked as the 6-axis
 * view [N, H, b, W, b, C']. */
hc_status hc_arr_depth_to_space(hc_kernel_ctx *k) {
    size_t esz;
    hc_status st = nhwc_input(k, &esz);
    if (st) return st;
    const int64_t b = *(const int64_t *)k->state, *d = k->in[0].dims;
    if (d[3] % (b * b) != 0)
        return hc_k_fail(k, HC_INVALID, "input depth dimension %lld should be divisible by %lld",
                         (long long)d[3], (long long)b * (long long)b);
    int64_t co = d[3] / (b * b), C = d[3];
    int64_t out[4] = {d[0], 0, 0, co};
    if (!hc_mul_i64(d[1], b, &out[1]) || !hc_mul_i64(d[2], b, &out[2]))
        return hc_k_fail(k, HC_LIMIT, "output dimensions overflow");
    hc_arr_copy c = {.rank = 6,
                     .dims = {d[0], d[1], b, d[2], b, co},
                     .st = {d[1] * d[2] * C, d[2] * C, b * co, C, co, 1}};
    return copy_out(k, &c, 4, out, 0);
}

/* out[n, h, w, (i*b + j)*C + c] = in[n, h*b + i, w*b + j, c]: the view [N, H', W', b, b, C]. */
hc_status hc_arr_space_to_depth(hc_kernel_ctx *k) {
    size_t esz;
    hc_status st = nhwc_input(k, &esz);
    if (st) return st;
    const int64_t b = *(const int64_t *)k->state, *d = k->in[0].dims;
    if (d[1] % b != 0 || d[2] % b != 0)
        return hc_k_fail(k, HC_INVALID,
                         "image height %lld and width %lld should be divisible by "
                         "block_size: %lld",
                         (long long)d[1], (long long)d[2], (long long)b);
    int64_t C = d[3], W = d[2];
    int64_t out[4] = {d[0], d[1] / b, d[2] / b, 0};
    if (!hc_mul_i64(C, b * b, &out[3])) return hc_k_fail(k, HC_LIMIT, "output depth overflows");
    hc_arr_copy c = {.rank = 6,
                     .dims = {d[0], d[1] / b, d[2] / b, b, b, C},
                     .st = {d[1] * W * C, b * W * C, b * C, W * C, C, 1}};
    return copy_out(k, &c, 4, out, 0);
}
