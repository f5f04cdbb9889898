/* test_elementwise_misc.c - Cast (every pair of float, half, double, int32, int64, uint8,
 * int8, int16, uint16, bool, with NaN, infinities, out-of-range and rounding cases),
 * ZerosLike/OnesLike, Select (TF1 scalar / same-shape / row-vector conditions), SelectV2
 * (broadcasting), AddN, ClipByValue and Softmax/LogSoftmax, through a real session under
 * every CPU level and 1/2 threads, against references written here. Softmax: fp32 within
 * 1e-6 relative of a double reference, fp16 within 2^-10. */
#include "ew_test.h"

static const hc_dtype CAST_DTS[] = {HC_DT_FLOAT,  HC_DT_HALF,  HC_DT_DOUBLE, HC_DT_INT32,
                                    HC_DT_INT64,  HC_DT_UINT8, HC_DT_INT8,   HC_DT_INT16,
                                    HC_DT_UINT16, HC_DT_BOOL};

static bool is_float_dt(hc_dtype dt) {
    return dt == HC_DT_FLOAT || dt == HC_DT_HALF || dt == HC_DT_DOUBLE;
}

static const double FLOAT_VALS[] = {
    0.0,   -0.0,         1.5,           -1.5,     2.7,        -2.7,         255.9,
    256.0, 300.7,        -1.0,          -129.5,   32767.5,    65504.0,      65520.0,
    1e10,  -1e10,        3e9,           NAN,      INFINITY,   -INFINITY,    1e-8,
    0.1,   2147483520.0, -2147483648.0, 100000.0, 16777217.0, 0.33333333333};
static const int64_t INT_VALS[] = {0,
                                   1,
                                   -1,
                                   127,
                                   128,
                                   255,
                                   256,
                                   -129,
                                   32767,
                                   32768,
                                   65535,
                                   65536,
                                   2147483647,
                                   -2147483647 - 1,
                                   1099511627779,
                                   16777217,
                                   -300,
                                   2049,
                                   4097};

/* The value a TF Cast gives (x86): floats truncate, NaN/out-of-range -> the int32 (int64)
 * minimum; narrower integers keep the int32's low bits; ints wrap; bool is != 0. */
