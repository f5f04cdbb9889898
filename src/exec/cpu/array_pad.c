/* array_pad.c - padding and the ops built on it: Pad, PadV2 (a constant), MirrorPad (REFLECT,
 * SYMMETRIC), SpaceToBatchND (zero padding, then one strided copy) and BatchToSpaceND (one
 * strided copy, then a crop). Padding writes every output element once, row by row: a row is
 * left pad, one memcpy of the input row, right pad; trailing axes without padding are folded
 * into a bigger element first. Checks follow TF's pad_op.cc, mirror_pad_op.cc and
 * spacetobatch_op.cc / batchtospace_op.cc. */
#include "exec/cpu/array.h"

typedef enum pad_mode { PAD_CONST, PAD_REFLECT, PAD_SYMMETRIC } pad_mode;

typedef struct pad_job {
    int rank;
    int64_t in[HC_MAX_RANK + 2], out[HC_MAX_RANK + 2], before[HC_MAX_RANK + 2];
    size_t esz0, mult, esz; /* element bytes, elements folded in, esz0 * mult */
    const uint8_t *src, *cval;
    uint8_t *dst;
    pad_mode mode;
} pad_job;

/* Source index of padded position i on an axis of n (mirror modes; paddings validated). */
static int64_t mirror(int64_t i, int64_t n, pad_mode m) {
    if (i < 0) return m == PAD_REFLECT ? -i : -i - 1;
    if (i >= n) return m == PAD_REFLECT ? 2 * n - 2 - i : 2 * n - 1 - i;
    return i;
}

static void put_const(const pad_job *j, uint8_t *d, int64_t n) {
    if (n > 0) hc_arr_fill(d, j->cval, j->esz0, (size_t)n * j->mult);
}

static void pad_row(const pad_job *j, uint8_t *d, const uint8_t *s) {
    int last = j->rank - 1;
    int64_t b = j->before[last], n = j->in[last], a = j->out[last] - b - n;
    if (j->mode == PAD_CONST) {
        put_const(j, d, b);
        if (n) memcpy(d + (size_t)b * j->esz, s, (size_t)n * j->esz);
        put_const(j, d + (size_t)(b + n) * j->esz, a);
        return;
    }
    for (int64_t x = 0; x < b; x++)
        memcpy(d + (size_t)x * j->esz, s + (size_t)mirror(x - b, n, j->mode) * j->esz, j->esz);
    if (n) memcpy(d + (size_t)b * j->esz, s, (size_t)n * j->esz);
    for (int64_t x = b + n; x < j->out[last]; x++)
        memcpy(d + (size_t)x * j->esz, s + (size_t)mirror(x - b, n, j->mode) * j->esz, j->esz);
}

static void pad_rows(void *arg, size_t b, size_t e) {
    const pad_job *j = arg;
    int last = j->rank - 1;
    size_t row = (size_t)j->out[last] * j->esz;
    for (size_t r = b; r < e; r++) {
        /* Source row from the output row's coordinates; outside the input in constant mode. */
        size_t rem = r;
        int64_t src_row = 0, scale = 1;
        bool inside = true;
        for (int d = last - 1; d >= 0; d--) {
            int64_t o = (int64_t)(rem % (size_t)j->out[d]) - j->before[d];
            rem /= (size_t)j->out[d];
            if (j->mode == PAD_CONST)
                inside &= o >= 0 && o < j->in[d];
            else
                o = mirror(o, j->in[d], j->mode);
            src_row += o * scale;
            scale *= j->in[d];
        }
        uint8_t *d = j->dst + r * row;
        if (!inside)
            put_const(j, d, j->out[last]);
        else
            pad_row(j, d, j->src + (size_t)src_row * (size_t)j->in[last] * j->esz);
    }
}

