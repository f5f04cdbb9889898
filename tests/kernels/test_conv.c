/* test_conv.c - Conv2D and DepthwiseConv2dNative through a real session against direct
 * scalar references written here (double accumulation): random shapes over every padding
 * (SAME, VALID, EXPLICIT), stride and dilation, channel counts around the SIMD tiles (1, 3,
 * 7, 16, 17, 32, 33, 48, 96), odd spatial sizes, groups, NHWC and NCHW, fp32 and fp16.
 * Every case runs on the best SIMD level with 1 and 2 threads (bit-identical), on AVX2 and
 * on scalar (each within tolerance of the reference; see cu_tol: fp32 1e-5 of the sum of
 * |terms|, fp16 additionally half an fp16 ulp). Malformed attributes and shapes fail with a
 * message naming the node. */
#include "kernels/conv_util.h"

typedef struct conv_cfg {
    hc_dtype dt;
    bool nchw;
    int pad; /* 0 VALID, 1 SAME, 2 EXPLICIT */
    int64_t n, ih, iw, c, kh, kw, fc, cout, sh, sw, dh, dw;
    int64_t expl[4]; /* top, bottom, left, right */
    int64_t oh, ow, pt, pl;
    int64_t mult; /* depthwise */
} conv_cfg;

static const char *pad_name(int p) {
    return p == 0 ? "VALID" : p == 1 ? "SAME" : "EXPLICIT";
}

static void win_attrs(oprun *r, const void *ud) {
    const conv_cfg *c = ud;
    hc_graph *g = &r->t.g;
    hc_gb_type(g, r->node, "T", c->dt);
    int64_t s[4] = {1, c->sh, c->sw, 1}, d[4] = {1, c->dh, c->dw, 1};
    if (c->nchw) {
        int64_t s2[4] = {1, 1, c->sh, c->sw}, d2[4] = {1, 1, c->dh, c->dw};
        memcpy(s, s2, sizeof s);
        memcpy(d, d2, sizeof d);
    }
    hc_gb_ints(g, r->node, "strides", s, 4);
    hc_gb_ints(g, r->node, "dilations", d, 4);
    hc_gb_str(g, r->node, "padding", pad_name(c->pad));
    hc_gb_str(g, r->node, "data_format", c->nchw ? "NCHW" : "NHWC");
    if (c->pad == 2) {
        int64_t e[8] = {0};
        size_t h = c->nchw ? 2 : 1;
        e[2 * h] = c->expl[0];
        e[2 * h + 1] = c->expl[1];
        e[2 * h + 2] = c->expl[2];
        e[2 * h + 3] = c->expl[3];
        hc_gb_ints(g, r->node, "explicit_paddings", e, 8);
    }
}

/* TF's output size and padding before, computed independently of the library. */
static void out_geom(int pad, int64_t in, int64_t k, int64_t s, int64_t d, int64_t eb, int64_t ea,
                     int64_t *out, int64_t *before) {
    int64_t eff = (k - 1) * d + 1;
    if (pad == 1) {
        *out = (in + s - 1) / s;
        int64_t tot = (*out - 1) * s + eff - in;
        *before = tot > 0 ? tot / 2 : 0;
    } else {
        int64_t total = in + (pad == 2 ? eb + ea : 0);
        *out = total >= eff ? (total - eff) / s + 1 : 0;
        *before = pad == 2 ? eb : 0;
    }
}

static void nhwc_to_nchw(const float *src, float *dst, int64_t n, int64_t hw, int64_t c) {
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < hw; i++)
            for (int64_t ch = 0; ch < c; ch++)
                dst[(b * c + ch) * hw + i] = src[(b * hw + i) * c + ch];
}

