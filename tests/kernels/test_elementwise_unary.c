/* test_elementwise_unary.c - the unary elementwise kernels through a real session: every op
 * on fp32, fp16 and (where TF has them) int32/int64, sizes around the SIMD widths (1, 7, 15,
 * 16, 17, 33, 64) and big enough for threads, special values (signed zeros, infinities, NaN,
 * round-half cases), under HC_CPU=scalar, avx2 and the best level with 1 and 2 threads.
 * Tolerances: exact for the IEEE-exact ops (Relu, Abs, Sqrt, Floor ...); 1e-6 relative to a
 * double-precision reference for the transcendental ones (libm or the SIMD exp); fp16 within
 * 2^-10 relative of the fp32 reference. Also sweeps Exp and Sigmoid's SIMD paths against libm. */
#include "ew_test.h"

enum { D_F32 = 1, D_F16 = 2, D_I32 = 4, D_I64 = 8, D_BOOL = 16, D_F64 = 32 };
enum { DOM_ANY, DOM_POS, DOM_LOG1P, DOM_EXP };

typedef struct unref {
    const char *op;
    unsigned dts;
    int dom;
    double tol; /* relative, fp32 */
    bool to_bool;
} unref;

static const unref UNOPS[] = {
    {"Abs", D_F32 | D_F16 | D_F64 | D_I32 | D_I64, DOM_ANY, 0, false},
    {"Ceil", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"Elu", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"Erf", D_F32 | D_F16 | D_F64, DOM_ANY, 1e-6, false},
    {"Exp", D_F32 | D_F16 | D_F64, DOM_EXP, 1e-6, false},
    {"Expm1", D_F32 | D_F16 | D_F64, DOM_ANY, 1e-6, false},
    {"Floor", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"Inv", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"IsFinite", D_F32 | D_F16 | D_F64, DOM_ANY, 0, true},
    {"IsInf", D_F32 | D_F16 | D_F64, DOM_ANY, 0, true},
    {"IsNan", D_F32 | D_F16 | D_F64, DOM_ANY, 0, true},
    {"LeakyRelu", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"Log", D_F32 | D_F16 | D_F64, DOM_POS, 1e-6, false},
    {"Log1p", D_F32 | D_F16 | D_F64, DOM_LOG1P, 1e-6, false},
    {"LogicalNot", D_BOOL, DOM_ANY, 0, false},
    {"Neg", D_F32 | D_F16 | D_F64 | D_I32 | D_I64, DOM_ANY, 0, false},
    {"Reciprocal", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"Relu", D_F32 | D_F16 | D_F64 | D_I32 | D_I64, DOM_ANY, 0, false},
    {"Relu6", D_F32 | D_F16 | D_F64 | D_I32 | D_I64, DOM_ANY, 0, false},
    {"Round", D_F32 | D_F16 | D_F64 | D_I32 | D_I64, DOM_ANY, 0, false},
    {"Rsqrt", D_F32 | D_F16 | D_F64, DOM_POS, 0, false},
    {"Selu", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"Sigmoid", D_F32 | D_F16 | D_F64, DOM_ANY, 1e-6, false},
    {"Sign", D_F32 | D_F16 | D_F64 | D_I32 | D_I64, DOM_ANY, 0, false},
    {"Softplus", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"Softsign", D_F32 | D_F16 | D_F64, DOM_ANY, 0, false},
    {"Sqrt", D_F32 | D_F16 | D_F64, DOM_POS, 0, false},
    {"Square", D_F32 | D_F16 | D_F64 | D_I32 | D_I64, DOM_ANY, 0, false},
    {"Tanh", D_F32 | D_F16 | D_F64, DOM_ANY, 1e-6, false},
};

static int is(const char *a, const char *b) {
    return strcmp(a, b) == 0;
}

/* TF's Round: banker's rounding, except that between 2^23 and 2^24 its floor(x + 0.5) sends
 * odd integers up by one (x + 0.5 ties to the even neighbour). */
