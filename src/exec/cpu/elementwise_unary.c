/* elementwise_unary.c - unary elementwise ops: activations (Relu, Relu6, LeakyRelu, Elu, Selu,
 * Sigmoid, Tanh, Softplus, Softsign), math (Exp, Log, Sqrt, Rsqrt, Erf ...), rounding, sign
 * and the float classifiers (IsNan, IsInf, IsFinite), plus LogicalNot. fp16 computes in fp32
 * per staged chunk; fp32 Relu/Relu6/LeakyRelu/Exp/Sigmoid have AVX2 and AVX-512 variants.
 *
 * double runs the same formulas in double precision (some graphs compute shapes in double).
 *
 * Semantics follow TensorFlow's functors (relu_op_functor.h, softplus_op.h, cwise_ops.h):
 * Relu/Relu6 propagate NaN; LeakyRelu is x > 0 ? x : alpha * x; Elu and Selu use exp(x) - 1;
 * Softplus switches to x or exp(x) beyond log(FLT_EPSILON) + 2; Round is TF's
 * round_half_to_even: floor(x + 0.5), corrected to even on exact halves. That is banker's
 * rounding below 2^22; from 2^23 up, x + 0.5 rounds and odd integers go up by one, as in TF. */
#include "exec/cpu/elementwise.h"

#include <math.h>

typedef struct unop {
    hc_ew_un_fn fn[HC_EW_NCT]; /* per input compute type; NULL: not supported */
    hc_ew_un_fn avx2, avx512;  /* fp32 variants */
    bool to_bool;              /* IsNan, IsInf, IsFinite */
    int cost;
} unop;

/* NOLINTBEGIN(bugprone-macro-parentheses): T and To are types. */
#define UNF(name, T, To, expr)                                                                     \
    static void name(const void *vx, void *vy, size_t n, float alpha) {                            \
        const T *xs = vx;                                                                          \
        To *ys = vy;                                                                               \
        (void)alpha;                                                                               \
        for (size_t i = 0; i < n; i++) {                                                           \
            T x = xs[i];                                                                           \
            ys[i] = (To)(expr);                                                                    \
        }                                                                                          \
    }
/* NOLINTEND(bugprone-macro-parentheses) */

float hc_ew_exp_scalar(float x) {
    return expf(x);
}

float hc_ew_sigmoid_scalar(float x) {
    return 1.0f / (1.0f + expf(-x));
}

static inline float round_tf(float x) {
    float r = floorf(x + 0.5f);
    return r - x == 0.5f ? 2.0f * floorf(0.5f * x + 0.5f) : r;
}

static inline float softplus(float x) {
    const float thr = -13.9423847f; /* log(FLT_EPSILON) + 2 */
    if (x > -thr) return x;
    float e = expf(x);
    return x < thr ? e : log1pf(e);
}

UNF(abs_f32, float, float, fabsf(x))
UNF(ceil_f32, float, float, ceilf(x))
UNF(elu_f32, float, float, x < 0.0f ? expf(x) - 1.0f : x)
UNF(erf_f32, float, float, erff(x))
UNF(exp_f32, float, float, expf(x))
UNF(expm1_f32, float, float, expm1f(x))
UNF(floor_f32, float, float, floorf(x))
UNF(recip_f32, float, float, 1.0f / x)
UNF(isfinite_f32, float, uint8_t, isfinite(x) != 0)
UNF(isinf_f32, float, uint8_t, isinf(x) != 0) /* glibc: -1 for -inf */
UNF(isnan_f32, float, uint8_t, isnan(x) != 0)
UNF(leaky_f32, float, float, x > 0.0f ? x : x * alpha)
UNF(log_f32, float, float, logf(x))
UNF(log1p_f32, float, float, log1pf(x))
UNF(neg_f32, float, float, -x)
UNF(relu_f32, float, float, x < 0.0f ? 0.0f : x)
UNF(relu6_f32, float, float, x<0.0f ? 0.0f : x> 6.0f ? 6.0f : x)
UNF(round_f32, float, float, round_tf(x))
UNF(rsqrt_f32, float, float, 1.0f / sqrtf(x))
UNF(selu_f32, float, float,
    x < 0.0f ? 1.7580993408473768599f * (expf(x) - 1.0f) : 1.0507009873554804934f * x)
UNF(sigmoid_f32, float, float, hc_ew_sigmoid_scalar(x))
UNF(sign_f32, float, float, (x > 0.0f) - (x < 0.0f))
UNF(softplus_f32, float, float, softplus(x))
UNF(softsign_f32, float, float, x / (1.0f + fabsf(x)))
UNF(sqrt_f32, float, float, sqrtf(x))
UNF(square_f32, float, float, x *x)
UNF(tanh_f32, float, float, tanhf(x))
UNF(not_u8, uint8_t, uint8_t, !x)

