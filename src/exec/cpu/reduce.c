/* reduce.c - the reduce family: Sum, Mean, Prod, Max, Min (float, half, int32, int64), All,
 * Any (bool) over any set of axes, and ArgMax / ArgMin.
 *
 * The input's dims are collapsed (size-1 dims dropped, neighbours with the same reduced/kept
 * role merged), then each output element (or block of contiguous output columns when the
 * innermost dim is kept, as for a mean over H and W in NHWC) is owned by one thread and
 * accumulated in a fixed order, so results do not depend on the thread count. Float inputs
 * accumulate in double (fp16 in, fp16 out); integers wrap as TensorFlow's int32/int64 do.
 *
 * Semantics as TensorFlow's reduction_ops_common.cc: axes are an int32/int64 scalar or vector,
 * negative axes count from the end, an out-of-range axis is an error, duplicates are allowed,
 * no axes returns the input; an empty input gives the reducer's identity (Mean: NaN for floats,
 * 0 for integers; Max: -inf / the integer minimum). Max and Min propagate NaN (as TF.js).
 * ArgMax/ArgMin return the first index of the extreme value (NaNs are skipped unless first);
 * they take float, half and the integer and bool dtypes. double inputs are refused. */
#include "exec/cpu/elementwise.h"

#include "base/fp16.h"

#include <math.h>

typedef enum rkind { R_SUM, R_MEAN, R_PROD, R_MAX, R_MIN, R_ALL, R_ANY } rkind;

/* Columns per work unit when the innermost dim is kept. */
#define RED_BLOCK 256

typedef struct red_state {
    bool keep_dims;
    hc_dtype out_type; /* ArgMax/ArgMin */
} red_state;

/* The collapsed problem: kept dims outside (kd) and reduced dims (rd) with their input strides,
 * and the innermost dim of length L, reduced or kept. */
/* An accumulator: double for float inputs, int64 for integer and bool inputs. */
typedef union racc {
    double d;
    int64_t i;
} racc;

typedef struct red_job {
    const hc_cpu *cpu;
    rkind kind;
    const uint8_t *in;
    hc_dtype dt;
    uint8_t *out;
    bool is_float, inner_red;
    int nk, nr;
    int64_t kd[HC_MAX_RANK], ks[HC_MAX_RANK], rd[HC_MAX_RANK], rs[HC_MAX_RANK];
    int64_t L, count, blocks, units;
} red_job;

/* ---- accumulation ----------------------------------------------------------------------- */

static double init_d(rkind k) {
    switch (k) {
    case R_PROD:
    case R_ALL:
        return 1.0;
    case R_MAX:
        return -INFINITY;
    case R_MIN:
        return INFINITY;
    default:
        return 0.0;
    }
}

static int64_t init_i(rkind k) {
    switch (k) {
    case R_PROD:
    case R_ALL:
        return 1;
    case R_MAX:
    case R_ANY:
        return k == R_ANY ? 0 : INT64_MIN;
    case R_MIN:
        return INT64_MAX;
    default:
        return 0;
    }
}

static inline double comb_d(rkind k, double a, double x) {
    switch (k) {
    case R_PROD:
        return a * x;
    case R_MAX:
        return x > a || isnan(x) ? x : a;
    case R_MIN:
        return x < a || isnan(x) ? x : a;
    default:
        return a + x;
    }
}

static inline int64_t comb_i(rkind k, int64_t a, int64_t x) {
    switch (k) {
    case R_PROD:
        return (int64_t)((uint64_t)a * (uint64_t)x);
    case R_MAX:
    case R_ANY:
        return x > a ? x : a; /* Any: max of 0/1 */
    case R_MIN:
    case R_ALL:
        return x < a ? x : a; /* All: min of 0/1 */
    default:
        return (int64_t)((uint64_t)a + (uint64_t)x);
    }
}

/* Stage n elements from element offset off: as float (float/half) or int64. */
static const void *stage(const red_job *j, int64_t off, size_t n, void *buf) {
    if (j->is_float) return hc_ew_load(j->cpu, j->in, j->dt, off, n, buf);
    hc_ew_read_i64(j->in + (size_t)off * hc_dtype_size(j->dt), j->dt, buf, n);
    return buf;
}

