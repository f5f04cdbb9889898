/* elementwise_cast.c - Cast between float, half, double and the integer and bool dtypes;
 * ZerosLike / OnesLike; Select (TF1: scalar, same-shape or row-vector condition) and SelectV2
 * (three-way broadcasting); AddN; ClipByValue.
 *
 * Cast follows TensorFlow's CPU kernel (a static_cast per element, x86 code): float to int
 * truncates toward zero and gives the integer minimum for NaN and out-of-range values (what
 * cvttss2si returns), narrower integers take the low bits of that int32, float to half rounds
 * to nearest even (double goes through float first, as Eigen::half does), integer to integer
 * wraps, anything to bool is `!= 0`. ClipByValue is std::max(std::min(x, hi), lo) with lo/hi
 * scalars or x's shape, as TF's cwise_op_clip.cc. AddN sums left to right; fp16 sums in fp32
 * and rounds once. */
#include "exec/cpu/elementwise.h"

#include "base/fp16.h"

#include <math.h>

/* ---- Cast ------------------------------------------------------------------------------- */

static bool cast_dtype_ok(hc_dtype dt) {
    switch (dt) {
    case HC_DT_FLOAT:
    case HC_DT_HALF:
    case HC_DT_DOUBLE:
    case HC_DT_INT32:
    case HC_DT_INT64:
    case HC_DT_UINT8:
    case HC_DT_INT8:
    case HC_DT_INT16:
    case HC_DT_UINT16:
    case HC_DT_BOOL:
        return true;
    default:
        return false;
    }
}

static bool is_float(hc_dtype dt) {
    return dt == HC_DT_FLOAT || dt == HC_DT_HALF || dt == HC_DT_DOUBLE;
}

typedef struct cast_state {
    hc_dtype dst;
} cast_state;

hc_status hc_ew_prep_cast(hc_kernel_prep *p) {
    cast_state *s = hc_arena_alloc(p->arena, sizeof *s);
    if (!s) return p->ctx->status;
    s->dst = hc_k_attr_type(p->node, "DstT", HC_DT_INVALID);
    hc_dtype src = hc_k_attr_type(p->node, "SrcT", HC_DT_INVALID);
    if (s->dst == HC_DT_INVALID) return hc_kp_fail(p, HC_MALFORMED, "has no DstT attribute");
    if (!cast_dtype_ok(s->dst) || (src != HC_DT_INVALID && src != s->dst && !cast_dtype_ok(src)))
        return hc_kp_fail(p, HC_UNSUPPORTED, "no kernel for a cast from %s to %s",
                          hc_dtype_name(src), hc_dtype_name(s->dst));
    p->state = s;
    return HC_OK;
}

/* float -> int as x86's truncating conversion: NaN and out-of-range give the minimum. */
static inline int32_t f2i32(double d) {
    return d >= -2147483648.0 && d < 2147483648.0 ? (int32_t)d : INT32_MIN;
}
static inline int64_t f2i64(double d) {
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (int64_t)d : INT64_MIN;
}

static void rd_float(const uint8_t *s, hc_dtype dt, double *d, size_t n) {
    if (dt == HC_DT_FLOAT)
        for (size_t i = 0; i < n; i++)
            d[i] = hc_ld_f32(s + 4 * i);
    else if (dt == HC_DT_HALF)
        for (size_t i = 0; i < n; i++)
            d[i] = hc_f16_to_f32(hc_ld_u16(s + 2 * i));
    else
        memcpy(d, s, 8 * n);
}

void hc_ew_read_i64(const void *src, hc_dtype dt, int64_t *d, size_t n) {
    const uint8_t *s = src;
    switch (dt) {
    case HC_DT_INT32:
        for (size_t i = 0; i < n; i++)
            d[i] = hc_ld_i32(s + 4 * i);
        break;
    case HC_DT_INT64:
        for (size_t i = 0; i < n; i++)
            d[i] = hc_ld_i64(s + 8 * i);
        break;
    case HC_DT_UINT8:
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
        break;
    case HC_DT_INT8:
        for (size_t i = 0; i < n; i++)
            d[i] = s[i] < 128 ? s[i] : (int64_t)s[i] - 256; /* int8 */
        break;
    case HC_DT_UINT16:
        for (size_t i = 0; i < n; i++)
            d[i] = hc_ld_u16(s + 2 * i);
        break;
    case HC_DT_INT16:
        for (size_t i = 0; i < n; i++)
            d[i] = (int16_t)hc_ld_u16(s + 2 * i);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            d[i] = s[i] != 0;
        break; /* bool */
    }
}

