/* elementwise.h - internals shared by the files of the elementwise family (elementwise*.c):
 * the broadcast plan and its threaded walk over output ranges, operand staging (fp16 and
 * unaligned operands become aligned fp32 / integer chunks), and the microkernel signatures
 * with their per-ISA variants (elementwise_avx2.c, elementwise_avx512.c). Not installed. */
#ifndef HC_EXEC_CPU_ELEMENTWISE_H
#define HC_EXEC_CPU_ELEMENTWISE_H

#include "exec/exec.h"

/* Elements per staged chunk: small enough that a chunk of every operand stays in L1. */
#define HC_EW_CHUNK 512
/* Elements per thread below which more threads cost more than they save. */
#define HC_EW_GRAIN 32768

/* How a binary microkernel reads its operands over a run of n: both vary (VV), or b (VS) or
 * a (SV) is one value repeated. */
enum { HC_EW_VV = 0, HC_EW_VS = 1, HC_EW_SV = 2 };

/* Compute types: what microkernels see. float and half compute as fp32, double as double. */
typedef enum hc_ew_ct {
    HC_EW_F32 = 0,
    HC_EW_I32,
    HC_EW_I64,
    HC_EW_U8,
    HC_EW_F64, /* double: shape and image arithmetic in some graphs */
    HC_EW_NCT
} hc_ew_ct;

/* A binary microkernel: o[i] = f(a[i], b[i]) over n elements of its compute types, all
 * aligned to their element size. Returns false on a domain error (integer division by zero,
 * integer to a negative power); the output is then unspecified. */
typedef bool (*hc_ew_bin_fn)(const void *a, const void *b, void *o, size_t n, int mode);
/* A unary microkernel: y[i] = f(x[i]) with an optional attribute value (LeakyRelu alpha). */
typedef void (*hc_ew_un_fn)(const void *x, void *y, size_t n, float alpha);

/* The compute type a storage dtype maps to; HC_EW_NCT when none. */
hc_ew_ct hc_ew_ct_of(hc_dtype dt);

/* ---- broadcasting ----------------------------------------------------------------------- */

#define HC_EW_MAX_IN 3

/* Output shape of NumPy/TF broadcasting of n values; fails naming both shapes. */
hc_status hc_ew_broadcast_shape(hc_kernel_ctx *k, int n, const hc_val *const *v, int *rank,
                                int64_t *dims);

/* A broadcast plan: the output's dims with size-1 dims dropped and compatible neighbours
 * merged; per input an element stride for each dim (0 where it is broadcast). */
typedef struct hc_ew_plan {
    int rank;
    int64_t dims[HC_MAX_RANK];
    int n_in;
    int64_t stride[HC_EW_MAX_IN][HC_MAX_RANK];
    int64_t total;
    /* Binary plans only (hc_ew_plan_tile): input i repeats its first tile[i] elements along
     * the innermost dim (a per-channel operand merged with the rows it is added to). */
    int64_t tile[HC_EW_MAX_IN];
} hc_ew_plan;

void hc_ew_plan_init(hc_ew_plan *p, int n, const hc_val *const *v, int out_rank,
                     const int64_t *out_dims);

/* For a binary plan whose innermost dim is short (<= max_period) and one operand repeats it
 * along the next dim while the other is contiguous or a scalar: merge the two dims so runs are
 * long, marking the repeating operand tiled. */
void hc_ew_plan_tile(hc_ew_plan *p, int64_t max_period);

/* Called for each run of n output elements starting at out_off whose inputs start at
 * in_off[i] and advance by the plan's innermost strides (0 or 1). */
typedef void (*hc_ew_run_fn)(void *job, void *scratch, const int64_t *in_off, int64_t out_off,
                             int64_t n);

/* Walk output elements [begin, end) of the plan in runs. */
void hc_ew_walk(const hc_ew_plan *p, int64_t begin, int64_t end, hc_ew_run_fn fn, void *job,
                void *scratch);

/* Threads worth using for `total` elements of work costing `cost` units each (1 = an add). */
int hc_ew_threads(const hc_kernel_ctx *k, int64_t total, int cost);

/* ---- operand staging -------------------------------------------------------------------- */

/* Elements [off, off + n) of a value as an aligned array of its compute type: the value's own
 * memory when it is aligned and needs no conversion, else converted/copied into buf (room
 * for HC_EW_CHUNK elements of 8 bytes). */
const void *hc_ew_load(const hc_cpu *cpu, const void *data, hc_dtype dt, int64_t off, size_t n,
                       void *buf);