/* double: the same formulas in double precision (TF computes double ops in double). */
static inline double round_tf64(double x) {
    double r = floor(x + 0.5);
    return r - x == 0.5 ? 2.0 * floor(0.5 * x + 0.5) : r;
}

static inline double softplus64(double x) {
    const double thr = -34.043653389117154; /* log(DBL_EPSILON) + 2 */
    if (x > -thr) return x;
    double e = exp(x);
    return x < thr ? e : log1p(e);
}

UNF(abs_f64, double, double, fabs(x))
UNF(ceil_f64, double, double, ceil(x))
UNF(elu_f64, double, double, x < 0.0 ? exp(x) - 1.0 : x)
UNF(erf_f64, double, double, erf(x))
UNF(exp_f64, double, double, exp(x))
UNF(expm1_f64, double, double, expm1(x))
UNF(floor_f64, double, double, floor(x))
UNF(recip_f64, double, double, 1.0 / x)
UNF(isfinite_f64, double, uint8_t, isfinite(x) != 0)
UNF(isinf_f64, double, uint8_t, isinf(x) != 0)
UNF(isnan_f64, double, uint8_t, isnan(x) != 0)
UNF(leaky_f64, double, double, x > 0.0 ? x : x * (double)alpha)
UNF(log_f64, double, double, log(x))
UNF(log1p_f64, double, double, log1p(x))
UNF(neg_f64, double, double, -x)
UNF(relu_f64, double, double, x < 0.0 ? 0.0 : x)
UNF(relu6_f64, double, double, x<0.0 ? 0.0 : x> 6.0 ? 6.0 : x)
UNF(round_f64, double, double, round_tf64(x))
UNF(rsqrt_f64, double, double, 1.0 / sqrt(x))
UNF(selu_f64, double, double,
    x < 0.0 ? 1.7580993408473768599 * (exp(x) - 1.0) : 1.0507009873554804934 * x)
UNF(sigmoid_f64, double, double, 1.0 / (1.0 + exp(-x)))
UNF(sign_f64, double, double, (x > 0.0) - (x < 0.0))
UNF(softplus_f64, double, double, softplus64(x))
UNF(softsign_f64, double, double, x / (1.0 + fabs(x)))
UNF(sqrt_f64, double, double, sqrt(x))
UNF(square_f64, double, double, x *x)
UNF(tanh_f64, double, double, tanh(x))

