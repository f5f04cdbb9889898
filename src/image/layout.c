/* layout.c - from decoded pixels to a model input: batch-1 NHWC or NCHW, uint8, float32 or
 * half, per-channel (x - mean) * scale, optional RGB -> BGR; and hc_image_prepare, the whole
 * path from an image file to that tensor. */
#include "base/fp16.h"
#include "image/image.h"

void hc_image_prep_init(hc_image_prep *p) {
    memset(p, 0, sizeof *p);
    p->height = p->width = -1;
    p->channels = 3;
    p->resize = HC_RESIZE_BILINEAR;
    p->layout = HC_LAYOUT_NHWC;
    p->dtype = HC_DT_UINT8;
    for (int i = 0; i < 4; i++)
        p->scale[i] = 1.f;
}

static hc_status check_prep(hc_ctx *ctx, const hc_image_prep *p) {
    if (p->layout != HC_LAYOUT_NHWC && p->layout != HC_LAYOUT_NCHW)
        return hc_fail(ctx, HC_INVALID, NULL, "unknown tensor layout %d", (int)p->layout);
    if (p->dtype != HC_DT_UINT8 && p->dtype != HC_DT_FLOAT && p->dtype != HC_DT_HALF)
        return hc_fail(ctx, HC_INVALID, NULL, "image input must be uint8, float or half, not %s",
                       hc_dtype_name(p->dtype));
    if (p->channels != 1 && p->channels != 3 && p->channels != 4)
        return hc_fail(ctx, HC_INVALID, NULL, "image input channels must be 1, 3 or 4, not %d",
                       p->channels);
    if ((unsigned)p->resize > HC_RESIZE_AREA_CV)
        return hc_fail(ctx, HC_INVALID, NULL, "unknown resize mode %d", (int)p->resize);
    for (int i = 0; i < 2; i++) {
        int64_t d = i ? p->width : p->height;
        if (d != -1 && (d < 1 || d > HC_IMAGE_MAX_SIDE))
            return hc_fail(ctx, HC_INVALID, NULL, "image input %s %lld is out of range",
                           i ? "width" : "height", (long long)d);
    }
    if (p->dtype != HC_DT_UINT8) return HC_OK;
    for (int i = 0; i < p->channels; i++)
        if (p->mean[i] != 0.f || p->scale[i] != 1.f)
            return hc_fail(ctx, HC_INVALID, NULL,
                           "a uint8 input cannot be normalized (mean/scale need float or half)");
    return HC_OK;
}

/* Pixels as HWC bytes or HWC floats (exactly one is set). */
typedef struct pixels {
    int w, h, c;
    const uint8_t *u8;
    const float *f32;
} pixels;

/* Element (y, x, k) of the output goes to y*sy + x*sx + k*sk; it reads source channel k, or
 * 2 - k for the first three channels when swapping to BGR. */
static void fill(const pixels *src, const hc_image_prep *p, void *dst) {
    size_t w = (size_t)src->w, h = (size_t)src->h, c = (size_t)src->c;
    bool nchw = p->layout == HC_LAYOUT_NCHW;
    size_t sy = nchw ? w : w * c, sx = nchw ? 1 : c, sk = nchw ? h * w : 1, i = 0;
    for (size_t y = 0; y < h; y++) {
        for (size_t x = 0; x < w; x++, i += c) {
            for (size_t k = 0; k < c; k++) {
                size_t from = i + (p->bgr && c >= 3 && k < 3 ? 2 - k : k);
                size_t to = y * sy + x * sx + k * sk;
                float v = src->u8 ? (float)src->u8[from] : src->f32[from];
                if (p->dtype == HC_DT_UINT8) {
                    ((uint8_t *)dst)[to] = src->u8[from]; /* no float resize for uint8 */
                    continue;
                }
                v = (v - p->mean[k]) * p->scale[k];
                if (p->dtype == HC_DT_FLOAT)
                    ((float *)dst)[to] = v;
                else
                    ((uint16_t *)dst)[to] = hc_f32_to_f16(v);
            }
        }
    }
}

