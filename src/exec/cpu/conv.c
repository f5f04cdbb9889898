/* conv.c - the conv kernel family's table, the window attributes and geometry shared by
 * Conv2D, DepthwiseConv2dNative and the pools, layout transposes, and Conv2D itself (NHWC
 * through the GEMM driver in conv_gemm.c; NCHW by transposing around it). */
#include "exec/cpu/conv.h"

#include "base/fp16.h"

/* Attribute values beyond this are not a real model; capping them keeps every window
 * product far from int64 overflow. */
#define WIN_ATTR_MAX ((int64_t)1 << 30)

static hc_status parse_format(hc_kernel_prep *p, hc_win_attr *a) {
    hc_span s;
    a->nchw = false;
    if (!hc_k_attr_str(p->node, "data_format", &s) || hc_span_eq_str(s, "NHWC")) return HC_OK;
    if (hc_span_eq_str(s, "NCHW")) {
        a->nchw = true;
        return HC_OK;
    }
    return hc_kp_fail(p, HC_UNSUPPORTED, "data_format '" HC_SPAN_FMT "' is not supported",
                      HC_SPAN_ARG(s));
}

/* A 4-element window list in data_format order -> H, W; batch and depth must be 1. */
static hc_status parse_hw(hc_kernel_prep *p, const hc_win_attr *a, const char *name, bool required,
                          int64_t out[2]) {
    const int64_t *v;
    size_t n;
    out[0] = out[1] = 1;
    if (!hc_k_attr_ints(p->node, name, &v, &n)) {
        if (!required) return HC_OK;
        return hc_kp_fail(p, HC_MALFORMED, "attribute %s is missing", name);
    }
    if (n == 0 && !required) return HC_OK;
    if (n != 4) return hc_kp_fail(p, HC_MALFORMED, "%s has %zu entries, not 4", name, n);
    int hi = a->nchw ? 2 : 1, ci = a->nchw ? 1 : 3;
    if (v[0] != 1 || v[ci] != 1)
        return hc_kp_fail(p, HC_UNSUPPORTED, "%s in the batch and depth dimensions must be 1",
                          name);
    for (int i = 0; i < 2; i++) {
        if (v[hi + i] < 1 || v[hi + i] > WIN_ATTR_MAX)
            return hc_kp_fail(p, HC_MALFORMED, "%s entry %lld is out of range", name,
                              (long long)v[hi + i]);
        out[i] = v[hi + i];
    }
    return HC_OK;
}

static hc_status parse_padding(hc_kernel_prep *p, hc_win_attr *a) {
    hc_span s;
    if (!hc_k_attr_str(p->node, "padding", &s))
        return hc_kp_fail(p, HC_MALFORMED, "attribute padding is missing");
    const int64_t *v = NULL;
    size_t n = 0;
    hc_k_attr_ints(p->node, "explicit_paddings", &v, &n);
    if (hc_span_eq_str(s, "VALID") || hc_span_eq_str(s, "SAME")) {
        a->pad = hc_span_eq_str(s, "SAME") ? HC_PAD_SAME : HC_PAD_VALID;
        if (n)
            return hc_kp_fail(p, HC_MALFORMED,
                              "explicit_paddings must be empty unless "
                              "padding is EXPLICIT");
        return HC_OK;
    }
    if (!hc_span_eq_str(s, "EXPLICIT"))
        return hc_kp_fail(p, HC_MALFORMED,
                          "padding '" HC_SPAN_FMT "' is not SAME, VALID or "
                          "EXPLICIT",
                          HC_SPAN_ARG(s));
    a->pad = HC_PAD_EXPLICIT;
    if (n != 8) return hc_kp_fail(p, HC_MALFORMED, "explicit_paddings has %zu entries, not 8", n);
    size_t hi = a->nchw ? 2 : 1, ci = a->nchw ? 1 : 3;
    if (v[0] || v[1] || v[2 * ci] || v[2 * ci + 1])
        return hc_kp_fail(p, HC_UNSUPPORTED,
                          "explicit padding in the batch and depth "
                          "dimensions must be 0");
    for (size_t i = 0; i < 4; i++) {
        int64_t x = v[2 * hi + i];
        if (x < 0 || x > WIN_ATTR_MAX)
            return hc_kp_fail(p, HC_MALFORMED, "explicit padding %lld is out of range",
                              (long long)x);
        a->expl[i] = x;
    }
    return HC_OK;
}