/* Write n values (double when from_float, else int64) as dtype dt. */
/* NOLINTBEGIN(bugprone-macro-parentheses): T is a type. */
#define WR_LOOP(T, from_f, from_i)                                                                 \
    do {                                                                                           \
        T *o = (T *)out;                                                                           \
        if (from_float)                                                                            \
            for (size_t i = 0; i < n; i++)                                                         \
                o[i] = (T)(from_f);                                                                \
        else                                                                                       \
            for (size_t i = 0; i < n; i++)                                                         \
                o[i] = (T)(from_i);                                                                \
    } while (0)
/* NOLINTEND(bugprone-macro-parentheses) */

static void wr_any(const void *src, bool from_float, void *out, hc_dtype dt, size_t n) {
    const double *f = src;
    const int64_t *v = src;
    switch (dt) {
    case HC_DT_FLOAT:
        WR_LOOP(float, f[i], v[i]);
        break;
    case HC_DT_HALF:
        WR_LOOP(uint16_t, hc_f32_to_f16((float)f[i]), hc_f32_to_f16((float)v[i]));
        break;
    case HC_DT_DOUBLE:
        WR_LOOP(double, f[i], v[i]);
        break;
    case HC_DT_INT32:
        WR_LOOP(int32_t, f2i32(f[i]), (uint32_t)v[i]);
        break;
    case HC_DT_INT64:
        WR_LOOP(int64_t, f2i64(f[i]), v[i]);
        break;
    case HC_DT_UINT8:
        WR_LOOP(uint8_t, (uint32_t)f2i32(f[i]), (uint64_t)v[i]);
        break;
    case HC_DT_INT8:
        WR_LOOP(int8_t, (uint8_t)f2i32(f[i]), (uint8_t)v[i]);
        break;
    case HC_DT_UINT16:
        WR_LOOP(uint16_t, (uint32_t)f2i32(f[i]), (uint64_t)v[i]);
        break;
    case HC_DT_INT16:
        WR_LOOP(int16_t, (uint16_t)f2i32(f[i]), (uint16_t)v[i]);
        break;
    default:
        WR_LOOP(uint8_t, f[i] != 0.0, v[i] != 0);
        break; /* bool */
    }
}

typedef struct cast_job {
    const hc_cpu *cpu;
    const uint8_t *in;
    uint8_t *out;
    hc_dtype src, dst;
    int64_t total;
} cast_job;

static void cast_chunk(const cast_job *j, size_t off, size_t n, void *buf) {
    const uint8_t *s = j->in + off * hc_dtype_size(j->src);
    uint8_t *o = j->out + off * hc_dtype_size(j->dst);
    if (j->src == HC_DT_FLOAT && j->dst == HC_DT_HALF)
        hc_f32_to_f16_array(j->cpu, s, (uint16_t *)(void *)o, n, NULL);
    else if (j->src == HC_DT_HALF && j->dst == HC_DT_FLOAT)
        hc_f16_to_f32_array(j->cpu, s, (float *)(void *)o, n);
    else if (j->src == HC_DT_UINT8 && j->dst == HC_DT_FLOAT) /* images */
        for (size_t i = 0; i < n; i++)
            ((float *)(void *)o)[i] = (float)s[i];
    else if (is_float(j->src)) {
        rd_float(s, j->src, buf, n);
        wr_any(buf, true, o, j->dst, n);
    } else {
        hc_ew_read_i64(s, j->src, buf, n);
        wr_any(buf, false, o, j->dst, n);
    }
}