/* Pad src (rank, in dims, esz) into dst with before/after per axis. */
static void pad_run(hc_kernel_ctx *k, pad_job *j, const int64_t *after) {
    size_t total = 1;
    for (int d = 0; d < j->rank; d++) {
        j->out[d] = j->before[d] + j->in[d] + after[d];
        total *= (size_t)j->out[d];
    }
    j->mult = 1;
    /* Fold trailing unpadded axes into the element. */
    while (j->rank > 1 && j->before[j->rank - 1] == 0 &&
           j->out[j->rank - 1] == j->in[j->rank - 1]) {
        j->mult *= (size_t)j->in[j->rank - 1];
        j->rank--;
    }
    j->esz = j->esz0 * j->mult;
    if (total == 0) return;
    if (j->rank == 0) {
        memcpy(j->dst, j->src, j->esz);
        return;
    }
    size_t rows = total / j->mult / (size_t)j->out[j->rank - 1];
    hc_arr_parallel(k, rows, total * j->esz0, pad_rows, j);
}

/* paddings input i: an [rank, 2] matrix of non-negative int32/int64. */
static hc_status read_paddings(hc_kernel_ctx *k, uint32_t i, int rank, const char *what,
                               int64_t *before, int64_t *after) {
    const hc_val *p = &k->in[i];
    if (p->dtype != HC_DT_INT32 && p->dtype != HC_DT_INT64)
        return hc_k_fail(k, HC_TYPE, "%s must be int32 or int64", what);
    if (p->rank != 2 || p->dims[1] != 2 || p->dims[0] != rank)
        return hc_k_fail(k, HC_INVALID, "%s must be a [%d, 2] matrix", what, rank);
    for (int d = 0; d < rank; d++) {
        hc_k_int_at(p, (int64_t)2 * d, &before[d]);
        hc_k_int_at(p, (int64_t)2 * d + 1, &after[d]);
        if (before[d] < 0 || after[d] < 0)
            return hc_k_fail(k, HC_INVALID, "%s must be non-negative: %lld %lld at dimension %d",
                             what, (long long)before[d], (long long)after[d], d);
        /* Far beyond any tensor that fits in memory; keeps the size sums below from wrapping. */
        if (before[d] > ARR_MAX_DIM || after[d] > ARR_MAX_DIM)
            return hc_k_fail(k, HC_LIMIT, "%s of %lld, %lld at dimension %d are too large", what,
                             (long long)before[d], (long long)after[d], d);
    }
    return HC_OK;
}

static hc_status pad_common(hc_kernel_ctx *k, pad_mode mode, const void *cval) {
    const hc_val *in = &k->in[0];
    pad_job j = {.rank = in->rank, .src = in->data, .cval = cval, .mode = mode};
    int64_t after[HC_MAX_RANK], dims[HC_MAX_RANK];
    hc_status st = hc_arr_esz(k, 0, &j.esz0);
    if (st || (st = read_paddings(k, 1, in->rank, "paddings", j.before, after))) return st;
    bool zero = true;
    for (int d = 0; d < in->rank; d++) {
        j.in[d] = in->dims[d];
        int64_t lim = in->dims[d] - (mode == PAD_REFLECT ? 1 : 0);
        if (mode != PAD_CONST && (j.before[d] > lim || after[d] > lim))
            return hc_k_fail(k, HC_INVALID,
                             "paddings must be %s the dimension size: %lld, %lld "
                             "greater than %lld",
                             mode == PAD_REFLECT ? "less than" : "no greater than",
                             (long long)j.before[d], (long long)after[d], (long long)lim);
        int64_t room = (INT64_MAX - in->dims[d]) / 2;
        if (j.before[d] > room || after[d] > room)
            return hc_k_fail(k, HC_LIMIT, "padded dimension %d overflows", d);
        dims[d] = in->dims[d] + j.before[d] + after[d];
        zero &= j.before[d] == 0 && after[d] == 0;
    }
    if (zero) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    if ((st = hc_k_alloc(k, 0, in->dtype, in->rank, dims))) return st;
    j.dst = k->out[0].data;
    pad_run(k, &j, after);
    return HC_OK;
}

hc_status hc_arr_pad(hc_kernel_ctx *k) {
    static const uint8_t zero[16];
    hc_status st = hc_arr_need_inputs(k, 2);
    return st ? st : pad_common(k, PAD_CONST, zero);
}

