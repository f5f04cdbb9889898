/* conv.h - internals of the conv family (Conv2D, DepthwiseConv2dNative, MatMul, BatchMatMul*,
 * MaxPool, AvgPool, FusedBatchNorm*): window attributes and geometry, the GEMM driver that
 * runs convolutions and matrix products over one register-tiled microkernel per ISA, and the
 * per-ISA row kernels of depthwise convolution, pooling and batch normalisation.
 *
 * Everything here computes in fp32; fp16 (HC_DT_HALF) tensors are converted on load (F16C)
 * and rounded to nearest even on store. Microkernels come in three variants (scalar, AVX2,
 * AVX-512) chosen at run time from hc_cpu; they read inputs with unaligned loads. */
#ifndef HC_EXEC_CPU_CONV_H
#define HC_EXEC_CPU_CONV_H

#include "exec/kernel.h"

/* ---- window attributes (parsed once at prepare) and geometry (per call) ---------------- */

typedef enum hc_pad { HC_PAD_VALID = 0, HC_PAD_SAME, HC_PAD_EXPLICIT } hc_pad;

typedef struct hc_win_attr {
    hc_dtype dt; /* T */
    bool nchw;   /* data_format NCHW (else NHWC) */
    hc_pad pad;
    int64_t stride[2]; /* H, W */
    int64_t dil[2];    /* H, W (1 for pools) */
    int64_t ksize[2];  /* pools only: window H, W */
    int64_t expl[4];   /* EXPLICIT: top, bottom, left, right */
} hc_win_attr;

/* One call in NHWC terms: input n x ih x iw x c, window kh x kw, output oh x ow; pt/pl are
 * the padding before (top, left); the padding after follows from the output size. */
typedef struct hc_win {
    int64_t n, ih, iw, c;
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t oh, ow, pt, pl;
} hc_win;

/* Parse data_format, strides, dilations (convs) or ksize (pools), padding and
 * explicit_paddings. Fails (naming the node) on anything TensorFlow would reject. */
hc_status hc_win_parse(hc_kernel_prep *p, hc_win_attr *a, bool pool);
/* Geometry of input x (rank 4, layout from a) under a kh x kw window (convs pass the
 * filter size; pools pass 0 to use ksize). Output sizes and SAME padding follow TF's
 * GetWindowedOutputSize: out = ceil(in / s), pad_total = max((out-1)*s + (k-1)*d + 1 - in, 0),
 * pad_before = pad_total / 2. */
hc_status hc_win_geom(hc_kernel_ctx *k, const hc_win_attr *a, const hc_val *x, int64_t kh,
                      int64_t kw, hc_win *w);

/* Output shape in the op's layout from NHWC sizes. */
void hc_win_out_dims(const hc_win_attr *a, int64_t n, int64_t h, int64_t w, int64_t c,
                     int64_t dims[4]);
/* Layout transposes for NCHW ops (esz 2 or 4): NCHW -> NHWC and back, n x c x hw. */
void hc_nchw_to_nhwc(const void *src, void *dst, size_t esz, int64_t n, int64_t c, int64_t hw);
void hc_nhwc_to_nchw(const void *src, void *dst, size_t esz, int64_t n, int64_t c, int64_t hw);

/* Threads worth using for `flops` of work (1 below ~ the cost of waking a worker). */
int hc_conv_threads(const hc_kernel_ctx *k, double flops);
/* fp16 or fp32 tensor data to a fresh fp32 scratch copy (NULL and failed on NOMEM). */
float *hc_conv_f32_copy(hc_kernel_ctx *k, const hc_val *v, size_t n);

/* ---- GEMM microkernel: C[mr x nr] = A[mr x K] * W[K x nr] -------------------------------- */

/* A is given as ntap x MR row pointers (rows past mr repeat a valid row); each pointer has k
 * floats. Row (t, kk) of W is at w + t*w_tap + kk*ldw; nr columns are read (masked tails, no
 * reads past column nr). Output row m is at c + m*ldc elements, fp16 when f16. */