/* acc[c] = comb(acc[c], x[off + c]) for c < n, or (fold) acc[0] over all n. */
static void accumulate(const red_job *j, racc *acc, int64_t off, size_t n, bool fold, void *buf) {
    for (size_t c0 = 0; c0 < n; c0 += HC_EW_CHUNK) {
        size_t cn = HC_MIN((size_t)HC_EW_CHUNK, n - c0);
        const void *x = stage(j, off + (int64_t)c0, cn, buf);
        racc *a = acc + (fold ? 0 : c0);
        if (j->is_float) {
            const float *xf = x;
            if (fold)
                for (size_t c = 0; c < cn; c++)
                    a->d = comb_d(j->kind, a->d, xf[c]);
            else
                for (size_t c = 0; c < cn; c++)
                    a[c].d = comb_d(j->kind, a[c].d, xf[c]);
        } else {
            const int64_t *xi = x;
            if (fold)
                for (size_t c = 0; c < cn; c++)
                    a->i = comb_i(j->kind, a->i, xi[c]);
            else
                for (size_t c = 0; c < cn; c++)
                    a[c].i = comb_i(j->kind, a[c].i, xi[c]);
        }
    }
}

static void put(const red_job *j, int64_t o, racc acc) {
    if (j->is_float) {
        double v = acc.d;
        if (j->kind == R_MEAN) v /= (double)j->count;
        if (j->dt == HC_DT_HALF)
            ((uint16_t *)(void *)j->out)[o] = hc_f32_to_f16((float)v);
        else
            ((float *)(void *)j->out)[o] = (float)v;
        return;
    }
    int64_t v = acc.i;
    if (j->dt == HC_DT_INT32) {
        int32_t w = (int32_t)(uint32_t)v; /* TF sums int32 in int32: wrap first */
        ((int32_t *)(void *)j->out)[o] = j->kind == R_MEAN ? (int32_t)(w / j->count) : w;
    } else if (j->dt == HC_DT_INT64) {
        ((int64_t *)(void *)j->out)[o] = j->kind == R_MEAN ? v / j->count : v;
    } else {
        j->out[o] = v != 0; /* bool */
    }
}

/* One work unit: an output element (innermost dim reduced) or a block of output columns. */
static void red_unit(const red_job *j, int64_t u, racc *acc, void *buf) {
    int64_t ko = j->inner_red ? u : u / j->blocks,
            c0 = j->inner_red ? 0 : (u % j->blocks) * RED_BLOCK;
    size_t width = j->inner_red ? 1 : (size_t)HC_MIN((int64_t)RED_BLOCK, j->L - c0);
    int64_t base = 0, rem = ko, idx[HC_MAX_RANK] = {0}, off = 0;
    for (int d = j->nk - 1; d >= 0; d--) {
        base += (rem % j->kd[d]) * j->ks[d];
        rem /= j->kd[d];
    }
    for (size_t c = 0; c < width; c++) {
        if (j->is_float)
            acc[c].d = init_d(j->kind);
        else
            acc[c].i = init_i(j->kind);
    }
    for (;;) { /* every combination of the outer reduced dims */
        if (j->inner_red)
            accumulate(j, acc, base + off, (size_t)j->L, true, buf);
        else
            accumulate(j, acc, base + off + c0, width, false, buf);
        int d = j->nr - 1;
        for (; d >= 0; d--) {
            off += j->rs[d];
            if (++idx[d] < j->rd[d]) break;
            off -= j->rs[d] * j->rd[d];
            idx[d] = 0;
        }
        if (d < 0) break;
    }
    for (size_t c = 0; c < width; c++)
        put(j, j->inner_red ? ko : ko * j->L + c0 + (int64_t)c, acc[c]);
}

static void red_thread(void *arg, int ith, int nth) {
    const red_job *j = arg;
    racc acc[RED_BLOCK];
    _Alignas(64) uint64_t buf[HC_EW_CHUNK];
    size_t b, e;
    hc_split_range((size_t)j->units, ith, nth, &b, &e);
    for (size_t u = b; u < e; u++)
        red_unit(j, (int64_t)u, acc, buf);
}

/* ---- planning --------------------------------------------------------------------------- */

/* Read the axes into red[]; fail on a bad axes tensor or an out-of-range axis. */
static hc_status read_axes(hc_kernel_ctx *k, const hc_val *x, const hc_val *ax, bool *red,
                           bool *any) {
    if ((ax->dtype != HC_DT_INT32 && ax->dtype != HC_DT_INT64) || ax->rank > 1)
        return hc_k_fail(k, HC_INVALID,
                         "reduction indices must be an int32/int64 scalar or vector");
    *any = false;
    for (int64_t i = 0, n = hc_val_elems(ax); i < n; i++) {
        int64_t a;
        hc_k_int_at(ax, i, &a);
        if (a < -(int64_t)x->rank || a >= x->rank)
            return hc_k_fail(k, HC_INVALID,
                             "invalid reduction dimension %lld for input with %d "
                             "dimension(s)",
                             (long long)a, x->rank);
        red[a < 0 ? a + x->rank : a] = true;
        *any = true;
    }
    return HC_OK;
}

