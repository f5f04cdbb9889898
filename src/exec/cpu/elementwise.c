/* elementwise.c - the elementwise family: the broadcast plan and its threaded walk, operand
 * staging, the binary ops (arithmetic, comparisons, logical, BiasAdd) and the family's kernel
 * table. Unary ops live in elementwise_unary.c, Cast/Select/AddN/ClipByValue/ZerosLike in
 * elementwise_cast.c, Softmax in elementwise_softmax.c, SIMD microkernels in
 * elementwise_avx2.c / elementwise_avx512.c.
 *
 * Dtypes: float and half (computed in fp32, SIMD for the hot ops), double, int32 and int64
 * (arithmetic and comparisons), bool (Equal, NotEqual, logical ops). A per-channel operand
 * (bias, scale) is merged with the rows it repeats along, so its runs are long.
 *
 * Binary ops follow TensorFlow's functors (tensorflow/core/kernels/cwise_ops.h): Maximum is
 * std::max's (x < y ? y : x, so a NaN in x wins and a NaN in y loses), FloorMod adds the divisor
 * when the truncated remainder's sign differs from it, integer Div/FloorDiv/FloorMod by zero
 * and integer Pow with a negative exponent are errors, integer arithmetic wraps. */
#include "exec/cpu/elementwise.h"

#include "base/fp16.h"

#include <math.h>
#include <stdio.h>

/* ---- helpers shared by the family ------------------------------------------------------- */

hc_ew_ct hc_ew_ct_of(hc_dtype dt) {
    switch (dt) {
    case HC_DT_FLOAT:
    case HC_DT_HALF:
        return HC_EW_F32;
    case HC_DT_INT32:
        return HC_EW_I32;
    case HC_DT_INT64:
        return HC_EW_I64;
    case HC_DT_BOOL:
        return HC_EW_U8;
    case HC_DT_DOUBLE:
        return HC_EW_F64;
    default:
        return HC_EW_NCT;
    }
}