static void ref_cast(bool from_float, double f, int64_t v, hc_dtype dst, void *out) {
    if (from_float) {
        bool in32 = !isnan(f) && f >= -2147483648.0 && f < 2147483648.0;
        bool in64 = !isnan(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0;
        int64_t i32 = in32 ? (int64_t)trunc(f) : INT32_MIN;
        switch (dst) {
        case HC_DT_INT64:
            v = in64 ? (int64_t)trunc(f) : INT64_MIN;
            break;
        case HC_DT_BOOL:
            ew_put(out, dst, 0, f != 0);
            return;
        case HC_DT_FLOAT:
        case HC_DT_HALF:
        case HC_DT_DOUBLE:
            ew_put(out, dst, 0, dst == HC_DT_DOUBLE ? f : (double)(float)f);
            return;
        default:
            v = i32;
            break;
        }
    } else if (is_float_dt(dst)) {
        ew_put(out, dst, 0, dst == HC_DT_DOUBLE ? (double)v : (double)(float)v);
        return;
    }
    uint64_t u = (uint64_t)v;
    switch (dst) { /* two's complement truncation */
    case HC_DT_INT32: {
        int32_t x = (int32_t)(uint32_t)u;
        memcpy(out, &x, 4);
        break;
    }
    case HC_DT_INT64:
        memcpy(out, &v, 8);
        break;
    case HC_DT_UINT8:
        *(uint8_t *)out = (uint8_t)u;
        break;
    case HC_DT_INT8:
        *(uint8_t *)out = (uint8_t)u;
        break;
    case HC_DT_INT16:
    case HC_DT_UINT16: {
        uint16_t x = (uint16_t)u;
        memcpy(out, &x, 2);
        break;
    }
    default:
        *(uint8_t *)out = v != 0;
        break;
    }
}

static void attr_cast(oprun *r, const void *user) {
    const hc_dtype *dt = user;
    hc_gb_type(&r->t.g, r->node, "SrcT", dt[0]);
    hc_gb_type(&r->t.g, r->node, "DstT", dt[1]);
}

static void cast_all_pairs(void **state) {
    (void)state;
    for (size_t s = 0; s < HC_COUNT(CAST_DTS); s++) {
        hc_dtype src = CAST_DTS[s];
        bool ff = is_float_dt(src);
        size_t nv = ff ? HC_COUNT(FLOAT_VALS) : src == HC_DT_BOOL ? 2 : HC_COUNT(INT_VALS);
        for (int big = 0; big < 2; big++) {
            const int64_t dims[1] = {big ? 70001 : (int64_t)nv * 3};
            hc_tensor in = ew_tensor(src, 1, dims, NULL);
            for (size_t i = 0; i < (size_t)dims[0]; i++) {
                if (ff)
                    ew_put((void *)in.data, src, i, FLOAT_VALS[i % nv]);
                else /* stored wrapped to the source width */
                    ref_cast(false, 0, INT_VALS[i % nv], src,
                             (uint8_t *)(void *)in.data + i * hc_dtype_size(src));
            }
            for (size_t d = 0; d < HC_COUNT(CAST_DTS); d++) {
                hc_dtype attr[2] = {src, CAST_DTS[d]};
                size_t esz = hc_dtype_size(CAST_DTS[d]);
                for (int c = big ? 2 : 0; c < (big ? 4 : EW_NCFG); c++) {
                    ew_out o = ew_run("Cast", 1, &in, attr_cast, attr, &EW_CFGS[c]);
                    if (o.st)
                        fail_msg("Cast %s->%s: %s", hc_dtype_name(src), hc_dtype_name(CAST_DTS[d]),
                                 o.msg);
                    assert_int_equal(o.t.dtype, CAST_DTS[d]);
                    for (size_t i = 0; i < (size_t)dims[0]; i++) {
                        uint8_t want[8] = {0};
                        ref_cast(ff, ff ? ew_get(&in, i) : 0, ff ? 0 : ew_get_i64(&in, i),
                                 CAST_DTS[d], want);
                        if (memcmp((uint8_t *)o.data + i * esz, want, esz) != 0)
                            fail_msg("Cast %s->%s [%zu] %g: got %g want %g", hc_dtype_name(src),
                                     hc_dtype_name(CAST_DTS[d]), i, ew_get(&in, i), ew_get(&o.t, i),
                                     ew_get(&(hc_tensor){.dtype = CAST_DTS[d], .data = want}, 0));
                    }
                    ew_out_free(&o);
                }
            }
            ew_free(&in);
        }
    }
}

/* Values TF users have reported (tensorflow/tensorflow#12235, #126212). */
static void cast_known_tf_results(void **state) {
    (void)state;
    float x[3] = {100000.0f, NAN, 1e10f};
    const int64_t d[1] = {3};
    hc_tensor in = tensor_of(HC_DT_FLOAT, 1, d, x);
    hc_dtype a16[2] = {HC_DT_FLOAT, HC_DT_INT16}, a32[2] = {HC_DT_FLOAT, HC_DT_INT32};
    ew_out o = ew_run("Cast", 1, &in, attr_cast, a16, &EW_CFGS[0]);
    assert_int_equal(((int16_t *)o.data)[0], -31072);
    ew_out_free(&o);
    o = ew_run("Cast", 1, &in, attr_cast, a32, &EW_CFGS[0]);
    assert_int_equal(((int32_t *)o.data)[1], INT32_MIN);
    assert_int_equal(((int32_t *)o.data)[2], INT32_MIN);
    ew_out_free(&o);
}

static void attr_dst_only(oprun *r, const void *user) {
    (void)user;
    hc_gb_type(&r->t.g, r->node, "SrcT", HC_DT_FLOAT);
}

static void cast_errors(void **state) {
    (void)state;
    const int64_t d[1] = {2};
    hc_tensor in = ew_tensor(HC_DT_FLOAT, 1, d, NULL);
    ew_out o = ew_run("Cast", 1, &in, attr_dst_only, NULL, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_MALFORMED);
    assert_non_null(strstr(o.msg, "DstT"));
    ew_out_free(&o);
    hc_dtype a[2] = {HC_DT_FLOAT, HC_DT_COMPLEX64};
    o = ew_run("Cast", 1, &in, attr_cast, a, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_UNSUPPORTED);
    ew_out_free(&o);
    ew_free(&in);
}

static void zeros_ones_like(void **state) {
    (void)state;
    const int64_t d[2] = {3, 5};
    for (size_t k = 0; k < HC_COUNT(CAST_DTS); k++) {
        hc_tensor in = ew_tensor(CAST_DTS[k], 2, d, NULL);
        for (size_t i = 0; i < 15; i++)
            ew_put((void *)in.data, CAST_DTS[k], i, 7);
        for (int ones = 0; ones < 2; ones++) {
            ew_out o = ew_run(ones ? "OnesLike" : "ZerosLike", 1, &in, ew_attr_t, &CAST_DTS[k],
                              &EW_CFGS[0]);
            if (o.st) fail_msg("%s", o.msg);
            assert_int_equal(o.t.dtype, CAST_DTS[k]);
            assert_int_equal(o.t.rank, 2);
            for (size_t i = 0; i < 15; i++)
                assert_true(ew_get(&o.t, i) == (double)ones);
            ew_out_free(&o);
        }
        ew_free(&in);
    }
}

/* ---- Select / SelectV2 ------------------------------------------------------------------ */

static void check_select(const char *op, hc_dtype dt, int rc, const int64_t *cd, int rt,
                         const int64_t *td, int re, const int64_t *ed) {
    hc_tensor in[3] = {ew_tensor(HC_DT_BOOL, rc, cd, NULL), ew_tensor(dt, rt, td, NULL),
                       ew_tensor(dt, re, ed, NULL)};
    for (size_t i = 0; i < ew_tensor_elems(&in[0]); i++)
        ew_put((void *)in[0].data, HC_DT_BOOL, i, (double)(ew_next() & 1));
    for (size_t i = 0; i < ew_tensor_elems(&in[1]); i++)
        ew_put((void *)in[1].data, dt, i, (double)ew_int(1, 100));
    for (size_t i = 0; i < ew_tensor_elems(&in[2]); i++)
        ew_put((void *)in[2].data, dt, i, (double)ew_int(-100, -1));
    int orank = HC_MAX(rc, HC_MAX(rt, re));
    int64_t od[8];
    for (int d = 0; d < orank; d++) {
        od[d] = 1;
        const hc_tensor *ts[3] = {&in[0], &in[1], &in[2]};
        for (int k = 0; k < 3; k++) {
            int id = d - (orank - ts[k]->rank);
            if (id >= 0 && ts[k]->dims[id] != 1) od[d] = ts[k]->dims[id];
        }
    }
    bool rows = strcmp(op, "Select") == 0 && rc == 1 && rt > 1; /* TF1 batch select */
    for (int c = 0; c < EW_NCFG; c++) {
        ew_out o = ew_run(op, 3, in, ew_attr_t, &dt, &EW_CFGS[c]);
        if (o.st) fail_msg("%s %s: %s", op, hc_dtype_name(dt), o.msg);
        size_t n = ew_elems(orank, od);
        size_t per_row = rows ? n / (size_t)td[0] : 1;
        for (size_t i = 0; i < n; i++) {
            bool cond = rows ? ew_get(&in[0], i / per_row) != 0
                             : ew_get(&in[0], ew_bidx(orank, od, i, &in[0])) != 0;
            double want = cond ? ew_get(&in[1], ew_bidx(orank, od, i, &in[1]))
                               : ew_get(&in[2], ew_bidx(orank, od, i, &in[2]));
            if (ew_get(&o.t, i) != want)
                fail_msg("%s %s [%zu]: got %g want %g", op, hc_dtype_name(dt), i, ew_get(&o.t, i),
                         want);
        }
        ew_out_free(&o);
    }
    for (int k = 0; k < 3; k++)
        ew_free(&in[k]);
}

static void select_tf1_and_v2(void **state) {
    (void)state;
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_HALF, HC_DT_INT32, HC_DT_INT64,
                            HC_DT_UINT8, HC_DT_BOOL, HC_DT_DOUBLE};
    const int64_t s0[1] = {0}, v5[1] = {5}, m417[2] = {4, 17}, r537[3] = {5, 3, 7};
    const int64_t c417[3] = {4, 1, 7}, t157[3] = {1, 5, 7}, big[2] = {300, 257}, bc[1] = {257};
    for (size_t k = 0; k < HC_COUNT(dts); k++) {
        check_select("Select", dts[k], 0, s0, 2, m417, 2, m417);
        check_select("Select", dts[k], 2, m417, 2, m417, 2, m417);
        check_select("Select", dts[k], 1, v5, 3, r537, 3, r537);
        check_select("Select", dts[k], 1, v5, 1, v5, 1, v5);
        check_select("SelectV2", dts[k], 3, c417, 3, t157, 0, s0);
        check_select("SelectV2", dts[k], 0, s0, 2, m417, 2, m417);
        check_select("SelectV2", dts[k], 1, bc, 2, big, 1, bc);
    }
    /* errors: row condition of the wrong length, then/else shapes */
    const int64_t v4[1] = {4};
    hc_tensor in[3] = {ew_tensor(HC_DT_BOOL, 1, v4, NULL), ew_tensor(HC_DT_FLOAT, 3, r537, NULL),
                       ew_tensor(HC_DT_FLOAT, 3, r537, NULL)};
    hc_dtype f = HC_DT_FLOAT;
    ew_out o = ew_run("Select", 3, in, ew_attr_t, &f, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_INVALID);
    ew_out_free(&o);
    o = ew_run("SelectV2", 3, in, ew_attr_t, &f, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "incompatible"));
    ew_out_free(&o);
    for (int k = 0; k < 3; k++)
        ew_free(&in[k]);
}

