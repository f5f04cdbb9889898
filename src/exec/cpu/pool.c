/* pool.c - MaxPool, MaxPoolV2 and AvgPool (fp32 and fp16, NHWC and NCHW) and the scalar
 * pooling row kernel. Windows are clipped to the input: padded positions never take part
 * (MaxPool ignores them, AvgPool divides by the number of valid elements, as TF's CPU kernels
 * and tfjs do). Threads split the output rows. */
#include "exec/cpu/conv.h"

#include "base/fp16.h"

#include <math.h>

static float pool_ld(const void *row, size_t i, bool f16) {
    /* A caller's input may be unaligned. */
    const uint8_t *p = row;
    return f16 ? hc_f16_to_f32(hc_ld_u16(p + 2 * i)) : hc_ld_f32(p + 4 * i);
}

void hc_pool_row_scalar(const hc_pool_args *a) {
    for (size_t x = 0; x < a->ow; x++) {
        size_t x0 = (size_t)a->x0[x], x1 = (size_t)a->x1[x];
        for (size_t j = 0; j < a->c; j++) {
            float acc = a->avg ? 0.0f : -INFINITY;
            for (size_t r = 0; r < a->nrows; r++)
                for (size_t ix = x0; ix < x1; ix++) {
                    float v = pool_ld(a->rows[r], ix * a->c + j, a->f16);
                    if (a->avg)
                        acc += v;
                    else
                        acc = v > acc ? v : acc;
                }
            if (a->avg) acc = acc / (float)(a->nrows * (x1 - x0));
            if (a->f16)
                ((uint16_t *)a->out)[x * a->c + j] = hc_f32_to_f16(acc);
            else
                ((float *)a->out)[x * a->c + j] = acc;
        }
    }
}

typedef struct pool_plan {
    hc_win win;
    bool avg, f16;
    const void *x;
    void *y;
    const int32_t *x0, *x1;
    hc_pool_fn_row row;
} pool_plan;

static void pool_worker(void *arg, int ith, int nth) {
    const pool_plan *p = arg;
    const hc_win *w = &p->win;
    size_t r0, r1, esz = p->f16 ? 2 : 4, row_bytes = (size_t)(w->iw * w->c) * esz;
    hc_split_range((size_t)(w->n * w->oh), ith, nth, &r0, &r1);
    const void *rows[256];
    hc_pool_args a = {rows, 0, (size_t)w->c, (size_t)w->ow, p->x0, p->x1, NULL, p->f16, p->avg};
    for (size_t r = r0; r < r1; r++) {
        int64_t b = (int64_t)r / w->oh, oy = (int64_t)r % w->oh;
        int64_t y0 = HC_MAX(oy * w->sh - w->pt, 0), y1 = HC_MIN(oy * w->sh - w->pt + w->kh, w->ih);
        a.nrows = 0;
        for (int64_t iy = y0; iy < y1; iy++)
            rows[a.nrows++] = (const uint8_t *)p->x + (size_t)(b * w->ih + iy) * row_bytes;
        a.out = (uint8_t *)p->y + r * (size_t)(w->ow * w->c) * esz;
        p->row(&a);
    }
}

hc_status hc_pool_prepare(hc_kernel_prep *p) {
    hc_win_attr *a = hc_arena_alloc(p->arena, sizeof *a);
    if (!a) return HC_NOMEM;
    hc_status st = hc_win_parse(p, a, true);
    p->state = a;
    if (!st && a->pad == HC_PAD_EXPLICIT && hc_span_eq_str(p->node->op, "AvgPool"))
        return hc_kp_fail(p, HC_MALFORMED, "AvgPool takes SAME or VALID padding");
    return st;
}

/* MaxPoolV2 reads ksize and strides from inputs 1 and 2; strides is required as an attribute
 * by hc_win_parse, so parse the rest here and fill the window in at run time. */
hc_status hc_pool_v2_prepare(hc_kernel_prep *p) {
    hc_win_attr *a = hc_arena_alloc(p->arena, sizeof *a);
    if (!a) return HC_NOMEM;
    memset(a, 0, sizeof *a);
    p->state = a;
    a->dt = hc_k_attr_type(p->node, "T", HC_DT_FLOAT);
    if (a->dt != HC_DT_FLOAT && a->dt != HC_DT_HALF)
        return hc_kp_fail(p, HC_UNSUPPORTED, "T=%s is not supported (float and half are)",
                          hc_dtype_name(a->dt));
    hc_span s;
    if (hc_k_attr_str(p->node, "data_format", &s) && !hc_span_eq_str(s, "NHWC")) {
        if (!hc_span_eq_str(s, "NCHW"))
            return hc_kp_fail(p, HC_UNSUPPORTED, "data_format '" HC_SPAN_FMT "' is not supported",
                              HC_SPAN_ARG(s));
        a->nchw = true;
    }
    if (!hc_k_attr_str(p->node, "padding", &s) ||
        !(hc_span_eq_str(s, "SAME") || hc_span_eq_str(s, "VALID")))
        return hc_kp_fail(p, HC_MALFORMED, "padding must be SAME or VALID");
    a->pad = hc_span_eq_str(s, "SAME") ? HC_PAD_SAME : HC_PAD_VALID;
    a->dil[0] = a->dil[1] = 1;
    return HC_OK;
}