static hc_status to_tensor(hc_ctx *ctx, const pixels *src, const hc_image_prep *p, hc_npy *out) {
    memset(out, 0, sizeof *out);
    size_t n, nbytes;
    if (!hc_mul_size((size_t)src->w * (size_t)src->h, (size_t)src->c, &n) ||
        !hc_mul_size(n, hc_dtype_size(p->dtype), &nbytes))
        return hc_fail(ctx, HC_LIMIT, NULL, "image tensor size overflows");
    out->data = hc_alloc(ctx, nbytes ? nbytes : 1);
    if (!out->data) return HC_NOMEM;
    out->owned = true;
    out->nbytes = nbytes;
    out->dtype = p->dtype;
    out->rank = 4;
    bool nchw = p->layout == HC_LAYOUT_NCHW;
    int64_t dims[4] = {1, nchw ? src->c : src->h, nchw ? src->h : src->w, nchw ? src->w : src->c};
    memcpy(out->dims, dims, sizeof dims);
    fill(src, p, out->data);
    return HC_OK;
}

hc_status hc_image_to_tensor(hc_ctx *ctx, const hc_image *im, const hc_image_prep *p, hc_npy *out) {
    memset(out, 0, sizeof *out);
    hc_status s = check_prep(ctx, p);
    if (s) return s;
    if (!im || !im->px || im->w < 1 || im->h < 1 || im->c != p->channels)
        return hc_fail(ctx, HC_INVALID, NULL, "image has %d channels, the input wants %d",
                       im ? im->c : 0, p->channels);
    pixels src = {im->w, im->h, im->c, im->px, NULL};
    return to_tensor(ctx, &src, p, out);
}

/* Resize (unless the size already matches) and convert; im is borrowed. */
static hc_status prepare(hc_ctx *ctx, const hc_image *im, const hc_image_prep *p, hc_npy *out) {
    int w = p->width < 0 ? im->w : (int)p->width, h = p->height < 0 ? im->h : (int)p->height;
    if (w == im->w && h == im->h) return hc_image_to_tensor(ctx, im, p, out);
    if (p->float_resize && p->dtype != HC_DT_UINT8 && p->resize == HC_RESIZE_BILINEAR) {
        size_t n = (size_t)w * (size_t)h * (size_t)im->c;
        float *f = hc_calloc(ctx, n, sizeof *f);
        if (!f) return HC_NOMEM;
        hc_status s = hc_image_resize_f32(ctx, im, w, h, f, n);
        pixels src = {w, h, im->c, NULL, f};
        if (!s) s = to_tensor(ctx, &src, p, out);
        hc_dealloc(ctx, f);
        return s;
    }
    hc_image r;
    hc_status s = hc_image_resize(ctx, im, w, h, p->resize, &r);
    if (!s) s = hc_image_to_tensor(ctx, &r, p, out);
    hc_image_fini(ctx, &r);
    return s;
}

hc_status hc_image_prepare_memory(hc_ctx *ctx, const void *data, size_t n, const hc_image_prep *p,
                                  hc_npy *out) {
    memset(out, 0, sizeof *out);
    hc_status s = check_prep(ctx, p);
    if (s) return s;
    hc_image_options o = {p->channels, p->max_pixels};
    hc_image im;
    s = hc_image_decode(ctx, data, n, &o, &im);
    if (!s) s = prepare(ctx, &im, p, out);
    hc_image_fini(ctx, &im);
    return s;
}

hc_status hc_image_prepare(hc_ctx *ctx, const char *path, const hc_image_prep *p, hc_npy *out) {
    memset(out, 0, sizeof *out);
    hc_status s = check_prep(ctx, p);
    if (s) return s;
    hc_image_options o = {p->channels, p->max_pixels};
    hc_image im;
    s = hc_image_load(ctx, path, &o, &im);
    const char *saved = ctx->file;
    ctx->file = path; /* resize and conversion errors name the file too */
    if (!s) s = prepare(ctx, &im, p, out);
    ctx->file = saved;
    hc_image_fini(ctx, &im);
    return s;
}
