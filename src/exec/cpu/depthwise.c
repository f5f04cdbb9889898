/* depthwise.c - DepthwiseConv2dNative (fp32 and fp16, NHWC and NCHW, any channel
 * multiplier) and the scalar depthwise row kernel.
 *
 * Output channel j = i * mult + q reads input channel i with filter [ky][kx][i][q]; in HWIO
 * order the filter's last two dims are exactly the output channels, so one output row is a
 * per-channel weighted sum over the filter rows that fall inside the input. fp32 input rows
 * with multiplier 1 are read in place; otherwise each thread keeps a small ring of input
 * rows converted to fp32 with the multiplier expansion done (each input row is converted
 * once per thread, not once per tap). The row kernels (scalar, AVX2, AVX-512) skip the
 * horizontal padding only at the row's edges, so interior pixels run without checks. */
#include "exec/cpu/conv.h"

#include "base/fp16.h"

void hc_dw_row_scalar(const hc_dw_args *a) {
    for (size_t x = 0; x < a->ow; x++) {
        size_t k0, k1;
        hc_dw_taps(a, x, &k0, &k1);
        for (size_t j = 0; j < a->c; j++) {
            float acc = 0;
            for (size_t r = 0; r < a->nrows; r++)
                for (size_t kx = k0; kx < k1; kx++)
                    /* One rounding per step, like the FMA of the vector kernels. */
                    acc = (float)((double)acc +
                                  (double)a->rows[r][(x * a->sw + kx * a->dw - a->pl) * a->c + j] *
                                      (double)hc_ld_f32(a->w + (r * a->kw + kx) * a->c + j));
            if (a->bias) acc = hc_epi_one(acc, a->bias[j], a->act);
            if (a->f16)
                ((uint16_t *)a->out)[x * a->c + j] = hc_f32_to_f16(acc);
            else
                ((float *)a->out)[x * a->c + j] = acc;
        }
    }
}

typedef struct dw_plan {
    hc_kernel_ctx *k;
    hc_win win;
    hc_dtype dt;
    size_t mult, cout; /* channel multiplier, output channels */
    size_t span;       /* ring rows: min((kh-1)*dh + 1, ih) */
    bool in_place;     /* fp32 with multiplier 1: read input rows directly */
    const void *x;
    const float *w;
    void *y;
    uint8_t *scratch;
    size_t per_thread;
    hc_dw_fn row;
    const float *bias; /* folded BiasAdd (NULL: none) and activation */
    int act;
} dw_plan;