static void shape_str(const hc_val *v, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int32_t d = 0; d < v->rank && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, d ? ",%lld" : "%lld", (long long)v->dims[d]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

hc_status hc_ew_broadcast_shape(hc_kernel_ctx *k, int n, const hc_val *const *v, int *rank,
                                int64_t *dims) {
    int r = 0;
    for (int i = 0; i < n; i++)
        r = HC_MAX(r, (int)v[i]->rank);
    for (int d = 0; d < r; d++) {
        int64_t out = 1;
        for (int i = 0; i < n; i++) {
            int id = d - (r - (int)v[i]->rank);
            int64_t dim = id < 0 ? 1 : v[i]->dims[id];
            if (dim == out || dim == 1) continue;
            if (out != 1) {
                char a[160], b[160];
                shape_str(v[0], a, sizeof a);
                shape_str(v[i], b, sizeof b);
                return hc_k_fail(k, HC_INVALID, "incompatible shapes for broadcasting: %s and %s",
                                 a, b);
            }
            out = dim;
        }
        dims[d] = out;
    }
    *rank = r;
    return HC_OK;
}

/* Natural element strides of v laid against the output's dims (right-aligned), 0 where v is
 * broadcast. */
static void input_strides(const hc_val *v, int out_rank, const int64_t *out_dims, int64_t *st) {
    int64_t s = 1;
    for (int d = out_rank - 1; d >= 0; d--) {
        int id = d - (out_rank - (int)v->rank);
        if (id < 0) {
            st[d] = 0;
            continue;
        }
        st[d] = v->dims[id] == 1 && out_dims[d] != 1 ? 0 : s;
        s *= v->dims[id];
    }
}

void hc_ew_plan_init(hc_ew_plan *p, int n, const hc_val *const *v, int out_rank,
                     const int64_t *out_dims) {
    int64_t st[HC_EW_MAX_IN][HC_MAX_RANK];
    memset(p, 0, sizeof *p);
    p->n_in = n;
    p->total = 1;
    for (int i = 0; i < n; i++)
        input_strides(v[i], out_rank, out_dims, st[i]);
    for (int d = 0; d < out_rank; d++) {
        p->total *= out_dims[d];
        if (out_dims[d] == 1) continue; /* size-1 dims never move an index */
        bool merge = p->rank > 0;
        for (int i = 0; merge && i < n; i++)
            merge = p->stride[i][p->rank - 1] == st[i][d] * out_dims[d];
        if (merge) {
            p->dims[p->rank - 1] *= out_dims[d];
            for (int i = 0; i < n; i++)
                p->stride[i][p->rank - 1] = st[i][d];
            continue;
        }
        p->dims[p->rank] = out_dims[d];
        for (int i = 0; i < n; i++)
            p->stride[i][p->rank] = st[i][d];
        p->rank++;
    }
    if (p->rank == 0) { /* a scalar, or all dims 1: one run of one element */
        p->rank = 1;
        p->dims[0] = 1;
    }
}

void hc_ew_plan_tile(hc_ew_plan *p, int64_t max_period) {
    const int l = p->rank - 1;
    if (p->n_in != 2 || l < 1 || p->dims[l] > max_period) return;
    const int64_t c = p->dims[l];
    for (int i = 0; i < 2; i++) {
        const int o = 1 - i;
        bool repeats = p->stride[i][l] == 1 && p->stride[i][l - 1] == 0;
        bool flat = (p->stride[o][l] == 1 && p->stride[o][l - 1] == c) ||
                    (p->stride[o][l] == 0 && p->stride[o][l - 1] == 0);
        if (!repeats || !flat) continue;
        p->tile[i] = c;
        p->dims[l - 1] *= c;
        p->stride[i][l - 1] = 1; /* read modulo the tile by the run function */
        p->stride[o][l - 1] = p->stride[o][l];
        p->rank--;
        return;
    }
}

void hc_ew_walk(const hc_ew_plan *p, int64_t begin, int64_t end, hc_ew_run_fn fn, void *job,
                void *scratch) {
    if (begin >= end) return;
    const int last = p->rank - 1;
    const int64_t inner = p->dims[last];
    int64_t idx[HC_MAX_RANK], off[HC_EW_MAX_IN] = {0}, run_off[HC_EW_MAX_IN] = {0};
    int64_t row = begin / inner, j = begin % inner;
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = row % p->dims[d];
        row /= p->dims[d];
        for (int i = 0; i < p->n_in; i++)
            off[i] += idx[d] * p->stride[i][d];
    }
    for (int64_t pos = begin; pos < end;) {
        int64_t n = HC_MIN(inner - j, end - pos);
        for (int i = 0; i < p->n_in; i++)
            run_off[i] = off[i] + j * p->stride[i][last];
        fn(job, scratch, run_off, pos, n);
        pos += n;
        j = 0;
        for (int d = last - 1; d >= 0; d--) { /* odometer over the outer dims */
            for (int i = 0; i < p->n_in; i++)
                off[i] += p->stride[i][d];
            if (++idx[d] < p->dims[d]) break;
            for (int i = 0; i < p->n_in; i++)
                off[i] -= p->stride[i][d] * p->dims[d];
            idx[d] = 0;
        }
    }
}

int hc_ew_threads(const hc_kernel_ctx *k, int64_t total, int cost) {
    if (!k->pool || total <= 0) return 1;
    int64_t want = total * (cost > 0 ? cost : 1) / HC_EW_GRAIN;
    int size = HC_MIN(hc_pool_size(k->pool), 64);
    return want < 2 ? 1 : (int)HC_MIN(want, (int64_t)size);
}

const void *hc_ew_load(const hc_cpu *cpu, const void *data, hc_dtype dt, int64_t off, size_t n,
                       void *buf) {
    size_t esz = hc_dtype_size(dt);
    const uint8_t *src = (const uint8_t *)data + (size_t)off * esz;
    if (dt == HC_DT_HALF) {
        hc_f16_to_f32_array(cpu, src, buf, n);
        return buf;
    }
    if (((uintptr_t)src & (esz - 1)) == 0) return src;
    memcpy(buf, src, n * esz); /* an unaligned view into the model file */
    return buf;
}

void hc_ew_store(const hc_cpu *cpu, void *data, hc_dtype dt, int64_t off, const void *src,
                 size_t n) {
    if (!data || n == 0) return; /* an empty output has no data */
    size_t esz = hc_dtype_size(dt);
    uint8_t *dst = (uint8_t *)data + (size_t)off * esz;
    if (dt == HC_DT_HALF)
        hc_f32_to_f16_array(cpu, src, (uint16_t *)(void *)dst, n, NULL);
    else if (src != dst)
        memcpy(dst, src, n * esz);
}

void *hc_ew_direct(void *data, hc_dtype dt, int64_t off) {
    if (dt == HC_DT_HALF) return NULL;
    return (uint8_t *)data + (size_t)off * hc_dtype_size(dt);
}

