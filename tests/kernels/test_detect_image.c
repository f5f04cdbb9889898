/* test_detect_image.c - ResizeBilinear, ResizeNearestNeighbor and CropAndResize through real
 * sessions against per-pixel references written from TensorFlow's kernels (resize by
 * compute_interpolation_weights / compute_indices, crop by its in_y/in_x formulas): every
 * align_corners / half_pixel_centers combination, up- and down-scaling, channel counts around
 * the 8-float SIMD width, float / uint8 / half images. Results must be bit-identical to the
 * reference, and identical between the scalar and AVX2 paths and between 1 and 2 threads. */
#include "test_detect_util.h"

typedef struct rs_case {
    hc_dtype t;
    bool align, half_pixel;
} rs_case;

static void rs_attrs(hc_graph *g, int32_t node, const void *arg) {
    const rs_case *c = arg;
    hc_gb_type(g, node, "T", c->t);
    hc_gb_bool(g, node, "align_corners", c->align);
    hc_gb_bool(g, node, "half_pixel_centers", c->half_pixel);
}

static float scale_of(int64_t in, int64_t out, bool align) {
    return align && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
}

static void ref_bilinear(const float *im, const int64_t *d, int64_t oh, int64_t ow,
                         const rs_case *c, float *out) {
    int64_t B = d[0], H = d[1], W = d[2], C = d[3];
    float hs = scale_of(H, oh, c->align), ws = scale_of(W, ow, c->align);
    for (int64_t b = 0; b < B; b++)
        for (int64_t y = 0; y < oh; y++) {
            float iy = c->half_pixel ? ((float)y + 0.5f) * hs - 0.5f : (float)y * hs;
            int64_t y0 = (int64_t)floorf(iy) < 0 ? 0 : (int64_t)floorf(iy);
            int64_t y1 = (int64_t)ceilf(iy) > H - 1 ? H - 1 : (int64_t)ceilf(iy);
            float yl = iy - floorf(iy);
            for (int64_t x = 0; x < ow; x++) {
                float ix = c->half_pixel ? ((float)x + 0.5f) * ws - 0.5f : (float)x * ws;
                int64_t x0 = (int64_t)floorf(ix) < 0 ? 0 : (int64_t)floorf(ix);
                int64_t x1 = (int64_t)ceilf(ix) > W - 1 ? W - 1 : (int64_t)ceilf(ix);
                float xl = ix - floorf(ix);
                for (int64_t ch = 0; ch < C; ch++) {
                    float tl = im[((b * H + y0) * W + x0) * C + ch];
                    float tr = im[((b * H + y0) * W + x1) * C + ch];
                    float bl = im[((b * H + y1) * W + x0) * C + ch];
                    float br = im[((b * H + y1) * W + x1) * C + ch];
                    float top = tl + (tr - tl) * xl, bot = bl + (br - bl) * xl;
                    out[((b * oh + y) * ow + x) * C + ch] = top + (bot - top) * yl;
                }
            }
        }
}

static int64_t nn_index(int64_t i, int64_t in, float scale, const rs_case *c) {
    float v = c->half_pixel ? ((float)i + 0.5f) * scale : (float)i * scale;
    int64_t r = c->align ? (int64_t)roundf(v) : (int64_t)floorf(v);
    if (r > in - 1) r = in - 1;
    if (c->half_pixel && r < 0) r = 0;
    return r;
}

/* A random image of dtype t with dims d; *f32 receives the values as float. */
static void *random_image(dt_rng *r, hc_dtype t, const int64_t *d, int rank, float **f32) {
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)d[i];
    float *f = malloc(4 * n + 4);
    void *p;
    if (t == HC_DT_UINT8) {
        uint8_t *u = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            u[i] = (uint8_t)(dt_u32(r) & 255), f[i] = u[i];
        p = u;
    } else if (t == HC_DT_HALF) {
        uint16_t *h = malloc(2 * n + 2);
        for (size_t i = 0; i < n; i++)
            h[i] = hc_f32_to_f16(dt_uniform(r, -4, 4)), f[i] = hc_f16_to_f32(h[i]);
        p = h;
    } else {
        float *v = malloc(4 * n + 4);
        for (size_t i = 0; i < n; i++)
            v[i] = f[i] = dt_uniform(r, -100, 100);
        p = v;
    }
    *f32 = f;
    return p;
}

typedef struct rs_geom {
    int64_t b, h, w, c, oh, ow;
} rs_geom;