static double round_tf(float x) {
    if (fabsf(x) >= 8388608.0f && fabsf(x) < 16777216.0f && fmodf(x, 2.0f) != 0.0f)
        return (double)x + 1.0;
    return nearbyint(x);
}

/* The reference: exact ops in float as TF computes them, transcendental ones in double. */
static double ref_un(const char *op, float x, float alpha) {
    const float selu_scale = 1.0507009873554804934f, selu_sa = 1.7580993408473768599f;
    if (is(op, "Abs")) return fabsf(x);
    if (is(op, "Ceil")) return ceilf(x);
    if (is(op, "Elu")) return x < 0 ? expf(x) - 1.0f : x;
    if (is(op, "Erf")) return erf((double)x);
    if (is(op, "Exp")) return exp((double)x);
    if (is(op, "Expm1")) return expm1((double)x);
    if (is(op, "Floor")) return floorf(x);
    if (is(op, "Inv") || is(op, "Reciprocal")) return 1.0f / x;
    if (is(op, "IsFinite")) return isfinite(x) != 0;
    if (is(op, "IsInf")) return isinf(x) != 0;
    if (is(op, "IsNan")) return isnan(x) != 0;
    if (is(op, "LeakyRelu")) return x > 0 ? x : x * alpha;
    if (is(op, "Log")) return log((double)x);
    if (is(op, "Log1p")) return log1p((double)x);
    if (is(op, "LogicalNot")) return x == 0;
    if (is(op, "Neg")) return -x;
    if (is(op, "Relu")) return isnan(x) ? x : x < 0 ? 0.0f : x;
    if (is(op, "Relu6")) return isnan(x) ? x : x < 0 ? 0.0f : x > 6 ? 6.0f : x;
    if (is(op, "Round")) return round_tf(x);
    if (is(op, "Rsqrt")) return 1.0f / sqrtf(x);
    if (is(op, "Selu")) return x < 0 ? selu_sa * (expf(x) - 1.0f) : selu_scale * x;
    if (is(op, "Sigmoid")) return 1.0 / (1.0 + exp(-(double)x));
    if (is(op, "Sign")) return (x > 0) - (x < 0);
    if (is(op, "Softplus")) {
        const float thr = logf(1.1920928955078125e-07f) + 2.0f;
        return x > -thr ? x : x < thr ? expf(x) : log1pf(expf(x));
    }
    if (is(op, "Softsign")) return x / (1.0f + fabsf(x));
    if (is(op, "Sqrt")) return sqrtf(x);
    if (is(op, "Square")) return x * x;
    if (is(op, "Tanh")) return tanh((double)x);
    fail_msg("no reference for %s", op);
    return 0;
}

/* double: the same formulas in double (TF's double kernels). */
static double ref_un64(const char *op, double x) {
    if (is(op, "Abs")) return fabs(x);
    if (is(op, "Ceil")) return ceil(x);
    if (is(op, "Elu")) return x < 0 ? exp(x) - 1.0 : x;
    if (is(op, "Erf")) return erf(x);
    if (is(op, "Exp")) return exp(x);
    if (is(op, "Expm1")) return expm1(x);
    if (is(op, "Floor")) return floor(x);
    if (is(op, "Inv") || is(op, "Reciprocal")) return 1.0 / x;
    if (is(op, "LeakyRelu")) return x > 0 ? x : x * (double)0.1f;
    if (is(op, "Log")) return log(x);
    if (is(op, "Log1p")) return log1p(x);
    if (is(op, "Neg")) return -x;
    if (is(op, "Relu")) return isnan(x) ? x : x < 0 ? 0.0 : x;
    if (is(op, "Relu6")) return isnan(x) ? x : x < 0 ? 0.0 : x > 6 ? 6.0 : x;
    if (is(op, "Round")) return nearbyint(x); /* inputs stay below 2^52 */
    if (is(op, "Rsqrt")) return 1.0 / sqrt(x);
    if (is(op, "Selu"))
        return x < 0 ? 1.7580993408473768599 * (exp(x) - 1.0) : 1.0507009873554804934 * x;
    if (is(op, "Sigmoid")) return 1.0 / (1.0 + exp(-x));
    if (is(op, "Softplus"))
        return x > 34.043653389117154 ? x : x < -34.043653389117154 ? exp(x) : log1p(exp(x));
    if (is(op, "Softsign")) return x / (1.0 + fabs(x));
    if (is(op, "Sqrt")) return sqrt(x);
    if (is(op, "Square")) return x * x;
    if (is(op, "Tanh")) return tanh(x);
    return ref_un(op, (float)x, 0.1f); /* classifiers, Sign */
}

