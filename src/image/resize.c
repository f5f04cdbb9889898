/* resize.c - resizing 8-bit HWC images: bilinear with half-pixel centers in float (TF's
 * ResizeBilinear arithmetic, rounded to nearest, or left as float), nearest with half-pixel
 * centers, and re-implementations of cv2.resize INTER_LINEAR and INTER_AREA that reproduce
 * OpenCV bit for bit (its fixed-point weights and accumulation order), so inputs prepared by
 * halfcast equal those of a Python/OpenCV reference pipeline. */
#include "image/image.h"

#include <float.h>
#include <math.h>

/* ---- float bilinear and nearest (TF half_pixel_centers=True) ------------------------- */

typedef struct lin_tap {
    int lo, hi; /* source indices, clamped to the image */
    float f;    /* weight of hi */
} lin_tap;

/* TF's HalfPixelScaler and compute_interpolation_weights, in float as TF computes them. */
static void lin_taps(int in, int out, lin_tap *t) {
    float scale = (float)in / (float)out;
    for (int i = 0; i < out; i++) {
        float s = ((float)i + 0.5f) * scale - 0.5f, fl = floorf(s);
        t[i].lo = fl > 0 ? (int)fl : 0;
        t[i].hi = HC_MIN((int)ceilf(s), in - 1);
        if (t[i].hi < 0) t[i].hi = 0;
        t[i].f = s - fl;
    }
}

static uint8_t round_u8(float v) {
    v += 0.5f;
    return v <= 0.f ? 0 : v >= 255.f ? 255 : (uint8_t)v;
}

/* Writes either bytes (rounded) or floats; xt/yt come from lin_taps. */
static void bilinear(const hc_image *s, int w, int h, const lin_tap *xt, const lin_tap *yt,
                     uint8_t *o8, float *of) {
    size_t stride = (size_t)s->w * (size_t)s->c, i = 0;
    int c = s->c;
    for (int y = 0; y < h; y++) {
        const uint8_t *r0 = s->px + (size_t)yt[y].lo * stride;
        const uint8_t *r1 = s->px + (size_t)yt[y].hi * stride;
        float fy = yt[y].f;
        for (int x = 0; x < w; x++) {
            size_t lo = (size_t)xt[x].lo * (size_t)c, hi = (size_t)xt[x].hi * (size_t)c;
            float fx = xt[x].f;
            for (int k = 0; k < c; k++, i++) {
                float tl = r0[lo + (size_t)k], tr = r0[hi + (size_t)k];
                float bl = r1[lo + (size_t)k], br = r1[hi + (size_t)k];
                float top = tl + (tr - tl) * fx, bottom = bl + (br - bl) * fx;
                float v = top + (bottom - top) * fy;
                if (o8)
                    o8[i] = round_u8(v);
                else
                    of[i] = v;
            }
        }
    }
}

static hc_status run_bilinear(hc_ctx *ctx, const hc_image *s, int w, int h, uint8_t *o8,
                              float *of) {
    lin_tap *t = hc_calloc(ctx, (size_t)w + (size_t)h, sizeof *t);
    if (!t) return HC_NOMEM;
    lin_taps(s->w, w, t);
    lin_taps(s->h, h, t + w);
    bilinear(s, w, h, t, t + w, o8, of);
    hc_dealloc(ctx, t);
    return HC_OK;
}

/* TF's nearest with half-pixel centers: floor((i + 0.5) * scale), clamped. */
static int nn_index(int i, int in, int out) {
    int s = (int)floorf(((float)i + 0.5f) * ((float)in / (float)out));
    return HC_MIN(s, in - 1);
}

static hc_status run_nearest(hc_ctx *ctx, const hc_image *s, hc_image *o) {
    int *xs = hc_calloc(ctx, (size_t)o->w, sizeof *xs);
    if (!xs) return HC_NOMEM;
    for (int x = 0; x < o->w; x++)
        xs[x] = nn_index(x, s->w, o->w);
    size_t c = (size_t)s->c, stride = (size_t)s->w * c;
    uint8_t *d = o->px;
    for (int y = 0; y < o->h; y++) {
        const uint8_t *row = s->px + (size_t)nn_index(y, s->h, o->h) * stride;
        for (int x = 0; x < o->w; x++, d += c)
            memcpy(d, row + (size_t)xs[x] * c, c);
    }
    hc_dealloc(ctx, xs);
    return HC_OK;
}

