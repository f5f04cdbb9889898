/* resize.c - ResizeBilinear and ResizeNearestNeighbor as TensorFlow's resize_bilinear_op.cc and
 * resize_nearest_neighbor_op.cc compute them (image_resizer_state.h for the scales): NHWC
 * images of any image dtype; bilinear output is float, nearest keeps the dtype. Bilinear runs
 * as two exact passes per output row - each needed input row interpolated along x (cached
 * while consecutive output rows share it), then the two rows interpolated along y - which is
 * TensorFlow's per-pixel formula with the same roundings, so the AVX2 vertical pass
 * (resize_avx2.c) gives the scalar bits. Output rows are split over the threads. */
#include "exec/cpu/detect.h"

#include "base/fp16.h"
#include "base/pool.h"

#include <math.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* TensorFlow's float arithmetic, no fused multiply-adds */
#endif

typedef struct resize_state {
    bool align, half_pixel;
    hc_dtype t;
} resize_state;

typedef struct resize_geom {
    int64_t batch, in_h, in_w, ch, out_h, out_w;
    float h_scale, w_scale;
} resize_geom;

bool hc_detect_image_dtype(hc_dtype dt) {
    switch (dt) {
    case HC_DT_FLOAT:
    case HC_DT_HALF:
    case HC_DT_DOUBLE:
    case HC_DT_BFLOAT16:
    case HC_DT_INT8:
    case HC_DT_UINT8:
    case HC_DT_INT16:
    case HC_DT_UINT16:
    case HC_DT_INT32:
    case HC_DT_INT64:
        return true;
    default:
        return false;
    }
}

void hc_detect_to_f32(hc_dtype dt, const void *src, size_t n, float *dst) {
    const uint8_t *p = src;
    size_t i;
    /* One loop per dtype: this converts whole image rows. */
    switch (dt) {
    case HC_DT_FLOAT:
        memcpy(dst, src, 4 * n);
        return;
    case HC_DT_HALF:
        hc_f16_to_f32_scalar(src, dst, n);
        return;
    case HC_DT_UINT8:
        for (i = 0; i < n; i++)
            dst[i] = (float)p[i];
        return;
    case HC_DT_INT8:
        for (i = 0; i < n; i++)
            dst[i] = (float)(int8_t)p[i];
        return;
    case HC_DT_UINT16:
        for (i = 0; i < n; i++)
            dst[i] = (float)hc_ld_u16(p + 2 * i);
        return;
    case HC_DT_INT32:
        for (i = 0; i < n; i++)
            dst[i] = (float)hc_ld_i32(p + 4 * i);
        return;
    case HC_DT_INT64:
        for (i = 0; i < n; i++)
            dst[i] = (float)hc_ld_i64(p + 8 * i);
        return;
    default:
        break;
    }
    for (i = 0; i < n; i++) {
        switch (dt) {
        case HC_DT_BFLOAT16: {
            uint32_t b = (uint32_t)hc_ld_u16(p + 2 * i) << 16;
            memcpy(&dst[i], &b, 4);
            break;
        }
        case HC_DT_DOUBLE: {
            double d;
            memcpy(&d, p + 8 * i, 8);
            dst[i] = (float)d;
            break;
        }
        case HC_DT_INT16: {
            int16_t v;
            memcpy(&v, p + 2 * i, 2);
            dst[i] = (float)v;
            break;
        }
        default:
            dst[i] = 0.0f;
            break;
        }
    }
}

int hc_detect_threads(const hc_kernel_ctx *k, size_t work) {
    int n = k->pool ? hc_pool_size(k->pool) : 1;
    size_t useful = work / HC_DETECT_GRAIN + 1; /* below the grain a thread costs more */
    if ((size_t)n > useful) n = (int)useful;
    return n > 0 ? n : 1;
}

void hc_detect_hlerp_scalar(const float *src, const int32_t *lo, const int32_t *hi,
                            const float *lerp, size_t n, float *out) {
    for (size_t i = 0; i < n; i++) {
        float l = src[lo[i]], r = src[hi[i]];
        out[i] = l + (r - l) * lerp[i];
    }
}

void hc_detect_vlerp_scalar(const float *top, const float *bot, float lerp, size_t n, float *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = top[i] + (bot[i] - top[i]) * lerp;
}