static int64_t ref_un_i(const char *op, int64_t x, int bits) {
    int64_t mn = bits == 32 ? INT32_MIN : INT64_MIN;
    if (is(op, "Abs")) return x == mn ? mn : (x < 0 ? -x : x);
    if (is(op, "Neg")) return x == mn ? mn : -x;
    if (is(op, "Sign")) return (x > 0) - (x < 0);
    if (is(op, "Square")) {
        uint64_t s = (uint64_t)x * (uint64_t)x;
        return bits == 32 ? (int32_t)(uint32_t)s : (int64_t)s;
    }
    if (is(op, "Relu")) return x < 0 ? 0 : x;
    if (is(op, "Relu6")) return x < 0 ? 0 : x > 6 ? 6 : x;
    if (is(op, "Round")) return x;
    fail_msg("no integer reference for %s", op);
    return 0;
}

static const float SPECIALS[] = {0.0f,       -0.0f,      INFINITY,    -INFINITY, NAN,     0.5f,
                                 -0.5f,      1.5f,       2.5f,        -2.5f,     3.5f,    1e-30f,
                                 -1e-30f,    88.7f,      -87.5f,      100.0f,    -110.0f, 6.0f,
                                 5.9999995f, 8388609.0f, -8388609.0f, 4194304.5f};

static double gen_un(int dom, size_t i) {
    if (i < HC_COUNT(SPECIALS) && dom == DOM_ANY) return SPECIALS[i];
    switch (dom) {
    case DOM_POS:
        return i % 3 ? ew_uniform(1e-3, 50) : (double)ew_int(1, 400) / 8.0;
    case DOM_LOG1P:
        return ew_uniform(-0.999, 10);
    case DOM_EXP:
        return i < 8 ? (double)SPECIALS[i + 11] : ew_uniform(-100, 90);
    default:
        return i % 2 ? ew_uniform(-10, 10) : (double)ew_int(-80, 80) / 8.0;
    }
}

static void attr_unary(oprun *r, const void *user) {
    const hc_dtype *dt = user;
    if (*dt != HC_DT_BOOL) hc_gb_type(&r->t.g, r->node, "T", *dt);
    if (hc_span_eq_str(r->t.g.nodes[r->node].op, "LeakyRelu"))
        hc_gb_float(&r->t.g, r->node, "alpha", 0.1f);
}