hc_status hc_arr_pad_v2(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 3);
    if (st) return st;
    const hc_val *c = &k->in[2];
    if (c->dtype != k->in[0].dtype || hc_val_elems(c) != 1 || c->rank > 1 || !c->data)
        return hc_k_fail(k, HC_INVALID, "constant_values must be a scalar of the input's dtype");
    return pad_common(k, PAD_CONST, c->data);
}

hc_status hc_arr_mirror_pad_prepare(hc_kernel_prep *p) {
    hc_span m;
    pad_mode *s = hc_arena_alloc(p->arena, sizeof *s);
    if (!s) return HC_NOMEM;
    if (!hc_k_attr_str(p->node, "mode", &m)) return hc_kp_fail(p, HC_MALFORMED, "has no mode");
    if (hc_span_eq_str(m, "REFLECT"))
        *s = PAD_REFLECT;
    else if (hc_span_eq_str(m, "SYMMETRIC"))
        *s = PAD_SYMMETRIC;
    else
        return hc_kp_fail(p, HC_INVALID, "mode " HC_SPAN_FMT " is not REFLECT or SYMMETRIC",
                          HC_SPAN_ARG(m));
    p->state = s;
    return HC_OK;
}

hc_status hc_arr_mirror_pad(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 2);
    return st ? st : pad_common(k, *(const pad_mode *)k->state, NULL);
}

/* ---- SpaceToBatchND, BatchToSpaceND --------------------------------------------------- */

typedef struct bs_args {
    int m; /* block dims */
    int64_t block[HC_MAX_RANK], lo[HC_MAX_RANK], hi[HC_MAX_RANK];
    int64_t batch, rest; /* input batch, product of the remaining axes */
    size_t esz;
} bs_args;

static hc_status bs_read(hc_kernel_ctx *k, bs_args *a, const char *what) {
    hc_status st = hc_arr_need_inputs(k, 3);
    if (st || (st = hc_arr_esz(k, 0, &a->esz))) return st;
    const hc_val *in = &k->in[0], *b = &k->in[1];
    if (b->rank != 1) return hc_k_fail(k, HC_INVALID, "block_shape must be one-dimensional");
    if (b->dims[0] + 1 > in->rank)
        return hc_k_fail(k, HC_INVALID, "input rank should be >= %lld instead of %d",
                         (long long)b->dims[0] + 1, (int)in->rank);
    int64_t n;
    if ((st = hc_arr_int_vec(k, 1, "block_shape", false, a->block, HC_MAX_RANK, &n))) return st;
    a->m = (int)n;
    if ((st = read_paddings(k, 2, a->m, what, a->lo, a->hi))) return st;
    for (int d = 0; d < a->m; d++)
        if (a->block[d] < 1)
            return hc_k_fail(k, HC_INVALID, "all values in block_shape must be positive, got %lld",
                             (long long)a->block[d]);
    /* Sizes the two ops compute (batch x blocks, spatial x block) must not wrap. */
    int64_t nb = 1, t1, t2;
    for (int d = 0; d < a->m; d++) {
        bool ok = hc_mul_i64(nb, a->block[d], &nb) && nb <= ARR_MAX_DIM &&
                  hc_mul_i64(in->dims[1 + d], a->block[d], &t1) && t1 <= ARR_MAX_DIM &&
                  hc_mul_i64(in->dims[0], nb, &t2) && t2 <= ARR_MAX_DIM;
        if (!ok) return hc_k_fail(k, HC_LIMIT, "block_shape values are too large");
    }
    a->batch = in->dims[0];
    a->rest = 1;
    for (int d = 1 + a->m; d < in->rank; d++)
        a->rest *= in->dims[d];
    return HC_OK;
}

/* SpaceToBatchND's zero padding: the input as [batch, padded..., rest] in scratch (*buf, NULL
 * when nothing is padded and the input is used as it is). Returns the tensor to read. */
