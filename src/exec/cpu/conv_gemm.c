/* conv_gemm.c - the GEMM driver behind Conv2D, MatMul and BatchMatMul, and the scalar
 * reference microkernel.
 *
 * Output pixels are taken MR at a time (a block). A chunk of blocks gets its A side ready
 * once: row pointers straight into an aligned fp32 input (one pointer per filter row of kw
 * adjacent taps when a pixel's channels are contiguous, per tap otherwise; a zero row for
 * the padding), or - for fp16 inputs, few channels per tap, unaligned inputs, and blocks
 * whose filter rows cross the left/right edge - the rows gathered (im2col) and converted to
 * fp32 in per-thread scratch. Then every column block of the output runs the microkernel
 * over the chunk, so the weight panel (K x NR) is reused from cache across the chunk and the
 * prepared A across all columns. Weights are read in place (HWIO rows, unaligned loads).
 * Threads take contiguous ranges of blocks (or of column blocks when there are few pixels);
 * every output element is summed in the same order (taps, then channels) whatever the split,
 * which is also TF.js's order. */
#include "exec/cpu/conv.h"

#include "base/fp16.h"

static const hc_gemm_isa isa_scalar = {HC_UKR_SCALAR_MR, HC_UKR_SCALAR_NR, hc_ukr_scalar};
static const hc_gemm_isa isa_avx2 = {HC_UKR_AVX2_MR, HC_UKR_AVX2_NR, hc_ukr_avx2};
static const hc_gemm_isa isa_avx512 = {HC_UKR_AVX512_MR, HC_UKR_AVX512_NR, hc_ukr_avx512};

const hc_gemm_isa *hc_gemm_isa_for(const hc_cpu *cpu) {
    if (cpu && cpu->avx512) return &isa_avx512;
    if (cpu && cpu->avx2) return &isa_avx2;
    return &isa_scalar;
}

/* Each step rounds acc + x*w once to float (the product is exact in double), as the FMA of
 * the vector kernels does (and as TF.js, accumulating into a Float32Array, does): the scalar
 * path then agrees with them except in rare double-rounding ties. */
static inline float fma_step(float acc, float x, float w) {
    return (float)((double)acc + (double)x * (double)w);
}

void hc_ukr_scalar(const hc_ukr_args *g) {
    enum { MR = HC_UKR_SCALAR_MR, NR = HC_UKR_SCALAR_NR };
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (size_t t = 0; t < g->ntap; t++) {
        const float *const *ap = g->a + t * MR;
        const float *w = g->w + t * g->w_tap;
        for (size_t i = 0; i < g->k; i++, w += g->ldw)
            for (int r = 0; r < MR; r++) {
                float x = ap[r][i];
                for (size_t j = 0; j < g->nr; j++)
                    acc[r][j] = fma_step(acc[r][j], x, hc_ld_f32(w + j)); /* w may be unaligned */
            }
    }
    for (size_t r = 0; r < g->mr; r++) {
        if (g->bias)
            for (size_t j = 0; j < g->nr; j++)
                acc[r][j] = hc_epi_one(acc[r][j], g->bias[j], g->act);
        if (g->f16) {
            uint16_t *o = (uint16_t *)g->c + r * g->ldc;
            for (size_t j = 0; j < g->nr; j++)
                o[j] = hc_f32_to_f16(acc[r][j]);
        } else {
            memcpy((float *)g->c + r * g->ldc, acc[r], g->nr * sizeof(float));
        }
    }
}

typedef struct gemm_plan {
    const hc_gemm_op *op;
    const hc_gemm_isa *isa;
    const hc_cpu *cpu;
    size_t mr, m, nblk, chunk, ncb, cbw;
    size_t ktot;     /* kh * kw * k */
    size_t ntap, kp; /* pointer mode: taps and floats per tap pointer */
    bool direct;     /* one tap and input pixel = output pixel */
    bool contig;     /* a pixel's channels are all of A's row (a_ld == k): rows of taps merge */
    bool merge;      /* pointer mode reads whole filter rows (kw * k floats) per pointer */
    bool use_ptr;    /* blocks read fp32 input in place when they can */
    bool need_pack;  /* some blocks gather + convert A rows into scratch */
    bool split_cols; /* threads split column blocks instead of pixel blocks */
    const float *zeros;
    uint8_t *scratch; /* per thread: per_thread bytes */
    size_t per_thread, tab_bytes;
} gemm_plan;

/* An output pixel as batch, row, column; stepped without divisions along a block. */
typedef struct pix {
    int64_t b, oy, ox;
} pix;

static inline pix pixel_of(const hc_win *w, size_t m) {
    int64_t q = (int64_t)m / w->ow;
    pix x = {q / w->oh, q % w->oh, (int64_t)m % w->ow};
    return x;
}

