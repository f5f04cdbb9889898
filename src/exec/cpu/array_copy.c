/* array_copy.c - the array family's strided copy engine (see array.h) and its shared helpers:
 * parallel ranges, element fill, index readers and axis checks. Slice, StridedSlice,
 * Transpose, Tile, BroadcastTo, Reverse, DepthToSpace, SpaceToDepth and the batch/space ops all
 * reduce to one hc_arr_copy. */
#include "exec/cpu/array.h"

#include <stdio.h>

/* Transpose tile edge: 16 rows of one cache line each for 4-byte elements. */
#define TILE 32

typedef struct par_job {
    hc_arr_range_fn fn;
    void *arg;
    size_t units;
} par_job;

static void par_tramp(void *arg, int ith, int nth) {
    par_job *j = arg;
    size_t b, e;
    hc_split_range(j->units, ith, nth, &b, &e);
    if (b < e) j->fn(j->arg, b, e);
}

void hc_arr_parallel(hc_kernel_ctx *k, size_t units, size_t bytes, hc_arr_range_fn fn, void *arg) {
    if (units == 0) return;
    int nth = 1;
    if (k->pool && units > 1 && bytes >= ARR_PAR_BYTES) {
        size_t want = bytes / (ARR_PAR_BYTES / 2); /* at least 64 KiB per thread */
        int ps = hc_pool_size(k->pool);
        nth = want < (size_t)ps ? (int)want : ps;
        if ((size_t)nth > units) nth = (int)units;
    }
    if (nth <= 1) {
        fn(arg, 0, units);
        return;
    }
    par_job j = {fn, arg, units};
    hc_pool_run(k->pool, par_tramp, &j, nth);
}

void hc_arr_fill(void *dst, const void *val, size_t esz, size_t n) {
    uint8_t *d = dst;
    if (n == 0) return;
    memcpy(d, val, esz);
    /* Doubling copies: log2(n) memcpy calls of growing size. */
    size_t done = 1;
    while (done < n) {
        size_t m = done < n - done ? done : n - done;
        memcpy(d + done * esz, d, m * esz);
        done += m;
    }
}

/* ---- the engine ---------------------------------------------------------------------- */

/* Drop size-1 axes, then merge an axis into its outer neighbour when the outer stride equals
 * the inner stride times the inner size (the two walk the source as one axis). */
static void simplify(hc_arr_copy *c) {
    int r = 0;
    for (int d = 0; d < c->rank; d++) {
        if (c->dims[d] == 1) continue;
        c->dims[r] = c->dims[d];
        c->st[r] = c->st[d];
        r++;
    }
    int w = 0;
    for (int d = 0; d < r; d++) {
        if (w > 0 && c->st[w - 1] == c->st[d] * c->dims[d]) {
            c->dims[w - 1] *= c->dims[d];
            c->st[w - 1] = c->st[d];
        } else {
            c->dims[w] = c->dims[d];
            c->st[w] = c->st[d];
            w++;
        }
    }
    c->rank = w;
}

#define DEFINE_ROW(T)                                                                              \
    static void row_##T(uint8_t *d, const uint8_t *s, int64_t n, int64_t st) {                     \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T v;                                                                                   \
            memcpy(&v, s + i * st * (int64_t)sizeof(T), sizeof v);                                 \
            memcpy(d + i * (int64_t)sizeof(T), &v, sizeof v);                                      \
        }                                                                                          \
    }
DEFINE_ROW(uint8_t)
DEFINE_ROW(uint16_t)
DEFINE_ROW(uint32_t)
DEFINE_ROW(uint64_t)