hc_status hc_detect_resize_prepare(hc_kernel_prep *p) {
    resize_state *st = hc_arena_alloc(p->arena, sizeof *st);
    if (!st) return HC_NOMEM;
    st->align = hc_k_attr_bool(p->node, "align_corners", false);
    st->half_pixel = hc_k_attr_bool(p->node, "half_pixel_centers", false);
    st->t = hc_k_attr_type(p->node, "T", HC_DT_INVALID);
    if (!hc_detect_image_dtype(st->t))
        return hc_kp_fail(p, HC_UNSUPPORTED, "images of type %s are not supported",
                          hc_dtype_name(st->t));
    p->state = st;
    return HC_OK;
}

/* CalculateResizeScale. */
static float resize_scale(int64_t in, int64_t out, bool align) {
    return align && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
}

/* ImageResizerState::ValidateAndCalculateOutputSize, then the output. */
static hc_status resize_setup(hc_kernel_ctx *k, const resize_state *st, hc_dtype out_t,
                              resize_geom *g) {
    const hc_val *im = &k->in[0], *sz = &k->in[1];
    if (k->n_in != 2) return HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (st->half_pixel && st->align)
        return HC_KFAIL(k, HC_INVALID,
                        "if half_pixel_centers is true, align_corners must be false");
    if (im->dtype != st->t)
        return HC_KFAIL(k, HC_INVALID, "images are %s, T is %s", hc_dtype_name(im->dtype),
                        hc_dtype_name(st->t));
    if (im->rank != 4) return HC_KFAIL(k, HC_INVALID, "images must be 4-D, got rank %d", im->rank);
    g->batch = im->dims[0];
    g->in_h = im->dims[1];
    g->in_w = im->dims[2];
    g->ch = im->dims[3];
    if (g->ch <= 0) return HC_KFAIL(k, HC_INVALID, "image must have at least one channel");
    if (g->in_h <= 0 || g->in_w <= 0 || g->in_h >= INT32_MAX || g->in_w >= INT32_MAX)
        return HC_KFAIL(k, HC_INVALID, "input image must be of non-zero size below 2^31");
    if (sz->rank != 1 || sz->dims[0] != 2 || sz->dtype != HC_DT_INT32)
        return HC_KFAIL(k, HC_INVALID, "size must be an int32 vector of 2 elements");
    g->out_h = hc_ld_i32(sz->data);
    g->out_w = hc_ld_i32((const uint8_t *)sz->data + 4);
    if (g->out_h <= 0 || g->out_w <= 0)
        return HC_KFAIL(k, HC_INVALID, "output dimensions must be positive");
    g->h_scale = resize_scale(g->in_h, g->out_h, st->align);
    g->w_scale = resize_scale(g->in_w, g->out_w, st->align);
    if (ceilf((float)(g->out_h - 1) * g->h_scale) > (float)INT64_MAX ||
        ceilf((float)(g->out_w - 1) * g->w_scale) > (float)INT32_MAX)
        return HC_KFAIL(k, HC_INVALID, "input image scale would cause an overflow");
    int64_t dims[4] = {g->batch, g->out_h, g->out_w, g->ch};
    return hc_k_alloc(k, 0, out_t, 4, dims);
}

/* ---------------------------------------------------------------------------------------- */
/* Bilinear                                                                                  */

typedef struct bl_axis {
    int64_t lower, upper;
    float lerp;
} bl_axis;

/* compute_interpolation_weights with TensorFlow's HalfPixelScaler or LegacyScaler. */
static void bl_weights(int64_t out, int64_t in, float scale, bool half_pixel, bl_axis *w) {
    for (int64_t i = 0; i < out; i++) {
        float x = half_pixel ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
        float xf = floorf(x);
        w[i].lower = HC_MAX((int64_t)xf, (int64_t)0);
        w[i].upper = HC_MIN((int64_t)ceilf(x), in - 1);
        w[i].lerp = x - xf;
    }
}

typedef struct bl_job {
    hc_kernel_ctx *k;
    const resize_geom *g;
    const bl_axis *ys;
    const int32_t *xlo, *xhi; /* per output element of a row: source element */
    const float *xlerp;
    float *scratch; /* per thread: in row (in_w*ch) + 2 rows (out_w*ch) */
    size_t per_thread;
    bool avx2, direct; /* direct: read float input rows in place */
} bl_job;

/* The input row (b, y) as float: in place when float and aligned, else converted. */
static const float *bl_src_row(const bl_job *j, int64_t b, int64_t y, float *buf) {
    const resize_geom *g = j->g;
    const hc_val *im = &j->k->in[0];
    size_t n = (size_t)(g->in_w * g->ch), esz = hc_dtype_size(im->dtype);
    const uint8_t *p = (const uint8_t *)im->data + ((size_t)(b * g->in_h + y) * n) * esz;
    if (j->direct) return (const float *)(const void *)p;
    hc_detect_to_f32(im->dtype, p, n, buf);
    return buf;
}