/* Integer variants wrap on overflow (|INT_MIN| == INT_MIN, as the hardware gives). */
#define INT_UNARY(T, U, S)                                                                         \
    UNF(abs_##S, T, T, x < 0 ? (T)(0 - (U)x) : x)                                                  \
    UNF(neg_##S, T, T, (T)(0 - (U)x))                                                              \
    UNF(sign_##S, T, T, (x > 0) - (x < 0))                                                         \
    UNF(square_##S, T, T, (T)((U)x * (U)x))                                                        \
    UNF(relu_##S, T, T, x < 0 ? 0 : x)                                                             \
    UNF(relu6_##S, T, T, x<0 ? 0 : x> 6 ? 6 : x)                                                   \
    UNF(round_##S, T, T, x)
INT_UNARY(int32_t, uint32_t, i32)
INT_UNARY(int64_t, uint64_t, i64)

#define FLT(s)  {s##_f32, NULL, NULL, NULL, s##_f64}, NULL, NULL
#define INTS(s) {s##_f32, s##_i32, s##_i64, NULL, s##_f64}, NULL, NULL
#define SIMD(s, v)                                                                                 \
    {s##_f32, NULL, NULL, NULL, s##_f64}, hc_ew_##v##_f32_avx2, hc_ew_##v##_f32_avx512
#define SIMD_INTS(s)                                                                               \
    {s##_f32, s##_i32, s##_i64, NULL, s##_f64}, hc_ew_##s##_f32_avx2, hc_ew_##s##_f32_avx512

static const unop U_Abs = {INTS(abs), false, 1};
static const unop U_Ceil = {FLT(ceil), false, 1};
static const unop U_Elu = {FLT(elu), false, 8};
static const unop U_Erf = {FLT(erf), false, 8};
static const unop U_Exp = {SIMD(exp, exp), false, 8};
static const unop U_Expm1 = {FLT(expm1), false, 8};
static const unop U_Floor = {FLT(floor), false, 1};
static const unop U_Inv = {FLT(recip), false, 2};
static const unop U_IsFinite = {FLT(isfinite), true, 1};
static const unop U_IsInf = {FLT(isinf), true, 1};
static const unop U_IsNan = {FLT(isnan), true, 1};
static const unop U_LeakyRelu = {SIMD(leaky, leaky), false, 1};
static const unop U_Log = {FLT(log), false, 8};
static const unop U_Log1p = {FLT(log1p), false, 8};
static const unop U_LogicalNot = {{NULL, NULL, NULL, not_u8, NULL}, NULL, NULL, false, 1};
static const unop U_Neg = {INTS(neg), false, 1};
static const unop U_Reciprocal = {FLT(recip), false, 2};
static const unop U_Relu = {SIMD_INTS(relu), false, 1};
static const unop U_Relu6 = {SIMD_INTS(relu6), false, 1};
static const unop U_Round = {INTS(round), false, 2};
static const unop U_Rsqrt = {FLT(rsqrt), false, 2};
static const unop U_Selu = {FLT(selu), false, 8};
static const unop U_Sigmoid = {SIMD(sigmoid, sigmoid), false, 8};
static const unop U_Sign = {INTS(sign), false, 1};
static const unop U_Softplus = {FLT(softplus), false, 16};
static const unop U_Softsign = {FLT(softsign), false, 2};
static const unop U_Sqrt = {FLT(sqrt), false, 2};
static const unop U_Square = {INTS(square), false, 1};
static const unop U_Tanh = {FLT(tanh), false, 8};

typedef struct un_job {
    const hc_cpu *cpu;
    const void *in;
    void *out;
    hc_dtype in_dt, out_dt;
    hc_ew_un_fn fn;
    float alpha;
    int64_t total;
} un_job;

static void un_thread(void *arg, int ith, int nth) {
    const un_job *j = arg;
    _Alignas(64) uint64_t buf[2][HC_EW_CHUNK];
    size_t b, e;
    hc_split_range((size_t)j->total, ith, nth, &b, &e);
    for (size_t c = b; c < e; c += HC_EW_CHUNK) {
        size_t n = HC_MIN((size_t)HC_EW_CHUNK, e - c);
        const void *x = hc_ew_load(j->cpu, j->in, j->in_dt, (int64_t)c, n, buf[0]);
        void *y = hc_ew_direct(j->out, j->out_dt, (int64_t)c);
        if (!y) y = buf[1];
        j->fn(x, y, n, j->alpha);
        hc_ew_store(j->cpu, j->out, j->out_dt, (int64_t)c, y, n);
    }
}

static bool un_dtype_ok(const unop *op, hc_dtype dt) {
    hc_ew_ct ct = hc_ew_ct_of(dt);
    return ct != HC_EW_NCT && op->fn[ct];
}

static hc_status un_prepare(hc_kernel_prep *p, const unop *op) {
    hc_dtype t = hc_k_attr_type(p->node, "T", HC_DT_INVALID);
    if (t == HC_DT_INVALID || un_dtype_ok(op, t)) return HC_OK;
    return hc_kp_fail(p, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(t));
}

static hc_status un_run(hc_kernel_ctx *k, const unop *op) {
    if (k->n_in != 1) return hc_k_fail(k, HC_MALFORMED, "takes 1 input, has %u", k->n_in);
    const hc_val *x = &k->in[0];
    if (!un_dtype_ok(op, x->dtype))
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(x->dtype));
    hc_dtype out_dt = op->to_bool ? HC_DT_BOOL : x->dtype;
    hc_status st = hc_k_alloc_reuse(k, 0, x, out_dt, x->rank, x->dims);
    if (st) return st;
    hc_ew_ct ct = hc_ew_ct_of(x->dtype);
    un_job j = {k->cpu,
                x->data,
                k->out[0].data,
                x->dtype,
                out_dt,
                op->fn[ct],
                hc_k_attr_float(k->node, "alpha", 0.2f),
                hc_val_elems(x)};
    if (ct == HC_EW_F32 && k->cpu->avx512 && op->avx512)
        j.fn = op->avx512;
    else if (ct == HC_EW_F32 && k->cpu->avx2 && op->avx2)
        j.fn = op->avx2;
    if (j.total > 0) hc_pool_run(k->pool, un_thread, &j, hc_ew_threads(k, j.total, op->cost));
    return HC_OK;
}

#define UNARY_KERNEL(op)                                                                           \
    hc_status hc_ew_prep_##op(hc_kernel_prep *p) {                                                 \
        return un_prepare(p, &U_##op);                                                             \
    }                                                                                              \
    hc_status hc_ew_run_##op(hc_kernel_ctx *k) {                                                   \
        return un_run(k, &U_##op);                                                                 \
    }
HC_EW_UNARY_OPS(UNARY_KERNEL)