/* Collapse x's dims into the job's kept/reduced lists. Returns false when nothing of size > 1
 * is reduced (the output is then the input's values). */
static bool plan(red_job *j, const hc_val *x, const bool *red) {
    int64_t dims[HC_MAX_RANK], strides[HC_MAX_RANK], s = 1;
    bool r[HC_MAX_RANK];
    int m = 0;
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[d] == 1) continue;
        if (m > 0 && r[m - 1] == red[d]) {
            dims[m - 1] *= x->dims[d];
            continue;
        }
        dims[m] = x->dims[d];
        r[m++] = red[d];
    }
    for (int d = m - 1; d >= 0; d--) {
        strides[d] = s;
        s *= dims[d];
    }
    j->count = 1;
    j->nk = j->nr = 0;
    for (int d = 0; d < m; d++) {
        if (r[d]) j->count *= dims[d];
        if (d == m - 1) break;
        if (r[d]) {
            j->rd[j->nr] = dims[d];
            j->rs[j->nr++] = strides[d];
        } else {
            j->kd[j->nk] = dims[d];
            j->ks[j->nk++] = strides[d];
        }
    }
    if (j->count == 1) return false;
    j->inner_red = r[m - 1];
    j->L = dims[m - 1];
    int64_t kouter = 1;
    for (int d = 0; d < j->nk; d++)
        kouter *= j->kd[d];
    j->blocks = j->inner_red ? 1 : (j->L + RED_BLOCK - 1) / RED_BLOCK;
    j->units = kouter * j->blocks;
    return true;
}

static void fill_identity(const red_job *j, int64_t n) {
    red_job one = *j;
    one.kind = R_SUM; /* write the identity as it is (no division for Mean) */
    racc a;
    if (j->is_float) {
        a.d = j->kind == R_MEAN ? NAN : init_d(j->kind);
    } else {
        a.i = j->kind == R_MEAN ? 0 : init_i(j->kind);
        if (j->dt == HC_DT_INT32 && a.i == INT64_MIN) a.i = INT32_MIN;
        if (j->dt == HC_DT_INT32 && a.i == INT64_MAX) a.i = INT32_MAX;
    }
    for (int64_t o = 0; o < n; o++)
        put(&one, o, a);
}

static hc_status reduce(hc_kernel_ctx *k, rkind kind) {
    const red_state *s = k->state;
    if (k->n_in != 2 || !s) return hc_k_fail(k, HC_MALFORMED, "takes 2 inputs, has %u", k->n_in);
    const hc_val *x = &k->in[0];
    hc_ew_ct ct = hc_ew_ct_of(x->dtype);
    bool logical = kind == R_ALL || kind == R_ANY;
    if (logical ? ct != HC_EW_U8 : (ct == HC_EW_NCT || ct == HC_EW_U8 || ct == HC_EW_F64))
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(x->dtype));
    bool red[HC_MAX_RANK] = {false}, any = false;
    hc_status st = read_axes(k, x, &k->in[1], red, &any);
    if (st) return st;
    if (!any) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    int rank = 0;
    int64_t dims[HC_MAX_RANK];
    for (int d = 0; d < x->rank; d++)
        if (!red[d] || s->keep_dims) dims[rank++] = red[d] ? 1 : x->dims[d];
    red_job j;
    memset(&j, 0, sizeof j);
    j.cpu = k->cpu;
    j.kind = kind;
    j.in = x->data;
    j.dt = x->dtype;
    j.is_float = ct == HC_EW_F32;
    int64_t total = hc_val_elems(x);
    if (total > 0 && !plan(&j, x, red)) return hc_k_view(k, 0, 0, rank, dims);
    st = hc_k_alloc(k, 0, x->dtype, rank, dims);
    if (st) return st;
    j.out = k->out[0].data;
    if (total == 0) {
        int64_t n = hc_val_elems(&k->out[0]);
        fill_identity(&j, n);
        return HC_OK;
    }
    int nth = hc_ew_threads(k, total, 1);
    if (nth > j.units) nth = (int)j.units;
    hc_pool_run(k->pool, red_thread, &j, nth);
    return HC_OK;
}