typedef struct hc_ukr_args {
    const float *const *a;
    size_t ntap, k;
    const float *w;
    size_t w_tap, ldw;
    void *c;
    size_t ldc, mr, nr;
    bool f16;
    const float *bias; /* the folded epilogue, applied before the store: act(c + bias[j]) */
    int act;           /* HC_ACT_*; used only with bias */
} hc_ukr_args;

typedef void (*hc_ukr_fn)(const hc_ukr_args *g);

typedef struct hc_gemm_isa {
    int mr, nr; /* tile: rows, most columns per call */
    hc_ukr_fn ukr;
} hc_gemm_isa;

const hc_gemm_isa *hc_gemm_isa_for(const hc_cpu *cpu);
void hc_ukr_scalar(const hc_ukr_args *g);
void hc_ukr_avx2(const hc_ukr_args *g);
void hc_ukr_avx512(const hc_ukr_args *g);
#define HC_UKR_SCALAR_MR 4
#define HC_UKR_SCALAR_NR 8
#define HC_UKR_AVX2_MR   6
#define HC_UKR_AVX2_NR   16
#define HC_UKR_AVX512_MR 8
#define HC_UKR_AVX512_NR 48

/* ---- GEMM driver ------------------------------------------------------------------------ */

/* out[m, j] = sum over taps t and channels i of A(m, t)[i] * W[t][i][j], m over the win.n *
 * win.oh * win.ow output pixels, j over n columns. A(m, t) is the input pixel under tap t of
 * pixel m (zeros in the padding): input element (pixel p, channel a_off + i) is at
 * a + p * a_ld + a_off. A plain matrix A[M, K] with row stride lda is the 1x1 window over an
 * input of 1 x 1 x M pixels. W is fp32 (convert fp16 weights first) with rows ldw apart
 * (W[t][i] at w + (t*k + i)*ldw). Output row m is at c + m*ldc. Work is split over pixel
 * blocks (or column blocks when there are few pixels); results do not depend on threads. */
typedef struct hc_gemm_op {
    const void *a;
    hc_dtype adt;
    hc_win win;
    size_t a_ld, a_off, k;
    const float *w;
    size_t ldw, n;
    void *c;
    hc_dtype cdt;
    size_t ldc;
    const float *bias; /* folded epilogue: c = act(c + bias[j]) (NULL: none) */
    int act;
} hc_gemm_op;

hc_status hc_gemm_run(hc_kernel_ctx *k, const hc_gemm_op *op);

/* ---- epilogue: act(y + bias), folded into the microkernels' stores ---------------------- */

/* One value of the epilogue, for the scalar kernels. */
static inline float hc_epi_one(float v, float bias, int act) {
    v += bias;
    if (act && v < 0.0f) v = 0.0f;
    if (act == HC_ACT_RELU6 && v > 6.0f) v = 6.0f;
    return v;
}

/* The fused epilogue of k checked against the output's channel count (fails like the
 * BiasAdd it replaces would). *bias is NULL when there is none. */
hc_status hc_epi_check(hc_kernel_ctx *k, int64_t channels, const float **bias, int *act);

/* ---- depthwise row kernel --------------------------------------------------------------- */

/* One output row of a depthwise convolution over the nrows input rows that lie inside the
 * input (vertical padding is left out by the caller; w points at the weights of the first of
 * them). Input column of output pixel x under tap kx: ix = x*sw - pl + kx*dw; taps with ix
 * outside [0, iw) are skipped (horizontal padding). Rows are fp32, c channels per pixel:
 * out[x][j] = sum over r < nrows, valid kx of rows[r][ix*c + j] * w[(r*kw + kx)*c + j]. */
typedef struct hc_dw_args {
    const float *const *rows;
    const float *w;
    size_t nrows, kw, sw, dw, c, ow, iw, pl;
    void *out;
    bool f16;
    const float *bias; /* the folded epilogue, as for hc_ukr_args (bias[j] per channel) */
    int act;
} hc_dw_args;

/* Output pixels [*lo, *hi) of a depthwise row have every tap inside the input; the others
 * (edges) take taps [*k0, *k1) from hc_dw_taps. */