/* ---- OpenCV INTER_LINEAR (and INTER_AREA when enlarging): 11-bit fixed point ---------- */

typedef struct cv_tap {
    int lo, hi;     /* source indices, clamped */
    int16_t w0, w1; /* weights scaled by 2048 */
} cv_tap;

static int16_t cv_weight(float v) {
    long r = lrintf(v * 2048.f); /* cvRound: nearest, ties to even */
    return (int16_t)(r < -32768 ? -32768 : r > 32767 ? 32767 : r);
}

/* OpenCV's source positions: half-pixel centers for linear; for area when enlarging, the
 * fraction of the destination cell past the source pixel boundary. Along x the position is
 * clamped with its weight (clamp_f); along y OpenCV keeps the weight and clamps the rows. */
static void cv_taps(int in, int out, bool area, bool clamp_f, cv_tap *t) {
    double inv = (double)out / in, scale = 1.0 / inv;
    for (int d = 0; d < out; d++) {
        float f;
        int s;
        if (!area) {
            f = (float)((d + 0.5) * scale - 0.5);
            s = (int)floorf(f);
            f -= (float)s;
        } else {
            s = (int)floor(d * scale);
            f = (float)((d + 1) - (s + 1) * inv);
            f = f <= 0 ? 0.f : f - floorf(f);
        }
        if (clamp_f && s < 0) f = 0.f, s = 0;
        if (clamp_f && s >= in - 1) f = 0.f, s = in - 1;
        t[d].lo = s < 0 ? 0 : s >= in ? in - 1 : s;
        t[d].hi = s + 1 < 0 ? 0 : s + 1 >= in ? in - 1 : s + 1;
        t[d].w0 = cv_weight(1.f - f);
        t[d].w1 = cv_weight(f);
    }
}

static void cv_hrow(const uint8_t *src, int c, const cv_tap *xt, int w, int32_t *dst) {
    for (int x = 0; x < w; x++) {
        const uint8_t *a = src + (size_t)xt[x].lo * (size_t)c,
                      *b = src + (size_t)xt[x].hi * (size_t)c;
        for (int k = 0; k < c; k++)
            *dst++ = a[k] * xt[x].w0 + b[k] * xt[x].w1;
    }
}

