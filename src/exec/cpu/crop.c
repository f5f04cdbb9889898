/* crop.c - CropAndResize as TensorFlow's crop_and_resize_op.cc computes it: for each box
 * (normalized y1, x1, y2, x2, possibly flipped) of image box_ind[b], a crop_h x crop_w grid of
 * sample points; points outside the image take extrapolation_value; "bilinear" interpolates
 * the four neighbours in TensorFlow's order of float operations, "nearest" rounds. The output
 * is float for every image type. Crop rows are split over the threads. */
#include "exec/cpu/detect.h"

#include "base/pool.h"

#include <math.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF /* TensorFlow's float arithmetic, no fused multiply-adds */
#endif

typedef struct crop_state {
    bool nearest;
    float extrapolation;
    hc_dtype t;
} crop_state;

typedef struct crop_job {
    hc_kernel_ctx *k;
    const crop_state *st;
    int64_t batch, h, w, depth, n_boxes, ch, cw;
    float *scratch; /* per thread: 4 pixels of depth floats */
    bool direct;    /* float image, aligned: read pixels in place */
} crop_job;

hc_status hc_detect_crop_prepare(hc_kernel_prep *p) {
    crop_state *st = hc_arena_alloc(p->arena, sizeof *st);
    if (!st) return HC_NOMEM;
    hc_span m = hc_span_str("bilinear");
    hc_k_attr_str(p->node, "method", &m);
    if (!hc_span_eq_str(m, "bilinear") && !hc_span_eq_str(m, "nearest"))
        return hc_kp_fail(p, HC_MALFORMED,
                          "method must be 'bilinear' or 'nearest', got '" HC_SPAN_FMT "'",
                          HC_SPAN_ARG(m));
    st->nearest = hc_span_eq_str(m, "nearest");
    st->extrapolation = hc_k_attr_float(p->node, "extrapolation_value", 0.0f);
    st->t = hc_k_attr_type(p->node, "T", HC_DT_INVALID);
    if (!hc_detect_image_dtype(st->t))
        return hc_kp_fail(p, HC_UNSUPPORTED, "images of type %s are not supported",
                          hc_dtype_name(st->t));
    p->state = st;
    return HC_OK;
}

/* Depth values of pixel (b, y, x) as float: in place for aligned float images. */
static const float *pixel(const crop_job *j, int32_t b, int64_t y, int64_t x, float *buf) {
    const hc_val *im = &j->k->in[0];
    size_t esz = hc_dtype_size(im->dtype), d = (size_t)j->depth;
    const uint8_t *p = (const uint8_t *)im->data + ((size_t)((b * j->h + y) * j->w + x) * d) * esz;
    if (j->direct) return (const float *)(const void *)p;
    hc_detect_to_f32(im->dtype, p, d, buf);
    return buf;
}

static void fill(float *dst, size_t n, float v) {
    for (size_t i = 0; i < n; i++)
        dst[i] = v;
}

/* The sample coordinate of grid point i along one axis (in_y / in_x of TensorFlow). */
static float sample_at(float c1, float c2, int64_t size, int64_t crop, float scale, int64_t i) {
    if (crop > 1) return c1 * (float)(size - 1) + (float)i * scale;
    return (float)(0.5 * (double)(c1 + c2) * (double)(size - 1));
}

static void crop_row(const crop_job *j, float *buf, const float *box, int32_t b_in, int64_t y,
                     float *out) {
    size_t d = (size_t)j->depth;
    float hs = j->ch > 1 ? (box[2] - box[0]) * (float)(j->h - 1) / (float)(j->ch - 1) : 0.0f;
    float ws = j->cw > 1 ? (box[3] - box[1]) * (float)(j->w - 1) / (float)(j->cw - 1) : 0.0f;
    float in_y = sample_at(box[0], box[2], j->h, j->ch, hs, y), ext = j->st->extrapolation;
    if (in_y < 0 || in_y > (float)(j->h - 1)) {
        fill(out, (size_t)j->cw * d, ext);
        return;
    }
    int64_t ty = (int64_t)floorf(in_y), by = (int64_t)ceilf(in_y), ny = (int64_t)roundf(in_y);
    float yl = in_y - (float)ty;
    for (int64_t x = 0; x < j->cw; x++) {
        float in_x = sample_at(box[1], box[3], j->w, j->cw, ws, x), *o = out + (size_t)x * d;
        if (in_x < 0 || in_x > (float)(j->w - 1)) {
            fill(o, d, ext);
            continue;
        }
        if (j->st->nearest) {
            memcpy(o, pixel(j, b_in, ny, (int64_t)roundf(in_x), buf), d * sizeof(float));
            continue;
        }
        int64_t lx = (int64_t)floorf(in_x), rx = (int64_t)ceilf(in_x);
        float xl = in_x - (float)lx;
        const float *tl = pixel(j, b_in, ty, lx, buf), *tr = pixel(j, b_in, ty, rx, buf + d);
        const float *bl = pixel(j, b_in, by, lx, buf + 2 * d),
                    *br = pixel(j, b_in, by, rx, buf + 3 * d);
        for (size_t c = 0; c < d; c++) {
            float top = tl[c] + (tr[c] - tl[c]) * xl;
            float bottom = bl[c] + (br[c] - bl[c]) * xl;
            o[c] = top + (bottom - top) * yl;
        }
    }
}