static void bl_hrow(const bl_job *j, int64_t b, int64_t y, float *inbuf, float *out) {
    const float *src = bl_src_row(j, b, y, inbuf);
    size_t n = (size_t)(j->g->out_w * j->g->ch);
    /* Scalar on purpose: AVX2 gathers measured slower than scalar loads here. */
    hc_detect_hlerp_scalar(src, j->xlo, j->xhi, j->xlerp, n, out);
}

static void bl_worker(void *arg, int ith, int nth) {
    bl_job *j = arg;
    const resize_geom *g = j->g;
    size_t b0, e0, n = (size_t)(g->out_w * g->ch);
    hc_split_range((size_t)(g->batch * g->out_h), ith, nth, &b0, &e0);
    float *inbuf = j->scratch + (size_t)ith * j->per_thread;
    float *rows[2] = {inbuf + (size_t)(g->in_w * g->ch), inbuf + (size_t)(g->in_w * g->ch) + n};
    int64_t have[2] = {-1, -1}; /* cached source row ids (b * in_h + y) */
    float *out = j->k->out[0].data;
    for (size_t r = b0; r < e0; r++) {
        int64_t b = (int64_t)r / g->out_h, y = (int64_t)r % g->out_h;
        const bl_axis *w = &j->ys[y];
        int64_t base = b * g->in_h, lo = base + w->lower, hi = base + w->upper;
        /* Keep the row the other pass needs when loading one. */
        int s0 = have[0] == lo ? 0 : have[1] == lo ? 1 : -1;
        if (s0 < 0) {
            s0 = have[0] == hi ? 1 : 0;
            bl_hrow(j, b, w->lower, inbuf, rows[s0]);
            have[s0] = lo;
        }
        int s1 = have[0] == hi ? 0 : have[1] == hi ? 1 : -1;
        if (s1 < 0) {
            s1 = 1 - s0;
            bl_hrow(j, b, w->upper, inbuf, rows[s1]);
            have[s1] = hi;
        }
        const float *use[2] = {rows[s0], rows[s1]};
        if (j->avx2)
            hc_detect_vlerp_avx2(use[0], use[1], w->lerp, n, out + r * n);
        else
            hc_detect_vlerp_scalar(use[0], use[1], w->lerp, n, out + r * n);
    }
}

/* Tables: y weights per output row, x source elements and weights per output element. */
static hc_status bl_tables(hc_kernel_ctx *k, const resize_geom *g, bool half_pixel, void **mem,
                           bl_job *j) {
    size_t n = (size_t)(g->out_w * g->ch), bytes, ny = (size_t)g->out_h;
    if ((uint64_t)(g->in_w * g->ch) > INT32_MAX || !hc_mul_size(n, 12, &bytes) ||
        !hc_add_size(bytes, (ny + (size_t)g->out_w) * sizeof(bl_axis), &bytes))
        return HC_KFAIL(k, HC_LIMIT, "image rows are too large");
    uint8_t *p = hc_k_scratch(k, bytes);
    if (!p) return k->ctx->status ? k->ctx->status : HC_NOMEM;
    bl_axis *ys = (bl_axis *)p, *xs = ys + ny;
    int32_t *xlo = (int32_t *)(xs + g->out_w), *xhi = xlo + n;
    float *xl = (float *)(xhi + n);
    bl_weights(g->out_h, g->in_h, g->h_scale, half_pixel, ys);
    bl_weights(g->out_w, g->in_w, g->w_scale, half_pixel, xs);
    for (int64_t x = 0; x < g->out_w; x++)
        for (int64_t c = 0; c < g->ch; c++) {
            size_t i = (size_t)(x * g->ch + c);
            xlo[i] = (int32_t)(xs[x].lower * g->ch + c);
            xhi[i] = (int32_t)(xs[x].upper * g->ch + c);
            xl[i] = xs[x].lerp;
        }
    j->ys = ys;
    j->xlo = xlo;
    j->xhi = xhi;
    j->xlerp = xl;
    *mem = p;
    return HC_OK;
}

