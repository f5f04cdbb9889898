/* detect.h - private interface of the detect family (detect.c holds the table): non-max
 * suppression (nms.c), top-k (topk.c), image resizes (resize.c, resize_avx2.c) and
 * CropAndResize (crop.c), with the small helpers they share. */
#ifndef HC_EXEC_CPU_DETECT_H
#define HC_EXEC_CPU_DETECT_H

#include "exec/exec.h"

/* hc_k_fail whose value is visibly the status (so static analysis sees a failure). */
#ifndef HC_KFAIL
#define HC_KFAIL(k, st, ...) ((void)hc_k_fail((k), (st), __VA_ARGS__), (hc_status)(st))
#endif

/* Kernels (prepare/run pairs as listed in detect.c). */
hc_status hc_detect_nms_prepare(hc_kernel_prep *p);
hc_status hc_detect_nms_run(hc_kernel_ctx *k);
hc_status hc_detect_topk_prepare(hc_kernel_prep *p);
hc_status hc_detect_topk_run(hc_kernel_ctx *k);
hc_status hc_detect_resize_prepare(hc_kernel_prep *p);
hc_status hc_detect_bilinear_run(hc_kernel_ctx *k);
hc_status hc_detect_nearest_run(hc_kernel_ctx *k);
hc_status hc_detect_crop_prepare(hc_kernel_prep *p);
hc_status hc_detect_crop_run(hc_kernel_ctx *k);

/* True for the dtypes the image kernels read (TensorFlow's image types). */
bool hc_detect_image_dtype(hc_dtype dt);
/* n elements of an image dtype as float, as static_cast<float> does (src may be unaligned). */
void hc_detect_to_f32(hc_dtype dt, const void *src, size_t n, float *dst);
/* Elements of work per thread below which another thread costs more than it saves. */
#define HC_DETECT_GRAIN 16384
/* The threads to run `work` elements on: the pool's size, fewer for small work, 1 without a
 * pool. Kernels size per-thread scratch by it; results never depend on it. */
int hc_detect_threads(const hc_kernel_ctx *k, size_t work);

/* Bilinear row passes (resize.c, scalar; resize_avx2.c, AVX2 for the vertical one). All round
 * every product and sum to float in TensorFlow's order, so they give identical bits:
 *   horizontal: out[i] = src[lo[i]] + (src[hi[i]] - src[lo[i]]) * lerp[i]
 *   vertical:   out[i] = top[i] + (bot[i] - top[i]) * lerp */
void hc_detect_hlerp_scalar(const float *src, const int32_t *lo, const int32_t *hi,
                            const float *lerp, size_t n, float *out);
void hc_detect_vlerp_scalar(const float *top, const float *bot, float lerp, size_t n, float *out);
void hc_detect_vlerp_avx2(const float *top, const float *bot, float lerp, size_t n, float *out);
#endif
