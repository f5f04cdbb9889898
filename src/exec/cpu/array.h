/* array.h - private to the array family (src/exec/cpu/array*.c): the strided copy engine that
 * most data-movement kernels reduce to, helpers that read index inputs, run work on the pool
 * and report errors, and the kernels each array_*.c file contributes to hc_kernels_array.
 *
 * Every kernel here moves elements by size (1, 2, 4, 8 or 16 bytes), so it works for any dtype
 * with a fixed element size (float, half, bfloat16, double, all integers, bool, quantized,
 * complex); strings, resources and variants are refused with HC_UNSUPPORTED. */
#ifndef HC_EXEC_CPU_ARRAY_H
#define HC_EXEC_CPU_ARRAY_H

#include "exec/exec.h"

/* The copy engine takes up to twice the tensor rank (Tile, SpaceToBatchND split each axis). */
#define ARR_MAX_RANK (2 * HC_MAX_RANK)

/* A bound on sizes read from the graph (paddings, blocks): far beyond any tensor that fits in
 * memory, small enough that sums and products of a few of them stay inside int64. */
#define ARR_MAX_DIM ((int64_t)1 << 40)

/* Below this many output bytes a kernel runs on one thread: the pool's wake-up costs more. */
#define ARR_PAR_BYTES ((size_t)1 << 17)

/* dst (contiguous, row-major over dims) [i] = src[sum_d idx_d * st_d]. Strides are in elements
 * and may be negative (Reverse) or zero (broadcast); src points at output index 0's source. */
typedef struct hc_arr_copy {
    int rank;
    int64_t dims[ARR_MAX_RANK];
    int64_t st[ARR_MAX_RANK];
    size_t esz;
    const uint8_t *src;
    uint8_t *dst;
    bool avx2; /* set by hc_arr_copy_run from k->cpu */
} hc_arr_copy;

/* Run the copy, split over output rows on k's pool (results do not depend on the thread
 * count). Simplifies c in place (drops size-1 axes, merges contiguous ones); a 2-D transpose
 * at the innermost axes takes a cache-blocked path (AVX2 8x8 blocks for 4-byte elements when
 * k->cpu has AVX2; k->cpu may be NULL: scalar). */
void hc_arr_copy_run(hc_kernel_ctx *k, hc_arr_copy *c);
/* The scalar reference for the engine: one element at a time, no simplification. Exposed for
 * tests of the engine's fast paths. */
void hc_arr_copy_ref(const hc_arr_copy *c);

/* Run fn(arg, begin, end) over [0, units) split on k's pool; one thread when bytes is below
 * ARR_PAR_BYTES or there is only one unit. */
typedef void (*hc_arr_range_fn)(void *arg, size_t begin, size_t end);
void hc_arr_parallel(hc_kernel_ctx *k, size_t units, size_t bytes, hc_arr_range_fn fn, void *arg);

/* Fill n elements of esz bytes at dst with the element at val. */
void hc_arr_fill(void *dst, const void *val, size_t esz, size_t n);

/* Element size of input i for data movement; fails (naming the dtype) when it has none. */
hc_status hc_arr_esz(hc_kernel_ctx *k, uint32_t i, size_t *esz);
/* Check the node has at least n data inputs. */
hc_status hc_arr_need_inputs(hc_kernel_ctx *k, uint32_t n);

/* Integer element i of an index-like value: int32, int64, int16, int8, uint8, uint16. */
bool hc_arr_index_at(const hc_val *v, int64_t i, int64_t *out);
/* Input i as a vector of at most max integers (int32/int64; a scalar counts as one value when
 * allow_scalar). *n receives the count. */
hc_status hc_arr_int_vec(hc_kernel_ctx *k, uint32_t i, const char *what, bool allow_scalar,
                         int64_t *out, int64_t max, int64_t *n);
/* Input i as one integer: a scalar or any one-element tensor (TF's legacy vectors). */
hc_status hc_arr_int_scalar(hc_kernel_ctx *k, uint32_t i, const char *what, int64_t *out);
/* Normalise axis a in [-n, n) to [0, n); fails naming `what` otherwise. */
hc_status hc_arr_axis(hc_kernel_ctx *k, int64_t a, int64_t n, const char *what, int *out);
/* "[2,3,4]" into buf, for messages. */
const char *hc_arr_dims_str(char *buf, size_t n, int rank, const int64_t *dims);

/* Kernels, grouped by file. */
/* array_concat.c */
hc_status hc_arr_concat(hc_kernel_ctx *k);
hc_status hc_arr_concat_v2(hc_kernel_ctx *k);
hc_status hc_arr_pack(hc_kernel_ctx *k);
hc_status hc_arr_unpack(hc_kernel_ctx *k);
hc_status hc_arr_split(hc_kernel_ctx *k);
hc_status hc_arr_split_v(hc_kernel_ctx *k);
/* array_slice.c */
hc_status hc_arr_slice(hc_kernel_ctx *k);
hc_status hc_arr_strided_slice_prepare(hc_kernel_prep *p);
hc_status hc_arr_strided_slice(hc_kernel_ctx *k);
/* array_shuffle.c */
hc_status hc_arr_transpose(hc_kernel_ctx *k);
hc_status hc_arr_tile(hc_kernel_ctx *k);
hc_status hc_arr_broadcast_to(hc_kernel_ctx *k);
hc_status hc_arr_reverse(hc_kernel_ctx *k);
hc_status hc_arr_reverse_v2(hc_kernel_ctx *k);
hc_status hc_arr_depth_to_space(hc_kernel_ctx *k);
hc_status hc_arr_space_to_depth(hc_kernel_ctx *k);
hc_status hc_arr_block_prepare(hc_kernel_prep *p);
/* array_gather.c */
hc_status hc_arr_gather(hc_kernel_ctx *k);
hc_status hc_arr_gather_v2(hc_kernel_ctx *k);
hc_status hc_arr_gather_nd(hc_kernel_ctx *k);
hc_status hc_arr_one_hot(hc_kernel_ctx *k);
hc_status hc_arr_where(hc_kernel_ctx *k);
/* array_pad.c */
hc_status hc_arr_pad(hc_kernel_ctx *k);
hc_status hc_arr_pad_v2(hc_kernel_ctx *k);
hc_status hc_arr_mirror_pad_prepare(hc_kernel_prep *p);
hc_status hc_arr_mirror_pad(hc_kernel_ctx *k);
hc_status hc_arr_space_to_batch(hc_kernel_ctx *k);
hc_status hc_arr_batch_to_space(hc_kernel_ctx *k);
/* array_dequant.c */
hc_status hc_arr_dequantize_prepare(hc_kernel_prep *p);
hc_status hc_arr_dequantize(hc_kernel_ctx *k);
/* array_avx2.c: y[i] = (float)x[i] * scale + offset, multiply then add (never fused). */
void hc_arr_dequant_u8_avx2(const uint8_t *x, float *y, size_t n, float scale, float offset);
/* array_avx2.c: one transpose tile of 4-byte elements, d[a*B + b] = s[(a + b*sb) * 4 bytes]
 * for a < na, b < nb, in 8x8 register blocks (edges one at a time). */
void hc_arr_tile4_avx2(uint8_t *d, const uint8_t *s, int64_t na, int64_t nb, int64_t B, int64_t sb);
#endif