hc_status hc_detect_bilinear_run(hc_kernel_ctx *k) {
    const resize_state *st = k->state;
    resize_geom g;
    hc_status s = resize_setup(k, st, HC_DT_FLOAT, &g);
    if (s || hc_val_elems(&k->out[0]) == 0) return s;
    if (g.out_h == g.in_h && g.out_w == g.in_w) { /* TensorFlow's no-op resize: a cast */
        hc_detect_to_f32(st->t, k->in[0].data, (size_t)hc_val_elems(&k->out[0]), k->out[0].data);
        return HC_OK;
    }
    bl_job j = {.k = k, .g = &g, .avx2 = k->cpu->avx2};
    j.direct = st->t == HC_DT_FLOAT && ((uintptr_t)k->in[0].data & 3) == 0;
    void *tables = NULL;
    if ((s = bl_tables(k, &g, st->half_pixel, &tables, &j))) return s;
    int nth = hc_detect_threads(k, (size_t)hc_val_elems(&k->out[0]));
    size_t bytes;
    j.per_thread = (size_t)(g.in_w * g.ch) + 2 * (size_t)(g.out_w * g.ch);
    if (!hc_mul_size(j.per_thread * sizeof(float), (size_t)nth, &bytes)) {
        hc_k_scratch_free(k, tables);
        return HC_KFAIL(k, HC_LIMIT, "image rows are too large");
    }
    j.scratch = hc_k_scratch(k, bytes);
    if (j.scratch)
        hc_pool_run(k->pool, bl_worker, &j, nth);
    else
        s = k->ctx->status ? k->ctx->status : HC_NOMEM;
    hc_k_scratch_free(k, j.scratch);
    hc_k_scratch_free(k, tables);
    return s;
}

/* ---------------------------------------------------------------------------------------- */
/* Nearest neighbour                                                                         */

/* compute_indices: the source index of each output index for the node's mode. */
static void nn_indices(int64_t out, int64_t in, float scale, const resize_state *st, int64_t *idx) {
    for (int64_t i = 0; i < out; i++) {
        float x = st->half_pixel ? ((float)i + 0.5f) * scale : (float)i * scale;
        int64_t v = HC_MIN(st->align ? (int64_t)roundf(x) : (int64_t)floorf(x), in - 1);
        idx[i] = st->half_pixel ? HC_MAX(v, (int64_t)0) : v;
    }
}

typedef struct nn_job {
    hc_kernel_ctx *k;
    const resize_geom *g;
    const int64_t *ys, *xs;
} nn_job;

static void nn_worker(void *arg, int ith, int nth) {
    nn_job *j = arg;
    const resize_geom *g = j->g;
    size_t b0, e0, esz = hc_dtype_size(j->k->in[0].dtype), px = (size_t)g->ch * esz;
    hc_split_range((size_t)(g->batch * g->out_h), ith, nth, &b0, &e0);
    const uint8_t *in = j->k->in[0].data;
    uint8_t *out = j->k->out[0].data;
    for (size_t r = b0; r < e0; r++) {
        int64_t b = (int64_t)r / g->out_h, y = (int64_t)r % g->out_h;
        const uint8_t *src = in + (size_t)((b * g->in_h + j->ys[y]) * g->in_w) * px;
        uint8_t *dst = out + r * (size_t)g->out_w * px;
        for (int64_t x = 0; x < g->out_w; x++)
            memcpy(dst + (size_t)x * px, src + (size_t)j->xs[x] * px, px);
    }
}

hc_status hc_detect_nearest_run(hc_kernel_ctx *k) {
    const resize_state *st = k->state;
    resize_geom g;
    hc_status s = resize_setup(k, st, st->t, &g);
    if (s) return s;
    if (g.in_h >= (1 << 24) || g.in_w >= (1 << 24))
        return HC_KFAIL(k, HC_INVALID, "nearest neighbor requires height and width below 2^24");
    if (hc_val_elems(&k->out[0]) == 0) return HC_OK;
    int64_t *idx = hc_k_scratch(k, (size_t)(g.out_h + g.out_w) * sizeof(int64_t));
    if (!idx) return k->ctx->status ? k->ctx->status : HC_NOMEM;
    nn_indices(g.out_h, g.in_h, g.h_scale, st, idx);
    nn_indices(g.out_w, g.in_w, g.w_scale, st, idx + g.out_h);
    nn_job j = {k, &g, idx, idx + g.out_h};
    hc_pool_run(k->pool, nn_worker, &j, hc_detect_threads(k, (size_t)hc_val_elems(&k->out[0])));
    hc_k_scratch_free(k, idx);
    return HC_OK;
}