hc_status hc_win_parse(hc_kernel_prep *p, hc_win_attr *a, bool pool) {
    memset(a, 0, sizeof *a);
    a->dt = hc_k_attr_type(p->node, "T", HC_DT_FLOAT);
    if (a->dt != HC_DT_FLOAT && a->dt != HC_DT_HALF)
        return hc_kp_fail(p, HC_UNSUPPORTED, "T=%s is not supported (float and half are)",
                          hc_dtype_name(a->dt));
    hc_status st = parse_format(p, a);
    if (!st) st = parse_hw(p, a, "strides", true, a->stride);
    if (!st && !pool) st = parse_hw(p, a, "dilations", false, a->dil);
    if (!st && pool) {
        a->dil[0] = a->dil[1] = 1;
        st = parse_hw(p, a, "ksize", true, a->ksize);
    }
    if (!st) st = parse_padding(p, a);
    return st;
}

/* TF's GetWindowedOutputSizeVerbose for one dimension. */
static bool out_size(hc_pad pad, int64_t in, int64_t k, int64_t s, int64_t d, int64_t eb,
                     int64_t ea, int64_t *out, int64_t *before) {
    int64_t eff = (k - 1) * d + 1;
    if (pad == HC_PAD_SAME) {
        *out = (in + s - 1) / s;
        int64_t need = (*out - 1) * s + eff - in;
        *before = need > 0 ? need / 2 : 0;
        return true;
    }
    if (pad == HC_PAD_EXPLICIT) {
        *out = (in + eb + ea - eff + s) / s;
        *before = eb;
    } else {
        *out = (in - eff + s) / s;
        *before = 0;
    }
    return *out >= 0;
}

hc_status hc_win_geom(hc_kernel_ctx *k, const hc_win_attr *a, const hc_val *x, int64_t kh,
                      int64_t kw, hc_win *w) {
    if (x->rank != 4)
        return hc_k_fail(k, HC_INVALID, "input must be 4-D, not rank %d", (int)x->rank);
    w->n = x->dims[0];
    w->ih = x->dims[a->nchw ? 2 : 1];
    w->iw = x->dims[a->nchw ? 3 : 2];
    w->c = x->dims[a->nchw ? 1 : 3];
    w->kh = kh ? kh : a->ksize[0];
    w->kw = kw ? kw : a->ksize[1];
    if (w->kh < 1 || w->kw < 1 || w->kh > WIN_ATTR_MAX || w->kw > WIN_ATTR_MAX)
        return hc_k_fail(k, HC_INVALID, "window %lld x %lld is not supported", (long long)w->kh,
                         (long long)w->kw);
    w->sh = a->stride[0];
    w->sw = a->stride[1];
    w->dh = a->dil[0];
    w->dw = a->dil[1];
    if (!out_size(a->pad, w->ih, w->kh, w->sh, w->dh, a->expl[0], a->expl[1], &w->oh, &w->pt) ||
        !out_size(a->pad, w->iw, w->kw, w->sw, w->dw, a->expl[2], a->expl[3], &w->ow, &w->pl))
        return hc_k_fail(k, HC_INVALID,
                         "computed output size would be negative (input %lld x "
                         "%lld, window %lld x %lld)",
                         (long long)w->ih, (long long)w->iw, (long long)w->kh, (long long)w->kw);
    return HC_OK;
}

void hc_win_out_dims(const hc_win_attr *a, int64_t n, int64_t h, int64_t w, int64_t c,
                     int64_t dims[4]) {
    dims[0] = n;
    dims[a->nchw ? 2 : 1] = h;
    dims[a->nchw ? 3 : 2] = w;
    dims[a->nchw ? 1 : 3] = c;
}