/* Reference Conv2D (NHWC, HWIO, groups = c / fc) and depthwise (mult > 0). */
static void conv_ref(const conv_cfg *c, const float *x, const float *f, double *ref, double *mag) {
    int64_t cout = c->mult ? c->c * c->mult : c->cout;
    int64_t groups = c->mult ? 1 : c->c / c->fc, cog = cout / groups;
    for (int64_t b = 0; b < c->n; b++)
        for (int64_t oy = 0; oy < c->oh; oy++)
            for (int64_t ox = 0; ox < c->ow; ox++)
                for (int64_t o = 0; o < cout; o++) {
                    double s = 0, m = 0;
                    for (int64_t ky = 0; ky < c->kh; ky++)
                        for (int64_t kx = 0; kx < c->kw; kx++) {
                            int64_t iy = oy * c->sh - c->pt + ky * c->dh;
                            int64_t ix = ox * c->sw - c->pl + kx * c->dw;
                            if (iy < 0 || iy >= c->ih || ix < 0 || ix >= c->iw) continue;
                            const float *px = x + ((b * c->ih + iy) * c->iw + ix) * c->c;
                            if (c->mult) {
                                double t = (double)px[o / c->mult] *
                                           f[((ky * c->kw + kx) * c->c) * c->mult + o];
                                s += t;
                                m += fabs(t);
                                continue;
                            }
                            int64_t g = o / cog;
                            for (int64_t i = 0; i < c->fc; i++) {
                                double t = (double)px[g * c->fc + i] *
                                           f[((ky * c->kw + kx) * c->fc + i) * cout + o];
                                s += t;
                                m += fabs(t);
                            }
                        }
                    size_t idx = (size_t)(((b * c->oh + oy) * c->ow + ox) * cout + o);
                    ref[idx] = s;
                    mag[idx] = m;
                }
}

/* Build inputs, reference and run one case every way (cu_run_case). */
static void run_conv_case(conv_cfg *c, const char *op, const char *name) {
    out_geom(c->pad, c->ih, c->kh, c->sh, c->dh, c->expl[0], c->expl[1], &c->oh, &c->pt);
    out_geom(c->pad, c->iw, c->kw, c->sw, c->dw, c->expl[2], c->expl[3], &c->ow, &c->pl);
    bool f16 = c->dt == HC_DT_HALF;
    int64_t cout = c->mult ? c->c * c->mult : c->cout;
    size_t nx = (size_t)(c->n * c->ih * c->iw * c->c);
    size_t nf = (size_t)(c->kh * c->kw * (c->mult ? c->c * c->mult : c->fc * cout));
    size_t ny = (size_t)(c->n * c->oh * c->ow * cout);
    float *x = malloc(nx * 4 + 4), *xt = malloc(nx * 4 + 4), *f = malloc(nf * 4 + 4);
    double *ref = calloc(ny + 1, 8), *mag = calloc(ny + 1, 8), *reft = malloc(ny * 8 + 8);
    cu_fill(x, nx, f16);
    cu_fill(f, nf, f16);
    conv_ref(c, x, f, ref, mag);
    int64_t xd[4] = {c->n, c->ih, c->iw, c->c};
    int64_t fd[4] = {c->kh, c->kw, c->mult ? c->c : c->fc, c->mult ? c->mult : cout};
    if (c->nchw) {
        nhwc_to_nchw(x, xt, c->n, c->ih * c->iw, c->c);
        memcpy(x, xt, nx * 4);
        int64_t xd2[4] = {c->n, c->c, c->ih, c->iw};
        memcpy(xd, xd2, sizeof xd);
        /* Reference to NCHW: permute ref and mag through float-free index mapping. */
        for (int k = 0; k < 2; k++) {
            double *src = k ? mag : ref;
            int64_t hw = c->oh * c->ow;
            for (int64_t b = 0; b < c->n; b++)
                for (int64_t i = 0; i < hw; i++)
                    for (int64_t ch = 0; ch < cout; ch++)
                        reft[(b * cout + ch) * hw + i] = src[(b * hw + i) * cout + ch];
            memcpy(src, reft, ny * 8);
        }
    }
    /* Activations mostly aligned (as in a session), every third case not; weights never. */
    static int nth_case;
    size_t xoff = nth_case++ % 3 == 2 ? 1 : 0;
    cu_tensor in[2] = {cu_make_at(c->dt, 4, xd, x, xoff), cu_make(c->dt, 4, fd, f)};
    cu_case cc = {op, 2, in, win_attrs, c, 1, 0, ref, mag, ny, f16, name};
    cu_run_case(&cc);
    free(in[0].mem);
    free(in[1].mem);
    free(x);
    free(xt);
    free(f);
    free(ref);
    free(mag);
    free(reft);
}