static void crop_worker(void *arg, int ith, int nth) {
    crop_job *j = arg;
    size_t b0, e0, row = (size_t)(j->cw * j->depth);
    hc_split_range((size_t)(j->n_boxes * j->ch), ith, nth, &b0, &e0);
    float *buf = j->scratch + (size_t)ith * 4 * (size_t)j->depth;
    const uint8_t *boxes = j->k->in[1].data, *ind = j->k->in[2].data;
    float *out = j->k->out[0].data;
    for (size_t r = b0; r < e0; r++) {
        size_t b = r / (size_t)j->ch;
        float box[4];
        for (int c = 0; c < 4; c++)
            box[c] = hc_ld_f32(boxes + (b * 4 + (size_t)c) * 4);
        crop_row(j, buf, box, hc_ld_i32(ind + 4 * b), (int64_t)(r % (size_t)j->ch), out + r * row);
    }
}

/* Shapes and values TensorFlow checks before cropping. */
static hc_status crop_check(hc_kernel_ctx *k, crop_job *j) {
    const hc_val *im = &k->in[0], *bx = &k->in[1], *bi = &k->in[2], *cs = &k->in[3];
    if (k->n_in != 4) return HC_KFAIL(k, HC_MALFORMED, "expects 4 inputs");
    if (im->dtype != j->st->t || im->rank != 4)
        return HC_KFAIL(k, HC_INVALID, "image must be a 4-D %s tensor", hc_dtype_name(j->st->t));
    j->batch = im->dims[0], j->h = im->dims[1], j->w = im->dims[2], j->depth = im->dims[3];
    if (j->h <= 0 || j->w <= 0) return HC_KFAIL(k, HC_INVALID, "image dimensions must be positive");
    if (bx->dtype != HC_DT_FLOAT || bx->rank != 2 || bi->dtype != HC_DT_INT32 || bi->rank != 1)
        return HC_KFAIL(k, HC_INVALID, "boxes must be 2-D float and box_ind 1-D int32");
    j->n_boxes = bx->dims[0];
    if (!(hc_val_elems(bx) == 0 && hc_val_elems(bi) == 0) &&
        (bx->dims[1] != 4 || bi->dims[0] != j->n_boxes))
        return HC_KFAIL(k, HC_INVALID, "boxes must be [num_boxes, 4] and box_ind [num_boxes]");
    if (hc_val_elems(bx) == 0) j->n_boxes = 0;
    if (cs->dtype != HC_DT_INT32 || cs->rank != 1 || cs->dims[0] != 2)
        return HC_KFAIL(k, HC_INVALID, "crop_size must be an int32 vector of 2 elements");
    j->ch = hc_ld_i32(cs->data);
    j->cw = hc_ld_i32((const uint8_t *)cs->data + 4);
    if (j->ch <= 0 || j->cw <= 0)
        return HC_KFAIL(k, HC_INVALID, "crop dimensions must be positive");
    for (int64_t b = 0; b < j->n_boxes; b++) {
        int32_t v = hc_ld_i32((const uint8_t *)bi->data + 4 * b);
        if (v < 0 || v >= j->batch)
            return HC_KFAIL(k, HC_INVALID, "box_ind[%lld] = %d is outside [0, %lld)", (long long)b,
                            v, (long long)j->batch);
    }
    for (int64_t i = 0; i < 4 * j->n_boxes; i++)
        if (!isfinite(hc_ld_f32((const uint8_t *)bx->data + 4 * i)))
            return HC_KFAIL(k, HC_INVALID, "boxes contain a value that is not finite");
    return HC_OK;
}

hc_status hc_detect_crop_run(hc_kernel_ctx *k) {
    crop_job j = {.k = k, .st = k->state};
    hc_status s = crop_check(k, &j);
    if (s) return s;
    int64_t dims[4] = {j.n_boxes, j.ch, j.cw, j.depth};
    if ((s = hc_k_alloc(k, 0, HC_DT_FLOAT, 4, dims)) || hc_val_elems(&k->out[0]) == 0) return s;
    j.direct = j.st->t == HC_DT_FLOAT && ((uintptr_t)k->in[0].data & 3) == 0;
    int nth = hc_detect_threads(k, (size_t)hc_val_elems(&k->out[0]));
    size_t bytes;
    if (!hc_mul_size((size_t)j.depth * 16, (size_t)nth, &bytes))
        return HC_KFAIL(k, HC_LIMIT, "image depth is too large");
    j.scratch = hc_k_scratch(k, bytes);
    if (!j.scratch) return k->ctx->status ? k->ctx->status : HC_NOMEM;
    hc_pool_run(k->pool, crop_worker, &j, nth);
    hc_k_scratch_free(k, j.scratch);
    return HC_OK;
}
