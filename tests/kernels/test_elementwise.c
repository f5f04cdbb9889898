/* test_elementwise.c - the binary elementwise kernels through a real session: every op and
 * dtype (fp32, fp16, int32, int64, bool) over broadcast shapes (rank mismatch, scalars, size-1
 * dims, tails around the SIMD widths, empty tensors, shapes big enough for several threads),
 * against scalar references written here; each run under HC_CPU=scalar, avx2 and the machine's
 * best, with 1 and 2 threads. fp32 results must be exact; fp16 results must equal the fp32
 * reference rounded to half (and so lie within 2^-11 relative of it). Also BiasAdd in NHWC and
 * NCHW, unaligned operands, the family tables' order, and malformed inputs. */
#include "ew_test.h"

#include "exec/exec.h"

extern const hc_kernel hc_kernels_elementwise[];
extern const size_t hc_n_kernels_elementwise;
extern const hc_kernel hc_kernels_reduce[];
extern const size_t hc_n_kernels_reduce;

/* ---- references ------------------------------------------------------------------------- */

enum { D_F32 = 1, D_F16 = 2, D_I32 = 4, D_I64 = 8, D_BOOL = 16, D_F64 = 32 };
enum { K_ARITH, K_CMP, K_LOGIC };
/* Input domains: general, positive bases for Pow, nonzero divisors. */
enum { DOM_ANY, DOM_POW, DOM_DIV };

typedef struct binref {
    const char *op;
    unsigned dts;
    int kind, dom;
} binref;

static const binref BINOPS[] = {
    {"Add", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_ANY},
    {"AddV2", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_ANY},
    {"Sub", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_ANY},
    {"Mul", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_ANY},
    {"RealDiv", D_F32 | D_F16 | D_F64, K_ARITH, DOM_ANY},
    {"Div", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_DIV},
    {"FloorDiv", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_DIV},
    {"FloorMod", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_DIV},
    {"Maximum", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_ANY},
    {"Minimum", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_ANY},
    {"Pow", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_POW},
    {"SquaredDifference", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_ARITH, DOM_ANY},
    {"DivNoNan", D_F32 | D_F16 | D_F64, K_ARITH, DOM_ANY},
    {"Greater", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_CMP, DOM_ANY},
    {"GreaterEqual", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_CMP, DOM_ANY},
    {"Less", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_CMP, DOM_ANY},
    {"LessEqual", D_F32 | D_F16 | D_I32 | D_I64 | D_F64, K_CMP, DOM_ANY},
    {"Equal", D_F32 | D_F16 | D_I32 | D_I64 | D_F64 | D_BOOL, K_CMP, DOM_ANY},
    {"NotEqual", D_F32 | D_F16 | D_I32 | D_I64 | D_F64 | D_BOOL, K_CMP, DOM_ANY},
    {"LogicalAnd", D_BOOL, K_LOGIC, DOM_ANY},
    {"LogicalOr", D_BOOL, K_LOGIC, DOM_ANY},
};

static int is(const char *a, const char *b) {
    return strcmp(a, b) == 0;
}

/* The float result of op, computed in float as TF's functors do (std::max is x < y ? y : x;
 * FloorMod is fmod corrected toward the divisor's sign). */
static float ref_f(const char *op, float x, float y) {
    if (is(op, "Add") || is(op, "AddV2")) return x + y;
    if (is(op, "Sub")) return x - y;
    if (is(op, "Mul")) return x * y;
    if (is(op, "RealDiv") || is(op, "Div")) return x / y;
    if (is(op, "FloorDiv")) return floorf(x / y);
    if (is(op, "FloorMod")) {
        double m = fmod((double)x, (double)y); /* exact */
        return (float)(m != 0 && ((m < 0) != (y < 0)) ? m + y : m);
    }
    if (is(op, "Maximum")) return x < y ? y : x;
    if (is(op, "Minimum")) return y < x ? y : x;
    if (is(op, "Pow")) return powf(x, y);
    if (is(op, "SquaredDifference")) return (x - y) * (x - y);
    if (is(op, "DivNoNan")) return y == 0 ? 0.0f : x / y;
    if (is(op, "Greater")) return x > y;
    if (is(op, "GreaterEqual")) return x >= y;
    if (is(op, "Less")) return x < y;
    if (is(op, "LessEqual")) return x <= y;
    if (is(op, "Equal")) return x == y;
    if (is(op, "NotEqual")) return x != y;
    if (is(op, "LogicalAnd")) return x != 0 && y != 0;
    if (is(op, "LogicalOr")) return x != 0 || y != 0;
    fail_msg("no reference for %s", op);
    return 0;
}