/* ---- binary microkernels (scalar references) -------------------------------------------- */

/* o[i] = expr over x (from a) and y (from b); a helper may clear ok on a domain error. */
/* NOLINTBEGIN(bugprone-macro-parentheses): Ta and To are types. */
#define BIN(name, Ta, To, expr)                                                                    \
    static bool name(const void *va, const void *vb, void *vo, size_t n, int mode) {               \
        const Ta *a = va, *b = vb;                                                                 \
        To *o = vo;                                                                                \
        bool ok = true;                                                                            \
        if (mode == HC_EW_VV) {                                                                    \
            for (size_t i = 0; i < n; i++) {                                                       \
                Ta x = a[i], y = b[i];                                                             \
                o[i] = (To)(expr);                                                                 \
            }                                                                                      \
        } else if (mode == HC_EW_VS) {                                                             \
            Ta y = b[0];                                                                           \
            for (size_t i = 0; i < n; i++) {                                                       \
                Ta x = a[i];                                                                       \
                o[i] = (To)(expr);                                                                 \
            }                                                                                      \
        } else {                                                                                   \
            Ta x = a[0];                                                                           \
            for (size_t i = 0; i < n; i++) {                                                       \
                Ta y = b[i];                                                                       \
                o[i] = (To)(expr);                                                                 \
            }                                                                                      \
        }                                                                                          \
        return ok;                                                                                 \
    }
/* NOLINTEND(bugprone-macro-parentheses) */

static inline float f_max(float x, float y) {
    return x < y ? y : x;
}
static inline float f_min(float x, float y) {
    return y < x ? y : x;
}
static inline float f_floormod(float x, float y) {
    float m = fmodf(x, y);
    return m != 0.0f && ((y < 0.0f) != (m < 0.0f)) ? m + y : m;
}
static inline double d_floormod(double x, double y) {
    double m = fmod(x, y);
    return m != 0.0 && ((y < 0.0) != (m < 0.0)) ? m + y : m;
}

BIN(add_f32, float, float, x + y)
BIN(sub_f32, float, float, x - y)
BIN(mul_f32, float, float, x *y)
BIN(div_f32, float, float, x / y)
BIN(floordiv_f32, float, float, floorf(x / y))
BIN(floormod_f32, float, float, f_floormod(x, y))
BIN(max_f32, float, float, f_max(x, y))
BIN(min_f32, float, float, f_min(x, y))
BIN(pow_f32, float, float, powf(x, y))
BIN(sqdiff_f32, float, float, (x - y) * (x - y))
BIN(divnonan_f32, float, float, y == 0.0f ? 0.0f : x / y)
BIN(add_f64, double, double, x + y)
BIN(sub_f64, double, double, x - y)
BIN(mul_f64, double, double, x *y)
BIN(div_f64, double, double, x / y)
BIN(floordiv_f64, double, double, floor(x / y))
BIN(floormod_f64, double, double, d_floormod(x, y))
BIN(max_f64, double, double, x < y ? y : x)
BIN(min_f64, double, double, y < x ? y : x)
BIN(pow_f64, double, double, pow(x, y))
BIN(sqdiff_f64, double, double, (x - y) * (x - y))
BIN(divnonan_f64, double, double, y == 0.0 ? 0.0 : x / y)
BIN(gt_f64, double, uint8_t, x > y)
BIN(ge_f64, double, uint8_t, x >= y)
BIN(lt_f64, double, uint8_t, x < y)
BIN(le_f64, double, uint8_t, x <= y)
BIN(eq_f64, double, uint8_t, x == y)
BIN(ne_f64, double, uint8_t, x != y)
BIN(gt_f32, float, uint8_t, x > y)
BIN(ge_f32, float, uint8_t, x >= y)
BIN(lt_f32, float, uint8_t, x < y)
BIN(le_f32, float, uint8_t, x <= y)
BIN(eq_f32, float, uint8_t, x == y)
BIN(ne_f32, float, uint8_t, x != y)