static const uint8_t *s2b_pad(hc_kernel_ctx *k, const bs_args *a, const int64_t *padded,
                              uint8_t **buf) {
    static const uint8_t zero[16];
    const hc_val *in = &k->in[0];
    int m = a->m;
    bool padding = false;
    for (int d = 0; d < m; d++)
        padding |= a->lo[d] || a->hi[d];
    *buf = NULL;
    if (!padding) return in->data;
    size_t bytes = (size_t)a->batch * (size_t)a->rest * a->esz;
    for (int d = 0; d < m; d++)
        bytes *= (size_t)padded[d];
    if (!(*buf = hc_k_scratch(k, bytes))) return NULL;
    pad_job j = {.rank = m + 2, .esz0 = a->esz, .src = in->data, .cval = zero, .mode = PAD_CONST};
    int64_t after[HC_MAX_RANK + 2] = {0};
    j.in[0] = a->batch, j.in[m + 1] = a->rest;
    for (int d = 0; d < m; d++)
        j.in[1 + d] = in->dims[1 + d], j.before[1 + d] = a->lo[d], after[1 + d] = a->hi[d];
    j.dst = *buf;
    pad_run(k, &j, after);
    return *buf;
}

/* Output axes (o_1..o_m, n, i_1..i_m, r) read padded[n, i_d * b_d + o_d, r] from src. */
static void s2b_copy(hc_kernel_ctx *k, const bs_args *a, const int64_t *padded, const int64_t *out,
                     const uint8_t *src) {
    int m = a->m;
    hc_arr_copy c = {.rank = 2 * m + 2, .esz = a->esz, .src = src, .dst = k->out[0].data};
    int64_t pst[HC_MAX_RANK + 2] = {0}, s = a->rest;
    for (int d = m; d >= 1; d--)
        pst[d] = s, s *= padded[d - 1];
    pst[0] = s;
    for (int d = 0; d < m; d++) {
        c.dims[d] = a->block[d], c.st[d] = pst[1 + d];
        c.dims[m + 1 + d] = out[1 + d], c.st[m + 1 + d] = a->block[d] * pst[1 + d];
    }
    c.dims[m] = a->batch, c.st[m] = pst[0];
    c.dims[2 * m + 1] = a->rest, c.st[2 * m + 1] = 1;
    hc_arr_copy_run(k, &c);
}

hc_status hc_arr_space_to_batch(hc_kernel_ctx *k) {
    bs_args a;
    hc_status st = bs_read(k, &a, "paddings");
    if (st) return st;
    const hc_val *in = &k->in[0];
    int m = a.m;
    int64_t padded[HC_MAX_RANK], out[HC_MAX_RANK], nblocks = 1;
    for (int d = 0; d < m; d++) {
        padded[d] = in->dims[1 + d] + a.lo[d] + a.hi[d];
        if (padded[d] % a.block[d] != 0)
            return hc_k_fail(k, HC_INVALID,
                             "padded_shape[%d]=%lld is not divisible by block_shape[%d]=%lld", d,
                             (long long)padded[d], d, (long long)a.block[d]);
        out[1 + d] = padded[d] / a.block[d];
        nblocks *= a.block[d];
    }
    if (m == 0) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    out[0] = a.batch * nblocks;
    for (int d = 1 + m; d < in->rank; d++)
        out[d] = in->dims[d];
    if ((st = hc_k_alloc(k, 0, in->dtype, in->rank, out))) return st;
    if (hc_val_elems(&k->out[0]) == 0) return HC_OK;
    uint8_t *buf;
    const uint8_t *src = s2b_pad(k, &a, padded, &buf);
    if (!src) return k->ctx->status;
    s2b_copy(k, &a, padded, out, src);
    hc_k_scratch_free(k, buf);
    return HC_OK;
}

/* Uncropped axes (n, i_1, o_1, ..., i_m, o_m, r) of [batch', S_d * b_d..., rest] read
 * in[o * batch' + n, i_1.., r] (o row-major over the block offsets). */