/* One output row of n elements read with source stride st (elements). */
static void copy_row(uint8_t *d, const uint8_t *s, int64_t n, int64_t st, size_t esz) {
    if (st == 1) {
        memcpy(d, s, (size_t)n * esz);
        return;
    }
    if (st == 0) {
        hc_arr_fill(d, s, esz, (size_t)n);
        return;
    }
    switch (esz) {
    case 1:
        row_uint8_t(d, s, n, st);
        return;
    case 2:
        row_uint16_t(d, s, n, st);
        return;
    case 4:
        row_uint32_t(d, s, n, st);
        return;
    case 8:
        row_uint64_t(d, s, n, st);
        return;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(d + (size_t)i * esz, s + i * st * (int64_t)esz, esz);
    }
}

/* Source offset (elements) of the first element of outer row `row` over dims[0..nd). */
static int64_t row_offset(const hc_arr_copy *c, int nd, size_t row, int64_t *idx) {
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = (int64_t)(row % (size_t)c->dims[d]);
        row /= (size_t)c->dims[d];
        off += idx[d] * c->st[d];
    }
    return off;
}

static void rows_range(void *arg, size_t b, size_t e) {
    const hc_arr_copy *c = arg;
    int nd = c->rank - 1;
    int64_t idx[ARR_MAX_RANK];
    int64_t off = row_offset(c, nd, b, idx);
    int64_t n = c->dims[nd], st = c->st[nd];
    size_t row_bytes = (size_t)n * c->esz;
    for (size_t r = b; r < e; r++) {
        copy_row(c->dst + r * row_bytes, c->src + off * (int64_t)c->esz, n, st, c->esz);
        /* Odometer over the outer axes. */
        for (int d = nd - 1; d >= 0; d--) {
            off += c->st[d];
            if (++idx[d] < c->dims[d]) break;
            off -= c->st[d] * c->dims[d];
            idx[d] = 0;
        }
    }
}

#define DEFINE_TILE(T)                                                                             \
    static void tile_##T(uint8_t *d, const uint8_t *s, int64_t na, int64_t nb, int64_t B,          \
                         int64_t sb) {                                                             \
        for (int64_t a = 0; a < na; a++)                                                           \
            for (int64_t b = 0; b < nb; b++) {                                                     \
                T v;                                                                               \
                memcpy(&v, s + (a + b * sb) * (int64_t)sizeof(T), sizeof v);                       \
                memcpy(d + (a * B + b) * (int64_t)sizeof(T), &v, sizeof v);                        \
            }                                                                                      \
    }
DEFINE_TILE(uint8_t)
DEFINE_TILE(uint16_t)
DEFINE_TILE(uint32_t)
DEFINE_TILE(uint64_t)

/* One na x nb tile: d[a*B + b] = s[a + b*sb]. */
static void copy_tile(uint8_t *d, const uint8_t *s, int64_t na, int64_t nb, int64_t B, int64_t sb,
                      size_t esz, bool avx2) {
    if (avx2 && esz == 4) {
        hc_arr_tile4_avx2(d, s, na, nb, B, sb);
        return;
    }
    switch (esz) {
    case 1:
        tile_uint8_t(d, s, na, nb, B, sb);
        return;
    case 2:
        tile_uint16_t(d, s, na, nb, B, sb);
        return;
    case 4:
        tile_uint32_t(d, s, na, nb, B, sb);
        return;
    case 8:
        tile_uint64_t(d, s, na, nb, B, sb);
        return;
    default:
        for (int64_t a = 0; a < na; a++)
            for (int64_t b = 0; b < nb; b++)
                memcpy(d + (size_t)(a * B + b) * esz, s + (a + b * sb) * (int64_t)esz, esz);
    }
}

/* Transposed layout: the last two axes are (A, stride 1) and (B, stride sb). Work units are
 * (outer row, block of UNIT_A rows of A, block of UNIT_B columns of B), so narrow and tall
 * shapes both split over threads; a unit goes through TILE x TILE tiles whose source lines
 * and destination lines stay in L1. */