static inline void pixel_next(const hc_win *w, pix *x) {
    if (++x->ox < w->ow) return;
    x->ox = 0;
    if (++x->oy < w->oh) return;
    x->oy = 0;
    x->b++;
}

/* Element offset of input pixel (b, iy, ix), channel a_off. */
static inline int64_t in_offset(const hc_gemm_op *op, int64_t b, int64_t iy, int64_t ix) {
    const hc_win *w = &op->win;
    return ((b * w->ih + iy) * w->iw + ix) * (int64_t)op->a_ld + (int64_t)op->a_off;
}

/* Pointers of one output pixel into column r of the table: one per filter row (merged) or
 * per tap. Returns false when a merged filter row crosses the left or right edge. */
static bool pixel_pointers(const gemm_plan *p, pix x, const float **tab, size_t r) {
    const hc_gemm_op *op = p->op;
    const hc_win *w = &op->win;
    const float *a = op->a;
    int64_t ix0 = x.ox * w->sw - w->pl, nkx = p->merge ? 1 : w->kw;
    if (p->merge && (ix0 < 0 || ix0 + w->kw > w->iw)) return false;
    size_t t = 0;
    for (int64_t ky = 0; ky < w->kh; ky++) {
        int64_t iy = x.oy * w->sh - w->pt + ky * w->dh;
        for (int64_t kx = 0; kx < nkx; kx++, t++) {
            int64_t ix = ix0 + kx * w->dw;
            bool in = iy >= 0 && iy < w->ih && ix >= 0 && ix < w->iw;
            tab[t * p->mr + r] = in ? a + in_offset(op, x.b, iy, ix) : p->zeros;
        }
    }
    return true;
}

/* Pointer table for block blk: tab[t * MR + r] (rows past the end repeat row 0). Returns false
 * when the block must be gathered instead (see pixel_pointers). */
static bool block_pointers(const gemm_plan *p, size_t blk, const float **tab) {
    const hc_gemm_op *op = p->op;
    size_t m0 = blk * p->mr, mr = HC_MIN(p->mr, p->m - m0);
    if (p->direct) {
        for (size_t r = 0; r < p->mr; r++)
            tab[r] = (const float *)op->a + (m0 + (r < mr ? r : 0)) * op->a_ld + op->a_off;
        return true;
    }
    pix x = pixel_of(&op->win, m0);
    for (size_t r = 0; r < mr; r++, pixel_next(&op->win, &x))
        if (!pixel_pointers(p, x, tab, r)) return false;
    for (size_t r = mr; r < p->mr; r++)
        for (size_t t = 0; t < p->ntap; t++)
            tab[t * p->mr + r] = tab[t * p->mr];
    return true;
}

/* Copy (fp32) or convert (fp16) n elements of A at element offset off into dst. */
static void load_a(const gemm_plan *p, int64_t off, float *dst, size_t n) {
    if (p->op->adt == HC_DT_HALF) {
        hc_f16_to_f32_array(p->cpu, (const uint16_t *)p->op->a + off, dst, n);
    } else {
        memcpy(dst, (const float *)p->op->a + off, n * sizeof(float));
    }
}

/* Gather the ktot inputs of pixel (b, oy, ox) into row: one segment per filter row when the
 * channels are contiguous and taps adjacent (dw = 1), else one per tap. */
static void pack_pixel(const gemm_plan *p, int64_t b, int64_t oy, int64_t ox, float *row) {
    const hc_gemm_op *op = p->op;
    const hc_win *w = &op->win;
    size_t k = op->k, seg = (size_t)w->kw * k;
    int64_t ix0 = ox * w->sw - w->pl;
    for (int64_t ky = 0; ky < w->kh; ky++, row += seg) {
        int64_t iy = oy * w->sh - w->pt + ky * w->dh;
        if (iy < 0 || iy >= w->ih) {
            memset(row, 0, seg * sizeof(float));
            continue;
        }
        if (p->contig && w->dw == 1) {
            int64_t k0 = HC_MIN(HC_MAX(-ix0, 0), w->kw),
                    k1 = HC_MAX(HC_MIN(w->iw - ix0, w->kw), k0);
            memset(row, 0, (size_t)k0 * k * sizeof(float));
            if (k1 > k0)
                load_a(p, in_offset(op, b, iy, ix0 + k0), row + (size_t)k0 * k,
                       (size_t)(k1 - k0) * k);
            memset(row + (size_t)k1 * k, 0, (size_t)(w->kw - k1) * k * sizeof(float));
            continue;
        }
        for (int64_t kx = 0; kx < w->kw; kx++) {
            int64_t ix = ix0 + kx * w->dw;
            if (ix < 0 || ix >= w->iw)
                memset(row + (size_t)kx * k, 0, k * sizeof(float));
            else
                load_a(p, in_offset(op, b, iy, ix), row + (size_t)kx * k, k);
        }
    }
}