static hc_status cv_linear(hc_ctx *ctx, const hc_image *s, hc_image *o, bool area) {
    size_t n = (size_t)o->w * (size_t)s->c;
    cv_tap *t = hc_calloc(ctx, (size_t)o->w + (size_t)o->h, sizeof *t);
    int32_t *r0 = hc_calloc(ctx, 2 * n, sizeof *r0);
    if (!t || !r0) {
        hc_dealloc(ctx, t);
        return HC_NOMEM;
    }
    int32_t *r1 = r0 + n;
    cv_taps(s->w, o->w, area, true, t);
    cv_taps(s->h, o->h, area, false, t + o->w);
    size_t stride = (size_t)s->w * (size_t)s->c;
    for (int y = 0; y < o->h; y++) {
        const cv_tap *yt = &t[o->w + y];
        cv_hrow(s->px + (size_t)yt->lo * stride, s->c, t, o->w, r0);
        cv_hrow(s->px + (size_t)yt->hi * stride, s->c, t, o->w, r1);
        uint8_t *d = o->px + (size_t)y * n;
        for (size_t i = 0; i < n; i++) {
            int v = (((yt->w0 * (r0[i] >> 4)) >> 16) + ((yt->w1 * (r1[i] >> 4)) >> 16) + 2) >> 2;
            d[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    hc_dealloc(ctx, r0);
    hc_dealloc(ctx, t);
    return HC_OK;
}

/* ---- OpenCV INTER_AREA when shrinking ------------------------------------------------- */

/* Integer factors: block averages. 2x2 rounds half up ((sum + 2) >> 2, OpenCV's vector and
 * tail code alike); other factors multiply by 1/area in float and round to nearest even. */
static void cv_area_fast(const hc_image *s, hc_image *o, int fx, int fy) {
    int c = s->c, area = fx * fy;
    float inv = 1.f / (float)area;
    size_t stride = (size_t)s->w * (size_t)c;
    for (int y = 0; y < o->h; y++) {
        for (int x = 0; x < o->w; x++) {
            for (int k = 0; k < c; k++) {
                int sum = 0;
                for (int j = 0; j < fy; j++) {
                    const uint8_t *p = s->px + (size_t)(y * fy + j) * stride;
                    for (int i = 0; i < fx; i++)
                        sum += p[(size_t)(x * fx + i) * (size_t)c + (size_t)k];
                }
                long v = fx == 2 && fy == 2 ? (sum + 2) >> 2 : lrintf((float)sum * inv);
                o->px[((size_t)y * (size_t)o->w + (size_t)x) * (size_t)c + (size_t)k] =
                    (uint8_t)(v > 255 ? 255 : v);
            }
        }
    }
}

typedef struct area_tap {
    int d, s; /* destination and source index */
    float a;  /* weight */
} area_tap;

/* The overlap of each destination cell [d*scale, (d+1)*scale) with source pixels, as
 * fractions of the cell; partial pixels under 1e-3 are dropped as OpenCV does. Returns the
 * count; t has room for in + 2 * out entries (each cell adds at most two partial ones). */
static int area_taps(int in, int out, double scale, area_tap *t, size_t cap) {
    size_t k = 0;
    for (int d = 0; d < out; d++) {
        double f1 = d * scale, f2 = f1 + scale, cell = HC_MIN(scale, in - f1);
        int s1 = (int)ceil(f1), s2 = (int)floor(f2);
        s2 = HC_MIN(s2, in - 1);
        s1 = HC_MIN(s1, s2);
        if (s1 - f1 > 1e-3 && k < cap) t[k++] = (area_tap){d, s1 - 1, (float)((s1 - f1) / cell)};
        for (int s = s1; s < s2 && k < cap; s++)
            t[k++] = (area_tap){d, s, (float)(1.0 / cell)};
        if (f2 - s2 > 1e-3 && k < cap)
            t[k++] = (area_tap){d, s2, (float)(HC_MIN(HC_MIN(f2 - s2, 1.), cell) / cell)};
    }
    return (int)k;
}

static void area_flush(hc_image *o, int dy, const float *sum, size_t n) {
    uint8_t *d = o->px + (size_t)dy * n;
    for (size_t i = 0; i < n; i++) {
        long v = lrintf(sum[i]);
        d[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

/* Weighted sums in float, in OpenCV's order: each source row is reduced horizontally into
 * buf, and rows are accumulated into sum until the destination row changes. */
static void area_apply(const hc_image *s, hc_image *o, const area_tap *xt, int nx,
                       const area_tap *yt, int ny, float *buf, float *sum) {
    size_t c = (size_t)s->c, n = (size_t)o->w * c, stride = (size_t)s->w * c;
    int prev = yt[0].d;
    for (int j = 0; j < ny; j++) {
        const uint8_t *row = s->px + (size_t)yt[j].s * stride;
        memset(buf, 0, n * sizeof *buf);
        for (int k = 0; k < nx; k++)
            for (size_t ch = 0; ch < c; ch++)
                buf[(size_t)xt[k].d * c + ch] += row[(size_t)xt[k].s * c + ch] * xt[k].a;
        float beta = yt[j].a;
        if (yt[j].d != prev) {
            area_flush(o, prev, sum, n);
            for (size_t i = 0; i < n; i++)
                sum[i] = beta * buf[i];
            prev = yt[j].d;
        } else {
            for (size_t i = 0; i < n; i++)
                sum[i] += beta * buf[i];
        }
    }
    area_flush(o, prev, sum, n);
}

static hc_status cv_area(hc_ctx *ctx, const hc_image *s, hc_image *o, double sx, double sy) {
    size_t nx = (size_t)s->w + 2 * (size_t)o->w, ny = (size_t)s->h + 2 * (size_t)o->h;
    size_t n = (size_t)o->w * (size_t)s->c;
    area_tap *t = hc_calloc(ctx, nx + ny, sizeof *t);
    float *buf = hc_calloc(ctx, 2 * n, sizeof *buf);
    if (t && buf) {
        int kx = area_taps(s->w, o->w, sx, t, nx);
        int ky = area_taps(s->h, o->h, sy, t + nx, ny);
        area_apply(s, o, t, kx, t + nx, ky, buf, buf + n);
    }
    hc_dealloc(ctx, buf);
    hc_dealloc(ctx, t);
    return t && buf ? HC_OK : HC_NOMEM;
}

/* cv2.resize's choice of algorithm: exact integer shrink factors average blocks (INTER_LINEAR
 * too, for exactly 2x2); true area filtering only when shrinking along both axes; otherwise
 * the bilinear code with area weights. */
static hc_status run_cv(hc_ctx *ctx, const hc_image *s, hc_image *o, bool area) {
    double sx = 1.0 / ((double)o->w / s->w), sy = 1.0 / ((double)o->h / s->h);
    int ix = (int)lrint(sx), iy = (int)lrint(sy);
    bool fast = fabs(sx - ix) < DBL_EPSILON && fabs(sy - iy) < DBL_EPSILON;
    if (!area && fast && ix == 2 && iy == 2) area = true;
    if (area && sx >= 1 && sy >= 1) {
        if (fast) {
            cv_area_fast(s, o, ix, iy);
            return HC_OK;
        }
        return cv_area(ctx, s, o, sx, sy);
    }
    return cv_linear(ctx, s, o, area);
}

/* ---- entry points --------------------------------------------------------------------- */

static hc_status check_src(hc_ctx *ctx, const hc_image *s, int w, int h) {
    if (!s || !s->px || s->w < 1 || s->h < 1 || s->c < 1 || s->c > 4)
        return hc_fail(ctx, HC_INVALID, NULL, "resize: bad source image");
    if (w < 1 || h < 1 || w > HC_IMAGE_MAX_SIDE || h > HC_IMAGE_MAX_SIDE)
        return hc_fail(ctx, HC_INVALID, NULL, "resize: bad target size %dx%d", w, h);
    return HC_OK;
}

hc_status hc_image_resize(hc_ctx *ctx, const hc_image *src, int w, int h, hc_resize_mode mode,
                          hc_image *out) {
    memset(out, 0, sizeof *out);
    hc_status s = check_src(ctx, src, w, h);
    if (s) return s;
    if ((unsigned)mode > HC_RESIZE_AREA_CV)
        return hc_fail(ctx, HC_INVALID, NULL, "resize: unknown mode %d", (int)mode);
    s = hc_image_alloc(ctx, w, h, src->c, out);
    if (s) return s;
    if (w == src->w && h == src->h) { /* every mode is the identity (cv2.resize copies) */
        memcpy(out->px, src->px, (size_t)w * (size_t)h * (size_t)src->c);
        return HC_OK;
    }
    switch (mode) {
    case HC_RESIZE_BILINEAR:
        s = run_bilinear(ctx, src, w, h, out->px, NULL);
        break;
    case HC_RESIZE_NEAREST:
        s = run_nearest(ctx, src, out);
        break;
    case HC_RESIZE_LINEAR_CV:
        s = run_cv(ctx, src, out, false);
        break;
    case HC_RESIZE_AREA_CV:
        s = run_cv(ctx, src, out, true);
        break;
    }
    if (s) hc_image_fini(ctx, out);
    return s;
}

hc_status hc_image_resize_f32(hc_ctx *ctx, const hc_image *src, int w, int h, float *out,
                              size_t out_count) {
    hc_status s = check_src(ctx, src, w, h);
    if (s) return s;
    if (!out || out_count != (size_t)w * (size_t)h * (size_t)src->c)
        return hc_fail(ctx, HC_INVALID, NULL, "resize: output holds %zu floats, %dx%dx%d needed",
                       out_count, w, h, src->c);
    return run_bilinear(ctx, src, w, h, NULL, out);
}