#define UNIT_A 256
#define UNIT_B 64
static void tiles_range(void *arg, size_t b, size_t e) {
    const hc_arr_copy *c = arg;
    int nd = c->rank - 2;
    int64_t A = c->dims[nd], B = c->dims[nd + 1], sb = c->st[nd + 1], esz = (int64_t)c->esz;
    size_t ab = (size_t)((A + UNIT_A - 1) / UNIT_A), bb = (size_t)((B + UNIT_B - 1) / UNIT_B);
    int64_t idx[ARR_MAX_RANK];
    for (size_t u = b; u < e; u++) {
        size_t outer = u / (ab * bb);
        int64_t a_lo = (int64_t)(u / bb % ab) * UNIT_A, b_lo = (int64_t)(u % bb) * UNIT_B;
        int64_t a_hi = HC_MIN(A, a_lo + UNIT_A), b_hi = HC_MIN(B, b_lo + UNIT_B);
        int64_t off = row_offset(c, nd, outer, idx);
        uint8_t *dm = c->dst + (int64_t)outer * A * B * esz;
        for (int64_t a0 = a_lo; a0 < a_hi; a0 += TILE)
            for (int64_t b0 = b_lo; b0 < b_hi; b0 += TILE)
                copy_tile(dm + (a0 * B + b0) * esz, c->src + (off + a0 + b0 * sb) * esz,
                          HC_MIN(TILE, a_hi - a0), HC_MIN(TILE, b_hi - b0), B, sb, c->esz, c->avx2);
    }
}

void hc_arr_copy_run(hc_kernel_ctx *k, hc_arr_copy *c) {
    c->avx2 = k->cpu && k->cpu->avx2;
    size_t total = 1;
    for (int d = 0; d < c->rank; d++) {
        if (c->dims[d] == 0) return;
        total *= (size_t)c->dims[d];
    }
    simplify(c);
    if (c->rank == 0) {
        memcpy(c->dst, c->src, c->esz);
        return;
    }
    size_t bytes = total * c->esz;
    int r = c->rank;
    if (r >= 2 && c->st[r - 2] == 1 && c->st[r - 1] != 1 && c->st[r - 1] != 0 &&
        c->dims[r - 1] > 1) {
        size_t outer = total / (size_t)(c->dims[r - 2] * c->dims[r - 1]);
        size_t units = outer * (size_t)((c->dims[r - 2] + UNIT_A - 1) / UNIT_A) *
                       (size_t)((c->dims[r - 1] + UNIT_B - 1) / UNIT_B);
        hc_arr_parallel(k, units, bytes, tiles_range, c);
        return;
    }
    hc_arr_parallel(k, total / (size_t)c->dims[r - 1], bytes, rows_range, c);
}

void hc_arr_copy_ref(const hc_arr_copy *c) {
    int64_t idx[ARR_MAX_RANK] = {0};
    size_t total = 1;
    for (int d = 0; d < c->rank; d++)
        total *= (size_t)c->dims[d];
    for (size_t i = 0; i < total; i++) {
        int64_t off = 0;
        for (int d = 0; d < c->rank; d++)
            off += idx[d] * c->st[d];
        memcpy(c->dst + i * c->esz, c->src + off * (int64_t)c->esz, c->esz);
        for (int d = c->rank - 1; d >= 0; d--) {
            if (++idx[d] < c->dims[d]) break;
            idx[d] = 0;
        }
    }
}

/* ---- helpers shared by the family ------------------------------------------------------ */

hc_status hc_arr_esz(hc_kernel_ctx *k, uint32_t i, size_t *esz) {
    *esz = hc_dtype_size(k->in[i].dtype);
    if (*esz == 0 || k->in[i].obj)
        return hc_k_fail(k, HC_UNSUPPORTED, "cannot move elements of dtype %s",
                         hc_dtype_name(k->in[i].dtype));
    if (!k->in[i].data && hc_val_elems(&k->in[i]) != 0)
        return hc_k_fail(k, HC_INVALID, "input %u has no data", i);
    return HC_OK;
}