/* The double result of op, computed in double. */
static double ref_d(const char *op, double x, double y) {
    if (is(op, "FloorDiv")) return floor(x / y);
    if (is(op, "FloorMod")) {
        double m = fmod(x, y);
        return m != 0 && ((m < 0) != (y < 0)) ? m + y : m;
    }
    if (is(op, "Pow")) return pow(x, y);
    if (is(op, "Add") || is(op, "AddV2")) return x + y;
    if (is(op, "Sub")) return x - y;
    if (is(op, "Mul")) return x * y;
    if (is(op, "RealDiv") || is(op, "Div")) return x / y;
    if (is(op, "SquaredDifference")) return (x - y) * (x - y);
    if (is(op, "DivNoNan")) return y == 0 ? 0.0 : x / y;
    return ref_f(op, (float)x, (float)y); /* max/min/comparisons: exact on these inputs */
}

static int64_t wrap(int64_t v, int bits) {
    return bits == 32 ? (int64_t)(int32_t)(uint32_t)(uint64_t)v : v;
}

/* Integer reference, via floating-point division for the floor ops (inputs are small). */
static int64_t ref_i(const char *op, int64_t x, int64_t y, int bits) {
    uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
    if (is(op, "Add") || is(op, "AddV2")) return wrap((int64_t)(ux + uy), bits);
    if (is(op, "Sub")) return wrap((int64_t)(ux - uy), bits);
    if (is(op, "Mul")) return wrap((int64_t)(ux * uy), bits);
    if (is(op, "Div")) return (int64_t)trunc((double)x / (double)y);
    if (is(op, "FloorDiv")) return (int64_t)floor((double)x / (double)y);
    if (is(op, "FloorMod")) return x - (int64_t)floor((double)x / (double)y) * y;
    if (is(op, "Maximum")) return x > y ? x : y;
    if (is(op, "Minimum")) return x < y ? x : y;
    if (is(op, "Pow")) {
        uint64_t r = 1;
        for (int64_t i = 0; i < y; i++)
            r *= ux;
        return wrap((int64_t)r, bits);
    }
    if (is(op, "SquaredDifference")) return wrap((int64_t)((ux - uy) * (ux - uy)), bits);
    return (int64_t)ref_f(op, (float)x, (float)y); /* comparisons, logical */
}

static hc_dtype dt_of(unsigned d) {
    switch (d) {
    case D_F32:
        return HC_DT_FLOAT;
    case D_F16:
        return HC_DT_HALF;
    case D_I32:
        return HC_DT_INT32;
    case D_I64:
        return HC_DT_INT64;
    case D_F64:
        return HC_DT_DOUBLE;
    default:
        return HC_DT_BOOL;
    }
}

/* ---- inputs ----------------------------------------------------------------------------- */

/* Quarter steps make ties for Maximum/Equal and keep fp16 inputs exact. */
static double gen_value(hc_dtype dt, int dom, bool second) {
    if (dt == HC_DT_BOOL) return (double)(ew_next() & 1);
    bool ints = dt == HC_DT_INT32 || dt == HC_DT_INT64;
    if (dom == DOM_POW) {
        if (ints) return second ? (double)ew_int(0, 5) : (double)ew_int(-4, 4);
        return second ? (double)ew_int(-12, 12) / 4.0 : (double)ew_int(1, 16) / 4.0;
    }
    if (ints) {
        int64_t v = ew_int(-1000, 1000);
        if (dom == DOM_DIV && second) v = ew_int(1, 9) * (ew_next() & 1 ? 1 : -1);
        return (double)v;
    }
    double v = (double)ew_int(-32, 32) / 4.0;
    if (dom == DOM_DIV && second && v == 0) v = 0.75;
    return v;
}

static hc_tensor make_input(hc_dtype dt, int rank, const int64_t *dims, int dom, bool second) {
    hc_tensor t = ew_tensor(dt, rank, dims, NULL);
    for (size_t i = 0, n = ew_elems(rank, dims); i < n; i++)
        ew_put((void *)t.data, dt, i, gen_value(dt, dom, second));
    return t;
}