/* ---- AddN / ClipByValue ----------------------------------------------------------------- */

static void attr_addn(oprun *r, const void *user) {
    const int64_t *p = user;
    hc_gb_type(&r->t.g, r->node, "T", (hc_dtype)p[0]);
    hc_gb_int(&r->t.g, r->node, "N", p[1]);
}

static void add_n(void **state) {
    (void)state;
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_HALF, HC_DT_INT32, HC_DT_INT64, HC_DT_DOUBLE};
    const int ns[] = {1, 2, 3, 5};
    const int64_t shapes[2][2] = {{3, 17}, {1, 70001}};
    for (size_t k = 0; k < HC_COUNT(dts); k++)
        for (size_t ni = 0; ni < HC_COUNT(ns); ni++)
            for (int s = 0; s < 2; s++) {
                int n = ns[ni];
                hc_tensor in[5];
                for (int i = 0; i < n; i++) {
                    in[i] = ew_tensor(dts[k], 2, shapes[s], NULL);
                    for (size_t e = 0; e < ew_tensor_elems(&in[i]); e++)
                        ew_put((void *)in[i].data, dts[k], e, ew_uniform(-100, 100));
                }
                int64_t attr[2] = {dts[k], n};
                for (int c = 0; c < EW_NCFG; c++) {
                    ew_out o = ew_run("AddN", n, in, attr_addn, attr, &EW_CFGS[c]);
                    if (o.st) fail_msg("AddN: %s", o.msg);
                    for (size_t e = 0; e < ew_tensor_elems(&in[0]); e++) {
                        float f = (float)ew_get(&in[0], e);
                        double dv = ew_get(&in[0], e);
                        int64_t iv = ew_get_i64(&in[0], e);
                        for (int i = 1; i < n; i++) {
                            f += (float)ew_get(&in[i], e);
                            dv += ew_get(&in[i], e);
                            iv += ew_get_i64(&in[i], e);
                        }
                        double want = dts[k] == HC_DT_HALF     ? hc_f16_to_f32(hc_f32_to_f16(f))
                                      : dts[k] == HC_DT_FLOAT  ? f
                                      : dts[k] == HC_DT_DOUBLE ? dv
                                                               : (double)iv;
                        if (ew_get(&o.t, e) != want)
                            fail_msg("AddN %s n=%d [%zu]: got %g want %g", hc_dtype_name(dts[k]), n,
                                     e, ew_get(&o.t, e), want);
                    }
                    ew_out_free(&o);
                }
                for (int i = 0; i < n; i++)
                    ew_free(&in[i]);
            }
}

