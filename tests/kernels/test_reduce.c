/* test_reduce.c - the reduce kernels through a real session: Sum, Mean, Prod, Max, Min on
 * fp32, fp16, int32 and int64 and All/Any on bool, over random shapes and random axis sets
 * (negative and repeated axes, scalar or vector axes of int32 or int64, keep_dims on and off,
 * size-1 dims), a global mean over H and W, full reductions, empty inputs and empty axes;
 * ArgMax/ArgMin with ties, every output_type and axis. References accumulate in double or
 * int64 here. fp32 results within 1e-6 of the reference (relative to the sum of magnitudes),
 * fp16 within 2^-10; integers and Max/Min/All/Any/ArgMax exact; 1 and 2 threads identical. */
#include "ew_test.h"

typedef struct red_case {
    const char *op;
    hc_dtype dt;
    int rank;
    int64_t dims[6];
    int n_axes;
    int64_t axes[8];
    bool scalar_axis, axes64, keep;
} red_case;

static void attr_red(oprun *r, const void *user) {
    const red_case *c = user;
    hc_gb_type(&r->t.g, r->node, "T", c->dt);
    hc_gb_type(&r->t.g, r->node, "Tidx", c->axes64 ? HC_DT_INT64 : HC_DT_INT32);
    hc_gb_bool(&r->t.g, r->node, "keep_dims", c->keep);
}

static int is(const char *a, const char *b) {
    return strcmp(a, b) == 0;
}

static double gen_red(const char *op, hc_dtype dt) {
    if (dt == HC_DT_BOOL) return (double)(ew_next() % 8 != 0); /* mostly true: All varies */
    if (is(op, "Prod"))
        return dt == HC_DT_INT32 || dt == HC_DT_INT64 ? (double)ew_int(-3, 3)
                                                      : ew_uniform(0.8, 1.25);
    if (dt == HC_DT_INT32 || dt == HC_DT_INT64) return (double)ew_int(-1000, 1000);
    return (double)ew_int(-400, 400) / 16.0 + (ew_next() % 4 ? 0 : ew_uniform(-1, 1));
}

/* Reference: every input element folded into its output element. */
static void reference(const red_case *c, const hc_tensor *x, const bool *red, size_t n_out,
                      double *acc, int64_t *iacc, double *mag, size_t *cnt) {
    bool isf = c->dt == HC_DT_FLOAT || c->dt == HC_DT_HALF;
    for (size_t o = 0; o < n_out; o++) {
        acc[o] = is(c->op, "Prod")  ? 1
                 : is(c->op, "Max") ? -INFINITY
                 : is(c->op, "Min") ? INFINITY
                                    : 0;
        iacc[o] = is(c->op, "Prod") || is(c->op, "All") ? 1
                  : is(c->op, "Max")                    ? INT64_MIN
                  : is(c->op, "Min")                    ? INT64_MAX
                                                        : 0;
        mag[o] = 0;
        cnt[o] = 0;
    }
    size_t n = ew_tensor_elems(x);
    for (size_t i = 0; i < n; i++) {
        size_t rem = i, o = 0, mul = 1;
        for (int d = c->rank - 1; d >= 0; d--) {
            size_t idx = rem % (size_t)c->dims[d];
            rem /= (size_t)c->dims[d];
            if (red[d]) continue;
            o += idx * mul;
            mul *= (size_t)c->dims[d];
        }
        double v = ew_get(x, i);
        int64_t iv = ew_get_i64(x, i);
        cnt[o]++;
        mag[o] += fabs(v);
        if (is(c->op, "Prod"))
            acc[o] *= v, iacc[o] = (int64_t)((uint64_t)iacc[o] * (uint64_t)iv);
        else if (is(c->op, "Max") || is(c->op, "Any")) {
            if (v > acc[o] || isnan(v)) acc[o] = v;
            if (iv > iacc[o]) iacc[o] = iv;
        } else if (is(c->op, "Min") || is(c->op, "All")) {
            if (v < acc[o] || isnan(v)) acc[o] = v;
            if (iv < iacc[o]) iacc[o] = iv;
        } else {
            acc[o] += v;
            iacc[o] = (int64_t)((uint64_t)iacc[o] + (uint64_t)iv);
        }
    }
    (void)isf;
}

