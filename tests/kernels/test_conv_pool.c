/* test_conv_pool.c - MaxPool, MaxPoolV2, AvgPool and FusedBatchNorm / V2 / V3 through a real
 * session against double-precision references written here. Pools: random windows, strides,
 * SAME / VALID, odd sizes, channels 1..96, NHWC and NCHW, fp32 and fp16; MaxPool must equal
 * an input element exactly, AvgPool divides by the count of valid (unpadded) elements.
 * Batch norm: inference (the opencv face model's mode) and training statistics, NHWC and
 * NCHW, float and half x, all outputs. Every case: best SIMD on 1 and 2 threads
 * (bit-identical), AVX2 and scalar. */
#include "kernels/conv_util.h"

typedef struct pool_cfg {
    const char *op;
    hc_dtype dt;
    bool nchw, same;
    int64_t n, ih, iw, c, kh, kw, sh, sw;
    int64_t oh, ow, pt, pl;
    int64_t expl[4]; /* MaxPool EXPLICIT padding (top, bottom, left, right) when any is set */
    bool explicit_pad;
} pool_cfg;

static void pool_attrs(oprun *r, const void *ud) {
    const pool_cfg *c = ud;
    hc_graph *g = &r->t.g;
    hc_gb_type(g, r->node, "T", c->dt);
    int64_t k[4] = {1, c->kh, c->kw, 1}, s[4] = {1, c->sh, c->sw, 1};
    if (c->nchw) {
        int64_t k2[4] = {1, 1, c->kh, c->kw}, s2[4] = {1, 1, c->sh, c->sw};
        memcpy(k, k2, sizeof k);
        memcpy(s, s2, sizeof s);
    }
    if (strcmp(c->op, "MaxPoolV2") != 0) {
        hc_gb_ints(g, r->node, "ksize", k, 4);
        hc_gb_ints(g, r->node, "strides", s, 4);
    }
    hc_gb_str(g, r->node, "padding", c->explicit_pad ? "EXPLICIT" : c->same ? "SAME" : "VALID");
    hc_gb_str(g, r->node, "data_format", c->nchw ? "NCHW" : "NHWC");
    if (c->explicit_pad) {
        int64_t e[8] = {0};
        size_t h = c->nchw ? 2 : 1;
        for (size_t i = 0; i < 4; i++)
            e[2 * h + i] = c->expl[i];
        hc_gb_ints(g, r->node, "explicit_paddings", e, 8);
    }
}

static pool_cfg mk_pool(const char *op, hc_dtype dt, bool nchw, bool same, int64_t n, int64_t ih,
                        int64_t iw, int64_t c, int64_t kh, int64_t kw, int64_t sh, int64_t sw) {
    pool_cfg p;
    memset(&p, 0, sizeof p);
    p.op = op;
    p.dt = dt;
    p.nchw = nchw;
    p.same = same;
    p.n = n;
    p.ih = ih;
    p.iw = iw;
    p.c = c;
    p.kh = kh;
    p.kw = kw;
    p.sh = sh;
    p.sw = sw;
    return p;
}

static void geom(bool same, int64_t in, int64_t k, int64_t s, int64_t *out, int64_t *before) {
    if (same) {
        *out = (in + s - 1) / s;
        int64_t t = (*out - 1) * s + k - in;
        *before = t > 0 ? t / 2 : 0;
    } else {
        *out = in >= k ? (in - k) / s + 1 : 0;
        *before = 0;
    }
}