static void cast_thread(void *arg, int ith, int nth) {
    const cast_job *j = arg;
    _Alignas(64) uint64_t buf[HC_EW_CHUNK];
    size_t b, e;
    hc_split_range((size_t)j->total, ith, nth, &b, &e);
    for (size_t c = b; c < e; c += HC_EW_CHUNK)
        cast_chunk(j, c, HC_MIN((size_t)HC_EW_CHUNK, e - c), buf);
}

hc_status hc_ew_run_cast(hc_kernel_ctx *k) {
    const cast_state *s = k->state;
    if (k->n_in != 1 || !s) return hc_k_fail(k, HC_MALFORMED, "takes 1 input, has %u", k->n_in);
    const hc_val *x = &k->in[0];
    hc_dtype src_attr = hc_k_attr_type(k->node, "SrcT", x->dtype);
    if (src_attr != x->dtype)
        return hc_k_fail(k, HC_TYPE, "input is %s, SrcT says %s", hc_dtype_name(x->dtype),
                         hc_dtype_name(src_attr));
    if (x->dtype == s->dst) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    if (!cast_dtype_ok(x->dtype))
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for a cast from %s to %s",
                         hc_dtype_name(x->dtype), hc_dtype_name(s->dst));
    hc_status st = hc_k_alloc(k, 0, s->dst, x->rank, x->dims);
    if (st) return st;
    cast_job j = {k->cpu, x->data, k->out[0].data, x->dtype, s->dst, hc_val_elems(x)};
    if (j.total > 0) hc_pool_run(k->pool, cast_thread, &j, hc_ew_threads(k, j.total, 2));
    return HC_OK;
}

/* ---- ZerosLike / OnesLike --------------------------------------------------------------- */

static hc_status fill_like(hc_kernel_ctx *k, bool ones) {
    if (k->n_in != 1) return hc_k_fail(k, HC_MALFORMED, "takes 1 input, has %u", k->n_in);
    const hc_val *x = &k->in[0];
    if (!cast_dtype_ok(x->dtype) && x->dtype != HC_DT_UINT32 && x->dtype != HC_DT_UINT64)
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(x->dtype));
    hc_status st = hc_k_alloc(k, 0, x->dtype, x->rank, x->dims);
    if (st) return st;
    size_t n = (size_t)hc_val_elems(x), esz = hc_dtype_size(x->dtype);
    uint8_t *o = k->out[0].data;
    if (!ones) {
        if (n) memset(o, 0, n * esz);
        return HC_OK;
    }
    _Alignas(8) uint8_t one[8];
    const int64_t i1 = 1;
    wr_any(&i1, false, one,
           x->dtype == HC_DT_UINT32   ? HC_DT_INT32
           : x->dtype == HC_DT_UINT64 ? HC_DT_INT64
                                      : x->dtype,
           1);
    for (size_t i = 0; i < n; i++)
        memcpy(o + i * esz, one, esz);
    return HC_OK;
}

hc_status hc_ew_run_zeros_like(hc_kernel_ctx *k) {
    return fill_like(k, false);
}

hc_status hc_ew_run_ones_like(hc_kernel_ctx *k) {
    return fill_like(k, true);
}

/* ---- Select / SelectV2 ------------------------------------------------------------------ */

typedef struct sel_job {
    hc_ew_plan plan;
    const uint8_t *c, *t, *e;
    uint8_t *out;
    size_t esz;
} sel_job;

static void sel_run(void *vj, void *scratch, const int64_t *off, int64_t out_off, int64_t n) {
    const sel_job *j = vj;
    const int last = j->plan.rank - 1;
    const int64_t sc = j->plan.stride[0][last], st = j->plan.stride[1][last];
    const int64_t se = j->plan.stride[2][last];
    const size_t esz = j->esz;
    uint8_t *o = j->out + (size_t)out_off * esz;
    const uint8_t *c = j->c + off[0], *t = j->t + (size_t)off[1] * esz;
    const uint8_t *e = j->e + (size_t)off[2] * esz;
    (void)scratch;
    if (sc == 0 && (c[0] ? st : se) == 1) { /* one condition for the run: copy it whole */
        memcpy(o, c[0] ? t : e, (size_t)n * esz);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *src = c[i * sc] ? t + (size_t)(i * st) * esz : e + (size_t)(i * se) * esz;
        memcpy(o + (size_t)i * esz, src, esz);
    }
}