static const int64_t chans[] = {1, 3, 7, 16, 17, 32, 33, 48, 96};

/* A random window config with sizes kept to about 1e6 multiply-adds. */
static void random_window(conv_cfg *c, int i) {
    c->dt = i % 2 ? HC_DT_HALF : HC_DT_FLOAT;
    c->nchw = i % 4 >= 2; /* both dtypes */
    c->pad = (int)cu_range(0, 2);
    c->n = cu_range(1, 2);
    c->kh = cu_range(1, 5);
    c->kw = cu_range(1, 5);
    c->sh = cu_range(1, 3);
    c->sw = cu_range(1, 3);
    c->dh = cu_range(1, 2);
    c->dw = cu_range(1, 2);
    c->ih = cu_range(1, 13) | 1;
    c->iw = cu_range(1, 13) | 1;
    for (int k = 0; k < 4; k++)
        c->expl[k] = c->pad == 2 ? cu_range(0, 3) : 0;
    /* VALID and EXPLICIT need the window to fit at least once. */
    int64_t eh = (c->kh - 1) * c->dh + 1, ew = (c->kw - 1) * c->dw + 1;
    if (c->pad != 1 && c->ih + c->expl[0] + c->expl[1] < eh) c->ih = eh;
    if (c->pad != 1 && c->iw + c->expl[2] + c->expl[3] < ew) c->iw = ew;
}

static int64_t conv_macs(const conv_cfg *c) {
    int64_t oh, ow, pt, pl;
    out_geom(c->pad, c->ih, c->kh, c->sh, c->dh, c->expl[0], c->expl[1], &oh, &pt);
    out_geom(c->pad, c->iw, c->kw, c->sw, c->dw, c->expl[2], c->expl[3], &ow, &pl);
    return c->n * oh * ow * c->kh * c->kw * c->fc * c->cout;
}

static void conv2d_random(void **state) {
    (void)state;
    for (int i = 0; i < 160; i++) {
        conv_cfg c;
        memset(&c, 0, sizeof c);
        random_window(&c, i);
        size_t fi = cu_rand() % HC_COUNT(chans), oi = cu_rand() % HC_COUNT(chans);
        c.fc = chans[fi];
        c.cout = chans[oi];
        /* Keep each case near 1.5e6 multiply-adds: shrink the batch, then the channels. */
        while (conv_macs(&c) > 1500000) {
            if (c.n > 1)
                c.n = 1;
            else if (oi >= fi && oi > 0)
                c.cout = chans[--oi];
            else if (fi > 0)
                c.fc = chans[--fi];
            else
                break;
        }
        c.c = c.fc;
        if (i % 8 == 5) { /* grouped */
            int64_t g = cu_range(2, 3);
            c.c = c.fc * g;
            c.cout = (c.cout + g - 1) / g * g;
        }
        char name[200];
        snprintf(name, sizeof name,
                 "Conv2D #%d %s %s %s n%lld %lldx%lldx%lld k%lldx%lld s%lld,%lld "
                 "d%lld,%lld fc%lld out%lld",
                 i, c.dt == HC_DT_HALF ? "half" : "float", c.nchw ? "NCHW" : "NHWC",
                 pad_name(c.pad), (long long)c.n, (long long)c.ih, (long long)c.iw, (long long)c.c,
                 (long long)c.kh, (long long)c.kw, (long long)c.sh, (long long)c.sw,
                 (long long)c.dh, (long long)c.dw, (long long)c.fc, (long long)c.cout);
        run_conv_case(&c, "Conv2D", name);
    }
}

