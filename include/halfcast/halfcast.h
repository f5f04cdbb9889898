/* halfcast.h - the public C API of libhalfcast.
 *
 * libhalfcast reads a trained network (TensorFlow GraphDef, binary or text), converts it to
 * fp16 with every edge type-correct, checks it, writes it back, and runs it on the CPU.
 *
 * Conventions
 *   - Every fallible function returns hc_status; results go out through pointer parameters.
 *   - Error detail (message naming the file, the node and the cause) lives in the hc_ctx the
 *     caller passed; the first error wins until hc_ctx_clear().
 *   - Objects made by *_new / *_open are owned by the caller and released with the matching
 *     *_free; every *_free accepts NULL.
 *   - A hc_ctx is used by one thread at a time. Models are immutable after load and may be
 *     shared by threads; sessions may not.
 *   - The library never aborts or exits on bad input and never modifies its input file.
 */
#ifndef HALFCAST_H
#define HALFCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HC_VERSION_STRING "0.1.0"

/* Status codes: a primary code in the low 8 bits, an optional sub-code above. */
typedef enum hc_status {
    HC_OK = 0,
    HC_NOMEM = 1,       /* an allocation failed */
    HC_IO = 2,          /* a file could not be read, mapped or written */
    HC_MALFORMED = 3,   /* the input bytes are not a valid model */
    HC_UNSUPPORTED = 4, /* valid, but not something halfcast handles (op, dtype, construct) */
    HC_TYPE = 5,        /* an edge joins two dtypes, or a dtype is not allowed */
    HC_LIMIT = 6,       /* a size, depth or count limit was exceeded */
    HC_INVALID = 7,     /* a bad argument from the caller (name, shape, option) */
    HC_NOT_FOUND = 8,   /* a named node, input or output does not exist */
    HC_CHECK = 9        /* a check ran and found problems (see the report) */
} hc_status;

#define HC_STATUS_PRIMARY(s) ((hc_status)((unsigned)(s)&0xffu))

/* Element types. The numeric values are TensorFlow's DataType numbers. */
typedef enum hc_dtype {
    HC_DT_INVALID = 0,
    HC_DT_FLOAT = 1,
    HC_DT_DOUBLE = 2,
    HC_DT_INT32 = 3,
    HC_DT_UINT8 = 4,
    HC_DT_INT16 = 5,
    HC_DT_INT8 = 6,
    HC_DT_STRING = 7,
    HC_DT_COMPLEX64 = 8,
    HC_DT_INT64 = 9,
    HC_DT_BOOL = 10,
    HC_DT_QINT8 = 11,
    HC_DT_QUINT8 = 12,
    HC_DT_QINT32 = 13,
    HC_DT_BFLOAT16 = 14,
    HC_DT_QINT16 = 15,
    HC_DT_QUINT16 = 16,
    HC_DT_UINT16 = 17,
    HC_DT_COMPLEX128 = 18,
    HC_DT_HALF = 19,
    HC_DT_RESOURCE = 20,
    HC_DT_VARIANT = 21,
    HC_DT_UINT32 = 22,
    HC_DT_UINT64 = 23,
    HC_DT_COUNT = 24
} hc_dtype;

/* "float", "half", "int32", ... ("invalid" for out-of-range values). Never NULL. */
const char *hc_dtype_name(hc_dtype dt);
/* Bytes per element; 0 for variable-size or unknown types (string, resource, variant). */
size_t hc_dtype_size(hc_dtype dt);
/* A static string naming the primary code of s ("malformed input", ...). Never NULL. */
const char *hc_status_name(hc_status s);

/* ---------------------------------------------------------------------------------------- */
/* Context: error detail, allocator, threads, progress.                                      */

typedef struct hc_ctx hc_ctx;

/* An allocator hook for every large or long-lived allocation the library makes. */
typedef struct hc_allocator {
    void *(*alloc)(void *user, size_t size); /* returns NULL on failure */
    void (*free)(void *user, void *ptr);     /* ptr may be NULL */
    void *user;
} hc_allocator;

/* Progress of long work: stage names the step, fraction is 0..1. Called from the thread that
 * called into the library. */
typedef void (*hc_progress_fn)(void *user, const char *stage, double fraction);

/* Make a context. Returns HC_NOMEM if it cannot be allocated (*out is then NULL). */
hc_status hc_ctx_new(hc_ctx **out);
void hc_ctx_free(hc_ctx *ctx);
/* The first recorded error as one line: "FILE: node 'NAME': cause", or "" when none.
 * Borrowed; valid until the next call that records or clears an error. */