static void sel_thread(void *arg, int ith, int nth) {
    const sel_job *j = arg;
    size_t b, e;
    hc_split_range((size_t)j->plan.total, ith, nth, &b, &e);
    hc_ew_walk(&j->plan, (int64_t)b, (int64_t)e, sel_run, (void *)(uintptr_t)j, NULL);
}

/* Select over values v (cond, then, else) broadcast to [rank, dims]. */
static hc_status sel_exec(hc_kernel_ctx *k, const hc_val *const *v, int rank, const int64_t *dims) {
    hc_status st = hc_k_alloc(k, 0, v[1]->dtype, rank, dims);
    if (st) return st;
    sel_job j;
    hc_ew_plan_init(&j.plan, 3, v, rank, dims);
    j.c = v[0]->data;
    j.t = v[1]->data;
    j.e = v[2]->data;
    j.out = k->out[0].data;
    j.esz = hc_dtype_size(v[1]->dtype);
    if (j.plan.total > 0) hc_pool_run(k->pool, sel_thread, &j, hc_ew_threads(k, j.plan.total, 2));
    return HC_OK;
}

static hc_status sel_check(hc_kernel_ctx *k) {
    if (k->n_in != 3) return hc_k_fail(k, HC_MALFORMED, "takes 3 inputs, has %u", k->n_in);
    if (k->in[0].dtype != HC_DT_BOOL)
        return hc_k_fail(k, HC_TYPE, "condition is %s, not bool", hc_dtype_name(k->in[0].dtype));
    if (k->in[1].dtype != k->in[2].dtype)
        return hc_k_fail(k, HC_TYPE, "then and else differ in dtype: %s and %s",
                         hc_dtype_name(k->in[1].dtype), hc_dtype_name(k->in[2].dtype));
    if (!hc_dtype_size(k->in[1].dtype))
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for dtype %s",
                         hc_dtype_name(k->in[1].dtype));
    return HC_OK;
}

static bool same_shape(const hc_val *a, const hc_val *b) {
    if (a->rank != b->rank) return false;
    for (int32_t d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d]) return false;
    return true;
}

/* TF1 Select: a scalar condition picks a whole input; a condition of then's shape picks per
 * element; a vector condition on a higher-rank then picks rows (dim 0). */
hc_status hc_ew_run_select(hc_kernel_ctx *k) {
    hc_status st = sel_check(k);
    if (st) return st;
    const hc_val *c = &k->in[0], *t = &k->in[1], *e = &k->in[2];
    if (!same_shape(t, e)) return hc_k_fail(k, HC_INVALID, "then and else differ in shape");
    if (c->rank == 0) {
        hc_k_forward(k, 0, c->data && *(const uint8_t *)c->data ? 1 : 2);
        return HC_OK;
    }
    hc_val cv = *c;
    if (c->rank == 1 && t->rank > 1) {
        if (c->dims[0] != t->dims[0])
            return hc_k_fail(k, HC_INVALID, "condition has %lld values, then's first dim is %lld",
                             (long long)c->dims[0], (long long)t->dims[0]);
        cv.rank = t->rank; /* [N] as [N, 1, ..., 1] */
        for (int32_t d = 1; d < t->rank; d++)
            cv.dims[d] = 1;
    } else if (!same_shape(c, t)) {
        return hc_k_fail(k, HC_INVALID,
                         "condition must be a scalar, a vector of then's first "
                         "dim, or of then's shape");
    }
    const hc_val *v[3] = {&cv, t, e};
    return sel_exec(k, v, t->rank, t->dims);
}

hc_status hc_ew_run_select_v2(hc_kernel_ctx *k) {
    hc_status st = sel_check(k);
    if (st) return st;
    const hc_val *v[3] = {&k->in[0], &k->in[1], &k->in[2]};
    int rank;
    int64_t dims[HC_MAX_RANK];
    st = hc_ew_broadcast_shape(k, 3, v, &rank, dims);
    return st ? st : sel_exec(k, v, rank, dims);
}