/* Gathered rows for block blk: row r at buf + r * ktot; tab[r] points at them. */
static void block_pack(const gemm_plan *p, size_t blk, float *buf, const float **tab) {
    const hc_gemm_op *op = p->op;
    size_t m0 = blk * p->mr, mr = HC_MIN(p->mr, p->m - m0), k = op->k;
    for (size_t r = 0; r < p->mr; r++)
        tab[r] = buf + (r < mr ? r : 0) * p->ktot;
    if (p->direct && p->contig) { /* the block's rows are one run of memory */
        load_a(p, (int64_t)(m0 * k), buf, mr * k);
    } else if (p->direct) {
        for (size_t r = 0; r < mr; r++)
            load_a(p, (int64_t)((m0 + r) * op->a_ld + op->a_off), buf + r * p->ktot, k);
    } else {
        pix x = pixel_of(&op->win, m0);
        for (size_t r = 0; r < mr; r++, pixel_next(&op->win, &x))
            pack_pixel(p, x.b, x.oy, x.ox, buf + r * p->ktot);
    }
}

hc_status hc_epi_check(hc_kernel_ctx *k, int64_t channels, const float **bias, int *act) {
    *bias = NULL;
    *act = HC_ACT_NONE;
    if (!k->epi) return HC_OK;
    if (k->epi->channels != channels)
        return hc_k_fail(k, HC_INVALID, "bias has %lld values, the channel dimension is %lld",
                         (long long)k->epi->channels, (long long)channels);
    *bias = k->epi->bias;
    *act = k->epi->act;
    return HC_OK;
}

/* Blocks [b0, b1) x column blocks [c0, c1), a chunk of blocks at a time. */
static void run_blocks(const gemm_plan *p, size_t b0, size_t b1, size_t c0, size_t c1,
                       const float **tab, float *pack) {
    const hc_gemm_op *op = p->op;
    size_t esz = op->cdt == HC_DT_HALF ? 2 : 4, tab_n = p->mr * p->ntap;
    bool packed[16];
    hc_ukr_args g = {NULL,   0,       0, NULL, p->kp * op->ldw,       op->ldw,
                     NULL,   op->ldc, 0, 0,    op->cdt == HC_DT_HALF, NULL,
                     op->act};
    for (size_t cb = b0; cb < b1; cb += p->chunk) {
        size_t ce = HC_MIN(b1, cb + p->chunk);
        for (size_t b = cb; b < ce; b++) {
            const float **t = tab + (b - cb) * tab_n;
            packed[b - cb] = !(p->use_ptr && block_pointers(p, b, t));
            if (packed[b - cb]) block_pack(p, b, pack + (b - cb) * p->mr * p->ktot, t);
        }
        for (size_t j = c0; j < c1; j++) {
            size_t col = j * p->cbw;
            g.nr = HC_MIN(p->cbw, op->n - col);
            g.w = op->w + col;
            g.bias = op->bias ? op->bias + col : NULL;
            for (size_t b = cb; b < ce; b++) {
                g.a = tab + (b - cb) * tab_n;
                g.ntap = packed[b - cb] ? 1 : p->ntap;
                g.k = packed[b - cb] ? p->ktot : p->kp;
                g.mr = HC_MIN(p->mr, p->m - b * p->mr);
                g.c = (uint8_t *)op->c + (b * p->mr * op->ldc + col) * esz;
                p->isa->ukr(&g);
            }
        }
    }
}

static void gemm_worker(void *arg, int ith, int nth) {
    const gemm_plan *p = arg;
    size_t b0 = 0, b1 = p->nblk, c0 = 0, c1 = p->ncb;
    if (p->split_cols)
        hc_split_range(p->ncb, ith, nth, &c0, &c1);
    else
        hc_split_range(p->nblk, ith, nth, &b0, &b1);
    uint8_t *s = p->scratch + (size_t)ith * p->per_thread;
    if (b0 < b1 && c0 < c1)
        run_blocks(p, b0, b1, c0, c1, (const float **)(void *)s,
                   (float *)(void *)(s + p->tab_bytes));
}

/* Column blocks: as few as the tile allows, of equal width rounded up to whole vectors. */
static void plan_cols(gemm_plan *p) {
    size_t nr = (size_t)p->isa->nr, vw = p->isa == &isa_avx512 ? 16 : p->isa == &isa_avx2 ? 8 : 1;
    size_t n = p->op->n, ncb = (n + nr - 1) / nr;
    size_t w = (n + ncb - 1) / ncb;
    w = HC_MIN(nr, (w + vw - 1) / vw * vw);
    p->cbw = w;
    p->ncb = (n + w - 1) / w;
}