/* Store n computed elements (compute type of dt) from src into data at element off, converting
 * fp32 to fp16 when dt is half. src == the destination is a no-op. */
void hc_ew_store(const hc_cpu *cpu, void *data, hc_dtype dt, int64_t off, const void *src,
                 size_t n);
/* Where a microkernel may write elements [off, off + n) of an output directly (float, ints,
 * bool); NULL when it must compute into a buffer and store (half). */
void *hc_ew_direct(void *data, hc_dtype dt, int64_t off);

/* n integer or bool elements (int32, int64, uint8, int8, uint16, int16, bool as 0/1) from
 * possibly unaligned memory as int64. */
void hc_ew_read_i64(const void *src, hc_dtype dt, int64_t *dst, size_t n);

/* ---- kernels defined in the family's other files, listed in elementwise.c's table -------- */

/* clang-format off */
#define HC_EW_UNARY_OPS(X) \
    X(Abs) \
    X(Ceil) \
    X(Elu) \
    X(Erf) \
    X(Exp) \
    X(Expm1) \
    X(Floor) \
    X(Inv) \
    X(IsFinite) \
    X(IsInf) \
    X(IsNan) \
    X(LeakyRelu) \
    X(Log) \
    X(Log1p) \
    X(LogicalNot) \
    X(Neg) \
    X(Reciprocal) \
    X(Relu) \
    X(Relu6) \
    X(Round) \
    X(Rsqrt) \
    X(Selu) \
    X(Sigmoid) \
    X(Sign) \
    X(Softplus) \
    X(Softsign) \
    X(Sqrt) \
    X(Square) \
    X(Tanh)
/* clang-format on */
#define HC_EW_DECL_UNARY(op)                                                                       \
    hc_status hc_ew_prep_##op(hc_kernel_prep *p);                                                  \
    hc_status hc_ew_run_##op(hc_kernel_ctx *k);
HC_EW_UNARY_OPS(HC_EW_DECL_UNARY)

hc_status hc_ew_prep_cast(hc_kernel_prep *p);
hc_status hc_ew_run_cast(hc_kernel_ctx *k);
hc_status hc_ew_run_zeros_like(hc_kernel_ctx *k);
hc_status hc_ew_run_ones_like(hc_kernel_ctx *k);
hc_status hc_ew_run_select(hc_kernel_ctx *k);
hc_status hc_ew_run_select_v2(hc_kernel_ctx *k);
hc_status hc_ew_run_add_n(hc_kernel_ctx *k);
hc_status hc_ew_run_clip(hc_kernel_ctx *k);
hc_status hc_ew_prep_softmax(hc_kernel_prep *p);
hc_status hc_ew_run_softmax(hc_kernel_ctx *k);
hc_status hc_ew_run_log_softmax(hc_kernel_ctx *k);

/* Scalar references the SIMD variants are tested against (and fall back to). */
void hc_ew_softmax_row_scalar(const float *x, float *y, size_t n, bool logsm);
float hc_ew_exp_scalar(float x);
float hc_ew_sigmoid_scalar(float x);

/* ---- per-ISA microkernels (call only when k->cpu says so) ------------------------------- */

#define HC_EW_SIMD_BINARY(X) X(add) X(sub) X(mul) X(div) X(max) X(min) X(sqdiff)
#define HC_EW_SIMD_UNARY(X)  X(relu) X(relu6) X(leaky) X(exp) X(sigmoid)

#define HC_EW_DECL_SIMD(isa)                                                                       \
    HC_EW_SIMD_BINARY(HC_EW_DECL_SIMD_BIN_##isa)                                                   \
    HC_EW_SIMD_UNARY(HC_EW_DECL_SIMD_UN_##isa)                                                     \
    void hc_ew_softmax_row_##isa(const float *x, float *y, size_t n, bool logsm);
#define HC_EW_DECL_SIMD_BIN_avx2(op)                                                               \
    bool hc_ew_##op##_f32_avx2(const void *a, const void *b, void *o, size_t n, int mode);
#define HC_EW_DECL_SIMD_UN_avx2(op)                                                                \
    void hc_ew_##op##_f32_avx2(const void *x, void *y, size_t n, float alpha);
#define HC_EW_DECL_SIMD_BIN_avx512(op)                                                             \
    bool hc_ew_##op##_f32_avx512(const void *a, const void *b, void *o, size_t n, int mode);
#define HC_EW_DECL_SIMD_UN_avx512(op)                                                              \
    void hc_ew_##op##_f32_avx512(const void *x, void *y, size_t n, float alpha);
HC_EW_DECL_SIMD(avx2)
HC_EW_DECL_SIMD(avx512)

#endif