/* ---- AddN and ClipByValue: n operands staged per chunk ---------------------------------- */

typedef enum { NARY_ADD, NARY_CLIP } nary_kind;

typedef struct nary_job {
    const hc_cpu *cpu;
    hc_ew_plan plan; /* ClipByValue: 3 inputs broadcast; AddN: unused (same shapes) */
    const hc_val *in;
    uint32_t n_in;
    void *out;
    hc_dtype dt;
    nary_kind kind;
} nary_job;

typedef struct nary_scratch {
    _Alignas(64) uint64_t buf[4][HC_EW_CHUNK];
} nary_scratch;

static inline float clip_f(float x, float lo, float hi) {
    float m = hi < x ? hi : x; /* std::min(x, hi) */
    return m < lo ? lo : m;    /* std::max(m, lo) */
}

#define CLIP_LOOP(T)                                                                               \
    for (size_t i = 0; i < n; i++) {                                                               \
        T x = ((const T *)p[0])[i], lo = ((const T *)p[1])[i * s1],                                \
          hi = ((const T *)p[2])[i * s2];                                                          \
        T m = hi < x ? hi : x;                                                                     \
        ((T *)o)[i] = m < lo ? lo : m;                                                             \
    }

static void clip_chunk(nary_job *j, nary_scratch *s, const int64_t *off, int64_t out_off,
                       size_t n) {
    const int last = j->plan.rank - 1;
    const void *p[3];
    size_t s1 = (size_t)j->plan.stride[1][last], s2 = (size_t)j->plan.stride[2][last];
    for (int i = 0; i < 3; i++) {
        size_t cnt = j->plan.stride[i][last] ? n : 1;
        p[i] = hc_ew_load(j->cpu, j->in[i].data, j->dt, off[i], cnt, s->buf[i]);
    }
    void *o = hc_ew_direct(j->out, j->dt, out_off);
    if (!o) o = s->buf[3];
    if (j->dt == HC_DT_INT32)
        CLIP_LOOP(int32_t)
    else if (j->dt == HC_DT_INT64)
        CLIP_LOOP(int64_t)
    else if (j->dt == HC_DT_DOUBLE)
        CLIP_LOOP(double)
    else
        for (size_t i = 0; i < n; i++)
            ((float *)o)[i] = clip_f(((const float *)p[0])[i], ((const float *)p[1])[i * s1],
                                     ((const float *)p[2])[i * s2]);
    hc_ew_store(j->cpu, j->out, j->dt, out_off, o, n);
}

static void clip_run(void *vj, void *vs, const int64_t *in_off, int64_t out_off, int64_t n) {
    nary_job *j = vj;
    const int last = j->plan.rank - 1;
    for (int64_t c = 0; c < n; c += HC_EW_CHUNK) {
        int64_t off[3];
        for (int i = 0; i < 3; i++)
            off[i] = in_off[i] + (j->plan.stride[i][last] ? c : 0);
        clip_chunk(j, vs, off, out_off + c, (size_t)HC_MIN((int64_t)HC_EW_CHUNK, n - c));
    }
}

/* AddN: acc = in0 + in1 + ... in the compute type (fp32 for half), left to right. */
static void addn_chunk(nary_job *j, nary_scratch *s, size_t off, size_t n) {
    void *acc = hc_ew_direct(j->out, j->dt, (int64_t)off);
    if (!acc) acc = s->buf[3];
    hc_ew_ct ct = hc_ew_ct_of(j->dt);
    size_t esz = ct == HC_EW_F32 ? 4 : hc_dtype_size(j->dt);
    memcpy(acc, hc_ew_load(j->cpu, j->in[0].data, j->dt, (int64_t)off, n, s->buf[0]), n * esz);
    for (uint32_t k = 1; k < j->n_in; k++) {
        const void *x = hc_ew_load(j->cpu, j->in[k].data, j->dt, (int64_t)off, n, s->buf[0]);
        if (ct == HC_EW_F32)
            for (size_t i = 0; i < n; i++)
                ((float *)acc)[i] += ((const float *)x)[i];
        else if (ct == HC_EW_F64)
            for (size_t i = 0; i < n; i++)
                ((double *)acc)[i] += ((const double *)x)[i];
        else if (ct == HC_EW_I32)
            for (size_t i = 0; i < n; i++)
                ((int32_t *)acc)[i] =
                    (int32_t)((uint32_t)((int32_t *)acc)[i] + (uint32_t)((const int32_t *)x)[i]);
        else
            for (size_t i = 0; i < n; i++)
                ((int64_t *)acc)[i] =
                    (int64_t)((uint64_t)((int64_t *)acc)[i] + (uint64_t)((const int64_t *)x)[i]);
    }
    hc_ew_store(j->cpu, j->out, j->dt, (int64_t)off, acc, n);
}