/* ---- the binary check ------------------------------------------------------------------- */

typedef struct shape_pair {
    int ra;
    int64_t a[6];
    int rb;
    int64_t b[6];
} shape_pair;

static const shape_pair SHAPES[] = {
    {3, {2, 3, 17}, 3, {2, 3, 17}},
    {3, {4, 5, 33}, 1, {33}},
    {1, {33}, 3, {4, 5, 33}},
    {4, {2, 16, 1, 7}, 4, {1, 1, 5, 7}},
    {0, {0}, 1, {15}},
    {1, {15}, 0, {0}},
    {2, {3, 1}, 2, {1, 4}},
    {1, {1}, 2, {2, 3}},
    {5, {2, 3, 4, 5, 6}, 3, {4, 1, 6}},
    {1, {64}, 1, {64}},
    {2, {0, 3}, 1, {3}},
    {3, {2, 1, 64}, 3, {2, 64, 1}},
    {3, {3, 1, 1}, 3, {1, 5, 1}},
    {2, {7, 16}, 2, {7, 1}},
    {2, {9, 1}, 2, {9, 31}},
    {0, {0}, 0, {0}},
    {1, {65537}, 0, {0}},
    {4, {2, 64, 64, 16}, 1, {16}},
};

static void check_binary(const binref *b, hc_dtype dt, const shape_pair *sp, int cfg_lo,
                         int cfg_hi) {
    hc_tensor in[2] = {make_input(dt, sp->ra, sp->a, b->dom, false),
                       make_input(dt, sp->rb, sp->b, b->dom, true)};
    int orank = HC_MAX(sp->ra, sp->rb);
    int64_t odims[8];
    for (int d = 0; d < orank; d++) {
        int ia = d - (orank - sp->ra), ib = d - (orank - sp->rb);
        int64_t da = ia < 0 ? 1 : sp->a[ia], db = ib < 0 ? 1 : sp->b[ib];
        odims[d] = da == 1 ? db : da;
    }
    size_t n = ew_elems(orank, odims);
    hc_dtype out_dt = b->kind == K_ARITH ? dt : HC_DT_BOOL;
    ew_out first;
    char shape[64];
    ew_shape_str(orank, odims, shape, sizeof shape);
    for (int c = cfg_lo; c < cfg_hi; c++) {
        ew_out o = ew_run(b->op, 2, in, ew_attr_t, &dt, &EW_CFGS[c]);
        if (o.st) fail_msg("%s %s %s: %s", b->op, hc_dtype_name(dt), shape, o.msg);
        assert_int_equal(o.t.dtype, out_dt);
        assert_int_equal(o.t.rank, orank);
        for (int d = 0; d < orank; d++)
            assert_int_equal(o.t.dims[d], odims[d]);
        for (size_t i = 0; i < n; i++) {
            size_t ia = ew_bidx(orank, odims, i, &in[0]), ib = ew_bidx(orank, odims, i, &in[1]);
            double want, got = ew_get(&o.t, i);
            if (dt == HC_DT_INT32 || dt == HC_DT_INT64) {
                int64_t w = ref_i(b->op, ew_get_i64(&in[0], ia), ew_get_i64(&in[1], ib),
                                  dt == HC_DT_INT32 ? 32 : 64);
                if (ew_get_i64(&o.t, i) != w)
                    fail_msg("%s %s %s cfg %d [%zu]: got %lld want %lld", b->op, hc_dtype_name(dt),
                             shape, c, i, (long long)ew_get_i64(&o.t, i), (long long)w);
                continue;
            }
            if (dt == HC_DT_DOUBLE) {
                double w = ref_d(b->op, ew_get(&in[0], ia), ew_get(&in[1], ib));
                if (!ew_close(got, w, 0, 0))
                    fail_msg("%s double %s [%zu]: got %.17g want %.17g", b->op, shape, i, got, w);
                continue;
            }
            float f = ref_f(b->op, (float)ew_get(&in[0], ia), (float)ew_get(&in[1], ib));
            want = dt == HC_DT_HALF && out_dt == HC_DT_HALF ? hc_f16_to_f32(hc_f32_to_f16(f)) : f;
            if (!ew_close(got, want, 0, 0) ||
                (dt == HC_DT_HALF && !ew_close(got, f, 1.0 / 2048, 6e-8)))
                fail_msg("%s %s %s cfg %d [%zu]: %g %g -> got %.9g want %.9g", b->op,
                         hc_dtype_name(dt), shape, c, i, ew_get(&in[0], ia), ew_get(&in[1], ib),
                         got, want);
        }
        if (c == cfg_lo)
            first = o;
        else {
            ew_assert_same(&first, &o, b->op);
            ew_out_free(&o);
        }
    }
    ew_out_free(&first);
    ew_free(&in[0]);
    ew_free(&in[1]);
}