/* Tile-free transposes: NCHW ops are rare in the models we run, so plain loops suffice. */
void hc_nchw_to_nhwc(const void *src, void *dst, size_t esz, int64_t n, int64_t c, int64_t hw) {
    const uint8_t *s = src;
    uint8_t *d = dst;
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t i = 0; i < hw; i++)
                memcpy(d + (size_t)((b * hw + i) * c + ch) * esz,
                       s + (size_t)((b * c + ch) * hw + i) * esz, esz);
}

void hc_nhwc_to_nchw(const void *src, void *dst, size_t esz, int64_t n, int64_t c, int64_t hw) {
    const uint8_t *s = src;
    uint8_t *d = dst;
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < hw; i++)
            for (int64_t ch = 0; ch < c; ch++)
                memcpy(d + (size_t)((b * c + ch) * hw + i) * esz,
                       s + (size_t)((b * hw + i) * c + ch) * esz, esz);
}

int hc_conv_threads(const hc_kernel_ctx *k, double flops) {
    /* Waking a worker costs a few microseconds: below ~0.2 MFLOP one thread is faster. */
    if (!k->pool || flops < 2e5) return 1;
    return hc_pool_size(k->pool);
}

float *hc_conv_f32_copy(hc_kernel_ctx *k, const hc_val *v, size_t n) {
    float *f = hc_k_scratch(k, (n ? n : 1) * sizeof(float));
    if (!f) return NULL;
    if (v->dtype == HC_DT_HALF)
        hc_f16_to_f32_array(k->cpu, v->data, f, n);
    else if (n)
        memcpy(f, v->data, n * sizeof(float));
    return f;
}

/* ---- Conv2D ----------------------------------------------------------------------------- */

hc_status hc_conv2d_prepare(hc_kernel_prep *p) {
    hc_win_attr *a = hc_arena_alloc(p->arena, sizeof *a);
    if (!a) return HC_NOMEM;
    hc_status st = hc_win_parse(p, a, false);
    p->state = a;
    return st;
}

/* Check the filter against the input; groups = input depth / filter depth. */
static hc_status conv_shapes(hc_kernel_ctx *k, const hc_val *x, const hc_val *f, int64_t *groups) {
    const hc_win_attr *a = k->state;
    if (x->dtype != a->dt || f->dtype != a->dt)
        return hc_k_fail(k, HC_TYPE, "input and filter must be %s", hc_dtype_name(a->dt));
    if (f->rank != 4)
        return hc_k_fail(k, HC_INVALID, "filter must be 4-D [h, w, in, out], not rank %d",
                         (int)f->rank);
    if (x->rank != 4)
        return hc_k_fail(k, HC_INVALID, "input must be 4-D, not rank %d", (int)x->rank);
    int64_t c = x->dims[a->nchw ? 1 : 3], fc = f->dims[2];
    if (fc < 1 || c < 1 || c % fc)
        return hc_k_fail(k, HC_INVALID,
                         "input depth %lld is not a multiple of the filter's "
                         "input depth %lld",
                         (long long)c, (long long)fc);
    *groups = c / fc;
    if (f->dims[3] % *groups)
        return hc_k_fail(k, HC_INVALID,
                         "output depth %lld is not a multiple of the %lld "
                         "groups",
                         (long long)f->dims[3], (long long)*groups);
    return HC_OK;
}

/* NHWC convolution of x into y (both NHWC buffers) with fp32 weights w. */
static hc_status conv_nhwc(hc_kernel_ctx *k, const void *x, const hc_win *win, const float *w,
                           int64_t fc, int64_t cout, int64_t groups, void *y) {
    const hc_win_attr *a = k->state;
    size_t cog = (size_t)(cout / groups);
    size_t esz = hc_dtype_size(a->dt);
    const float *bias;
    int act;
    hc_status st0 = hc_epi_check(k, cout, &bias, &act);
    if (st0) return st0;
    for (int64_t g = 0; g < groups; g++) {
        hc_gemm_op op = {x,
                         a->dt,
                         *win,
                         (size_t)win->c,
                         (size_t)(g * fc),
                         (size_t)fc,
                         w + (size_t)g * cog,
                         (size_t)cout,
                         cog,
                         (uint8_t *)y + (size_t)g * cog * esz,
                         a->dt,
                         (size_t)cout,
                         bias ? bias + (size_t)g * cog : NULL,
                         act};
        hc_status st = hc_gemm_run(k, &op);
        if (st) return st;
    }
    return HC_OK;
}