static void nary_thread(void *arg, int ith, int nth) {
    nary_job *j = arg;
    nary_scratch s;
    size_t b, e;
    hc_split_range((size_t)j->plan.total, ith, nth, &b, &e);
    if (j->kind == NARY_CLIP) {
        hc_ew_walk(&j->plan, (int64_t)b, (int64_t)e, clip_run, j, &s);
        return;
    }
    for (size_t c = b; c < e; c += HC_EW_CHUNK)
        addn_chunk(j, &s, c, HC_MIN((size_t)HC_EW_CHUNK, e - c));
}

static hc_status nary_dtype(hc_kernel_ctx *k) {
    hc_dtype dt = k->in[0].dtype;
    for (uint32_t i = 1; i < k->n_in; i++)
        if (k->in[i].dtype != dt)
            return hc_k_fail(k, HC_TYPE, "inputs differ in dtype: %s and %s", hc_dtype_name(dt),
                             hc_dtype_name(k->in[i].dtype));
    hc_ew_ct ct = hc_ew_ct_of(dt);
    if (ct == HC_EW_NCT || ct == HC_EW_U8)
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(dt));
    return HC_OK;
}

hc_status hc_ew_run_add_n(hc_kernel_ctx *k) {
    if (k->n_in < 1) return hc_k_fail(k, HC_MALFORMED, "has no inputs");
    hc_status st = nary_dtype(k);
    if (st) return st;
    for (uint32_t i = 1; i < k->n_in; i++)
        if (!same_shape(&k->in[0], &k->in[i]))
            return hc_k_fail(k, HC_INVALID, "input %u differs in shape from input 0", i);
    if (k->n_in == 1) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    st = hc_k_alloc(k, 0, k->in[0].dtype, k->in[0].rank, k->in[0].dims);
    if (st) return st;
    nary_job j = {k->cpu, {0}, k->in, k->n_in, k->out[0].data, k->in[0].dtype, NARY_ADD};
    j.plan.total = hc_val_elems(&k->in[0]);
    int cost = (int)HC_MIN(k->n_in, 64u);
    if (j.plan.total > 0)
        hc_pool_run(k->pool, nary_thread, &j, hc_ew_threads(k, j.plan.total, cost));
    return HC_OK;
}

hc_status hc_ew_run_clip(hc_kernel_ctx *k) {
    if (k->n_in != 3) return hc_k_fail(k, HC_MALFORMED, "takes 3 inputs, has %u", k->n_in);
    hc_status st = nary_dtype(k);
    if (st) return st;
    const hc_val *x = &k->in[0];
    for (int i = 1; i < 3; i++)
        if (k->in[i].rank != 0 && !same_shape(x, &k->in[i]))
            return hc_k_fail(k, HC_INVALID,
                             "clip_value_min and clip_value_max must be scalars "
                             "or have the input's shape");
    st = hc_k_alloc(k, 0, x->dtype, x->rank, x->dims);
    if (st) return st;
    const hc_val *v[3] = {x, &k->in[1], &k->in[2]};
    nary_job j = {k->cpu, {0}, k->in, 3, k->out[0].data, x->dtype, NARY_CLIP};
    hc_ew_plan_init(&j.plan, 3, v, x->rank, x->dims);
    if (j.plan.total > 0) hc_pool_run(k->pool, nary_thread, &j, hc_ew_threads(k, j.plan.total, 2));
    return HC_OK;
}