static void check_value(const unref *u, hc_dtype dt, int cfg, size_t i, double x, double got) {
    if (dt == HC_DT_INT32 || dt == HC_DT_INT64) {
        int64_t w = ref_un_i(u->op, (int64_t)x, dt == HC_DT_INT32 ? 32 : 64);
        if ((int64_t)got != w)
            fail_msg("%s %s cfg %d [%zu] %g: got %g want %lld", u->op, hc_dtype_name(dt), cfg, i, x,
                     got, (long long)w);
        return;
    }
    if (dt == HC_DT_DOUBLE) {
        double w = ref_un64(u->op, x);
        if (!ew_close(got, w, 0, 0))
            fail_msg("%s double cfg %d [%zu] x=%.17g: got %.17g want %.17g", u->op, cfg, i, x, got,
                     w);
        return;
    }
    double want = (float)ref_un(u->op, (float)x, 0.1f); /* the fp32 result: overflow is inf */
    double tol = u->tol, abs_tol = u->tol > 0 ? 1e-37 : 0;
    if (dt == HC_DT_HALF && !u->to_bool) {
        tol = 1.0 / 1024; /* one fp16 ulp of the fp32 result */
        abs_tol = 6e-8;
        if (fabs(want) > 65504.0 * (1 + 1.0 / 2048) && isfinite(want))
            want = copysign(INFINITY, want);
    }
    if (!ew_close(got, want, tol, abs_tol))
        fail_msg("%s %s cfg %d [%zu] x=%.9g: got %.9g want %.9g", u->op, hc_dtype_name(dt), cfg, i,
                 x, got, want);
}

static void check_unary(const unref *u, hc_dtype dt, int64_t n) {
    const int64_t dims[2] = {n > 100 ? 4 : 1, n > 100 ? n / 4 : n};
    hc_tensor in = ew_tensor(dt, 2, dims, NULL);
    size_t count = ew_elems(2, dims);
    for (size_t i = 0; i < count; i++) {
        double v = gen_un(u->dom, i);
        if (dt == HC_DT_INT32 || dt == HC_DT_INT64)
            v = i == 0 ? (dt == HC_DT_INT32 ? INT32_MIN : -9.2233720368547758e18)
                       : (double)ew_int(-20, 20);
        ew_put((void *)in.data, dt, i, v);
    }
    ew_out first;
    for (int c = 0; c < EW_NCFG; c++) {
        ew_out o = ew_run(u->op, 1, &in, attr_unary, &dt, &EW_CFGS[c]);
        if (o.st) fail_msg("%s %s: %s", u->op, hc_dtype_name(dt), o.msg);
        assert_int_equal(o.t.dtype, u->to_bool ? HC_DT_BOOL : dt);
        assert_int_equal(o.t.rank, 2);
        for (size_t i = 0; i < count; i++) {
            double x = dt == HC_DT_INT64 ? (double)ew_get_i64(&in, i) : ew_get(&in, i);
            if (dt == HC_DT_INT64 || dt == HC_DT_INT32) {
                int64_t w = ref_un_i(u->op, ew_get_i64(&in, i), dt == HC_DT_INT32 ? 32 : 64);
                if (ew_get_i64(&o.t, i) != w)
                    fail_msg("%s %s [%zu]: got %lld want %lld", u->op, hc_dtype_name(dt), i,
                             (long long)ew_get_i64(&o.t, i), (long long)w);
                continue;
            }
            check_value(u, dt, c, i, x, ew_get(&o.t, i));
        }
        /* Same CPU level, 1 vs 2 threads: identical. */
        if (c == 2)
            first = o;
        else if (c == 3)
            ew_assert_same(&first, &o, u->op);
        if (c != 2) ew_out_free(&o);
    }
    ew_out_free(&first);
    ew_free(&in);
}

static void unary_ops_all_dtypes(void **state) {
    (void)state;
    const int64_t sizes[] = {1, 7, 15, 16, 17, 33, 64, 100003};
    for (size_t k = 0; k < HC_COUNT(UNOPS); k++)
        for (unsigned d = 1; d <= D_F64; d <<= 1) {
            if (!(UNOPS[k].dts & d)) continue;
            hc_dtype dt = d == D_F64   ? HC_DT_DOUBLE
                          : d == D_F32 ? HC_DT_FLOAT
                          : d == D_F16 ? HC_DT_HALF
                          : d == D_I32 ? HC_DT_INT32
                          : d == D_I64 ? HC_DT_INT64
                                       : HC_DT_BOOL;
            for (size_t s = 0; s < HC_COUNT(sizes); s++)
                check_unary(&UNOPS[k], dt, sizes[s]);
        }
}

