/* ops.h - op facts as data: for every op, its ports, type attributes with the dtypes they
 * allow, fixed-type ports, precision class with a reason, and the structural flags the
 * typed graph needs (identity-like, control flow, TensorArray/TensorList handles).
 * One table drives the planner, `check`, `inspect --ops`, the docs and the tests.
 * An op missing from the table is "unknown op" and stays fp32. */
#ifndef HC_OPS_OPS_H
#define HC_OPS_OPS_H

#include "halfcast/halfcast.h"
#include "base/util.h"

/* Precision classes, as in TensorFlow's auto-mixed-precision lists:
 *   ALLOW  - always worth running in fp16 and numerically safe (conv, matmul);
 *   INFER  - fp16 when between fp16 ops and not downstream of a DENY op (add, mul, bias);
 *   CLEAR  - follows its neighbours, no numeric effect (reshape, concat, relu, maxpool);
 *   DENY   - keep fp32 (exp, sums, NMS); poisons INFER ops downstream;
 *   NONE   - no float type attribute to decide (shape ops, integer ops). */
typedef enum hc_opcls {
    HC_OPCLS_NONE = 0,
    HC_OPCLS_ALLOW,
    HC_OPCLS_INFER,
    HC_OPCLS_CLEAR,
    HC_OPCLS_DENY
} hc_opcls;

/* Structural flags. */
enum {
    HC_OPF_IDENTITY = 1u << 0, /* outputs forward input 0 (Identity, Enter, Exit, Switch ...) */
    HC_OPF_CF = 1u << 1,     /* TF1 control flow: Enter Exit Merge Switch NextIteration LoopCond */
    HC_OPF_SOURCE = 1u << 2, /* no data inputs: Const, Placeholder */
    HC_OPF_STATEFUL = 1u << 3,  /* must not be folded or pruned as a constant */
    HC_OPF_ANY_INPUT = 1u << 4, /* ready on any one input (Merge) */
    HC_OPF_CONST = 1u << 5,     /* the Const op: value attr typed by dtype */
    HC_OPF_HANDLE_IN = 1u << 6, /* input 0 is a TensorArray/TensorList handle */
    HC_OPF_HANDLE_OUT = 1u << 7 /* output 0 is a TensorArray/TensorList handle */
};

#define HC_OP_MAX_ARGS   8
#define HC_OP_MAX_TATTRS 4

/* A port. type is one of:
 *   "T"        - the type attribute named T;
 *   "float"    - a fixed dtype (hc_dtype_name spelling: float, int32, bool, resource ...);
 *   "N*T"      - as many tensors as the int attribute N, each of type attribute T;
 *   "N*int32"  - as many tensors as N, each of a fixed dtype;
 *   "*Tlist"   - one tensor per element of the list(type) attribute Tlist. */
typedef struct hc_op_arg {
    const char *name;
    const char *type;
} hc_op_arg;

/* A type attribute: the dtypes it may take and its default (HC_DT_INVALID: required). */
typedef struct hc_op_tattr {
    const char *name;
    uint32_t allowed; /* bitmask of HC_DTM(dtype); 0 = any */
    hc_dtype def;
    bool is_list; /* list(type) */
} hc_op_tattr;

typedef struct hc_opdef {
    const char *name;
    hc_opcls cls;
    uint32_t flags;
    hc_op_arg in[HC_OP_MAX_ARGS];
    hc_op_arg out[HC_OP_MAX_ARGS];
    hc_op_tattr tattrs[HC_OP_MAX_TATTRS];
    /* Why this op's float type attributes stay fp32 (DENY ops), or a note on fixed float32
     * ports; NULL when nothing to say. */
    const char *reason;
    /* Lowering to fp16 needs a rewrite to this op (FusedBatchNorm -> FusedBatchNormV3 with
     * U=float); NULL when the op itself takes fp16. */
    const char *fp16_as;
    /* TensorArray / TensorList ops: the type attribute of the elements the handle holds
     * (NULL when none); the handle ports are given by HC_OPF_HANDLE_IN / _OUT. */
    const char *elem_attr;
} hc_opdef;

#define HC_DTM(dt)      (1u << (dt))
#define HC_M_FLOAT16_32 (HC_DTM(HC_DT_HALF) | HC_DTM(HC_DT_FLOAT))
#define HC_M_FLOATS                                                                                \
    (HC_DTM(HC_DT_HALF) | HC_DTM(HC_DT_BFLOAT16) | HC_DTM(HC_DT_FLOAT) | HC_DTM(HC_DT_DOUBLE))
#define HC_M_INTS                                                                                  \
    (HC_DTM(HC_DT_INT8) | HC_DTM(HC_DT_INT16) | HC_DTM(HC_DT_INT32) | HC_DTM(HC_DT_INT64) |        \
     HC_DTM(HC_DT_UINT8) | HC_DTM(HC_DT_UINT16) | HC_DTM(HC_DT_UINT32) | HC_DTM(HC_DT_UINT64))
#define HC_M_INDEX   (HC_DTM(HC_DT_INT32) | HC_DTM(HC_DT_INT64))
#define HC_M_REAL    (HC_M_FLOATS | HC_M_INTS)
#define HC_M_COMPLEX (HC_DTM(HC_DT_COMPLEX64) | HC_DTM(HC_DT_COMPLEX128))
#define HC_M_NUMBER  (HC_M_REAL | HC_M_COMPLEX)
#define HC_M_QUANT                                                                                 \
    (HC_DTM(HC_DT_QINT8) | HC_DTM(HC_DT_QUINT8) | HC_DTM(HC_DT_QINT32) | HC_DTM(HC_DT_QINT16) |    \
     HC_DTM(HC_DT_QUINT16))

/* Find an op by name (binary search over the sorted table). NULL for unknown ops. */
const hc_opdef *hc_op_find(hc_span name);
const hc_opdef *hc_op_find_str(const char *name);
/* The whole table, sorted by name. */
const hc_opdef *hc_op_table(size_t *count);
const char *hc_opcls_name(hc_opcls c);

/* Port helpers. A port spec either names a type attribute of def (returned in *tattr, with
 * *fixed = HC_DT_INVALID) or is a fixed dtype (*tattr = NULL). count_attr is the name of the
 * int attribute for "N*T" forms (NULL otherwise, with *len 0); list_attr for "*Tlist". */
typedef struct hc_port_spec {
    const hc_op_tattr *tattr; /* type attribute, or NULL */
    hc_dtype fixed;           /* fixed dtype when tattr is NULL */
    hc_span count_attr;       /* "N" in "N*T" */
    bool is_list;             /* "*Tlist": one port per list element */
} hc_port_spec;

bool hc_op_port_spec(const hc_opdef *def, const hc_op_arg *arg, hc_port_spec *out);
const hc_op_tattr *hc_op_tattr_find(const hc_opdef *def, hc_span name);
hc_dtype hc_dtype_from_name(hc_span name); /* "float" -> HC_DT_FLOAT; HC_DT_INVALID if unknown */
#endif