/* Reference in the op's layout (index computed per layout). */
static void pool_ref(const pool_cfg *c, const float *x, double *ref, double *mag) {
    bool avg = strcmp(c->op, "AvgPool") == 0;
    for (int64_t b = 0; b < c->n; b++)
        for (int64_t oy = 0; oy < c->oh; oy++)
            for (int64_t ox = 0; ox < c->ow; ox++)
                for (int64_t ch = 0; ch < c->c; ch++) {
                    double acc = avg ? 0 : -INFINITY, m = 0;
                    int64_t cnt = 0;
                    for (int64_t ky = 0; ky < c->kh; ky++)
                        for (int64_t kx = 0; kx < c->kw; kx++) {
                            int64_t iy = oy * c->sh - c->pt + ky, ix = ox * c->sw - c->pl + kx;
                            if (iy < 0 || iy >= c->ih || ix < 0 || ix >= c->iw) continue;
                            size_t i = c->nchw
                                           ? (size_t)(((b * c->c + ch) * c->ih + iy) * c->iw + ix)
                                           : (size_t)(((b * c->ih + iy) * c->iw + ix) * c->c + ch);
                            acc = avg ? acc + x[i] : fmax(acc, x[i]);
                            m += fabs(x[i]);
                            cnt++;
                        }
                    size_t o = c->nchw ? (size_t)(((b * c->c + ch) * c->oh + oy) * c->ow + ox)
                                       : (size_t)(((b * c->oh + oy) * c->ow + ox) * c->c + ch);
                    ref[o] = avg ? acc / (double)cnt : acc;
                    mag[o] = avg ? m / (double)cnt : 0;
                }
}

static void run_pool(pool_cfg *c, int i) {
    geom(c->same, c->ih, c->kh, c->sh, &c->oh, &c->pt);
    geom(c->same, c->iw, c->kw, c->sw, &c->ow, &c->pl);
    if (c->explicit_pad) {
        geom(false, c->ih + c->expl[0] + c->expl[1], c->kh, c->sh, &c->oh, &c->pt);
        geom(false, c->iw + c->expl[2] + c->expl[3], c->kw, c->sw, &c->ow, &c->pl);
        c->pt = c->expl[0];
        c->pl = c->expl[2];
    }
    bool f16 = c->dt == HC_DT_HALF;
    size_t nx = (size_t)(c->n * c->ih * c->iw * c->c), ny = (size_t)(c->n * c->oh * c->ow * c->c);
    float *x = malloc(nx * 4 + 4);
    double *ref = calloc(ny + 1, 8), *mag = calloc(ny + 1, 8);
    cu_fill(x, nx, f16);
    pool_ref(c, x, ref, mag);
    int64_t xd[4] = {c->n, c->ih, c->iw, c->c};
    if (c->nchw) {
        int64_t d2[4] = {c->n, c->c, c->ih, c->iw};
        memcpy(xd, d2, sizeof xd);
    }
    cu_tensor in[3] = {cu_make_at(c->dt, 4, xd, x, (size_t)(i % 3 == 2))};
    int n_in = 1;
    if (strcmp(c->op, "MaxPoolV2") == 0) {
        float k[4] = {1, (float)c->kh, (float)c->kw, 1}, s[4] = {1, (float)c->sh, (float)c->sw, 1};
        if (c->nchw) {
            float k2[4] = {1, 1, (float)c->kh, (float)c->kw},
                  s2[4] = {1, 1, (float)c->sh, (float)c->sw};
            memcpy(k, k2, sizeof k);
            memcpy(s, s2, sizeof s);
        }
        int64_t four[1] = {4};
        in[1] = cu_make(HC_DT_INT32, 1, four, k);
        in[2] = cu_make(HC_DT_INT32, 1, four, s);
        n_in = 3;
    }
    char name[160];
    snprintf(name, sizeof name, "%s #%d %s %s %s %lldx%lldx%lld k%lldx%lld s%lld,%lld", c->op, i,
             f16 ? "half" : "float", c->nchw ? "NCHW" : "NHWC", c->same ? "SAME" : "VALID",
             (long long)c->ih, (long long)c->iw, (long long)c->c, (long long)c->kh,
             (long long)c->kw, (long long)c->sh, (long long)c->sw);
    cu_case cc = {c->op, n_in, in, pool_attrs, c, 1, 0, ref, mag, ny, f16, name};
    cu_run_case(&cc);
    if (strcmp(c->op, "AvgPool") != 0) { /* max is one of the inputs: exact */
        cu_out o = cu_run(c->op, n_in, in, pool_attrs, c, NULL, 2, 1, 0);
        for (size_t e = 0; e < ny; e++)
            if ((double)o.f[e] != ref[e]) fail_msg("%s: element %zu not exact", name, e);
        cu_out_free(&o);
    }
    for (int k = 0; k < n_in; k++)
        free(in[k].mem);
    free(x);
    free(ref);
    free(mag);
}