/* Fill a ring slot with input row (b, iy) in fp32, each channel repeated mult times. */
static void fill_row(const dw_plan *p, int64_t b, int64_t iy, float *dst) {
    const hc_win *w = &p->win;
    size_t n = (size_t)(w->iw * w->c), esz = p->dt == HC_DT_HALF ? 2 : 4;
    const uint8_t *src = (const uint8_t *)p->x + (size_t)((b * w->ih + iy) * w->iw * w->c) * esz;
    if (p->mult == 1 && p->dt == HC_DT_HALF) {
        hc_f16_to_f32_array(p->k->cpu, src, dst, n);
        return;
    }
    if (p->mult == 1) { /* an unaligned fp32 input */
        memcpy(dst, src, n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float v =
            p->dt == HC_DT_HALF ? hc_f16_to_f32(hc_ld_u16(src + 2 * i)) : hc_ld_f32(src + 4 * i);
        for (size_t q = 0; q < p->mult; q++)
            dst[i * p->mult + q] = v;
    }
}

/* Filter rows [*k0, *k1) of output row oy that fall inside the input. */
static void valid_rows(const hc_win *w, int64_t oy, int64_t *k0, int64_t *k1) {
    int64_t base = oy * w->sh - w->pt, last = w->ih - 1 - base;
    *k0 = base >= 0 ? 0 : (-base + w->dh - 1) / w->dh;
    *k1 = last < 0 ? 0 : HC_MIN(w->kh, last / w->dh + 1);
    if (*k1 < *k0) *k1 = *k0;
}

static void dw_worker(void *arg, int ith, int nth) {
    const dw_plan *p = arg;
    const hc_win *w = &p->win;
    if (w->oh <= 0 || !p->span) return; /* nothing to do (and no ring) */
    size_t r0, r1, row_floats = (size_t)w->iw * p->cout, esz = p->dt == HC_DT_HALF ? 2 : 4;
    hc_split_range((size_t)(w->n * w->oh), ith, nth, &r0, &r1);
    uint8_t *s = p->scratch + (size_t)ith * p->per_thread;
    int64_t *tags = (int64_t *)(void *)s;
    float *ring = (float *)(void *)(s + ((p->span * sizeof(int64_t) + 63) & ~(size_t)63));
    const float *rows[64];
    for (size_t i = 0; i < p->span; i++)
        tags[i] = -1;
    hc_dw_args a = {rows,          NULL,          0,       (size_t)w->kw,
                    (size_t)w->sw, (size_t)w->dw, p->cout, (size_t)w->ow,
                    (size_t)w->iw, (size_t)w->pl, NULL,    p->dt == HC_DT_HALF,
                    p->bias,       p->act};
    for (size_t r = r0; r < r1; r++) {
        int64_t b = (int64_t)r / w->oh, oy = (int64_t)r % w->oh, k0, k1;
        valid_rows(w, oy, &k0, &k1);
        for (int64_t ky = k0; ky < k1; ky++) {
            int64_t iy = oy * w->sh - w->pt + ky * w->dh;
            const float **dst = &rows[ky - k0];
            if (p->in_place) {
                *dst = (const float *)p->x + (size_t)((b * w->ih + iy) * w->iw * w->c);
                continue;
            }
            size_t slot = (size_t)(iy % (int64_t)p->span);
            float *ring_row = ring + slot * row_floats;
            if (tags[slot] != b * w->ih + iy) fill_row(p, b, iy, ring_row);
            tags[slot] = b * w->ih + iy;
            *dst = ring_row;
        }
        a.nrows = (size_t)(k1 - k0);
        a.w = p->w + (size_t)k0 * (size_t)w->kw * p->cout;
        a.out = (uint8_t *)p->y + r * (size_t)w->ow * p->cout * esz;
        p->row(&a);
    }
}

static hc_dw_fn dw_row_for(const hc_cpu *cpu) {
    if (cpu->avx512) return hc_dw_row_avx512;
    if (cpu->avx2) return hc_dw_row_avx2;
    return hc_dw_row_scalar;
}

/* Size the rings and scratch, then run the rows over the pool. */
static hc_status dw_execute(hc_kernel_ctx *k, dw_plan *p) {
    const hc_win *w = &p->win;
    if (w->kh > 64)
        return hc_k_fail(k, HC_UNSUPPORTED, "filter height %lld is above 64", (long long)w->kh);
    p->span = (size_t)HC_MAX(HC_MIN((w->kh - 1) * w->dh + 1, w->ih), 1);
    p->in_place = p->dt == HC_DT_FLOAT && p->mult == 1 && ((uintptr_t)p->x & 3) == 0;
    p->row = dw_row_for(k->cpu);
    size_t ring = 0, total;
    if (!p->in_place && (!hc_mul_size((size_t)w->iw, p->cout * sizeof(float), &ring) ||
                         !hc_mul_size(ring, p->span, &ring)))
        return hc_k_fail(k, HC_LIMIT, "row ring size overflows");
    p->per_thread = ((p->span * sizeof(int64_t) + 63) & ~(size_t)63) + ((ring + 63) & ~(size_t)63);
    double flops = 2.0 * (double)(w->n * w->oh * w->ow) * (double)p->cout * (double)(w->kh * w->kw);
    int nth = hc_conv_threads(k, flops);
    if (!hc_mul_size(p->per_thread, (size_t)nth, &total))
        return hc_k_fail(k, HC_LIMIT, "scratch size overflows");
    p->scratch = hc_k_scratch(k, total);
    if (!p->scratch) return k->ctx->status;
    hc_pool_run(k->pool, dw_worker, p, nth);
    hc_k_scratch_free(k, p->scratch);
    return HC_OK;
}

hc_status hc_depthwise_prepare(hc_kernel_prep *p) {
    hc_win_attr *a = hc_arena_alloc(p->arena, sizeof *a);
    if (!a) return HC_NOMEM;
    hc_status st = hc_win_parse(p, a, false);
    p->state = a;
    return st;
}

static hc_status dw_check(hc_kernel_ctx *k, const hc_val *x, const hc_val *f) {
    const hc_win_attr *a = k->state;
    if (k->n_in != 2) return hc_k_fail(k, HC_MALFORMED, "takes 2 inputs, not %u", k->n_in);
    if (x->dtype != a->dt || f->dtype != a->dt)
        return hc_k_fail(k, HC_TYPE, "input and filter must be %s", hc_dtype_name(a->dt));
    if (f->rank != 4)
        return hc_k_fail(k, HC_INVALID, "filter must be 4-D [h, w, in, multiplier], not rank %d",
                         (int)f->rank);
    if (x->rank == 4 && f->dims[2] != x->dims[a->nchw ? 1 : 3])
        return hc_k_fail(k, HC_INVALID, "filter depth %lld does not match input depth %lld",
                         (long long)f->dims[2], (long long)x->dims[a->nchw ? 1 : 3]);
    return HC_OK;
}

hc_status hc_depthwise_run(hc_kernel_ctx *k) {
    const hc_win_attr *a = k->state;
    const hc_val *x = &k->in[0], *f = &k->in[1];
    hc_status st = dw_check(k, x, f);
    dw_plan p = {.k = k, .dt = a->dt};
    if (!st) st = hc_win_geom(k, a, x, f->dims[0], f->dims[1], &p.win);
    if (st) return st;
    int64_t cout, dims[4];
    if (!hc_mul_i64(f->dims[2], f->dims[3], &cout))
        return hc_k_fail(k, HC_LIMIT, "output depth overflows");
    hc_win_out_dims(a, p.win.n, p.win.oh, p.win.ow, cout, dims);
    if ((st = hc_k_alloc(k, 0, a->dt, 4, dims))) return st;
    size_t out_elems = (size_t)hc_val_elems(&k->out[0]), esz = hc_dtype_size(a->dt);
    if (!out_elems) return HC_OK;
    p.mult = (size_t)f->dims[3];
    p.cout = (size_t)cout;
    if ((st = hc_epi_check(k, cout, &p.bias, &p.act))) return st;
    float *wcopy = NULL, *xt = NULL, *yt = NULL;
    p.w = f->data;
    if (a->dt == HC_DT_HALF && !(p.w = wcopy = hc_conv_f32_copy(k, f, (size_t)hc_val_elems(f))))
        return k->ctx->status;
    p.x = x->data;
    p.y = k->out[0].data;
    if (a->nchw) {
        size_t in_bytes = hc_val_bytes(x);
        xt = hc_k_scratch(k, in_bytes ? in_bytes : 1);
        yt = hc_k_scratch(k, out_elems * esz);
        if (!xt || !yt) st = k->ctx->status;
        if (!st) hc_nchw_to_nhwc(x->data, xt, esz, p.win.n, p.win.c, p.win.ih * p.win.iw);
        p.x = xt;
        p.y = yt;
    }
    if (!st) st = dw_execute(k, &p);
    if (!st && a->nchw)
        hc_nhwc_to_nchw(yt, k->out[0].data, esz, p.win.n, cout, p.win.oh * p.win.ow);
    hc_k_scratch_free(k, yt);
    hc_k_scratch_free(k, xt);
    hc_k_scratch_free(k, wcopy);
    return st;
}