hc_status hc_conv2d_run(hc_kernel_ctx *k) {
    const hc_win_attr *a = k->state;
    if (k->n_in != 2) return hc_k_fail(k, HC_MALFORMED, "takes 2 inputs, not %u", k->n_in);
    const hc_val *x = &k->in[0], *f = &k->in[1];
    int64_t groups = 1, dims[4];
    hc_win win = {0};
    hc_status st = conv_shapes(k, x, f, &groups);
    if (!st) st = hc_win_geom(k, a, x, f->dims[0], f->dims[1], &win);
    if (st) return st;
    int64_t cout = f->dims[3];
    hc_win_out_dims(a, win.n, win.oh, win.ow, cout, dims);
    if ((st = hc_k_alloc(k, 0, a->dt, 4, dims))) return st;
    size_t out_elems = (size_t)hc_val_elems(&k->out[0]), esz = hc_dtype_size(a->dt);
    if (!out_elems) return HC_OK;
    float *w = (float *)f->data, *wcopy = NULL;
    if (a->dt == HC_DT_HALF && !(w = wcopy = hc_conv_f32_copy(k, f, (size_t)hc_val_elems(f))))
        return k->ctx->status;
    if (!a->nchw) {
        st = conv_nhwc(k, x->data, &win, w, f->dims[2], cout, groups, k->out[0].data);
    } else {
        size_t in_bytes = hc_val_bytes(x);
        void *xt = hc_k_scratch(k, in_bytes ? in_bytes : 1);
        void *yt = hc_k_scratch(k, out_elems * esz);
        if (!xt || !yt) {
            st = k->ctx->status;
        } else {
            hc_nchw_to_nhwc(x->data, xt, esz, win.n, win.c, win.ih * win.iw);
            st = conv_nhwc(k, xt, &win, w, f->dims[2], cout, groups, yt);
            if (!st) hc_nhwc_to_nchw(yt, k->out[0].data, esz, win.n, cout, win.oh * win.ow);
        }
        hc_k_scratch_free(k, yt);
        hc_k_scratch_free(k, xt);
    }
    hc_k_scratch_free(k, wcopy);
    return st;
}

/* Sorted by op name (binary search). */
const hc_kernel hc_kernels_conv[] = {
    {"AvgPool", hc_pool_prepare, hc_pool_run_op},
    {"BatchMatMul", hc_batch_matmul_prepare, hc_batch_matmul_run},
    {"BatchMatMulV2", hc_batch_matmul_prepare, hc_batch_matmul_run},
    {"BatchMatMulV3", hc_batch_matmul_prepare, hc_batch_matmul_run},
    {"Conv2D", hc_conv2d_prepare, hc_conv2d_run, HC_KF_EPILOGUE},
    {"DepthwiseConv2dNative", hc_depthwise_prepare, hc_depthwise_run, HC_KF_EPILOGUE},
    {"FusedBatchNorm", hc_batchnorm_prepare, hc_batchnorm_run},
    {"FusedBatchNormV2", hc_batchnorm_prepare, hc_batchnorm_run},
    {"FusedBatchNormV3", hc_batchnorm_prepare, hc_batchnorm_run},
    {"MatMul", hc_matmul_prepare, hc_matmul_run, HC_KF_EPILOGUE},
    {"MaxPool", hc_pool_prepare, hc_pool_run_op},
    {"MaxPoolV2", hc_pool_v2_prepare, hc_pool_run_op},
};
const size_t hc_n_kernels_conv = sizeof hc_kernels_conv / sizeof hc_kernels_conv[0];