static void pool_random(void **state) {
    (void)state;
    static const int64_t chans[] = {1, 3, 7, 15, 16, 17, 24, 33, 64, 96};
    static const char *ops[] = {"MaxPool", "AvgPool", "MaxPoolV2"};
    for (int i = 0; i < 150; i++) {
        pool_cfg c = mk_pool(ops[i % 3], (i / 3) % 2 ? HC_DT_HALF : HC_DT_FLOAT, i % 5 == 4,
                             cu_range(0, 1) == 1, cu_range(1, 2), cu_range(1, 15) | 1,
                             cu_range(1, 15) | 1, chans[cu_rand() % HC_COUNT(chans)],
                             cu_range(1, 4), cu_range(1, 4), cu_range(1, 3), cu_range(1, 3));
        if (!c.same) {
            c.ih = HC_MAX(c.ih, c.kh);
            c.iw = HC_MAX(c.iw, c.kw);
        }
        if (i % 3 == 0 && i % 4 == 0) { /* MaxPool with EXPLICIT pads smaller than the window */
            c.explicit_pad = true;
            for (int k = 0; k < 4; k++)
                c.expl[k] = cu_range(0, (k < 2 ? c.kh : c.kw) - 1);
        }
        run_pool(&c, i);
    }
    /* Big enough to use both threads. */
    pool_cfg big = mk_pool("MaxPool", HC_DT_FLOAT, false, true, 1, 64, 64, 48, 2, 2, 2, 2);
    run_pool(&big, 1000);
    pool_cfg bigh = mk_pool("AvgPool", HC_DT_HALF, false, true, 1, 63, 65, 24, 3, 3, 1, 1);
    run_pool(&bigh, 1001);
}

/* ksize over the batch: {2, 1, 1, 1}. */
static void batch_window(oprun *r, const void *ud) {
    (void)ud;
    int64_t k[4] = {2, 1, 1, 1}, s[4] = {1, 1, 1, 1};
    hc_gb_type(&r->t.g, r->node, "T", HC_DT_FLOAT);
    hc_gb_ints(&r->t.g, r->node, "ksize", k, 4);
    hc_gb_ints(&r->t.g, r->node, "strides", s, 4);
    hc_gb_str(&r->t.g, r->node, "padding", "VALID");
}

static void pool_malformed(void **state) {
    (void)state;
    float v[64] = {0};
    int64_t xd[4] = {1, 4, 4, 2}, x3[3] = {4, 4, 2};
    cu_tensor x = cu_make(HC_DT_FLOAT, 4, xd, v), r3 = cu_make(HC_DT_FLOAT, 3, x3, v);
    pool_cfg flat = mk_pool("AvgPool", HC_DT_FLOAT, false, true, 1, 0, 0, 0, 2, 1, 1, 1);
    cu_expect_fail("AvgPool", 1, &r3, pool_attrs, &flat, HC_INVALID, "4-D");
    pool_cfg big = mk_pool("AvgPool", HC_DT_FLOAT, false, false, 1, 0, 0, 0, 6, 6, 1, 1);
    cu_expect_fail("AvgPool", 1, &x, pool_attrs, &big, HC_INVALID, "negative");
    cu_expect_fail("MaxPool", 1, &x, batch_window, NULL, HC_UNSUPPORTED, "batch");
    pool_cfg ex = mk_pool("AvgPool", HC_DT_FLOAT, false, false, 1, 0, 0, 0, 2, 2, 1, 1);
    ex.explicit_pad = true;
    cu_expect_fail("AvgPool", 1, &x, pool_attrs, &ex, HC_MALFORMED, "SAME or VALID");
    free(x.mem);
    free(r3.mem);
}

/* ---- FusedBatchNorm ---------------------------------------------------------------------- */