/* MaxPoolV2: window and strides from int32 inputs in data_format order. */
static hc_status v2_window(hc_kernel_ctx *k, hc_win_attr *a) {
    int hi = a->nchw ? 2 : 1, ci = a->nchw ? 1 : 3;
    for (uint32_t in = 1; in <= 2; in++) {
        const hc_val *v = &k->in[in];
        int64_t e[4];
        if (hc_val_elems(v) != 4)
            return hc_k_fail(k, HC_INVALID, "%s must have 4 elements",
                             in == 1 ? "ksize" : "strides");
        for (int i = 0; i < 4; i++)
            if (!hc_k_int_at(v, i, &e[i]))
                return hc_k_fail(k, HC_TYPE, "ksize and strides must be int32");
        if (e[0] != 1 || e[ci] != 1)
            return hc_k_fail(k, HC_UNSUPPORTED, "pooling over batch or depth is not supported");
        for (int i = 0; i < 2; i++) {
            if (e[hi + i] < 1 || e[hi + i] > ((int64_t)1 << 30))
                return hc_k_fail(k, HC_INVALID, "window entry %lld is out of range",
                                 (long long)e[hi + i]);
            (in == 1 ? a->ksize : a->stride)[i] = e[hi + i];
        }
    }
    return HC_OK;
}

static hc_pool_fn_row pool_row_for(const hc_cpu *cpu) {
    if (cpu->avx512) return hc_pool_row_avx512;
    if (cpu->avx2) return hc_pool_row_avx2;
    return hc_pool_row_scalar;
}

/* NHWC pooling of x into y with the window columns clipped once per call. */
static hc_status pool_nhwc(hc_kernel_ctx *k, pool_plan *p) {
    const hc_win *w = &p->win;
    if (w->ow > INT32_MAX || w->iw > INT32_MAX || w->kh > 256)
        return hc_k_fail(k, HC_UNSUPPORTED, "pooling window or row is too large");
    int32_t *cols = hc_k_scratch(k, 2 * (size_t)w->ow * sizeof(int32_t));
    if (!cols) return k->ctx->status;
    for (int64_t x = 0; x < w->ow; x++) {
        int64_t s = x * w->sw - w->pl;
        cols[x] = (int32_t)HC_MAX(s, 0);
        cols[w->ow + x] = (int32_t)HC_MAX(HC_MIN(s + w->kw, w->iw), HC_MAX(s, 0));
    }
    p->x0 = cols;
    p->x1 = cols + w->ow;
    p->row = pool_row_for(k->cpu);
    double work = (double)(w->n * w->oh * w->ow * w->c) * (double)(w->kh * w->kw);
    hc_pool_run(k->pool, pool_worker, p, hc_conv_threads(k, work));
    hc_k_scratch_free(k, cols);
    return HC_OK;
}

hc_status hc_pool_run_op(hc_kernel_ctx *k) {
    hc_win_attr a = *(const hc_win_attr *)k->state;
    bool v2 = hc_span_eq_str(k->node->op, "MaxPoolV2");
    if (k->n_in != (v2 ? 3u : 1u)) return hc_k_fail(k, HC_MALFORMED, "wrong number of inputs");
    hc_status st = v2 ? v2_window(k, &a) : HC_OK;
    const hc_val *x = &k->in[0];
    if (!st && x->dtype != a.dt)
        return hc_k_fail(k, HC_TYPE, "input is %s, not %s", hc_dtype_name(x->dtype),
                         hc_dtype_name(a.dt));
    pool_plan p = {.avg = hc_span_eq_str(k->node->op, "AvgPool"), .f16 = a.dt == HC_DT_HALF};
    if (!st) st = hc_win_geom(k, &a, x, 0, 0, &p.win);
    int64_t dims[4];
    hc_win_out_dims(&a, p.win.n, p.win.oh, p.win.ow, p.win.c, dims);
    if (!st) st = hc_k_alloc(k, 0, a.dt, 4, dims);
    size_t out_elems = st ? 0 : (size_t)hc_val_elems(&k->out[0]), esz = hc_dtype_size(a.dt);
    if (st || !out_elems) return st;
    p.x = x->data;
    p.y = k->out[0].data;
    if (!a.nchw) return pool_nhwc(k, &p);
    void *xt = hc_k_scratch(k, hc_val_bytes(x)), *yt = hc_k_scratch(k, out_elems * esz);
    if (!xt || !yt) st = k->ctx->status;
    if (!st) {
        hc_nchw_to_nhwc(x->data, xt, esz, p.win.n, p.win.c, p.win.ih * p.win.iw);
        p.x = xt;
        p.y = yt;
        st = pool_nhwc(k, &p);
    }
    if (!st) hc_nhwc_to_nchw(yt, k->out[0].data, esz, p.win.n, p.win.c, p.win.oh * p.win.ow);
    hc_k_scratch_free(k, yt);
    hc_k_scratch_free(k, xt);
    return st;
}