static void bool_in_bool_out(void **state) {
    (void)state;
    uint8_t x[5] = {0, 1, 1, 0, 2};
    const int64_t d[1] = {5};
    hc_tensor in = tensor_of(HC_DT_BOOL, 1, d, x);
    hc_dtype dt = HC_DT_BOOL;
    ew_out o = ew_run("LogicalNot", 1, &in, attr_unary, &dt, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_OK);
    const uint8_t want[5] = {1, 0, 0, 1, 0};
    assert_memory_equal(o.data, want, 5);
    ew_out_free(&o);
}

static void leaky_relu_default_alpha(void **state) {
    (void)state;
    float x[3] = {-1.0f, 2.0f, -4.0f};
    const int64_t d[1] = {3};
    hc_tensor in = tensor_of(HC_DT_FLOAT, 1, d, x);
    hc_dtype dt = HC_DT_FLOAT;
    for (int c = 0; c < EW_NCFG; c++) {
        ew_out o = ew_run("LeakyRelu", 1, &in, ew_attr_t, &dt, &EW_CFGS[c]);
        assert_int_equal(o.st, HC_OK);
        const float *y = o.data;
        assert_true(y[0] == -0.2f && y[1] == 2.0f && y[2] == -4.0f * 0.2f);
        ew_out_free(&o);
    }
}

/* The SIMD exp and sigmoid against libm over their whole range, 1e-6 relative (results in
 * the subnormal range: 1e-37 absolute). */
static void exp_sigmoid_simd_sweep(void **state) {
    (void)state;
    const int64_t n = 300000, d[1] = {n};
    hc_tensor in = ew_tensor(HC_DT_FLOAT, 1, d, NULL);
    for (int64_t i = 0; i < n; i++)
        ew_put((void *)in.data, HC_DT_FLOAT, (size_t)i,
               i % 2 ? -104.0 + 193.0 * (double)i / (double)n : ew_uniform(-30, 30));
    hc_dtype dt = HC_DT_FLOAT;
    const char *ops[2] = {"Exp", "Sigmoid"};
    for (int k = 0; k < 2; k++)
        for (int c = 1; c <= 2; c++) { /* avx2, best */
            ew_out o = ew_run(ops[k], 1, &in, ew_attr_t, &dt, &EW_CFGS[c]);
            assert_int_equal(o.st, HC_OK);
            double worst = 0;
            for (int64_t i = 0; i < n; i++) {
                float x = (float)ew_get(&in, (size_t)i);
                double want = k == 0 ? expf(x) : 1.0f / (1.0f + expf(-x));
                double got = ew_get(&o.t, (size_t)i);
                if (!ew_close(got, want, 1e-6, 1e-37))
                    fail_msg("%s cfg %d x=%.9g: got %.9g want %.9g", ops[k], c, x, got, want);
                if (want > 1e-30) worst = fmax(worst, fabs(got - want) / want);
            }
            print_message("%s %s: worst relative error vs libm %.3g\n", ops[k],
                          c == 1 ? "avx2" : "best", worst);
            ew_out_free(&o);
        }
    ew_free(&in);
}

static void unsupported_dtypes_refused(void **state) {
    (void)state;
    const int64_t d[1] = {3};
    hc_tensor in = ew_tensor(HC_DT_INT32, 1, d, NULL);
    hc_dtype dt = HC_DT_INT32;
    ew_out o = ew_run("Exp", 1, &in, ew_attr_t, &dt, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_UNSUPPORTED); /* refused when the session is made */
    assert_non_null(strstr(o.msg, "int32"));
    ew_out_free(&o);
    ew_free(&in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unary_ops_all_dtypes),       cmocka_unit_test(bool_in_bool_out),
        cmocka_unit_test(leaky_relu_default_alpha),   cmocka_unit_test(exp_sigmoid_simd_sweep),
        cmocka_unit_test(unsupported_dtypes_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