/* Split whichever of pixel blocks and column blocks divides more evenly over nth. */
static void plan_split(gemm_plan *p, int nth) {
    size_t t = (size_t)nth;
    p->split_cols = false;
    if (nth <= 1 || p->nblk >= 8 * t) return;
    /* Work of the busiest thread over the average: ceil(n / t) * t / n. */
    size_t rows_max = (p->nblk + t - 1) / t, cols_max = (p->ncb + t - 1) / t;
    double rows = (double)(rows_max * t) / (double)p->nblk;
    double cols = (double)(cols_max * t) / (double)p->ncb;
    p->split_cols = p->ncb >= t && cols < rows;
}

/* How A is read: in place (fp32; whole filter rows per pointer when the taps of a row are
 * adjacent in memory) or gathered into scratch (fp16, or short rows of few channels). */
static void plan_a(gemm_plan *p) {
    const hc_gemm_op *op = p->op;
    const hc_win *w = &op->win;
    p->direct = w->kh * w->kw == 1 && w->sh == 1 && w->sw == 1 && !w->pt && !w->pl &&
                w->oh == w->ih && w->ow == w->iw;
    p->contig = op->a_ld == op->k && op->a_off == 0;
    p->merge = !p->direct && p->contig && w->dw == 1 && w->kw > 1;
    p->ntap = p->direct ? 1 : (size_t)(p->merge ? w->kh : w->kh * w->kw);
    p->kp = p->merge ? (size_t)w->kw * op->k : op->k;
    /* Pointers into A must be float-aligned (a caller's input need not be): else gather. */
    bool aligned = ((uintptr_t)op->a & 3) == 0;
    p->use_ptr = op->adt == HC_DT_FLOAT && aligned && (p->direct || p->kp >= 8);
    /* Merged rows cross the left/right edge in border blocks: those are gathered. */
    p->need_pack = !p->use_ptr || p->merge;
}

static hc_status plan_gemm(hc_kernel_ctx *k, const hc_gemm_op *op, gemm_plan *p, int *nth) {
    const hc_win *w = &op->win;
    memset(p, 0, sizeof *p);
    p->op = op;
    p->cpu = k->cpu;
    p->isa = hc_gemm_isa_for(k->cpu);
    p->mr = (size_t)p->isa->mr;
    if (!hc_mul_size((size_t)(w->kh * w->kw), op->k, &p->ktot) || p->ktot > ((size_t)1 << 30))
        return hc_k_fail(k, HC_LIMIT, "%lld taps x %zu channels is too large",
                         (long long)w->kh * (long long)w->kw, op->k);
    p->m = (size_t)(w->n * w->oh * w->ow);
    p->nblk = (p->m + p->mr - 1) / p->mr;
    plan_a(p);
    /* Chunks of gathered rows stay within ~192 KB (L2); pointer chunks cover 16 blocks. */
    size_t row_bytes = p->ktot * sizeof(float) * p->mr;
    p->chunk =
        p->need_pack ? HC_MAX((size_t)1, HC_MIN((size_t)16, ((size_t)192 << 10) / row_bytes)) : 16;
    plan_cols(p);
    *nth = hc_conv_threads(k, 2.0 * (double)p->m * (double)op->n * (double)p->ktot);
    plan_split(p, *nth);
    p->tab_bytes = (p->chunk * p->mr * p->ntap * sizeof(float *) + 63) & ~(size_t)63;
    p->per_thread = p->tab_bytes + (p->need_pack ? p->chunk * row_bytes : 0);
    p->per_thread = (p->per_thread + 63) & ~(size_t)63;
    return HC_OK;
}

hc_status hc_gemm_run(hc_kernel_ctx *k, const hc_gemm_op *op) {
    gemm_plan p;
    int nth = 1;
    hc_status st = plan_gemm(k, op, &p, &nth);
    if (st || !p.m || !op->n) return st;
    size_t zeros = p.use_ptr ? p.kp * sizeof(float) : 0, total;
    if (!hc_mul_size(p.per_thread, (size_t)nth, &total) || !hc_add_size(total, zeros, &total))
        return hc_k_fail(k, HC_LIMIT, "conv scratch size overflows");
    uint8_t *s = hc_k_scratch(k, total);
    if (!s) return k->ctx->status;
    if (zeros) {
        memset(s + p.per_thread * (size_t)nth, 0, zeros);
        p.zeros = (const float *)(void *)(s + p.per_thread * (size_t)nth);
    }
    p.scratch = s;
    hc_pool_run(k->pool, gemm_worker, &p, nth);
    hc_k_scratch_free(k, s);
    return HC_OK;
}