static void b2s_copy(hc_kernel_ctx *k, const bs_args *a, int64_t batch, uint8_t *dst) {
    const hc_val *in = &k->in[0];
    int m = a->m;
    hc_arr_copy c = {.rank = 2 * m + 2, .esz = a->esz, .src = in->data, .dst = dst};
    int64_t ist[HC_MAX_RANK + 1] = {0}, s = a->rest, ob = batch;
    for (int d = m; d >= 1; d--)
        ist[d] = s, s *= in->dims[d];
    ist[0] = s;
    c.dims[0] = batch, c.st[0] = ist[0];
    for (int d = m - 1; d >= 0; d--) {
        c.dims[1 + 2 * d] = in->dims[1 + d], c.st[1 + 2 * d] = ist[1 + d];
        c.dims[2 + 2 * d] = a->block[d], c.st[2 + 2 * d] = ob * ist[0];
        ob *= a->block[d];
    }
    c.dims[2 * m + 1] = a->rest, c.st[2 * m + 1] = 1;
    hc_arr_copy_run(k, &c);
}

/* The crop: output [batch', out..., rest] from the uncropped [batch', full..., rest] at src. */
static void b2s_crop(hc_kernel_ctx *k, const bs_args *a, const int64_t *full, const int64_t *out,
                     const uint8_t *src) {
    int m = a->m;
    hc_arr_copy c = {.rank = m + 2, .esz = a->esz, .src = src, .dst = k->out[0].data};
    int64_t fst[HC_MAX_RANK + 2] = {0}, off = 0, s = a->rest;
    for (int d = m; d >= 0; d--)
        fst[d] = s, s *= full[d];
    for (int d = 0; d <= m; d++) {
        c.dims[d] = out[d], c.st[d] = fst[d];
        off += (d ? a->lo[d - 1] : 0) * fst[d];
    }
    c.dims[m + 1] = a->rest, c.st[m + 1] = 1;
    c.src += off * (int64_t)a->esz;
    hc_arr_copy_run(k, &c);
}

hc_status hc_arr_batch_to_space(hc_kernel_ctx *k) {
    bs_args a;
    hc_status st = bs_read(k, &a, "crops");
    if (st) return st;
    const hc_val *in = &k->in[0];
    int m = a.m;
    int64_t nblocks = 1, full[HC_MAX_RANK], out[HC_MAX_RANK];
    bool crop = false;
    for (int d = 0; d < m; d++)
        nblocks *= a.block[d];
    if (a.batch % nblocks != 0)
        return hc_k_fail(k, HC_INVALID,
                         "input batch dimension %lld is not divisible by product of block sizes "
                         "%lld",
                         (long long)a.batch, (long long)nblocks);
    out[0] = full[0] = a.batch / nblocks;
    for (int d = 0; d < m; d++) {
        full[1 + d] = in->dims[1 + d] * a.block[d];
        out[1 + d] = full[1 + d] - a.lo[d] - a.hi[d];
        if (out[1 + d] < 0)
            return hc_k_fail(k, HC_INVALID,
                             "cropped size must be non-negative: dimension %d is %lld before "
                             "crops %lld, %lld",
                             1 + d, (long long)full[1 + d], (long long)a.lo[d], (long long)a.hi[d]);
        crop |= a.lo[d] || a.hi[d];
    }
    if (m == 0) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    for (int d = 1 + m; d < in->rank; d++)
        out[d] = full[d] = in->dims[d];
    if ((st = hc_k_alloc(k, 0, in->dtype, in->rank, out))) return st;
    if (hc_val_elems(&k->out[0]) == 0) return HC_OK;
    if (!crop) {
        b2s_copy(k, &a, full[0], k->out[0].data);
        return HC_OK;
    }
    size_t bytes = (size_t)full[0] * (size_t)a.rest * a.esz;
    for (int d = 0; d < m; d++)
        bytes *= (size_t)full[1 + d];
    uint8_t *buf = hc_k_scratch(k, bytes);
    if (!buf) return k->ctx->status;
    b2s_copy(k, &a, full[0], buf);
    b2s_crop(k, &a, full, out, buf);
    hc_k_scratch_free(k, buf);
    return HC_OK;
}