static void binary_ops_all_dtypes_and_shapes(void **state) {
    (void)state;
    for (size_t k = 0; k < HC_COUNT(BINOPS); k++) {
        for (unsigned d = 1; d <= D_F64; d <<= 1) {
            if (!(BINOPS[k].dts & d)) continue;
            bool floats = d == D_F32 || d == D_F16;
            for (size_t s = 0; s < HC_COUNT(SHAPES); s++) {
                bool big = ew_elems(SHAPES[s].ra, SHAPES[s].a) > 60000;
                /* Floats run under every configuration; the integer and bool kernels have no
                 * SIMD variants, so one level with 1 and 2 threads covers them. */
                int lo = floats ? 0 : 2, hi = floats && !big ? EW_NCFG : 4;
                check_binary(&BINOPS[k], dt_of(d), &SHAPES[s], lo, hi);
            }
        }
    }
}

/* Integer arithmetic wraps; float maximum keeps a NaN in x and drops one in y (std::max). */
static void binary_edge_values(void **state) {
    (void)state;
    const int64_t d1[1] = {2};
    int32_t a[2] = {INT32_MAX, INT32_MIN}, b[2] = {1, -1};
    hc_tensor in[2] = {tensor_of(HC_DT_INT32, 1, d1, a), tensor_of(HC_DT_INT32, 1, d1, b)};
    hc_dtype dt = HC_DT_INT32;
    ew_out o = ew_run("Add", 2, in, ew_attr_t, &dt, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_OK);
    assert_int_equal(((int32_t *)o.data)[0], INT32_MIN);
    assert_int_equal(((int32_t *)o.data)[1], INT32_MAX);
    ew_out_free(&o);
    o = ew_run("Div", 2, in, ew_attr_t, &dt, &EW_CFGS[0]); /* INT32_MIN / -1 wraps */
    assert_int_equal(o.st, HC_OK);
    assert_int_equal(((int32_t *)o.data)[1], INT32_MIN);
    ew_out_free(&o);
    for (int c = 0; c < EW_NCFG; c++) {
        float x[4] = {NAN, 1.0f, -0.0f, 0.0f}, y[4] = {1.0f, NAN, 0.0f, -0.0f};
        const int64_t d4[1] = {4};
        hc_tensor fin[2] = {tensor_of(HC_DT_FLOAT, 1, d4, x), tensor_of(HC_DT_FLOAT, 1, d4, y)};
        dt = HC_DT_FLOAT;
        o = ew_run("Maximum", 2, fin, ew_attr_t, &dt, &EW_CFGS[c]);
        const float *r = o.data;
        assert_true(isnan(r[0]));
        assert_true(r[1] == 1.0f);
        assert_true(signbit(r[2]) && !signbit(r[3])); /* equal: x is kept */
        ew_out_free(&o);
    }
}

/* ---- BiasAdd ---------------------------------------------------------------------------- */

static void attr_bias(oprun *r, const void *user) {
    const hc_dtype *dt = user;
    hc_gb_type(&r->t.g, r->node, "T", dt[0]);
    if (dt[1]) hc_gb_str(&r->t.g, r->node, "data_format", "NCHW");
}