typedef struct bn_cfg {
    const char *op;
    hc_dtype dt;
    bool nchw, training;
    float eps;
} bn_cfg;

static void bn_attrs(oprun *r, const void *ud) {
    const bn_cfg *c = ud;
    hc_graph *g = &r->t.g;
    hc_gb_type(g, r->node, "T", c->dt);
    if (strcmp(c->op, "FusedBatchNorm") != 0) hc_gb_type(g, r->node, "U", HC_DT_FLOAT);
    hc_gb_float(g, r->node, "epsilon", c->eps);
    hc_gb_bool(g, r->node, "is_training", c->training);
    hc_gb_str(g, r->node, "data_format", c->nchw ? "NCHW" : "NHWC");
}

/* Batch statistics (bm, bv: biased) and the reference y; p holds scale, offset, mean and
 * variance, C each. */
static void bn_ref(const bn_cfg *c, const float *x, size_t nx, size_t C, size_t hw, const float *p,
                   double *bm, double *bv, double *ref, double *mag) {
    const float *scale = p, *off = p + C, *mean = p + 2 * C, *var = p + 3 * C;
    size_t per = nx / C;
    for (size_t e = 0; e < nx; e++)
        bm[c->nchw ? (e / hw) % C : e % C] += x[e];
    for (size_t j = 0; j < C; j++)
        bm[j] /= (double)per;
    for (size_t e = 0; e < nx; e++) {
        size_t j = c->nchw ? (e / hw) % C : e % C;
        bv[j] += (x[e] - bm[j]) * (x[e] - bm[j]);
    }
    for (size_t j = 0; j < C; j++)
        bv[j] /= (double)per;
    for (size_t e = 0; e < nx; e++) {
        size_t j = c->nchw ? (e / hw) % C : e % C;
        double m = c->training ? bm[j] : mean[j], v = c->training ? bv[j] : var[j];
        double mul = scale[j] / sqrt(v + (double)c->eps);
        ref[e] = (x[e] - m) * mul + off[j];
        mag[e] = (fabs(x[e]) + fabs(m)) * fabs(mul) + fabs(off[j]) + 10 * fabs(ref[e]);
    }
}

static void run_bn(const bn_cfg *c, int64_t n, int64_t h, int64_t w, int64_t ch) {
    bool f16 = c->dt == HC_DT_HALF;
    size_t nx = (size_t)(n * h * w * ch), C = (size_t)ch, hw = (size_t)(h * w);
    float *x = malloc(nx * 4 + 4), *p = malloc(4 * C * 4 + 4);
    double *ref = calloc(nx + 1, 8), *mag = calloc(nx + 1, 8);
    cu_fill(x, nx, f16);
    cu_fill(p, 4 * C, false);
    float *scale = p, *off = p + C, *mean = p + 2 * C, *var = p + 3 * C;
    for (size_t j = 0; j < C; j++)
        var[j] = fabsf(var[j]) + 0.1f;
    double *bm = calloc(C, 8), *bv = calloc(C, 8);
    size_t per = nx / C;
    bn_ref(c, x, nx, C, hw, p, bm, bv, ref, mag);
    int64_t xd[4] = {n, h, w, ch}, cd[1] = {ch};
    if (c->nchw) {
        int64_t d2[4] = {n, ch, h, w};
        memcpy(xd, d2, sizeof xd);
    }
    cu_tensor in[5] = {cu_make_at(c->dt, 4, xd, x, (size_t)(ch % 2)),
                       cu_make(HC_DT_FLOAT, 1, cd, scale), cu_make(HC_DT_FLOAT, 1, cd, off),
                       cu_make(HC_DT_FLOAT, 1, cd, mean), cu_make(HC_DT_FLOAT, 1, cd, var)};
    int n_out = strcmp(c->op, "FusedBatchNormV3") == 0 ? 6 : 5;
    char name[128];
    snprintf(name, sizeof name, "%s %s %s %s %lldx%lldx%lldx%lld", c->op, f16 ? "half" : "float",
             c->nchw ? "NCHW" : "NHWC", c->training ? "training" : "inference", (long long)n,
             (long long)h, (long long)w, (long long)ch);
    cu_case cc = {c->op, 5, in, bn_attrs, c, n_out, 0, ref, mag, nx, f16, name};
    cu_run_case(&cc);
    /* Side outputs: statistics (running or passed through) and reserve spaces. */
    for (int k = 1; k < n_out; k++) {
        cu_out o = cu_run(c->op, 5, in, bn_attrs, c, NULL, 1, n_out, k);
        if (o.st) fail_msg("%s output %d: %s", name, k, o.msg);
        if (k == 5) {
            assert_int_equal(o.rank, 0);
            cu_out_free(&o);
            continue;
        }
        cu_expect_dims(&o, 1, cd);
        for (size_t j = 0; j < C; j++) {
            double adj = (double)per / (double)(per > 1 ? per - 1 : 1);
            double want = k % 2 ? (c->training ? bm[j] : mean[j])
                                : (c->training ? bv[j] * (k == 2 ? adj : 1.0) : var[j]);
            if (fabs(o.f[j] - want) > 1e-5 * (fabs(want) + 1))
                fail_msg("%s output %d[%zu] is %g, expected %g", name, k, j, (double)o.f[j], want);
        }
        cu_out_free(&o);
    }
    for (int k = 0; k < 5; k++)
        free(in[k].mem);
    free(x);
    free(p);
    free(ref);
    free(mag);
    free(bm);
    free(bv);
}