static void check_case(const red_case *c, bool all_cfgs) {
    hc_tensor x = ew_tensor(c->dt, c->rank, c->dims, NULL);
    for (size_t i = 0; i < ew_tensor_elems(&x); i++)
        ew_put((void *)x.data, c->dt, i, gen_red(c->op, c->dt));
    const int64_t ad[1] = {c->n_axes};
    hc_dtype adt = c->axes64 ? HC_DT_INT64 : HC_DT_INT32;
    hc_tensor ax = ew_tensor(adt, c->scalar_axis ? 0 : 1, ad, NULL);
    for (int i = 0; i < c->n_axes; i++) {
        if (c->axes64)
            ((int64_t *)(void *)ax.data)[i] = c->axes[i];
        else
            ((int32_t *)(void *)ax.data)[i] = (int32_t)c->axes[i];
    }
    bool red[8] = {false};
    for (int i = 0; i < c->n_axes; i++)
        red[c->axes[i] < 0 ? c->axes[i] + c->rank : c->axes[i]] = true;
    int orank = 0;
    int64_t od[8];
    for (int d = 0; d < c->rank; d++)
        if (!red[d] || c->keep) od[orank++] = red[d] ? 1 : c->dims[d];
    size_t n_out = ew_elems(orank, od);
    double *acc = calloc(n_out + 1, sizeof *acc), *mag = calloc(n_out + 1, sizeof *mag);
    int64_t *iacc = calloc(n_out + 1, sizeof *iacc);
    size_t *cnt = calloc(n_out + 1, sizeof *cnt);
    reference(c, &x, red, n_out, acc, iacc, mag, cnt);
    hc_tensor in[2] = {x, ax};
    ew_out first;
    char shape[64];
    ew_shape_str(c->rank, c->dims, shape, sizeof shape);
    for (int cf = all_cfgs ? 0 : 2; cf < (all_cfgs ? EW_NCFG : 4); cf++) {
        ew_out o = ew_run(c->op, 2, in, attr_red, c, &EW_CFGS[cf]);
        if (o.st) fail_msg("%s %s %s: %s", c->op, hc_dtype_name(c->dt), shape, o.msg);
        assert_int_equal(o.t.dtype, c->dt);
        assert_int_equal(o.t.rank, orank);
        for (int d = 0; d < orank; d++)
            assert_int_equal(o.t.dims[d], od[d]);
        for (size_t i = 0; i < n_out; i++) {
            bool mean = is(c->op, "Mean");
            if (c->dt == HC_DT_INT32 || c->dt == HC_DT_INT64 || c->dt == HC_DT_BOOL) {
                int64_t w = iacc[i];
                if (c->dt == HC_DT_INT32) w = (int32_t)(uint32_t)(uint64_t)w;
                if (mean) w /= (int64_t)cnt[i];
                if (c->dt == HC_DT_BOOL) w = w != 0;
                if (ew_get_i64(&o.t, i) != w)
                    fail_msg("%s %s %s [%zu]: got %lld want %lld", c->op, hc_dtype_name(c->dt),
                             shape, i, (long long)ew_get_i64(&o.t, i), (long long)w);
                continue;
            }
            double want = mean ? acc[i] / (double)cnt[i] : acc[i];
            double scale = mean ? mag[i] / (double)cnt[i] : mag[i];
            bool exact = is(c->op, "Max") || is(c->op, "Min");
            double rel = exact ? 0 : c->dt == HC_DT_HALF ? 1.0 / 1024 : 1e-6;
            double abs_tol = exact ? 0 : (is(c->op, "Prod") ? 0 : rel * scale) + 1e-30;
            if (c->dt == HC_DT_HALF) want = fabs(want) > 65520 ? copysign(INFINITY, want) : want;
            if (!ew_close(ew_get(&o.t, i), want, rel, abs_tol))
                fail_msg("%s %s %s cfg %d [%zu]: got %.9g want %.9g", c->op, hc_dtype_name(c->dt),
                         shape, cf, i, ew_get(&o.t, i), want);
        }
        if (cf == 2)
            first = o;
        else if (cf == 3)
            ew_assert_same(&first, &o, c->op);
        if (cf != 2) ew_out_free(&o);
    }
    ew_out_free(&first);
    free(acc);
    free(mag);
    free(iacc);
    free(cnt);
    ew_free(&x);
    ew_free(&ax);
}

