/* kernel.h - what a CPU kernel sees. A kernel runs one node: it reads its data inputs
 * (hc_val views), makes its outputs through hc_k_alloc / hc_k_forward / hc_k_view, and reports
 * errors through hc_k_fail (the message names the node). Kernels are grouped one file per op
 * family (src/exec/cpu/<family>.c); each family exports a table sorted by op name, and
 * src/exec/cpu/families.def lists the families.
 *
 * Rules for kernels
 *   - fp32 kernels compute in fp32; fp16 (HC_DT_HALF) kernels store fp16 and accumulate in fp32
 *     (F16C conversions). A dtype a kernel does not handle is refused in prepare (at load) or
 *     with HC_UNSUPPORTED at run time - never a stub.
 *   - Every SIMD path has a scalar reference it is tested against; SIMD variants are chosen at
 *     run time from k->cpu (avx512 / avx2), never at compile time.
 *   - Work is split over output ranges (k->pool, hc_pool_run) so results do not depend on the
 *     number of threads.
 *   - Inputs may be unaligned views into the mapped model (weights): read them with unaligned
 *     loads (hc_ld_*, _mm*_loadu_*). Outputs from hc_k_alloc are 64-byte aligned.
 *   - Never abort; validate shapes and attributes from the file and fail with a message. */
#ifndef HC_EXEC_KERNEL_H
#define HC_EXEC_KERNEL_H

#include "base/arena.h"
#include "base/pool.h"
#include "graph/graph.h"

typedef struct hc_session hc_session;
typedef struct hc_rtbuf hc_rtbuf;
typedef struct hc_slab hc_slab;

/* A reference-counted runtime object held by a RESOURCE or VARIANT scalar (TensorArray,
 * TensorList). destroy() runs when the last reference goes. */
typedef struct hc_object {
    int32_t refs;
    void (*destroy)(struct hc_object *o, hc_session *s);
} hc_object;

/* A runtime value: dtype, shape and data. data is NULL for empty tensors. buf owns data when
 * non-NULL (reference counted); a NULL buf means the data is borrowed (model weights). */
typedef struct hc_val {
    hc_dtype dtype;
    int32_t rank;
    int64_t dims[HC_MAX_RANK];
    void *data;
    hc_rtbuf *buf;
    hc_object *obj; /* for RESOURCE / VARIANT scalars */
} hc_val;

/* Element count (dims product) of a value. */
int64_t hc_val_elems(const hc_val *v);
size_t hc_val_bytes(const hc_val *v);

typedef struct hc_kernel_prep {
    hc_ctx *ctx;
    const hc_graph *g;
    const hc_node *node;
    hc_arena *arena; /* lives as long as the session: put per-node state here */
    const hc_cpu *cpu;
    void *state; /* out: kernel state for this node (NULL when none) */
} hc_kernel_prep;

/* A bias and activation the executor folded into this node (a Conv2D/Depthwise/MatMul that
 * feeds only a BiasAdd, itself feeding only a Relu/Relu6): the kernel applies
 * y = act(y + bias[channel]) to its output, which is then what the BiasAdd/Relu produce. */
enum { HC_ACT_NONE = 0, HC_ACT_RELU = 1, HC_ACT_RELU6 = 2 };
typedef struct hc_epilogue {
    const float *bias; /* one per output channel (fp32, converted at load) */
    int64_t channels;
    int act;
} hc_epilogue;

typedef struct hc_kernel_ctx {
    hc_session *s;
    hc_ctx *ctx;
    const hc_node *node;
    void *state;   /* from prepare */
    uint32_t n_in; /* data inputs */
    const hc_val *in;
    uint32_t n_out; /* output ports */
    hc_val *out;    /* zeroed on entry; the kernel sets every output */
    hc_pool *pool;  /* may be NULL: run serially */
    const hc_cpu *cpu;
    const hc_epilogue *epi; /* NULL unless the kernel has HC_KF_EPILOGUE and one was folded */
} hc_kernel_ctx;

enum { HC_KF_EPILOGUE = 1u << 0 /* the kernel applies hc_kernel_ctx.epi (NHWC output) */ };

typedef struct hc_kernel {
    const char *op;
    hc_status (*prepare)(hc_kernel_prep *p); /* optional: parse attributes once, check dtypes */
    hc_status (*run)(hc_kernel_ctx *k);
    uint32_t flags;
} hc_kernel;

/* Allocate output `out` (64-byte aligned, uninitialised) with this dtype and shape. */
hc_status hc_k_alloc(hc_kernel_ctx *k, uint32_t out, hc_dtype dt, int rank, const int64_t *dims);
/* Like hc_k_alloc, but when `cand` (one of the kernel's inputs) is held by nobody else and has
 * the same byte size, its buffer becomes the output: the kernel then writes in place. Only for
 * kernels that read element i before writing element i at the same position. */
hc_status hc_k_alloc_reuse(hc_kernel_ctx *k, uint32_t out, const hc_val *cand, hc_dtype dt,
                           int rank, const int64_t *dims);
/* Output `out` is input `in` (shared, no copy). */
void hc_k_forward(hc_kernel_ctx *k, uint32_t out, uint32_t in);
/* Output `out` is input `in` with another shape of the same element count (no copy). */
hc_status hc_k_view(hc_kernel_ctx *k, uint32_t out, uint32_t in, int rank, const int64_t *dims);
/* Output `out` holds object o (the output takes a reference; dtype RESOURCE or VARIANT). */
void hc_k_set_object(hc_kernel_ctx *k, uint32_t out, hc_dtype dt, hc_object *o);
/* Record an error naming the node: "node 'X' (Op): message". Returns s. */
hc_status hc_k_fail(hc_kernel_ctx *k, hc_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
hc_status hc_kp_fail(hc_kernel_prep *p, hc_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Value references for kernels that keep values (TensorArray, TensorList). */
void hc_val_retain(const hc_val *v);
void hc_val_release(hc_session *s, hc_val *v);
/* A deep copy of v into a new buffer owned by the session. */
hc_status hc_val_copy(hc_session *s, const hc_val *v, hc_val *out);
/* Scratch memory for a kernel (64-byte aligned), released by hc_k_scratch_free. */
void *hc_k_scratch(hc_kernel_ctx *k, size_t bytes);
void hc_k_scratch_free(hc_kernel_ctx *k, void *p);

/* Attribute helpers for prepare/run. */
bool hc_k_attr_ints(const hc_node *n, const char *name, const int64_t **v, size_t *count);
bool hc_k_attr_str(const hc_node *n, const char *name, hc_span *out);
bool hc_k_attr_bool(const hc_node *n, const char *name, bool def);
float hc_k_attr_float(const hc_node *n, const char *name, float def);
int64_t hc_k_attr_int(const hc_node *n, const char *name, int64_t def);
hc_dtype hc_k_attr_type(const hc_node *n, const char *name, hc_dtype def);

/* Integer input values (int32 or int64) as int64, e.g. shapes, axes, sizes. */
bool hc_k_int_at(const hc_val *v, int64_t i, int64_t *out);
/* Element i of a float-like value (float, half, double, ints) as float. */
float hc_k_f32_at(const hc_val *v, int64_t i);
#endif