static void bias_add_nhwc_nchw(void **state) {
    (void)state;
    const int64_t channels[] = {1, 7, 15, 16, 17, 33, 64};
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_HALF, HC_DT_INT32};
    for (size_t ci = 0; ci < HC_COUNT(channels); ci++) {
        for (size_t di = 0; di < HC_COUNT(dts); di++) {
            for (int nchw = 0; nchw < 2; nchw++) {
                int64_t C = channels[ci], hw = (int64_t)(ci * 5 + 3);
                int64_t nhwc_dims[4] = {2, hw, 3, C}, nchw_dims[4] = {2, C, hw, 3};
                const int64_t *xd = nchw ? nchw_dims : nhwc_dims, bd[1] = {C};
                hc_tensor in[2] = {make_input(dts[di], 4, xd, DOM_ANY, false),
                                   make_input(dts[di], 1, bd, DOM_ANY, true)};
                hc_dtype attr[2] = {dts[di], (hc_dtype)nchw};
                size_t n = ew_elems(4, xd);
                ew_out first;
                for (int c = 0; c < EW_NCFG; c++) {
                    ew_out o = ew_run("BiasAdd", 2, in, attr_bias, attr, &EW_CFGS[c]);
                    if (o.st) fail_msg("BiasAdd: %s", o.msg);
                    for (size_t i = 0; i < n; i++) {
                        size_t ch = nchw ? (i / (size_t)(hw * 3)) % (size_t)C : i % (size_t)C;
                        float want = (float)ew_get(&in[0], i) + (float)ew_get(&in[1], ch);
                        if (dts[di] == HC_DT_HALF) want = hc_f16_to_f32(hc_f32_to_f16(want));
                        if (ew_get(&o.t, i) != want)
                            fail_msg("BiasAdd C=%lld nchw=%d %s [%zu]: got %g want %g",
                                     (long long)C, nchw, hc_dtype_name(dts[di]), i, ew_get(&o.t, i),
                                     want);
                    }
                    if (c == 0)
                        first = o;
                    else {
                        ew_assert_same(&first, &o, "BiasAdd");
                        ew_out_free(&o);
                    }
                }
                ew_out_free(&first);
                ew_free(&in[0]);
                ew_free(&in[1]);
            }
        }
    }
}

/* Operands that are unaligned views (as weights in the mapped file can be) read correctly. */
static void unaligned_operands(void **state) {
    (void)state;
    const int64_t xd[3] = {5, 9, 33}, bd[1] = {33};
    size_t n = ew_elems(3, xd);
    uint8_t *raw_x = malloc(n * 4 + 1), *raw_b = malloc(33 * 4 + 3);
    for (size_t i = 0; i < n; i++)
        ew_put(raw_x + 1, HC_DT_FLOAT, i, gen_value(HC_DT_FLOAT, DOM_ANY, false));
    for (size_t i = 0; i < 33; i++)
        ew_put(raw_b + 3, HC_DT_FLOAT, i, gen_value(HC_DT_FLOAT, DOM_ANY, true));
    hc_tensor in[2] = {tensor_of(HC_DT_FLOAT, 3, xd, raw_x + 1),
                       tensor_of(HC_DT_FLOAT, 1, bd, raw_b + 3)};
    hc_dtype dt = HC_DT_FLOAT;
    for (int c = 0; c < EW_NCFG; c++) {
        ew_out o = ew_run("Mul", 2, in, ew_attr_t, &dt, &EW_CFGS[c]);
        assert_int_equal(o.st, HC_OK);
        for (size_t i = 0; i < n; i++)
            assert_true(ew_get(&o.t, i) ==
                        (double)((float)ew_get(&in[0], i) * (float)ew_get(&in[1], i % 33)));
        ew_out_free(&o);
    }
    free(raw_x);
    free(raw_b);
}

/* ---- tables and errors ------------------------------------------------------------------ */

static void tables_are_sorted(void **state) {
    (void)state;
    for (size_t i = 1; i < hc_n_kernels_elementwise; i++)
        if (strcmp(hc_kernels_elementwise[i - 1].op, hc_kernels_elementwise[i].op) >= 0)
            fail_msg("elementwise table out of order at %s", hc_kernels_elementwise[i].op);
    for (size_t i = 1; i < hc_n_kernels_reduce; i++)
        assert_true(strcmp(hc_kernels_reduce[i - 1].op, hc_kernels_reduce[i].op) < 0);
    assert_non_null(hc_exec_find_kernel(hc_span_str("SquaredDifference")));
    assert_non_null(hc_exec_find_kernel(hc_span_str("Abs")));
    assert_non_null(hc_exec_find_kernel(hc_span_str("ZerosLike")));
}

static ew_out run2(const char *op, hc_dtype da, int ra, const int64_t *a, hc_dtype db, int rb,
                   const int64_t *b, hc_dtype t) {
    hc_tensor in[2] = {ew_tensor(da, ra, a, NULL), ew_tensor(db, rb, b, NULL)};
    ew_put((void *)in[0].data, da, 0, 1); /* for integer division: 1 / 0 */
    ew_out o = ew_run(op, 2, in, ew_attr_t, &t, &EW_CFGS[0]);
    ew_free(&in[0]);
    ew_free(&in[1]);
    return o;
}