static const rs_geom GEOMS[] = {
    {1, 1, 1, 1, 1, 1},   {1, 1, 1, 3, 4, 5},    {2, 4, 5, 3, 8, 10},     {1, 7, 3, 7, 3, 9},
    {1, 16, 17, 8, 5, 4}, {1, 5, 9, 16, 33, 20}, {2, 9, 4, 17, 9, 4},     {1, 12, 10, 33, 7, 15},
    {1, 3, 3, 64, 3, 3},  {1, 20, 30, 3, 7, 11}, {2, 40, 50, 17, 80, 60}, {1, 64, 64, 3, 100, 90},
};

static void check_resize(const char *op, const rs_geom *g, const rs_case *c, dt_rng *r) {
    int64_t d[4] = {g->b, g->h, g->w, g->c};
    float *f;
    void *im = random_image(r, c->t, d, 4, &f);
    int32_t size[2] = {(int32_t)g->oh, (int32_t)g->ow};
    int64_t sd[1] = {2};
    hc_tensor in[2] = {tensor_of(c->t, 4, d, im), tensor_of(HC_DT_INT32, 1, sd, size)};
    dt_out o1 = {0}, o2 = {0}, o3 = {0};
    dt_run(op, 2, in, rs_attrs, c, 1, NULL, 2, &o1);
    dt_run(op, 2, in, rs_attrs, c, 1, "scalar", 1, &o2);
    dt_run(op, 2, in, rs_attrs, c, 1, NULL, 1, &o3);
    dt_ok(&o1);
    dt_same(&o1, &o2);
    dt_same(&o1, &o3);
    size_t n = (size_t)(g->b * g->oh * g->ow * g->c);
    assert_int_equal(o1.t[0].dims[1], g->oh);
    assert_int_equal(o1.t[0].dims[2], g->ow);
    if (strcmp(op, "ResizeBilinear") == 0) {
        assert_int_equal(o1.t[0].dtype, HC_DT_FLOAT);
        float *want = malloc(4 * n + 4);
        if (g->oh == g->h && g->ow == g->w)
            memcpy(want, f, 4 * n);
        else
            ref_bilinear(f, d, g->oh, g->ow, c, want);
        assert_memory_equal(o1.data[0], want, 4 * n);
        free(want);
    } else {
        assert_int_equal(o1.t[0].dtype, c->t);
        size_t esz = hc_dtype_size(c->t);
        float hs = scale_of(g->h, g->oh, c->align), ws = scale_of(g->w, g->ow, c->align);
        for (int64_t b = 0; b < g->b; b++)
            for (int64_t y = 0; y < g->oh; y++)
                for (int64_t x = 0; x < g->ow; x++) {
                    int64_t sy = nn_index(y, g->h, hs, c), sx = nn_index(x, g->w, ws, c);
                    const uint8_t *src =
                        (const uint8_t *)im + (size_t)(((b * g->h + sy) * g->w + sx) * g->c) * esz;
                    const uint8_t *dst = (const uint8_t *)o1.data[0] +
                                         (size_t)(((b * g->oh + y) * g->ow + x) * g->c) * esz;
                    assert_memory_equal(dst, src, (size_t)g->c * esz);
                }
    }
    dt_out_free(&o1);
    dt_out_free(&o2);
    dt_out_free(&o3);
    free(im);
    free(f);
}

static void resize_matches_reference(void **state) {
    (void)state;
    dt_rng r = {99};
    static const hc_dtype types[] = {HC_DT_FLOAT, HC_DT_UINT8, HC_DT_HALF};
    static const bool modes[3][2] = {{false, false}, {true, false}, {false, true}};
    for (size_t gi = 0; gi < HC_COUNT(GEOMS); gi++)
        for (size_t ti = 0; ti < HC_COUNT(types); ti++)
            for (int m = 0; m < 3; m++) {
                rs_case c = {types[ti], modes[m][0], modes[m][1]};
                check_resize("ResizeBilinear", &GEOMS[gi], &c, &r);
                check_resize("ResizeNearestNeighbor", &GEOMS[gi], &c, &r);
            }
    /* The same size: a cast (TensorFlow's no-op resize). */
    rs_geom same = {1, 6, 7, 5, 6, 7};
    rs_case c = {HC_DT_UINT8, false, true};
    check_resize("ResizeBilinear", &same, &c, &r);
}