static hc_status prep_reduce(hc_kernel_prep *p) {
    red_state *s = hc_arena_alloc(p->arena, sizeof *s);
    if (!s) return p->ctx->status;
    s->keep_dims = hc_k_attr_bool(p->node, "keep_dims", false);
    s->out_type = hc_k_attr_type(p->node, "output_type", HC_DT_INT64);
    p->state = s;
    return HC_OK;
}

static hc_status run_sum(hc_kernel_ctx *k) {
    return reduce(k, R_SUM);
}
static hc_status run_mean(hc_kernel_ctx *k) {
    return reduce(k, R_MEAN);
}
static hc_status run_prod(hc_kernel_ctx *k) {
    return reduce(k, R_PROD);
}
static hc_status run_max(hc_kernel_ctx *k) {
    return reduce(k, R_MAX);
}
static hc_status run_min(hc_kernel_ctx *k) {
    return reduce(k, R_MIN);
}
static hc_status run_all(hc_kernel_ctx *k) {
    return reduce(k, R_ALL);
}
static hc_status run_any(hc_kernel_ctx *k) {
    return reduce(k, R_ANY);
}

/* ---- ArgMax / ArgMin -------------------------------------------------------------------- */

typedef struct arg_job {
    const hc_cpu *cpu;
    const uint8_t *in;
    hc_dtype dt, out_dt;
    uint8_t *out;
    bool is_float, is_max;
    int64_t outer, L, inner, blocks;
} arg_job;

static void arg_put(const arg_job *j, int64_t o, int64_t idx) {
    if (j->out_dt == HC_DT_INT64)
        ((int64_t *)(void *)j->out)[o] = idx;
    else if (j->out_dt == HC_DT_INT32)
        ((int32_t *)(void *)j->out)[o] = (int32_t)idx;
    else
        ((int16_t *)(void *)j->out)[o] = (int16_t)idx;
}

/* Update the best value and index of a column with value x at row l: strictly better only, so
 * the first index wins ties (and a NaN never wins unless it comes first). */
#define ARG_UPDATE(T, best, bi, x, l)                                                              \
    do {                                                                                           \
        T v_ = (x);                                                                                \
        if ((l) == 0 || (j->is_max ? v_ > (best) : v_ < (best))) {                                 \
            (best) = v_;                                                                           \
            (bi) = (l);                                                                            \
        }                                                                                          \
    } while (0)

static const void *arg_stage(const arg_job *j, int64_t off, size_t n, void *buf) {
    if (j->is_float) return hc_ew_load(j->cpu, j->in, j->dt, off, n, buf);
    hc_ew_read_i64(j->in + (size_t)off * hc_dtype_size(j->dt), j->dt, buf, n);
    return buf;
}

/* The extreme of rows [o, :, c0 .. c0 + w) per column; elements stride `inner` apart. */
static void arg_unit(const arg_job *j, int64_t u, void *buf) {
    int64_t o = u / j->blocks, c0 = (u % j->blocks) * RED_BLOCK;
    size_t w = (size_t)HC_MIN((int64_t)RED_BLOCK, j->inner - c0);
    racc best[RED_BLOCK];
    int64_t bi[RED_BLOCK];
    memset(bi, 0, w * sizeof bi[0]);
    for (int64_t l = 0; l < j->L; l++) {
        const void *x = arg_stage(j, (o * j->L + l) * j->inner + c0, w, buf);
        for (size_t c = 0; c < w; c++) {
            if (j->is_float)
                ARG_UPDATE(double, best[c].d, bi[c], ((const float *)x)[c], l);
            else
                ARG_UPDATE(int64_t, best[c].i, bi[c], ((const int64_t *)x)[c], l);
        }
    }
    for (size_t c = 0; c < w; c++)
        arg_put(j, o * j->inner + c0 + (int64_t)c, bi[c]);
}

/* The innermost axis: one contiguous row per output. */
static void arg_row(const arg_job *j, int64_t o, void *buf) {
    racc best = {0};
    int64_t bi = 0;
    for (int64_t l0 = 0; l0 < j->L; l0 += HC_EW_CHUNK) {
        size_t n = (size_t)HC_MIN((int64_t)HC_EW_CHUNK, j->L - l0);
        const void *x = arg_stage(j, o * j->L + l0, n, buf);
        for (size_t c = 0; c < n; c++) {
            int64_t l = l0 + (int64_t)c;
            if (j->is_float)
                ARG_UPDATE(double, best.d, bi, ((const float *)x)[c], l);
            else
                ARG_UPDATE(int64_t, best.i, bi, ((const int64_t *)x)[c], l);
        }
    }
    arg_put(j, o, bi);
}