static void expect_error(ew_out o, hc_status st, const char *needle) {
    if (o.st != st) fail_msg("expected status %d, got %d (%s)", st, o.st, o.msg);
    if (needle && !strstr(o.msg, needle)) fail_msg("message '%s' lacks '%s'", o.msg, needle);
    ew_out_free(&o);
}

static void malformed_inputs_fail_cleanly(void **state) {
    (void)state;
    const int64_t d23[2] = {2, 3}, d4[1] = {4}, d3[1] = {3}, d33[2] = {3, 3};
    expect_error(run2("Add", HC_DT_FLOAT, 2, d23, HC_DT_FLOAT, 1, d4, HC_DT_FLOAT), HC_INVALID,
                 "incompatible shapes");
    expect_error(run2("Add", HC_DT_FLOAT, 2, d23, HC_DT_INT32, 1, d3, HC_DT_FLOAT), HC_TYPE,
                 "differ in dtype");
    expect_error(run2("Div", HC_DT_INT32, 1, d3, HC_DT_INT32, 1, d3, HC_DT_INT32), HC_INVALID,
                 "division by zero");
    expect_error(run2("FloorMod", HC_DT_INT64, 1, d3, HC_DT_INT64, 1, d3, HC_DT_INT64), HC_INVALID,
                 "division by zero");
    hc_tensor in[2] = {ew_tensor(HC_DT_INT32, 1, d3, NULL), ew_tensor(HC_DT_INT32, 1, d3, NULL)};
    ew_put((void *)in[1].data, HC_DT_INT32, 2, -1);
    hc_dtype t = HC_DT_INT32;
    expect_error(ew_run("Pow", 2, in, ew_attr_t, &t, &EW_CFGS[0]), HC_INVALID, "negative");
    t = HC_DT_FLOAT;
    expect_error(ew_run("LogicalAnd", 2, in, NULL, NULL, &EW_CFGS[0]), HC_UNSUPPORTED, "int32");
    t = HC_DT_UINT16;
    expect_error(run2("RealDiv", HC_DT_UINT16, 1, d3, HC_DT_UINT16, 1, d3, HC_DT_UINT16),
                 HC_UNSUPPORTED, "uint16");
    ew_free(&in[0]);
    ew_free(&in[1]);
    /* BiasAdd: bias length, bias rank, input rank, data_format */
    expect_error(run2("BiasAdd", HC_DT_FLOAT, 2, d23, HC_DT_FLOAT, 1, d4, HC_DT_FLOAT), HC_INVALID,
                 "channel");
    expect_error(run2("BiasAdd", HC_DT_FLOAT, 2, d33, HC_DT_FLOAT, 2, d33, HC_DT_FLOAT), HC_INVALID,
                 "1-D");
    expect_error(run2("BiasAdd", HC_DT_FLOAT, 1, d3, HC_DT_FLOAT, 1, d3, HC_DT_FLOAT), HC_INVALID,
                 "2-D");
    hc_tensor bi[2] = {ew_tensor(HC_DT_FLOAT, 2, d33, NULL), ew_tensor(HC_DT_FLOAT, 1, d3, NULL)};
    oprun r;
    oprun_init(&r, "BiasAdd", 2, bi);
    hc_gb_type(&r.t.g, r.node, "T", HC_DT_FLOAT);
    hc_gb_str(&r.t.g, r.node, "data_format", "NCDHW");
    assert_int_equal(oprun_exec(&r, 1), HC_UNSUPPORTED);
    assert_non_null(strstr(hc_ctx_message(r.t.ctx), "NCDHW"));
    assert_non_null(strstr(hc_ctx_message(r.t.ctx), "'op'")); /* names the node */
    oprun_fini(&r);
    ew_free(&bi[0]);
    ew_free(&bi[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tables_are_sorted),  cmocka_unit_test(binary_ops_all_dtypes_and_shapes),
        cmocka_unit_test(binary_edge_values), cmocka_unit_test(bias_add_nhwc_nchw),
        cmocka_unit_test(unaligned_operands), cmocka_unit_test(malformed_inputs_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