const char *hc_ctx_message(const hc_ctx *ctx);
/* The status of the first recorded error, HC_OK when none. */
hc_status hc_ctx_status(const hc_ctx *ctx);
/* The library source location that detected the first error ("src/pb/wire.c:123"), or "". */
const char *hc_ctx_where(const hc_ctx *ctx);
/* Forget the recorded error. */
void hc_ctx_clear(hc_ctx *ctx);
/* Use a custom allocator (copied). NULL restores malloc/free. Set before making objects. */
void hc_ctx_set_allocator(hc_ctx *ctx, const hc_allocator *a);
/* Worker threads for kernels (0 = one per online CPU). Results do not depend on it. */
void hc_ctx_set_threads(hc_ctx *ctx, int threads);
void hc_ctx_set_progress(hc_ctx *ctx, hc_progress_fn fn, void *user);
/* fsync files before renaming them into place (durable across a power loss; slower). The
 * rename alone already makes writes atomic. Default off. */
void hc_ctx_set_sync(hc_ctx *ctx, bool sync);

/* ---------------------------------------------------------------------------------------- */
/* Models.                                                                                    */

typedef struct hc_model hc_model;

typedef enum hc_format {
    HC_FORMAT_AUTO = 0, /* detect from content when reading; keep the input's when writing */
    HC_FORMAT_PB = 1,   /* binary GraphDef */
    HC_FORMAT_PBTXT = 2 /* text-format GraphDef */
} hc_format;

/* Open a model file. Binary files are mapped read-only and used in place: weights are views
 * into the mapping, which lives as long as the model. The format is detected from content.
 * Returns HC_IO, HC_MALFORMED, HC_LIMIT or HC_NOMEM with detail in ctx. */
hc_status hc_model_open(hc_ctx *ctx, const char *path, hc_model **out);
/* Same from memory. data is borrowed and must outlive the model; name is used in messages. */
hc_status hc_model_open_memory(hc_ctx *ctx, const void *data, size_t size, const char *name,
                               hc_model **out);
void hc_model_free(hc_model *m);

/* Write the model atomically (temporary file in the same folder, then rename). Refuses to
 * write over the file the model was read from (HC_INVALID). Same model, same bytes. */
hc_status hc_model_save(hc_ctx *ctx, const hc_model *m, const char *path, hc_format fmt);
/* Serialize to a buffer the caller releases with hc_free(ctx, *data). */
hc_status hc_model_serialize(hc_ctx *ctx, const hc_model *m, hc_format fmt, void **data,
                             size_t *size);
void hc_free(hc_ctx *ctx, void *p);

/* The format the model was read in. */
hc_format hc_model_format(const hc_model *m);
size_t hc_model_node_count(const hc_model *m);

/* A graph input or output. Strings and dims are borrowed from the model. rank is -1 when the
 * rank is unknown; a dim of -1 is unknown. */
typedef struct hc_io_info {
    const char *name;
    hc_dtype dtype;
    int rank;
    const int64_t *dims;
} hc_io_info;

/* Inputs are the Placeholder nodes; outputs are the nodes nothing consumes (or the names the
 * caller set when converting with outputs). Index order is the file's node order. */
size_t hc_model_input_count(const hc_model *m);
size_t hc_model_output_count(const hc_model *m);
hc_status hc_model_input(const hc_model *m, size_t i, hc_io_info *info);
hc_status hc_model_output(const hc_model *m, size_t i, hc_io_info *info);

/* ---------------------------------------------------------------------------------------- */
/* Conversion to fp16.                                                                        */

typedef struct hc_convert_options {
    /* Keep these in fp32: op types ("Exp"), node names, or globs over node names with '*'
     * and '?'. Borrowed for the duration of the call. */
    const char *const *keep_fp32;
    size_t n_keep_fp32;
    /* When set, nodes not needed to compute these outputs ("name" or "name:port") are
     * dropped, and these become the graph outputs. */
    const char *const *outputs;
    size_t n_outputs;
    /* Graph inputs and outputs become fp16 where their class is fp16 (no boundary casts).
     * Default false: inputs and outputs keep their dtypes. */
    bool io_fp16;
    /* Store float weights (constants of 64 values or more) as fp16 but compute in fp32: a Cast
     * after each. Smaller constants stay fp32: scalars such as quantization ranges move every
     * value computed from them when rounded. */
    bool storage_only;
} hc_convert_options;

void hc_convert_options_init(hc_convert_options *o);