static void resize_rejects_bad_inputs(void **state) {
    (void)state;
    float im[12] = {0};
    int64_t d[4] = {1, 2, 2, 3}, sd[1] = {2};
    int32_t size[2] = {4, 4};
    hc_tensor in[2] = {tensor_of(HC_DT_FLOAT, 4, d, im), tensor_of(HC_DT_INT32, 1, sd, size)};
    rs_case c = {HC_DT_FLOAT, true, true};
    dt_out o = {0};
    dt_run("ResizeBilinear", 2, in, rs_attrs, &c, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "half_pixel_centers"));
    c.align = false;
    size[0] = 0;
    dt_run("ResizeNearestNeighbor", 2, in, rs_attrs, &c, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    size[0] = 4;
    in[0] = tensor_of(HC_DT_FLOAT, 3, d + 1, im);
    dt_run("ResizeBilinear", 2, in, rs_attrs, &c, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "4-D"));
    /* a type TensorFlow's image kernels do not take is refused at load */
    in[0] = tensor_of(HC_DT_BOOL, 4, d, im);
    c.t = HC_DT_BOOL;
    dt_run("ResizeBilinear", 2, in, rs_attrs, &c, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_UNSUPPORTED);
}

/* ---------------------------------------------------------------------------------------- */
/* CropAndResize                                                                             */

typedef struct crop_case {
    hc_dtype t;
    bool nearest;
    float ext;
} crop_case;

static void crop_attrs(hc_graph *g, int32_t node, const void *arg) {
    const crop_case *c = arg;
    hc_gb_type(g, node, "T", c->t);
    hc_gb_str(g, node, "method", c->nearest ? "nearest" : "bilinear");
    hc_gb_float(g, node, "extrapolation_value", c->ext);
}

static float sample(float c1, float c2, int64_t size, int64_t crop, float scale, int64_t i) {
    if (crop > 1) return c1 * (float)(size - 1) + (float)i * scale;
    return (float)(0.5 * (c1 + c2) * (double)(size - 1));
}

static void ref_crop(const float *im, const int64_t *d, const float *boxes, const int32_t *ind,
                     int64_t nb, int64_t ch, int64_t cw, const crop_case *c, float *out) {
    int64_t H = d[1], W = d[2], D = d[3];
    for (int64_t b = 0; b < nb; b++) {
        const float *bx = boxes + 4 * b;
        float hs = ch > 1 ? (bx[2] - bx[0]) * (float)(H - 1) / (float)(ch - 1) : 0;
        float ws = cw > 1 ? (bx[3] - bx[1]) * (float)(W - 1) / (float)(cw - 1) : 0;
        const float *img = im + (size_t)ind[b] * (size_t)(H * W * D);
        for (int64_t y = 0; y < ch; y++)
            for (int64_t x = 0; x < cw; x++) {
                float iy = sample(bx[0], bx[2], H, ch, hs, y),
                      ix = sample(bx[1], bx[3], W, cw, ws, x);
                float *o = out + ((b * ch + y) * cw + x) * D;
                bool outside = iy < 0 || iy > (float)(H - 1) || ix < 0 || ix > (float)(W - 1);
                for (int64_t k = 0; k < D; k++) {
                    if (outside) {
                        o[k] = c->ext;
                    } else if (c->nearest) {
                        o[k] = img[((int64_t)roundf(iy) * W + (int64_t)roundf(ix)) * D + k];
                    } else {
                        int64_t t = (int64_t)floorf(iy), bo = (int64_t)ceilf(iy);
                        int64_t l = (int64_t)floorf(ix), rr = (int64_t)ceilf(ix);
                        float yl = iy - (float)t, xl = ix - (float)l;
                        float tl = img[(t * W + l) * D + k], tr = img[(t * W + rr) * D + k];
                        float bl = img[(bo * W + l) * D + k], br = img[(bo * W + rr) * D + k];
                        float top = tl + (tr - tl) * xl, bot = bl + (br - bl) * xl;
                        o[k] = top + (bot - top) * yl;
                    }
                }
            }
    }
}