static void clip_by_value(void **state) {
    (void)state;
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_HALF, HC_DT_INT32, HC_DT_INT64, HC_DT_DOUBLE};
    const int64_t d[2] = {4, 33}, s0[1] = {0}, big[1] = {70001};
    for (size_t k = 0; k < HC_COUNT(dts); k++)
        for (int mode = 0; mode < 3; mode++) { /* scalar bounds, tensor bounds, big */
            const int64_t *xd = mode == 2 ? big : d;
            int xr = mode == 2 ? 1 : 2, br = mode == 1 ? xr : 0;
            hc_tensor in[3] = {ew_tensor(dts[k], xr, xd, NULL),
                               ew_tensor(dts[k], br, br ? xd : s0, NULL),
                               ew_tensor(dts[k], br, br ? xd : s0, NULL)};
            for (size_t e = 0; e < ew_tensor_elems(&in[0]); e++)
                ew_put((void *)in[0].data, dts[k], e, (double)ew_int(-40, 40));
            for (size_t e = 0; e < ew_tensor_elems(&in[1]); e++) {
                ew_put((void *)in[1].data, dts[k], e, (double)ew_int(-20, 5));
                ew_put((void *)in[2].data, dts[k], e, (double)ew_int(-5, 20)); /* lo > hi too */
            }
            for (int c = 0; c < EW_NCFG; c++) {
                ew_out o = ew_run("ClipByValue", 3, in, ew_attr_t, &dts[k], &EW_CFGS[c]);
                if (o.st) fail_msg("ClipByValue: %s", o.msg);
                for (size_t e = 0; e < ew_tensor_elems(&in[0]); e++) {
                    double x = ew_get(&in[0], e), lo = ew_get(&in[1], br ? e : 0);
                    double hi = ew_get(&in[2], br ? e : 0);
                    double m = hi < x ? hi : x, want = m < lo ? lo : m;
                    if (ew_get(&o.t, e) != want)
                        fail_msg("ClipByValue [%zu]: got %g want %g", e, ew_get(&o.t, e), want);
                }
                ew_out_free(&o);
            }
            for (int i = 0; i < 3; i++)
                ew_free(&in[i]);
        }
    const int64_t bad[1] = {33};
    hc_tensor in[3] = {ew_tensor(HC_DT_FLOAT, 2, d, NULL), ew_tensor(HC_DT_FLOAT, 1, bad, NULL),
                       ew_tensor(HC_DT_FLOAT, 0, s0, NULL)};
    hc_dtype f = HC_DT_FLOAT;
    ew_out o = ew_run("ClipByValue", 3, in, ew_attr_t, &f, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_INVALID);
    ew_out_free(&o);
    for (int i = 0; i < 3; i++)
        ew_free(&in[i]);
}