typedef struct hc_convert_stats {
    size_t nodes;               /* nodes in the output */
    size_t classes_fp16;        /* float type classes lowered to fp16 */
    size_t classes_fp32;        /* float type classes kept in fp32 */
    size_t casts_added;         /* Cast nodes inserted */
    size_t consts_fp16;         /* float constants stored as fp16 */
    size_t consts_repacked;     /* half_val constants rewritten as packed bytes */
    size_t consts_duplicated;   /* constants shared by fp16 and fp32 consumers, split in two */
    size_t batchnorm_rewritten; /* FusedBatchNorm V1 rewritten to V3 (T=half, U=float) */
    size_t consts_repaired;     /* constants whose value dtype disagreed with their dtype attr,
                                   rewritten in the attr's dtype (TensorFlow rejects them) */
    uint64_t values_overflow;   /* finite fp32 values beyond fp16 range (became +-inf) */
    uint64_t values_underflow;  /* nonzero fp32 values that became zero in fp16 */
    uint64_t values_subnormal;  /* values stored as fp16 subnormals (precision lost) */
    uint64_t bytes_in;          /* serialized size of the input */
    uint64_t bytes_out;         /* serialized size of the output */
} hc_convert_stats;

/* Convert in to a new fp16 model in *out (owned by the caller). The result is checked with
 * hc_check before it is returned; a conversion that would fail the check returns HC_CHECK.
 * stats may be NULL. in is not modified. */
hc_status hc_convert(hc_ctx *ctx, const hc_model *in, const hc_convert_options *opts,
                     hc_model **out, hc_convert_stats *stats);

/* A precision plan: for every node, fp16 or fp32 and why. */
typedef struct hc_plan hc_plan;

typedef enum hc_precision {
    HC_PREC_NONE = 0, /* the node has no float type variable */
    HC_PREC_FP16 = 1,
    HC_PREC_FP32 = 2,
    HC_PREC_MIXED = 3 /* some float type variables fp16, others fp32 (e.g. BatchNorm T/U) */
} hc_precision;

typedef struct hc_plan_node {
    const char *name; /* borrowed from the plan */
    const char *op;   /* borrowed from the plan */
    hc_precision precision;
    const char *reason; /* why; never NULL for fp32 float nodes */
} hc_plan_node;

hc_status hc_plan_new(hc_ctx *ctx, const hc_model *m, const hc_convert_options *opts,
                      hc_plan **out);
void hc_plan_free(hc_plan *p);
size_t hc_plan_node_count(const hc_plan *p);
hc_status hc_plan_node_info(const hc_plan *p, size_t i, hc_plan_node *info);

/* ---------------------------------------------------------------------------------------- */
/* Checking.                                                                                  */

typedef struct hc_check_report hc_check_report;

/* Re-type every node from the op tables. Returns HC_OK when the graph is clean, HC_CHECK
 * when problems were found (listed in *report, which is set in both cases), or another code
 * when the check could not run. */
hc_status hc_check(hc_ctx *ctx, const hc_model *m, hc_check_report **report);
void hc_check_report_free(hc_check_report *r);
size_t hc_check_report_count(const hc_check_report *r);
/* One line per problem: "node 'NAME' (Op): cause". Borrowed from the report. */
const char *hc_check_report_item(const hc_check_report *r, size_t i);
/* Nodes whose op halfcast does not know: their own ports could not be checked. */
size_t hc_check_report_unchecked(const hc_check_report *r);

/* ---------------------------------------------------------------------------------------- */
/* Running a model.                                                                           */

typedef struct hc_session hc_session;

typedef struct hc_session_options {
    /* Outputs to compute ("name" or "name:port"); none: the model's outputs. Borrowed. */
    const char *const *outputs;
    size_t n_outputs;
} hc_session_options;

/* A tensor handed in or out. Inputs are borrowed until hc_session_run returns; outputs are
 * owned by the session and valid until the next run or hc_session_free. rank <= 8. */
typedef struct hc_tensor {
    hc_dtype dtype;
    int rank;
    int64_t dims[8];
    const void *data;
} hc_tensor;

/* Prepare a model for running: weights are used in place from the model (no copies), every
 * needed op must have a kernel (HC_UNSUPPORTED names the op and node otherwise). The model
 * must outlive the session. */
hc_status hc_session_new(hc_ctx *ctx, const hc_model *m, const hc_session_options *opts,
                         hc_session **out);
void hc_session_free(hc_session *s);
size_t hc_session_input_count(const hc_session *s);
size_t hc_session_output_count(const hc_session *s);
/* Input i's name, dtype and (possibly partly unknown) shape. */
hc_status hc_session_input_info(const hc_session *s, size_t i, hc_io_info *info);
const char *hc_session_output_name(const hc_session *s, size_t i);
/* Set an input by name. The dtype must match; known dims must match. */
hc_status hc_session_set_input(hc_session *s, const char *name, const hc_tensor *t);
hc_status hc_session_run(hc_session *s);
hc_status hc_session_output(const hc_session *s, size_t i, hc_tensor *t);
/* Peak bytes of tensor memory the session held, and nodes executed by the last run. */
size_t hc_session_peak_bytes(const hc_session *s);
uint64_t hc_session_nodes_run(const hc_session *s);

#ifdef __cplusplus
}
#endif
#endif /* HALFCAST_H */