static void random_case(red_case *c, const char *op, hc_dtype dt) {
    static const int64_t sizes[] = {1, 2, 3, 5, 7, 16, 17, 33};
    memset(c, 0, sizeof *c);
    c->op = op;
    c->dt = dt;
    size_t total;
    do {
        c->rank = (int)ew_int(1, 5);
        total = 1;
        for (int d = 0; d < c->rank; d++)
            total *= (size_t)(c->dims[d] = sizes[ew_int(0, 7)]);
    } while (total > 40000);
    for (int d = 0; d < c->rank; d++)
        if (ew_next() & 1) c->axes[c->n_axes++] = ew_next() & 1 ? d : d - c->rank;
    if (c->n_axes && ew_next() % 4 == 0) c->axes[c->n_axes] = c->axes[0], c->n_axes++; /* repeat */
    c->scalar_axis = c->n_axes == 1 && (ew_next() & 1);
    c->axes64 = ew_next() & 1;
    c->keep = ew_next() & 1;
}

static void reductions_random_shapes_axes(void **state) {
    (void)state;
    const char *ops[] = {"Sum", "Mean", "Prod", "Max", "Min"};
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_HALF, HC_DT_INT32, HC_DT_INT64};
    red_case c;
    for (int it = 0; it < 25; it++) {
        for (size_t k = 0; k < HC_COUNT(ops); k++)
            for (size_t d = 0; d < HC_COUNT(dts); d++) {
                random_case(&c, ops[k], dts[d]);
                check_case(&c, dts[d] == HC_DT_HALF || dts[d] == HC_DT_FLOAT);
            }
        random_case(&c, "All", HC_DT_BOOL);
        check_case(&c, false);
        random_case(&c, "Any", HC_DT_BOOL);
        check_case(&c, false);
    }
}

static void reductions_fixed_shapes(void **state) {
    (void)state;
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_HALF, HC_DT_INT32};
    for (size_t d = 0; d < HC_COUNT(dts); d++) {
        /* global average pool over H and W of NHWC: columns kept innermost, threads */
        red_case c = {"Mean", dts[d], 4, {2, 32, 32, 40}, 2, {1, 2}, false, false, true};
        check_case(&c, true);
        red_case wide = {"Sum", dts[d], 3, {3, 9, 700}, 2, {0, 1}, false, true, false};
        check_case(&wide, true); /* several column blocks */
        red_case full = {"Sum", dts[d], 1, {100003}, 1, {0}, true, false, false};
        check_case(&full, true);
        red_case last = {"Max", dts[d], 3, {50, 40, 33}, 1, {-1}, true, false, false};
        check_case(&last, true);
        red_case ones = {"Sum", dts[d], 3, {4, 1, 5}, 1, {1}, false, false, true}; /* a view */
        check_case(&ones, false);
        red_case none = {"Mean", dts[d], 2, {4, 5}, 0, {0}, false, false, false}; /* identity */
        check_case(&none, false);
        red_case scalar = {"Min", dts[d], 0, {0}, 0, {0}, false, false, false};
        check_case(&scalar, false);
    }
    red_case all = {"All", HC_DT_BOOL, 3, {7, 9, 33}, 2, {0, 2}, false, false, true};
    check_case(&all, true);
}