static void batchnorm_inference(void **state) {
    (void)state;
    static const int64_t chans[] = {1, 3, 16, 17, 32, 33, 96};
    static const char *ops[] = {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"};
    for (int o = 0; o < 3; o++)
        for (size_t ci = 0; ci < HC_COUNT(chans); ci++)
            for (int l = 0; l < 2; l++) {
                bn_cfg c = {ops[o], o > 0 && ci % 2 ? HC_DT_HALF : HC_DT_FLOAT, l == 1, false,
                            1.001e-5f};
                run_bn(&c, 1 + l, 5, 7, chans[ci]);
            }
    bn_cfg big = {"FusedBatchNorm", HC_DT_FLOAT, false, false, 1e-3f};
    run_bn(&big, 1, 75, 75, 32); /* the opencv face model's first layer, threaded */
}

static void batchnorm_training(void **state) {
    (void)state;
    for (int l = 0; l < 2; l++) {
        bn_cfg c = {"FusedBatchNorm", HC_DT_FLOAT, l == 1, true, 1e-3f};
        run_bn(&c, 2, 3, 5, 17);
        bn_cfg h = {"FusedBatchNormV3", HC_DT_HALF, l == 1, true, 1e-3f};
        run_bn(&h, 1, 9, 4, 8);
    }
}

static void batchnorm_malformed(void **state) {
    (void)state;
    float v[64] = {0};
    int64_t xd[4] = {1, 2, 2, 4}, c4[1] = {4}, c3[1] = {3};
    cu_tensor x = cu_make(HC_DT_FLOAT, 4, xd, v), g4 = cu_make(HC_DT_FLOAT, 1, c4, v);
    cu_tensor g3 = cu_make(HC_DT_FLOAT, 1, c3, v);
    cu_tensor bad[5] = {x, g4, g3, g4, g4}, ok[5] = {x, g4, g4, g4, g4};
    bn_cfg c = {"FusedBatchNormV3", HC_DT_FLOAT, false, false, 1e-3f};
    cu_expect_fail("FusedBatchNormV3", 5, bad, bn_attrs, &c, HC_INVALID, "elements");
    bn_cfg h = {"FusedBatchNorm", HC_DT_HALF, false, false, 1e-3f};
    cu_expect_fail("FusedBatchNorm", 5, ok, bn_attrs, &h, HC_UNSUPPORTED, "half");
    free(x.mem);
    free(g4.mem);
    free(g3.mem);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pool_random),         cmocka_unit_test(pool_malformed),
        cmocka_unit_test(batchnorm_inference), cmocka_unit_test(batchnorm_training),
        cmocka_unit_test(batchnorm_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