/* ---- Softmax ---------------------------------------------------------------------------- */

static void check_softmax(const char *op, hc_dtype dt, int rank, const int64_t *dims) {
    hc_tensor in = ew_tensor(dt, rank, dims, NULL);
    size_t n = ew_tensor_elems(&in), L = (size_t)dims[rank - 1];
    for (size_t i = 0; i < n; i++)
        ew_put((void *)in.data, dt, i,
               (i / L) % 5 == 4 ? ew_uniform(990, 1000) : ew_uniform(-10, 10));
    bool lg = strcmp(op, "LogSoftmax") == 0;
    ew_out first;
    for (int c = 0; c < EW_NCFG; c++) {
        ew_out o = ew_run(op, 1, &in, ew_attr_t, &dt, &EW_CFGS[c]);
        if (o.st) fail_msg("%s: %s", op, o.msg);
        for (size_t r = 0; r < n / L; r++) {
            double m = -INFINITY, s = 0;
            for (size_t i = 0; i < L; i++)
                m = fmax(m, ew_get(&in, r * L + i));
            /* shifted = x - max is a float subtraction in TF, rounded before exp */
            for (size_t i = 0; i < L; i++)
                s += exp((float)(ew_get(&in, r * L + i) - m));
            for (size_t i = 0; i < L; i++) {
                double x = (float)(ew_get(&in, r * L + i) - m);
                double want = lg ? x - log(s) : exp(x) / s, got = ew_get(&o.t, r * L + i);
                double rel = dt == HC_DT_HALF ? 1.0 / 1024 : 1e-6;
                double abs_tol = lg ? 1e-6 * (fabs(x) + fabs(log(s)) + 1) : 1e-30;
                if (dt == HC_DT_HALF) abs_tol += 6e-8;
                if (!ew_close(got, want, rel, abs_tol))
                    fail_msg("%s %s L=%zu cfg %d [%zu,%zu]: got %.9g want %.9g", op,
                             hc_dtype_name(dt), L, c, r, i, got, want);
            }
        }
        if (c == 2)
            first = o;
        else if (c == 3)
            ew_assert_same(&first, &o, op);
        if (c != 2) ew_out_free(&o);
    }
    ew_out_free(&first);
    ew_free(&in);
}

