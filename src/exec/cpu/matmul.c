/* matmul.c - MatMul (transpose_a / transpose_b) and BatchMatMul, BatchMatMulV2, BatchMatMulV3
 * (adj_x / adj_y, batch dims broadcast numpy-style), fp32 and fp16, over the GEMM driver.
 * A transposed or fp16 right-hand side is made an fp32 [K, N] copy per call (the driver
 * reads weight rows); a transposed left-hand side is made an fp32 [M, K] copy. */
#include "exec/cpu/conv.h"

#include "base/fp16.h"

typedef struct mm_attr {
    hc_dtype dt;
    bool ta, tb;
} mm_attr;

static hc_status mm_make(hc_kernel_prep *p, hc_dtype dt, const char *ta, const char *tb) {
    if (dt != HC_DT_FLOAT && dt != HC_DT_HALF)
        return hc_kp_fail(p, HC_UNSUPPORTED, "dtype %s is not supported (float and half are)",
                          hc_dtype_name(dt));
    mm_attr *a = hc_arena_alloc(p->arena, sizeof *a);
    if (!a) return HC_NOMEM;
    a->dt = dt;
    a->ta = hc_k_attr_bool(p->node, ta, false);
    a->tb = hc_k_attr_bool(p->node, tb, false);
    p->state = a;
    return HC_OK;
}

hc_status hc_matmul_prepare(hc_kernel_prep *p) {
    return mm_make(p, hc_k_attr_type(p->node, "T", HC_DT_INVALID), "transpose_a", "transpose_b");
}

hc_status hc_batch_matmul_prepare(hc_kernel_prep *p) {
    hc_dtype dt = hc_k_attr_type(p->node, "T", HC_DT_INVALID);
    if (hc_span_eq_str(p->node->op, "BatchMatMulV3")) {
        dt = hc_k_attr_type(p->node, "Ta", HC_DT_INVALID);
        if (hc_k_attr_type(p->node, "Tb", HC_DT_INVALID) != dt ||
            hc_k_attr_type(p->node, "Tout", HC_DT_INVALID) != dt)
            return hc_kp_fail(p, HC_UNSUPPORTED, "Ta, Tb and Tout must be the same dtype");
    }
    return mm_make(p, dt, "adj_x", "adj_y");
}

/* dst[c][r] = src[r][c] for an rows x cols matrix, in fp32. */
static void transpose_f32(const void *src, hc_dtype dt, size_t rows, size_t cols, float *dst) {
    const uint8_t *s = src;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            dst[c * rows + r] = dt == HC_DT_HALF ? hc_f16_to_f32(hc_ld_u16(s + 2 * (r * cols + c)))
                                                 : hc_ld_f32(s + 4 * (r * cols + c));
}

/* c[M, N] = op(a) * op(b) with K inner. */
static hc_status mm_one(hc_kernel_ctx *k, const void *av, const void *bv, void *c, size_t m,
                        size_t kk, size_t n) {
    const mm_attr *at = k->state;
    size_t esz = hc_dtype_size(at->dt);
    if (kk == 0) {
        memset(c, 0, m * n * esz);
        return HC_OK;
    }
    float *ta = NULL, *tb = NULL;
    const void *a = av;
    hc_dtype adt = at->dt;
    const float *b = bv;
    hc_status st = HC_OK;
    if (at->ta) {
        if (!(ta = hc_k_scratch(k, m * kk * sizeof(float)))) return k->ctx->status;
        transpose_f32(av, at->dt, kk, m, ta);
        a = ta;
        adt = HC_DT_FLOAT;
    }
    if (at->tb || at->dt == HC_DT_HALF) {
        if (!(tb = hc_k_scratch(k, kk * n * sizeof(float)))) {
            st = k->ctx->status;
        } else if (at->tb) {
            transpose_f32(bv, at->dt, n, kk, tb);
        } else {
            hc_f16_to_f32_array(k->cpu, bv, tb, kk * n);
        }
        b = tb;
    }
    hc_win w = {1, 1, (int64_t)m, (int64_t)kk, 1, 1, 1, 1, 1, 1, 1, (int64_t)m, 0, 0};
    hc_gemm_op op = {a, adt, w, kk, 0, kk, b, n, n, c, at->dt, n, NULL, HC_ACT_NONE};
    if (!st) st = hc_epi_check(k, (int64_t)n, &op.bias, &op.act);
    if (!st) st = hc_gemm_run(k, &op);
    hc_k_scratch_free(k, tb);
    hc_k_scratch_free(k, ta);
    return st;
}

/* Rows and columns of operand v (rank >= 2), transposed when t. */
static void mat_dims(const hc_val *v, bool t, size_t *rows, size_t *cols) {
    size_t r = (size_t)v->dims[v->rank - 2], c = (size_t)v->dims[v->rank - 1];
    *rows = t ? c : r;
    *cols = t ? r : c;
}