static void check_crop(const int64_t *d, int64_t nb, int64_t ch, int64_t cw, const crop_case *c,
                       dt_rng *r) {
    float *f;
    void *im = random_image(r, c->t, d, 4, &f);
    float *boxes = malloc(16 * (size_t)nb + 16);
    int32_t *ind = malloc(4 * (size_t)nb + 4);
    for (int64_t b = 0; b < nb; b++) {
        for (int k = 0; k < 4; k++)
            boxes[4 * b + k] = dt_uniform(r, -0.3f, 1.3f); /* flips too */
        ind[b] = (int32_t)(dt_u32(r) % (uint32_t)d[0]);
    }
    int64_t bd[2] = {nb, 4}, id[1] = {nb}, cd[1] = {2};
    int32_t cs[2] = {(int32_t)ch, (int32_t)cw};
    hc_tensor in[4] = {tensor_of(c->t, 4, d, im), tensor_of(HC_DT_FLOAT, 2, bd, boxes),
                       tensor_of(HC_DT_INT32, 1, id, ind), tensor_of(HC_DT_INT32, 1, cd, cs)};
    dt_out o1 = {0}, o2 = {0};
    dt_run("CropAndResize", 4, in, crop_attrs, c, 1, NULL, 2, &o1);
    dt_run("CropAndResize", 4, in, crop_attrs, c, 1, "scalar", 1, &o2);
    dt_ok(&o1);
    dt_same(&o1, &o2);
    size_t n = (size_t)(nb * ch * cw * d[3]);
    float *want = malloc(4 * n + 4);
    ref_crop(f, d, boxes, ind, nb, ch, cw, c, want);
    assert_int_equal(o1.t[0].dtype, HC_DT_FLOAT);
    assert_int_equal(o1.t[0].dims[0], nb);
    if (n) assert_memory_equal(o1.data[0], want, 4 * n);
    dt_out_free(&o1);
    dt_out_free(&o2);
    free(want);
    free(im);
    free(f);
    free(boxes);
    free(ind);
}

static void crop_matches_reference(void **state) {
    (void)state;
    dt_rng r = {7};
    static const int64_t dims[][4] = {{1, 1, 1, 1}, {2, 8, 6, 3}, {3, 13, 17, 7}, {1, 24, 24, 16}};
    static const int64_t crops[][2] = {{1, 1}, {1, 5}, {3, 4}, {7, 7}, {24, 24}};
    static const hc_dtype types[] = {HC_DT_FLOAT, HC_DT_UINT8, HC_DT_HALF};
    for (size_t di = 0; di < HC_COUNT(dims); di++)
        for (size_t ci = 0; ci < HC_COUNT(crops); ci++)
            for (size_t ti = 0; ti < HC_COUNT(types); ti++)
                for (int m = 0; m < 2; m++) {
                    crop_case c = {types[ti], m == 1, m ? -1.0f : 0.0f};
                    check_crop(dims[di], (int64_t)(1 + di * 3), crops[ci][0], crops[ci][1], &c, &r);
                }
    crop_case c = {HC_DT_FLOAT, false, 0};
    check_crop(dims[1], 0, 3, 3, &c, &r); /* no boxes */
}

static void crop_attrs_bad_method(hc_graph *g, int32_t node, const void *arg) {
    crop_attrs(g, node, arg);
    hc_gb_str(g, node, "method", "area");
}

static void crop_rejects_bad_inputs(void **state) {
    (void)state;
    float im[12] = {0}, boxes[4] = {0, 0, 1, 1};
    int32_t ind[1] = {1}, cs[2] = {2, 2};
    int64_t d[4] = {1, 2, 2, 3}, bd[2] = {1, 4}, id[1] = {1}, cd[1] = {2};
    hc_tensor in[4] = {tensor_of(HC_DT_FLOAT, 4, d, im), tensor_of(HC_DT_FLOAT, 2, bd, boxes),
                       tensor_of(HC_DT_INT32, 1, id, ind), tensor_of(HC_DT_INT32, 1, cd, cs)};
    crop_case c = {HC_DT_FLOAT, false, 0};
    dt_out o = {0};
    dt_run("CropAndResize", 4, in, crop_attrs, &c, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "box_ind"));
    ind[0] = 0;
    boxes[2] = NAN;
    dt_run("CropAndResize", 4, in, crop_attrs, &c, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    assert_non_null(strstr(o.msg, "finite"));
    boxes[2] = 1;
    cs[1] = 0;
    dt_run("CropAndResize", 4, in, crop_attrs, &c, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    cs[1] = 2;
    crop_case bad = {HC_DT_FLOAT, false, 0};
    dt_run("CropAndResize", 4, in, crop_attrs_bad_method, &bad, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_MALFORMED);
    assert_non_null(strstr(o.msg, "method"));
    bd[1] = 3;
    in[1] = tensor_of(HC_DT_FLOAT, 2, bd, boxes);
    dt_run("CropAndResize", 4, in, crop_attrs, &c, 1, NULL, 0, &o);
    assert_int_equal(o.st, HC_INVALID);
    dt_out_free(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resize_matches_reference),
        cmocka_unit_test(resize_rejects_bad_inputs),
        cmocka_unit_test(crop_matches_reference),
        cmocka_unit_test(crop_rejects_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