static void softmax_and_log_softmax(void **state) {
    (void)state;
    const int64_t shapes[][3] = {{1, 1, 1},  {1, 3, 7},     {2, 5, 16}, {1, 4, 17}, {1, 2, 1000},
                                 {1, 1, 33}, {1, 3000, 40}, {1, 6, 15}, {1, 2, 64}};
    for (int lg = 0; lg < 2; lg++)
        for (int h = 0; h < 2; h++)
            for (size_t s = 0; s < HC_COUNT(shapes); s++)
                check_softmax(lg ? "LogSoftmax" : "Softmax", h ? HC_DT_HALF : HC_DT_FLOAT,
                              shapes[s][0] == 2 ? 3 : 2,
                              shapes[s][0] == 2 ? shapes[s] : shapes[s] + 1);
    const int64_t d[1] = {4};
    hc_tensor sc = ew_tensor(HC_DT_FLOAT, 0, d, NULL), it = ew_tensor(HC_DT_INT32, 1, d, NULL);
    hc_dtype f = HC_DT_FLOAT, i32 = HC_DT_INT32;
    ew_out o = ew_run("Softmax", 1, &sc, ew_attr_t, &f, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_INVALID);
    ew_out_free(&o);
    o = ew_run("Softmax", 1, &it, ew_attr_t, &i32, &EW_CFGS[0]);
    assert_int_equal(o.st, HC_UNSUPPORTED);
    ew_out_free(&o);
    ew_free(&sc);
    ew_free(&it);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cast_all_pairs),    cmocka_unit_test(cast_known_tf_results),
        cmocka_unit_test(cast_errors),       cmocka_unit_test(zeros_ones_like),
        cmocka_unit_test(select_tf1_and_v2), cmocka_unit_test(add_n),
        cmocka_unit_test(clip_by_value),     cmocka_unit_test(softmax_and_log_softmax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