/* 1x1 convolutions are a plain GEMM: pixel counts and output channels below, at and above
 * every tile (MR 4/6/8 rows, NR 8/16/48 columns). */
static void conv2d_tiles(void **state) {
    (void)state;
    static const int64_t pixels[] = {1, 5, 7, 8, 9, 13, 16, 17, 25};
    static const int64_t outs[] = {1, 7, 8, 9, 15, 16, 17, 31, 33, 47, 48, 49, 64, 96, 97};
    static const int64_t ins[] = {1, 3, 16, 17, 64};
    for (size_t p = 0; p < HC_COUNT(pixels); p++)
        for (size_t o = 0; o < HC_COUNT(outs); o++) {
            conv_cfg c;
            memset(&c, 0, sizeof c);
            c.dt = (p + o) % 2 ? HC_DT_HALF : HC_DT_FLOAT;
            c.n = 1;
            c.ih = 1;
            c.iw = pixels[p];
            c.kh = c.kw = c.sh = c.sw = c.dh = c.dw = 1;
            c.c = c.fc = ins[(p * 3 + o) % HC_COUNT(ins)];
            c.cout = outs[o];
            c.pad = (int)((p + o) % 2);
            char name[128];
            snprintf(name, sizeof name, "1x1 Conv2D %lld px, %lld -> %lld, %s", (long long)c.iw,
                     (long long)c.c, (long long)c.cout, c.dt == HC_DT_HALF ? "half" : "float");
            run_conv_case(&c, "Conv2D", name);
        }
}

/* Shapes that make the driver split threads over columns (few pixels) and over pixel
 * blocks with many taps, plus a big first-layer conv (3 channels, 5x5 stride 2). */
static void conv2d_thread_splits(void **state) {
    (void)state;
    conv_cfg cs[] = {
        {.dt = HC_DT_FLOAT,
         .pad = 1,
         .n = 1,
         .ih = 1,
         .iw = 2,
         .c = 64,
         .kh = 3,
         .kw = 3,
         .fc = 64,
         .cout = 200,
         .sh = 1,
         .sw = 1,
         .dh = 1,
         .dw = 1},
        {.dt = HC_DT_HALF,
         .pad = 1,
         .n = 1,
         .ih = 3,
         .iw = 1,
         .c = 48,
         .kh = 3,
         .kw = 3,
         .fc = 48,
         .cout = 144,
         .sh = 1,
         .sw = 1,
         .dh = 1,
         .dw = 1},
        {.dt = HC_DT_FLOAT,
         .pad = 1,
         .n = 1,
         .ih = 33,
         .iw = 31,
         .c = 3,
         .kh = 5,
         .kw = 5,
         .fc = 3,
         .cout = 24,
         .sh = 2,
         .sw = 2,
         .dh = 1,
         .dw = 1},
        {.dt = HC_DT_HALF,
         .pad = 0,
         .n = 2,
         .ih = 11,
         .iw = 9,
         .c = 33,
         .kh = 3,
         .kw = 3,
         .fc = 33,
         .cout = 40,
         .sh = 1,
         .sw = 2,
         .dh = 2,
         .dw = 1},
    };
    for (size_t i = 0; i < HC_COUNT(cs); i++) {
        char name[64];
        snprintf(name, sizeof name, "Conv2D split case %zu", i);
        run_conv_case(&cs[i], "Conv2D", name);
    }
}

static void depthwise_random(void **state) {
    (void)state;
    for (int i = 0; i < 160; i++) {
        conv_cfg c;
        memset(&c, 0, sizeof c);
        random_window(&c, i);
        c.c = cu_pick(chans, HC_COUNT(chans));
        c.mult = i % 5 == 2 ? cu_range(2, 3) : 1;
        char name[200];
        snprintf(name, sizeof name,
                 "Depthwise #%d %s %s %s n%lld %lldx%lldx%lld k%lldx%lld "
                 "s%lld,%lld d%lld,%lld mult%lld",
                 i, c.dt == HC_DT_HALF ? "half" : "float", c.nchw ? "NCHW" : "NHWC",
                 pad_name(c.pad), (long long)c.n, (long long)c.ih, (long long)c.iw, (long long)c.c,
                 (long long)c.kh, (long long)c.kw, (long long)c.sh, (long long)c.sw,
                 (long long)c.dh, (long long)c.dw, (long long)c.mult);
        run_conv_case(&c, "DepthwiseConv2dNative", name);
    }
}