static hc_status check_inputs(hc_kernel_ctx *k, int min_rank, int max_rank) {
    const mm_attr *at = k->state;
    if (k->n_in != 2) return hc_k_fail(k, HC_MALFORMED, "takes 2 inputs, not %u", k->n_in);
    for (int i = 0; i < 2; i++) {
        const hc_val *v = &k->in[i];
        if (v->dtype != at->dt)
            return hc_k_fail(k, HC_TYPE, "input %d is %s, not %s", i, hc_dtype_name(v->dtype),
                             hc_dtype_name(at->dt));
        if (v->rank < min_rank || v->rank > max_rank)
            return hc_k_fail(k, HC_INVALID, "input %d has rank %d (takes %d..%d)", i, (int)v->rank,
                             min_rank, max_rank);
    }
    return HC_OK;
}

hc_status hc_matmul_run(hc_kernel_ctx *k) {
    const mm_attr *at = k->state;
    hc_status st = check_inputs(k, 2, 2);
    if (st) return st;
    size_t m, ka, kb, n;
    mat_dims(&k->in[0], at->ta, &m, &ka);
    mat_dims(&k->in[1], at->tb, &kb, &n);
    if (ka != kb)
        return hc_k_fail(k, HC_INVALID, "matrix size-incompatible: [%zu, %zu] x [%zu, %zu]", m, ka,
                         kb, n);
    int64_t dims[2] = {(int64_t)m, (int64_t)n};
    if ((st = hc_k_alloc(k, 0, at->dt, 2, dims))) return st;
    if (!m || !n) return HC_OK;
    return mm_one(k, k->in[0].data, k->in[1].data, k->out[0].data, m, ka, n);
}

/* Broadcast batch dims of x and y (right-aligned) into out; strides of x and y per out dim
 * (0 where broadcast). Returns false when the dims do not broadcast. */
static bool batch_shape(const hc_val *x, const hc_val *y, int *rank, int64_t *out, int64_t *sx,
                        int64_t *sy) {
    int rx = x->rank - 2, ry = y->rank - 2, r = HC_MAX(rx, ry);
    int64_t px = 1, py = 1;
    for (int i = r - 1; i >= 0; i--) {
        int ix = i - (r - rx), iy = i - (r - ry);
        int64_t dx = ix >= 0 ? x->dims[ix] : 1, dy = iy >= 0 ? y->dims[iy] : 1;
        if (dx != dy && dx != 1 && dy != 1) return false;
        out[i] = dx == 1 ? dy : dx;
        sx[i] = dx == 1 ? 0 : px;
        sy[i] = dy == 1 ? 0 : py;
        px *= dx;
        py *= dy;
    }
    *rank = r;
    return true;
}

hc_status hc_batch_matmul_run(hc_kernel_ctx *k) {
    const mm_attr *at = k->state;
    hc_status st = check_inputs(k, 2, HC_MAX_RANK);
    if (st) return st;
    const hc_val *x = &k->in[0], *y = &k->in[1];
    size_t m, ka, kb, n;
    mat_dims(x, at->ta, &m, &ka);
    mat_dims(y, at->tb, &kb, &n);
    int rank;
    int64_t dims[HC_MAX_RANK], sx[HC_MAX_RANK], sy[HC_MAX_RANK];
    if (ka != kb || !batch_shape(x, y, &rank, dims, sx, sy))
        return hc_k_fail(k, HC_INVALID,
                         "inputs of rank %d and %d do not multiply (inner %zu "
                         "and %zu, or batch dims that do not broadcast)",
                         (int)x->rank, (int)y->rank, ka, kb);
    dims[rank] = (int64_t)m;
    dims[rank + 1] = (int64_t)n;
    if ((st = hc_k_alloc(k, 0, at->dt, rank + 2, dims))) return st;
    size_t nb = 1, esz = hc_dtype_size(at->dt);
    for (int i = 0; i < rank; i++)
        nb *= (size_t)dims[i];
    if (!m || !n || !nb) return HC_OK;
    for (size_t b = 0; b < nb && !st; b++) {
        size_t ox = 0, oy = 0, rem = b;
        for (int i = rank - 1; i >= 0; i--) {
            size_t d = rem % (size_t)dims[i];
            rem /= (size_t)dims[i];
            ox += d * (size_t)sx[i];
            oy += d * (size_t)sy[i];
        }
        st = mm_one(k, (const uint8_t *)x->data + ox * m * ka * esz,
                    (const uint8_t *)y->data + oy * ka * n * esz,
                    (uint8_t *)k->out[0].data + b * m * n * esz, m, ka, n);
    }
    return st;
}