static void arg_thread(void *arg, int ith, int nth) {
    const arg_job *j = arg;
    _Alignas(64) uint64_t buf[HC_EW_CHUNK];
    size_t b, e, units = (size_t)(j->inner == 1 ? j->outer : j->outer * j->blocks);
    hc_split_range(units, ith, nth, &b, &e);
    for (size_t u = b; u < e; u++) {
        if (j->inner == 1)
            arg_row(j, (int64_t)u, buf);
        else
            arg_unit(j, (int64_t)u, buf);
    }
}

static hc_status arg_reduce(hc_kernel_ctx *k, bool is_max) {
    const red_state *s = k->state;
    if (k->n_in != 2 || !s) return hc_k_fail(k, HC_MALFORMED, "takes 2 inputs, has %u", k->n_in);
    const hc_val *x = &k->in[0], *dim = &k->in[1];
    hc_ew_ct ct = hc_ew_ct_of(x->dtype);
    bool small_int = x->dtype == HC_DT_UINT8 || x->dtype == HC_DT_INT8 || x->dtype == HC_DT_INT16 ||
                     x->dtype == HC_DT_UINT16;
    if ((ct == HC_EW_NCT && !small_int) || ct == HC_EW_F64)
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(x->dtype));
    if (s->out_type != HC_DT_INT64 && s->out_type != HC_DT_INT32 && s->out_type != HC_DT_INT16)
        return hc_k_fail(k, HC_UNSUPPORTED, "output_type %s", hc_dtype_name(s->out_type));
    int64_t axis;
    if (hc_val_elems(dim) != 1 || dim->rank > 1 || !hc_k_int_at(dim, 0, &axis))
        return hc_k_fail(k, HC_INVALID, "dimension must be an int32/int64 scalar");
    if (axis < -(int64_t)x->rank || axis >= x->rank)
        return hc_k_fail(k, HC_INVALID, "expected dimension in the range [%d, %d), got %lld",
                         -x->rank, x->rank, (long long)axis);
    int a = (int)(axis < 0 ? axis + x->rank : axis);
    if (x->dims[a] == 0)
        return hc_k_fail(k, HC_INVALID, "reduction axis %d is empty in the input's shape", a);
    arg_job j = {k->cpu, x->data, x->dtype,   s->out_type, NULL, ct == HC_EW_F32,
                 is_max, 1,       x->dims[a], 1,           1};
    int64_t dims[HC_MAX_RANK];
    int rank = 0;
    for (int d = 0; d < x->rank; d++) {
        if (d < a) j.outer *= x->dims[d];
        if (d > a) j.inner *= x->dims[d];
        if (d != a) dims[rank++] = x->dims[d];
    }
    hc_status st = hc_k_alloc(k, 0, s->out_type, rank, dims);
    if (st || j.outer * j.inner == 0) return st;
    j.out = k->out[0].data;
    j.blocks = (j.inner + RED_BLOCK - 1) / RED_BLOCK;
    int64_t units = j.inner == 1 ? j.outer : j.outer * j.blocks;
    int nth = hc_ew_threads(k, hc_val_elems(x), 1);
    if (nth > units) nth = (int)units;
    hc_pool_run(k->pool, arg_thread, &j, nth);
    return HC_OK;
}

static hc_status run_argmax(hc_kernel_ctx *k) {
    return arg_reduce(k, true);
}
static hc_status run_argmin(hc_kernel_ctx *k) {
    return arg_reduce(k, false);
}

/* Sorted by op name (strcmp; binary search). */
const hc_kernel hc_kernels_reduce[] = {
    {"All", prep_reduce, run_all},       {"Any", prep_reduce, run_any},
    {"ArgMax", prep_reduce, run_argmax}, {"ArgMin", prep_reduce, run_argmin},
    {"Max", prep_reduce, run_max},       {"Mean", prep_reduce, run_mean},
    {"Min", prep_reduce, run_min},       {"Prod", prep_reduce, run_prod},
    {"Sum", prep_reduce, run_sum},
};
const size_t hc_n_kernels_reduce = sizeof hc_kernels_reduce / sizeof hc_kernels_reduce[0];