/* BlazeFace-like depthwise layers: 3x3 and 5x5 SAME, stride 1 and 2, big enough to thread. */
static void depthwise_blazeface(void **state) {
    (void)state;
    static const int64_t ks[] = {3, 5};
    static const int64_t cs[] = {24, 28, 48, 96};
    for (size_t k = 0; k < 2; k++)
        for (size_t ci = 0; ci < HC_COUNT(cs); ci++)
            for (int64_t s = 1; s <= 2; s++) {
                conv_cfg c = {.dt = (ci + (size_t)s) % 2 ? HC_DT_HALF : HC_DT_FLOAT,
                              .pad = 1,
                              .n = 1,
                              .ih = 32,
                              .iw = 32,
                              .c = cs[ci],
                              .kh = ks[k],
                              .kw = ks[k],
                              .sh = s,
                              .sw = s,
                              .dh = 1,
                              .dw = 1,
                              .mult = 1};
                char name[96];
                snprintf(name, sizeof name, "Depthwise %lldx%lld s%lld c%lld", (long long)ks[k],
                         (long long)ks[k], (long long)s, (long long)cs[ci]);
                run_conv_case(&c, "DepthwiseConv2dNative", name);
            }
}

/* ---- malformed attributes and shapes ---------------------------------------------------- */

typedef struct bad_cfg {
    const char *what;
    int64_t strides[4];
    size_t n_strides;
    const char *padding;
    int64_t expl[8];
    size_t n_expl;
    int64_t dil[4];
    hc_dtype t;
} bad_cfg;

static void bad_attrs(oprun *r, const void *ud) {
    const bad_cfg *b = ud;
    hc_graph *g = &r->t.g;
    hc_gb_type(g, r->node, "T", b->t ? b->t : HC_DT_FLOAT);
    hc_gb_ints(g, r->node, "strides", b->strides, b->n_strides);
    hc_gb_str(g, r->node, "padding", b->padding);
    if (b->n_expl) hc_gb_ints(g, r->node, "explicit_paddings", b->expl, b->n_expl);
    if (b->dil[0]) hc_gb_ints(g, r->node, "dilations", b->dil, 4);
}