/* Empty inputs give the reducer's identity, as TF's FillIdentity. */
static void empty_input_identity(void **state) {
    (void)state;
    const int64_t d[2] = {0, 3}, ad[1] = {1};
    int32_t axis0 = 0;
    const struct {
        const char *op;
        hc_dtype dt;
        double want;
    } cases[] = {
        {"Sum", HC_DT_FLOAT, 0},         {"Prod", HC_DT_FLOAT, 1},
        {"Max", HC_DT_FLOAT, -INFINITY}, {"Min", HC_DT_HALF, INFINITY},
        {"Mean", HC_DT_FLOAT, NAN},      {"Mean", HC_DT_INT32, 0},
        {"Max", HC_DT_INT32, INT32_MIN}, {"All", HC_DT_BOOL, 1},
        {"Any", HC_DT_BOOL, 0},
    };
    for (size_t k = 0; k < HC_COUNT(cases); k++) {
        hc_tensor in[2] = {ew_tensor(cases[k].dt, 2, d, NULL),
                           tensor_of(HC_DT_INT32, 1, ad, &axis0)};
        red_case c = {cases[k].op, cases[k].dt, 2, {0, 3}, 1, {0}, false, false, false};
        ew_out o = ew_run(cases[k].op, 2, in, attr_red, &c, &EW_CFGS[0]);
        if (o.st) fail_msg("%s: %s", cases[k].op, o.msg);
        assert_int_equal(o.t.rank, 1);
        assert_int_equal(o.t.dims[0], 3);
        for (size_t i = 0; i < 3; i++)
            if (!ew_close(ew_get(&o.t, i), cases[k].want, 0, 0))
                fail_msg("%s %s: got %g want %g", cases[k].op, hc_dtype_name(cases[k].dt),
                         ew_get(&o.t, i), cases[k].want);
        ew_out_free(&o);
        ew_free(&in[0]);
    }
}

static void edge_values_and_errors(void **state) {
    (void)state;
    const int64_t d2[1] = {2}, d23[2] = {2, 3}, s0[1] = {0};
    int32_t wrap_in[2] = {INT32_MAX, 1}, axis0 = 0, axis3 = 3;
    red_case c = {"Sum", HC_DT_INT32, 1, {2}, 1, {0}, true, false, false};
    hc_tensor in[2] = {tensor_of(HC_DT_INT32, 1, d2, wrap_in),
                       tensor_of(HC_DT_INT32, 0, s0, &axis0)};
    ew_out o = ew_run("Sum", 2, in, attr_red, &c, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_OK);
    assert_int_equal(((int32_t *)o.data)[0], INT32_MIN); /* int32 sums wrap */
    ew_out_free(&o);
    float nan_in[2] = {1.0f, NAN};
    c = (red_case){"Max", HC_DT_FLOAT, 1, {2}, 1, {0}, true, false, false};
    in[0] = tensor_of(HC_DT_FLOAT, 1, d2, nan_in);
    o = ew_run("Max", 2, in, attr_red, &c, &EW_CFGS[0]);
    assert_true(isnan(((float *)o.data)[0]));
    ew_out_free(&o);
    hc_tensor x = ew_tensor(HC_DT_FLOAT, 2, d23, NULL);
    in[0] = x;
    in[1] = tensor_of(HC_DT_INT32, 0, s0, &axis3);
    o = ew_run("Sum", 2, in, attr_red, &c, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "reduction dimension 3"));
    ew_out_free(&o);
    float fax = 0;
    in[1] = tensor_of(HC_DT_FLOAT, 0, s0, &fax);
    o = ew_run("Sum", 2, in, attr_red, &c, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_INVALID);
    ew_out_free(&o);
    in[1] = tensor_of(HC_DT_INT32, 0, s0, &axis0);
    o = ew_run("All", 2, in, attr_red, &c, &EW_CFGS[0]); /* All on floats */
    assert_int_equal(o.st, HC_UNSUPPORTED);
    ew_out_free(&o);
    ew_free(&x);
}

/* ---- ArgMax / ArgMin -------------------------------------------------------------------- */

typedef struct arg_case {
    hc_dtype dt, out;
    int rank;
    int64_t dims[5];
    int64_t axis;
} arg_case;

static void attr_arg(oprun *r, const void *user) {
    const arg_case *c = user;
    hc_gb_type(&r->t.g, r->node, "T", c->dt);
    if (c->out != HC_DT_INVALID) hc_gb_type(&r->t.g, r->node, "output_type", c->out);
}