hc_status hc_arr_need_inputs(hc_kernel_ctx *k, uint32_t n) {
    if (k->n_in < n) return hc_k_fail(k, HC_MALFORMED, "expects %u inputs, has %u", n, k->n_in);
    return HC_OK;
}

bool hc_arr_index_at(const hc_val *v, int64_t i, int64_t *out) {
    if (i < 0 || i >= hc_val_elems(v) || !v->data) return false;
    const uint8_t *p = v->data;
    switch (v->dtype) {
    case HC_DT_INT32:
        *out = hc_ld_i32(p + 4 * i);
        return true;
    case HC_DT_INT64:
        *out = hc_ld_i64(p + 8 * i);
        return true;
    case HC_DT_INT16:
        *out = (int16_t)hc_ld_u16(p + 2 * i);
        return true;
    case HC_DT_UINT16:
        *out = hc_ld_u16(p + 2 * i);
        return true;
    case HC_DT_INT8:
        *out = (int64_t)p[i] - (p[i] & 0x80 ? 256 : 0); /* int8: sign-extend */
        return true;
    case HC_DT_UINT8:
        *out = p[i];
        return true;
    default:
        return false;
    }
}

hc_status hc_arr_int_vec(hc_kernel_ctx *k, uint32_t i, const char *what, bool allow_scalar,
                         int64_t *out, int64_t max, int64_t *n) {
    const hc_val *v = &k->in[i];
    if (v->dtype != HC_DT_INT32 && v->dtype != HC_DT_INT64)
        return hc_k_fail(k, HC_TYPE, "%s must be int32 or int64, not %s", what,
                         hc_dtype_name(v->dtype));
    if (!(v->rank == 1 || (allow_scalar && v->rank == 0)))
        return hc_k_fail(k, HC_INVALID, "%s must be a vector, not rank %d", what, (int)v->rank);
    int64_t c = hc_val_elems(v);
    if (c > max)
        return hc_k_fail(k, HC_LIMIT, "%s has %lld values, more than %lld", what, (long long)c,
                         (long long)max);
    for (int64_t j = 0; j < c; j++)
        if (!hc_k_int_at(v, j, &out[j])) return hc_k_fail(k, HC_INVALID, "%s has no data", what);
    *n = c;
    return HC_OK;
}

hc_status hc_arr_int_scalar(hc_kernel_ctx *k, uint32_t i, const char *what, int64_t *out) {
    const hc_val *v = &k->in[i];
    if (v->dtype != HC_DT_INT32 && v->dtype != HC_DT_INT64)
        return hc_k_fail(k, HC_TYPE, "%s must be int32 or int64, not %s", what,
                         hc_dtype_name(v->dtype));
    if (hc_val_elems(v) != 1) /* TF takes any one-element tensor here */
        return hc_k_fail(k, HC_INVALID, "%s must be a scalar", what);
    if (!hc_k_int_at(v, 0, out)) return hc_k_fail(k, HC_INVALID, "%s has no data", what);
    return HC_OK;
}

hc_status hc_arr_axis(hc_kernel_ctx *k, int64_t a, int64_t n, const char *what, int *out) {
    if (a < -n || a >= n)
        return hc_k_fail(k, HC_INVALID, "%s %lld is out of range [%lld, %lld)", what, (long long)a,
                         (long long)-n, (long long)n);
    *out = (int)(a < 0 ? a + n : a);
    return HC_OK;
}

const char *hc_arr_dims_str(char *buf, size_t n, int rank, const int64_t *dims) {
    size_t used = 0;
    buf[0] = 0;
    int w = snprintf(buf, n, "[");
    used = w > 0 ? (size_t)w : 0;
    for (int d = 0; d < rank && used < n; d++) {
        w = snprintf(buf + used, n - used, d ? ",%lld" : "%lld", (long long)dims[d]);
        if (w > 0) used += (size_t)w;
    }
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}