static void conv2d_malformed(void **state) {
    (void)state;
    float v[256] = {0};
    int64_t xd[4] = {1, 4, 4, 2}, fd[4] = {3, 3, 2, 2}, fbad[3] = {3, 3, 2};
    int64_t fdepth[4] = {3, 3, 3, 2}, fbig[4] = {6, 6, 2, 2};
    cu_tensor x = cu_make(HC_DT_FLOAT, 4, xd, v), f = cu_make(HC_DT_FLOAT, 4, fd, v);
    cu_tensor f3 = cu_make(HC_DT_FLOAT, 3, fbad, v), fdp = cu_make(HC_DT_FLOAT, 4, fdepth, v);
    cu_tensor fb = cu_make(HC_DT_FLOAT, 4, fbig, v);
    cu_tensor ok[2] = {x, f};
    bad_cfg b1 = {"strides", {1, 1, 1}, 3, "SAME", {0}, 0, {0}, 0};
    cu_expect_fail("Conv2D", 2, ok, bad_attrs, &b1, HC_MALFORMED, "strides");
    bad_cfg b2 = {"stride 0", {1, 0, 1, 1}, 4, "SAME", {0}, 0, {0}, 0};
    cu_expect_fail("Conv2D", 2, ok, bad_attrs, &b2, HC_MALFORMED, "strides");
    bad_cfg b3 = {"padding", {1, 1, 1, 1}, 4, "FULL", {0}, 0, {0}, 0};
    cu_expect_fail("Conv2D", 2, ok, bad_attrs, &b3, HC_MALFORMED, "padding");
    bad_cfg b4 = {"explicit count", {1, 1, 1, 1}, 4, "EXPLICIT", {0, 0, 1, 1}, 4, {0}, 0};
    cu_expect_fail("Conv2D", 2, ok, bad_attrs, &b4, HC_MALFORMED, "explicit_paddings");
    bad_cfg b5 = {
        "negative pad", {1, 1, 1, 1}, 4, "EXPLICIT", {0, 0, -1, 1, 0, 0, 0, 0}, 8, {0}, 0};
    cu_expect_fail("Conv2D", 2, ok, bad_attrs, &b5, HC_MALFORMED, "explicit padding");
    bad_cfg b6 = {"batch stride", {2, 1, 1, 1}, 4, "SAME", {0}, 0, {0}, 0};
    cu_expect_fail("Conv2D", 2, ok, bad_attrs, &b6, HC_UNSUPPORTED, "batch");
    bad_cfg b7 = {"dilation 0", {1, 1, 1, 1}, 4, "SAME", {0}, 0, {1, 0, 1, 1}, 0};
    cu_expect_fail("Conv2D", 2, ok, bad_attrs, &b7, HC_MALFORMED, "dilations");
    bad_cfg b8 = {"int32", {1, 1, 1, 1}, 4, "SAME", {0}, 0, {0}, HC_DT_INT32};
    cu_expect_fail("Conv2D", 2, ok, bad_attrs, &b8, HC_UNSUPPORTED, "int32");
    bad_cfg good = {"ok", {1, 1, 1, 1}, 4, "VALID", {0}, 0, {0}, 0};
    cu_tensor r3[2] = {x, f3}, rd[2] = {x, fdp}, rb[2] = {x, fb};
    cu_expect_fail("Conv2D", 2, r3, bad_attrs, &good, HC_INVALID, "4-D");
    cu_expect_fail("Conv2D", 2, rd, bad_attrs, &good, HC_INVALID, "depth");
    cu_expect_fail("Conv2D", 2, rb, bad_attrs, &good, HC_INVALID, "negative");
    cu_expect_fail("DepthwiseConv2dNative", 2, rd, bad_attrs, &good, HC_INVALID, "depth");
    cu_expect_fail("DepthwiseConv2dNative", 2, ok, bad_attrs, &b3, HC_MALFORMED, "padding");
    cu_tensor swapped[2] = {f3, f};
    cu_expect_fail("Conv2D", 2, swapped, bad_attrs, &good, HC_INVALID, "4-D");
    free(x.mem);
    free(f.mem);
    free(f3.mem);
    free(fdp.mem);
    free(fb.mem);
}

/* An empty batch gives an empty output, not an error. */
static void conv2d_empty(void **state) {
    (void)state;
    float v[64] = {0};
    int64_t xd[4] = {0, 4, 4, 2}, fd[4] = {3, 3, 2, 2};
    cu_tensor in[2] = {cu_make(HC_DT_FLOAT, 4, xd, v), cu_make(HC_DT_FLOAT, 4, fd, v)};
    bad_cfg good = {"ok", {1, 1, 1, 1}, 4, "SAME", {0}, 0, {0}, 0};
    cu_out o = cu_run("Conv2D", 2, in, bad_attrs, &good, NULL, 1, 1, 0);
    if (o.st) fail_msg("%s", o.msg);
    int64_t want[4] = {0, 4, 4, 2};
    cu_expect_dims(&o, 4, want);
    cu_out_free(&o);
    free(in[0].mem);
    free(in[1].mem);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv2d_tiles),         cmocka_unit_test(conv2d_random),
        cmocka_unit_test(conv2d_thread_splits), cmocka_unit_test(depthwise_random),
        cmocka_unit_test(depthwise_blazeface),  cmocka_unit_test(conv2d_malformed),
        cmocka_unit_test(conv2d_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