static void check_arg(const char *op, const arg_case *c, bool all_cfgs) {
    hc_tensor x = ew_tensor(c->dt, c->rank, c->dims, NULL);
    size_t n = ew_tensor_elems(&x);
    for (size_t i = 0; i < n; i++)
        ew_put((void *)x.data, c->dt, i,
               c->dt == HC_DT_BOOL ? (double)(ew_next() % 3 == 0)
                                   : (double)ew_int(0, 12) /
                                         (c->dt == HC_DT_FLOAT || c->dt == HC_DT_HALF ? 4.0 : 1.0));
    const int64_t s0[1] = {0};
    int32_t ax = (int32_t)c->axis;
    hc_tensor in[2] = {x, tensor_of(HC_DT_INT32, 0, s0, &ax)};
    int a = (int)(c->axis < 0 ? c->axis + c->rank : c->axis);
    size_t outer = 1, inner = 1, L = (size_t)c->dims[a];
    for (int d = 0; d < c->rank; d++) {
        if (d < a) outer *= (size_t)c->dims[d];
        if (d > a) inner *= (size_t)c->dims[d];
    }
    bool mx = strcmp(op, "ArgMax") == 0;
    for (int cf = all_cfgs ? 0 : 2; cf < (all_cfgs ? EW_NCFG : 4); cf++) {
        ew_out o = ew_run(op, 2, in, attr_arg, c, &EW_CFGS[cf]);
        if (o.st) fail_msg("%s: %s", op, o.msg);
        assert_int_equal(o.t.dtype, c->out == HC_DT_INVALID ? HC_DT_INT64 : c->out);
        assert_int_equal(o.t.rank, c->rank - 1);
        for (size_t p = 0; p < outer; p++)
            for (size_t q = 0; q < inner; q++) {
                size_t best = 0;
                for (size_t l = 1; l < L; l++) {
                    double v = ew_get(&x, (p * L + l) * inner + q),
                           b = ew_get(&x, (p * L + best) * inner + q);
                    if (mx ? v > b : v < b) best = l;
                }
                if ((size_t)ew_get_i64(&o.t, p * inner + q) != best)
                    fail_msg("%s %s axis %lld [%zu,%zu]: got %lld want %zu", op,
                             hc_dtype_name(c->dt), (long long)c->axis, p, q,
                             (long long)ew_get_i64(&o.t, p * inner + q), best);
            }
        ew_out_free(&o);
    }
    ew_free(&x);
}

static void argmax_argmin(void **state) {
    (void)state;
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_HALF,  HC_DT_INT32, HC_DT_INT64,
                            HC_DT_UINT8, HC_DT_INT16, HC_DT_BOOL};
    const hc_dtype outs[] = {HC_DT_INVALID, HC_DT_INT32, HC_DT_INT64, HC_DT_INT16};
    static const int64_t sizes[] = {1, 2, 7, 16, 17, 33};
    for (int it = 0; it < 40; it++) {
        arg_case c = {dts[it % 7], outs[it % 4], (int)ew_int(1, 4), {0}, 0};
        for (int d = 0; d < c.rank; d++)
            c.dims[d] = sizes[ew_int(0, 5)];
        c.axis = ew_int(-c.rank, c.rank - 1);
        check_arg(it % 2 ? "ArgMin" : "ArgMax", &c, it < 8);
    }
    arg_case rows = {HC_DT_FLOAT, HC_DT_INT32, 2, {3, 40000}, 1};
    check_arg("ArgMax", &rows, true);
    arg_case cols = {HC_DT_HALF, HC_DT_INT64, 2, {40000, 300}, 0};
    check_arg("ArgMin", &cols, false);
    /* errors: axis out of range, an empty axis */
    const int64_t d[2] = {0, 3}, s0[1] = {0};
    int32_t ax = 2, ax0 = 0;
    hc_tensor in[2] = {ew_tensor(HC_DT_FLOAT, 2, d, NULL), tensor_of(HC_DT_INT32, 0, s0, &ax)};
    arg_case e = {HC_DT_FLOAT, HC_DT_INVALID, 2, {0, 3}, 0};
    ew_out o = ew_run("ArgMax", 2, in, attr_arg, &e, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_INVALID);
    ew_out_free(&o);
    in[1] = tensor_of(HC_DT_INT32, 0, s0, &ax0);
    o = ew_run("ArgMax", 2, in, attr_arg, &e, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "empty"));
    ew_out_free(&o);
    ew_free(&in[0]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reductions_random_shapes_axes),
        cmocka_unit_test(reductions_fixed_shapes),
        cmocka_unit_test(empty_input_identity),
        cmocka_unit_test(edge_values_and_errors),
        cmocka_unit_test(argmax_argmin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