static inline void hc_dw_interior(const hc_dw_args *a, size_t *lo, size_t *hi) {
    size_t span = (a->kw - 1) * a->dw, l = (a->pl + a->sw - 1) / a->sw, h = 0;
    if (a->iw + a->pl > span) h = (a->iw + a->pl - span - 1) / a->sw + 1;
    l = l < a->ow ? l : a->ow;
    h = h < a->ow ? h : a->ow;
    *lo = l;
    *hi = h > l ? h : l;
}

static inline void hc_dw_taps(const hc_dw_args *a, size_t x, size_t *k0, size_t *k1) {
    int64_t base = (int64_t)(x * a->sw) - (int64_t)a->pl, dw = (int64_t)a->dw;
    int64_t first = base >= 0 ? 0 : (-base + dw - 1) / dw;
    int64_t last = (int64_t)a->iw - 1 - base; /* taps kx with kx*dw <= last */
    int64_t end = last < 0 ? 0 : last / dw + 1;
    if (end > (int64_t)a->kw) end = (int64_t)a->kw;
    *k0 = (size_t)first;
    *k1 = (size_t)(end > first ? end : first);
}

typedef void (*hc_dw_fn)(const hc_dw_args *a);
void hc_dw_row_scalar(const hc_dw_args *a);
void hc_dw_row_avx2(const hc_dw_args *a);
void hc_dw_row_avx512(const hc_dw_args *a);

/* ---- pooling row kernel ----------------------------------------------------------------- */

/* One output row of an NHWC pool: for x < ow, the window over the nrows valid input rows and
 * input columns [x0[x], x1[x]) (already clipped to the input). Max: the largest element;
 * avg: the sum divided by the count of valid elements (TF's AvgPool). Input and output are
 * fp16 when f16. */
typedef struct hc_pool_args {
    const void *const *rows;
    size_t nrows, c, ow;
    const int32_t *x0, *x1;
    void *out;
    bool f16, avg;
} hc_pool_args;

typedef void (*hc_pool_fn_row)(const hc_pool_args *a);
void hc_pool_row_scalar(const hc_pool_args *a);
void hc_pool_row_avx2(const hc_pool_args *a);
void hc_pool_row_avx512(const hc_pool_args *a);

/* ---- batch normalisation rows ----------------------------------------------------------- */

/* y[r][j] = (x[r][j] - mean[j]) * mul[j] + add[j] for r < rows, j < c (x, y fp16 when f16):
 * TensorFlow's order of operations, without fusing into an FMA. */
typedef struct hc_bn_args {
    const void *x;
    void *y;
    size_t rows, c;
    const float *mean, *mul, *add;
    bool f16;
} hc_bn_args;

typedef void (*hc_bn_fn)(const hc_bn_args *a);
void hc_bn_rows_scalar(const hc_bn_args *a);
void hc_bn_rows_avx2(const hc_bn_args *a);
void hc_bn_rows_avx512(const hc_bn_args *a);

/* Kernels of the family (entry points in their own files). */
hc_status hc_conv2d_prepare(hc_kernel_prep *p);
hc_status hc_conv2d_run(hc_kernel_ctx *k);
hc_status hc_depthwise_prepare(hc_kernel_prep *p);
hc_status hc_depthwise_run(hc_kernel_ctx *k);
hc_status hc_matmul_prepare(hc_kernel_prep *p);
hc_status hc_matmul_run(hc_kernel_ctx *k);
hc_status hc_batch_matmul_prepare(hc_kernel_prep *p);
hc_status hc_batch_matmul_run(hc_kernel_ctx *k);
hc_status hc_pool_prepare(hc_kernel_prep *p);
hc_status hc_pool_v2_prepare(hc_kernel_prep *p);
hc_status hc_pool_run_op(hc_kernel_ctx *k);
hc_status hc_batchnorm_prepare(hc_kernel_prep *p);
hc_status hc_batchnorm_run(hc_kernel_ctx *k);
#endif