/* Integer helpers: wrap on overflow (through the unsigned type), flag domain errors. */
#define INT_OPS(T, U, S)                                                                           \
    static inline T iadd_##S(T x, T y) {                                                           \
        return (T)((U)x + (U)y);                                                                   \
    }                                                                                              \
    static inline T isub_##S(T x, T y) {                                                           \
        return (T)((U)x - (U)y);                                                                   \
    }                                                                                              \
    static inline T imul_##S(T x, T y) {                                                           \
        return (T)((U)x * (U)y);                                                                   \
    }                                                                                              \
    static inline T isqd_##S(T x, T y) {                                                           \
        U d = (U)x - (U)y;                                                                         \
        return (T)(d * d);                                                                         \
    }                                                                                              \
    static inline T idiv_##S(T x, T y, bool *ok) {                                                 \
        if (y == 0) {                                                                              \
            *ok = false;                                                                           \
            return 0;                                                                              \
        }                                                                                          \
        return y == -1 ? (T)(0 - (U)x) : (T)(x / y);                                               \
    }                                                                                              \
    static inline T ifdiv_##S(T x, T y, bool *ok) {                                                \
        if (y == 0) {                                                                              \
            *ok = false;                                                                           \
            return 0;                                                                              \
        }                                                                                          \
        if (y == -1) return (T)(0 - (U)x);                                                         \
        T q = (T)(x / y);                                                                          \
        return (T)(x % y != 0 && ((x < 0) != (y < 0)) ? q - 1 : q);                                \
    }                                                                                              \
    static inline T ifmod_##S(T x, T y, bool *ok) {                                                \
        if (y == 0) {                                                                              \
            *ok = false;                                                                           \
            return 0;                                                                              \
        }                                                                                          \
        if (y == -1) return 0;                                                                     \
        T m = (T)(x % y);                                                                          \
        return (T)(m != 0 && ((y < 0) != (m < 0)) ? m + y : m);                                    \
    }                                                                                              \
    static inline T ipow_##S(T x, T y, bool *ok) {                                                 \
        if (y < 0) {                                                                               \
            *ok = false;                                                                           \
            return 0;                                                                              \
        }                                                                                          \
        U r = 1, b = (U)x;                                                                         \
        for (; y; y = (T)(y >> 1), b *= b)                                                         \
            if (y & 1) r *= b;                                                                     \
        return (T)r;                                                                               \
    }                                                                                              \
    BIN(add_##S, T, T, iadd_##S(x, y))                                                             \
    BIN(sub_##S, T, T, isub_##S(x, y))                                                             \
    BIN(mul_##S, T, T, imul_##S(x, y))                                                             \
    BIN(div_##S, T, T, idiv_##S(x, y, &ok))                                                        \
    BIN(floordiv_##S, T, T, ifdiv_##S(x, y, &ok))                                                  \
    BIN(floormod_##S, T, T, ifmod_##S(x, y, &ok))                                                  \
    BIN(max_##S, T, T, x < y ? y : x)                                                              \
    BIN(min_##S, T, T, y < x ? y : x)                                                              \
    BIN(pow_##S, T, T, ipow_##S(x, y, &ok))                                                        \
    BIN(sqdiff_##S, T, T, isqd_##S(x, y))                                                          \
    BIN(gt_##S, T, uint8_t, x > y)                                                                 \
    BIN(ge_##S, T, uint8_t, x >= y)                                                                \
    BIN(lt_##S, T, uint8_t, x < y)                                                                 \
    BIN(le_##S, T, uint8_t, x <= y)                                                                \
    BIN(eq_##S, T, uint8_t, x == y)                                                                \
    BIN(ne_##S, T, uint8_t, x != y)

INT_OPS(int32_t, uint32_t, i32)
INT_OPS(int64_t, uint64_t, i64)

BIN(eq_u8, uint8_t, uint8_t, (x != 0) == (y != 0))
BIN(ne_u8, uint8_t, uint8_t, (x != 0) != (y != 0))
BIN(and_u8, uint8_t, uint8_t, x &&y)
BIN(or_u8, uint8_t, uint8_t, x || y)

/* ---- binary op descriptors -------------------------------------------------------------- */

typedef struct binop {
    hc_ew_bin_fn fn[HC_EW_NCT]; /* per compute type; NULL: dtype not supported */
    hc_ew_bin_fn avx2, avx512;  /* fp32 variants */
    bool to_bool;               /* comparisons */
    int cost;                   /* relative to an add, for the thread count */
} binop;

#define ARITH(s)                                                                                   \
    { s##_f32, s##_i32, s##_i64, NULL, s##_f64 }
static const binop OP_ADD = {ARITH(add), hc_ew_add_f32_avx2, hc_ew_add_f32_avx512, false, 1};
static const binop OP_SUB = {ARITH(sub), hc_ew_sub_f32_avx2, hc_ew_sub_f32_avx512, false, 1};
static const binop OP_MUL = {ARITH(mul), hc_ew_mul_f32_avx2, hc_ew_mul_f32_avx512, false, 1};
static const binop OP_DIV = {ARITH(div), hc_ew_div_f32_avx2, hc_ew_div_f32_avx512, false, 2};
static const binop OP_REALDIV = {
    {div_f32, NULL, NULL, NULL, div_f64}, hc_ew_div_f32_avx2, hc_ew_div_f32_avx512, false, 2};
static const binop OP_FLOORDIV = {ARITH(floordiv), NULL, NULL, false, 4};
static const binop OP_FLOORMOD = {ARITH(floormod), NULL, NULL, false, 8};
static const binop OP_MAX = {ARITH(max), hc_ew_max_f32_avx2, hc_ew_max_f32_avx512, false, 1};
static const binop OP_MIN = {ARITH(min), hc_ew_min_f32_avx2, hc_ew_min_f32_avx512, false, 1};
static const binop OP_POW = {ARITH(pow), NULL, NULL, false, 16};
static const binop OP_SQDIFF = {ARITH(sqdiff), hc_ew_sqdiff_f32_avx2, hc_ew_sqdiff_f32_avx512,
                                false, 1};
static const binop OP_DIVNONAN = {
    {divnonan_f32, NULL, NULL, NULL, divnonan_f64}, NULL, NULL, false, 2};
#define CMP(s, u)                                                                                  \
    { {s##_f32, s##_i32, s##_i64, u, s##_f64}, NULL, NULL, true, 1 }
static const binop OP_GT = CMP(gt, NULL), OP_GE = CMP(ge, NULL);
static const binop OP_LT = CMP(lt, NULL), OP_LE = CMP(le, NULL);
static const binop OP_EQ = CMP(eq, eq_u8), OP_NE = CMP(ne, ne_u8);
static const binop OP_AND = {{NULL, NULL, NULL, and_u8, NULL}, NULL, NULL, true, 1};
static const binop OP_OR = {{NULL, NULL, NULL, or_u8, NULL}, NULL, NULL, true, 1};

/* ---- the binary kernel ------------------------------------------------------------------ */

typedef struct bin_job {
    const hc_cpu *cpu;
    hc_ew_plan plan;
    const void *in[2];
    hc_dtype in_dt, out_dt;
    void *out;
    hc_ew_bin_fn fn;
    bool failed[64];
} bin_job;

typedef struct bin_scratch {
    _Alignas(64) uint64_t buf[3][HC_EW_CHUNK];
    /* A tiled operand's tile repeated to HC_EW_CHUNK + tile elements, for the tile at rep_key. */
    _Alignas(64) uint64_t rep[2 * HC_EW_CHUNK];
    const void *rep_key;
    /* The last chunk staged per operand: a broadcast operand (per-channel bias) is read again
     * for every row, so its conversion is kept while the same elements come back. */
    const void *key[2];
    size_t key_n[2];
    const void *staged[2];
    bool failed;
} bin_scratch;

static const void *bin_stage(bin_job *j, bin_scratch *s, int i, int64_t off, size_t n) {
    const void *key = (const uint8_t *)j->in[i] + (size_t)off * hc_dtype_size(j->in_dt);
    if (s->key[i] == key && s->key_n[i] == n) return s->staged[i];
    s->key[i] = key;
    s->key_n[i] = n;
    s->staged[i] = hc_ew_load(j->cpu, j->in[i], j->in_dt, off, n, s->buf[i]);
    return s->staged[i];
}

static size_t ct_size(hc_dtype dt) {
    return dt == HC_DT_HALF ? 4 : hc_dtype_size(dt);
}

/* A tiled operand's elements from position pos of the merged dim: the tile starting at `base`
 * is staged once and repeated, so any window of HC_EW_CHUNK elements is contiguous. */
static const void *bin_tiled(bin_job *j, bin_scratch *s, int i, int64_t base, int64_t pos) {
    const size_t t = (size_t)j->plan.tile[i], esz = ct_size(j->in_dt);
    const void *key = (const uint8_t *)j->in[i] + (size_t)base * hc_dtype_size(j->in_dt);
    uint8_t *rep = (uint8_t *)s->rep;
    if (s->rep_key != key) {
        s->rep_key = key;
        memcpy(rep, hc_ew_load(j->cpu, j->in[i], j->in_dt, base, t, s->buf[i]), t * esz);
        for (size_t have = t; have < HC_EW_CHUNK + t; have *= 2)
            memcpy(rep + have * esz, rep, HC_MIN(have, HC_EW_CHUNK + t - have) * esz);
    }
    return rep + (size_t)(pos % (int64_t)t) * esz;
}

static void bin_run(void *vj, void *vs, const int64_t *in_off, int64_t out_off, int64_t n) {
    bin_job *j = vj;
    bin_scratch *s = vs;
    const int last = j->plan.rank - 1;
    const int64_t sa = j->plan.stride[0][last], sb = j->plan.stride[1][last];
    const int mode = sa == 0 ? HC_EW_SV : sb == 0 ? HC_EW_VS : HC_EW_VV;
    /* Position of this run in the innermost dim (the output is contiguous). */
    const int64_t pos = out_off % j->plan.dims[last];
    for (int64_t c = 0; c < n; c += HC_EW_CHUNK) {
        size_t cn = (size_t)HC_MIN((int64_t)HC_EW_CHUNK, n - c);
        const void *a = j->plan.tile[0] ? bin_tiled(j, s, 0, in_off[0] - pos, pos + c)
                                        : bin_stage(j, s, 0, in_off[0] + (sa ? c : 0), sa ? cn : 1);
        const void *b = j->plan.tile[1] ? bin_tiled(j, s, 1, in_off[1] - pos, pos + c)
                                        : bin_stage(j, s, 1, in_off[1] + (sb ? c : 0), sb ? cn : 1);
        void *o = hc_ew_direct(j->out, j->out_dt, out_off + c);
        if (!o) o = s->buf[2];
        if (!j->fn(a, b, o, cn, mode)) s->failed = true;
        hc_ew_store(j->cpu, j->out, j->out_dt, out_off + c, o, cn);
    }
}

static void bin_thread(void *arg, int ith, int nth) {
    bin_job *j = arg;
    bin_scratch s;
    memset(s.key, 0, sizeof s.key);
    memset(s.key_n, 0, sizeof s.key_n);
    memset(s.staged, 0, sizeof s.staged);
    s.rep_key = NULL;
    s.failed = false;
    size_t b, e;
    hc_split_range((size_t)j->plan.total, ith, nth, &b, &e);
    hc_ew_walk(&j->plan, (int64_t)b, (int64_t)e, bin_run, j, &s);
    j->failed[ith] = s.failed;
}

static hc_ew_bin_fn bin_pick(const binop *op, hc_ew_ct ct, const hc_cpu *cpu) {
    if (ct == HC_EW_F32 && cpu->avx512 && op->avx512) return op->avx512;
    if (ct == HC_EW_F32 && cpu->avx2 && op->avx2) return op->avx2;
    return op->fn[ct];
}

static hc_status bin_dtype_ok(const binop *op, hc_dtype dt) {
    hc_ew_ct ct = hc_ew_ct_of(dt);
    return ct != HC_EW_NCT && op->fn[ct] ? HC_OK : HC_UNSUPPORTED;
}

/* Run op over a and b (already checked to share a dtype) broadcast to each other. */
static hc_status bin_exec(hc_kernel_ctx *k, const binop *op, const hc_val *a, const hc_val *b) {
    if (bin_dtype_ok(op, a->dtype))
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(a->dtype));
    const hc_val *v[2] = {a, b};
    int rank;
    int64_t dims[HC_MAX_RANK];
    hc_status st = hc_ew_broadcast_shape(k, 2, v, &rank, dims);
    if (st) return st;
    hc_dtype out_dt = op->to_bool ? HC_DT_BOOL : a->dtype;
    /* Write in place into an input nobody else holds, when it has the output's shape: the
     * chunks below read each position before writing it. */
    bool a_full = hc_val_elems(a) == hc_val_elems(b) || hc_val_elems(a) > hc_val_elems(b);
    const hc_val *cand = a_full ? a : b;
    st = cand == a || cand == b ? hc_k_alloc_reuse(k, 0, cand, out_dt, rank, dims)
                                : hc_k_alloc(k, 0, out_dt, rank, dims);
    if (st) return st;
    bin_job j;
    memset(&j, 0, sizeof j);
    hc_ew_plan_init(&j.plan, 2, v, rank, dims);
    hc_ew_plan_tile(&j.plan, HC_EW_CHUNK);
    j.cpu = k->cpu;
    j.in[0] = a->data;
    j.in[1] = b->data;
    j.in_dt = a->dtype;
    j.out_dt = out_dt;
    j.out = k->out[0].data;
    j.fn = bin_pick(op, hc_ew_ct_of(a->dtype), k->cpu);
    int nth = hc_ew_threads(k, j.plan.total, op->cost);
    if (j.plan.total > 0) hc_pool_run(k->pool, bin_thread, &j, nth);
    bool failed = false;
    for (int i = 0; i < nth; i++)
        failed |= j.failed[i];
    if (failed)
        return hc_k_fail(k, HC_INVALID, "%s",
                         op == &OP_POW ? "integers to negative integer powers are not allowed"
                                       : "integer division by zero");
    return HC_OK;
}

static hc_status bin_run_op(hc_kernel_ctx *k, const binop *op) {
    if (k->n_in != 2) return hc_k_fail(k, HC_MALFORMED, "takes 2 inputs, has %u", k->n_in);
    if (k->in[0].dtype != k->in[1].dtype)
        return hc_k_fail(k, HC_TYPE, "inputs differ in dtype: %s and %s",
                         hc_dtype_name(k->in[0].dtype), hc_dtype_name(k->in[1].dtype));
    return bin_exec(k, op, &k->in[0], &k->in[1]);
}

/* Refuse at load a T the op has no kernel for (graphs without T are checked at run time). */
static hc_status bin_prepare(hc_kernel_prep *p, const binop *op) {
    hc_dtype t = hc_k_attr_type(p->node, "T", HC_DT_INVALID);
    if (t == HC_DT_INVALID || !bin_dtype_ok(op, t)) return HC_OK;
    return hc_kp_fail(p, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(t));
}

#define BINARY_KERNEL(name, desc)                                                                  \
    static hc_status prep_##name(hc_kernel_prep *p) {                                              \
        return bin_prepare(p, &(desc));                                                            \
    }                                                                                              \
    static hc_status run_##name(hc_kernel_ctx *k) {                                                \
        return bin_run_op(k, &(desc));                                                             \
    }

BINARY_KERNEL(add, OP_ADD)
BINARY_KERNEL(sub, OP_SUB)
BINARY_KERNEL(mul, OP_MUL)
BINARY_KERNEL(div, OP_DIV)
BINARY_KERNEL(realdiv, OP_REALDIV)
BINARY_KERNEL(floordiv, OP_FLOORDIV)
BINARY_KERNEL(floormod, OP_FLOORMOD)
BINARY_KERNEL(maximum, OP_MAX)
BINARY_KERNEL(minimum, OP_MIN)
BINARY_KERNEL(pow, OP_POW)
BINARY_KERNEL(sqdiff, OP_SQDIFF)
BINARY_KERNEL(divnonan, OP_DIVNONAN)
BINARY_KERNEL(greater, OP_GT)
BINARY_KERNEL(greater_equal, OP_GE)
BINARY_KERNEL(less, OP_LT)
BINARY_KERNEL(less_equal, OP_LE)
BINARY_KERNEL(equal, OP_EQ)
BINARY_KERNEL(not_equal, OP_NE)
BINARY_KERNEL(logical_and, OP_AND)
BINARY_KERNEL(logical_or, OP_OR)

/* ---- BiasAdd ---------------------------------------------------------------------------- */

typedef struct bias_state {
    bool nchw;
} bias_state;

static hc_status prep_bias_add(hc_kernel_prep *p) {
    hc_status st = bin_prepare(p, &OP_ADD);
    if (st) return st;
    bias_state *s = hc_arena_alloc(p->arena, sizeof *s);
    if (!s) return p->ctx->status;
    hc_span f;
    if (hc_k_attr_str(p->node, "data_format", &f) && !hc_span_eq_str(f, "NHWC")) {
        if (!hc_span_eq_str(f, "NCHW"))
            return hc_kp_fail(p, HC_UNSUPPORTED,
                              "data_format '" HC_SPAN_FMT "' is not NHWC or NCHW", HC_SPAN_ARG(f));
        s->nchw = true;
    }
    p->state = s;
    return HC_OK;
}

/* value + bias along the channel dim: the last (NHWC) or dim 1 (NCHW), as TF's BiasAddOp. */
static hc_status run_bias_add(hc_kernel_ctx *k) {
    const bias_state *s = k->state;
    if (k->n_in != 2 || !s) return hc_k_fail(k, HC_MALFORMED, "takes 2 inputs, has %u", k->n_in);
    const hc_val *x = &k->in[0], *b = &k->in[1];
    if (x->dtype != b->dtype)
        return hc_k_fail(k, HC_TYPE, "inputs differ in dtype: %s and %s", hc_dtype_name(x->dtype),
                         hc_dtype_name(b->dtype));
    if (x->rank < 2)
        return hc_k_fail(k, HC_INVALID, "input must be at least 2-D, is %d-D", x->rank);
    if (b->rank != 1) return hc_k_fail(k, HC_INVALID, "bias must be 1-D, is %d-D", b->rank);
    int c = s->nchw ? 1 : x->rank - 1;
    if (b->dims[0] != x->dims[c])
        return hc_k_fail(k, HC_INVALID, "bias has %lld values, the channel dimension is %lld",
                         (long long)b->dims[0], (long long)x->dims[c]);
    hc_val bv = *b; /* the bias as [1, C, 1, 1] or [1, 1, 1, C] */
    bv.rank = x->rank;
    for (int d = 0; d < x->rank; d++)
        bv.dims[d] = d == c ? b->dims[0] : 1;
    return bin_exec(k, &OP_ADD, x, &bv);
}

/* ---- the family table ------------------------------------------------------------------- */

#define UN(op) hc_ew_prep_##op, hc_ew_run_##op

/* Sorted by op name (strcmp; binary search). */
const hc_kernel hc_kernels_elementwise[] = {
    {"Abs", UN(Abs)},
    {"Add", prep_add, run_add},
    {"AddN", NULL, hc_ew_run_add_n},
    {"AddV2", prep_add, run_add},
    {"BiasAdd", prep_bias_add, run_bias_add},
    {"Cast", hc_ew_prep_cast, hc_ew_run_cast},
    {"Ceil", UN(Ceil)},
    {"ClipByValue", NULL, hc_ew_run_clip},
    {"Div", prep_div, run_div},
    {"DivNoNan", prep_divnonan, run_divnonan},
    {"Elu", UN(Elu)},
    {"Equal", prep_equal, run_equal},
    {"Erf", UN(Erf)},
    {"Exp", UN(Exp)},
    {"Expm1", UN(Expm1)},
    {"Floor", UN(Floor)},
    {"FloorDiv", prep_floordiv, run_floordiv},
    {"FloorMod", prep_floormod, run_floormod},
    {"Greater", prep_greater, run_greater},
    {"GreaterEqual", prep_greater_equal, run_greater_equal},
    {"Inv", UN(Inv)},
    {"IsFinite", UN(IsFinite)},
    {"IsInf", UN(IsInf)},
    {"IsNan", UN(IsNan)},
    {"LeakyRelu", UN(LeakyRelu)},
    {"Less", prep_less, run_less},
    {"LessEqual", prep_less_equal, run_less_equal},
    {"Log", UN(Log)},
    {"Log1p", UN(Log1p)},
    {"LogSoftmax", hc_ew_prep_softmax, hc_ew_run_log_softmax},
    {"LogicalAnd", prep_logical_and, run_logical_and},
    {"LogicalNot", UN(LogicalNot)},
    {"LogicalOr", prep_logical_or, run_logical_or},
    {"Maximum", prep_maximum, run_maximum},
    {"Minimum", prep_minimum, run_minimum},
    {"Mul", prep_mul, run_mul},
    {"Neg", UN(Neg)},
    {"NotEqual", prep_not_equal, run_not_equal},
    {"OnesLike", NULL, hc_ew_run_ones_like},
    {"Pow", prep_pow, run_pow},
    {"RealDiv", prep_realdiv, run_realdiv},
    {"Reciprocal", UN(Reciprocal)},
    {"Relu", UN(Relu)},
    {"Relu6", UN(Relu6)},
    {"Round", UN(Round)},
    {"Rsqrt", UN(Rsqrt)},
    {"Select", NULL, hc_ew_run_select},
    {"SelectV2", NULL, hc_ew_run_select_v2},
    {"Selu", UN(Selu)},
    {"Sigmoid", UN(Sigmoid)},
    {"Sign", UN(Sign)},
    {"Softmax", hc_ew_prep_softmax, hc_ew_run_softmax},
    {"Softplus", UN(Softplus)},
    {"Softsign", UN(Softsign)},
    {"Sqrt", UN(Sqrt)},
    {"Square", UN(Square)},
    {"SquaredDifference", prep_sqdiff, run_sqdiff},
    {"Sub", prep_sub, run_sub},
    {"Tanh", UN(Tanh)},
    {"ZerosLike", NULL, hc_ew_run_zeros_like},
};
const size_t hc_n_kernels_elementwise =
    sizeof hc_kernels_elementwise / sizeof hc_kernels_elementwise[0];
