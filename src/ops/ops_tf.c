/* ops_tf.c - the TensorFlow op table. Entries live in ops_tf.def, sorted by name (a test
 * checks the order). Signatures follow TensorFlow's REGISTER_OP definitions; precision
 * classes follow TensorFlow's auto-mixed-precision lists, with detection post-processing
 * (NMS, box decoding with Exp, resizes with float32 outputs) kept fp32. */
#include "ops/ops.h"

#define A(n, t)                                                                                    \
    { n, t }
#define IN(...)  .in = {__VA_ARGS__}
#define OUT(...) .out = {__VA_ARGS__}
#define TA(n, m)                                                                                   \
    { n, m, HC_DT_INVALID, false }
#define TAD(n, m, d)                                                                               \
    { n, m, HC_DT_##d, false }
#define TLIST(n, m)                                                                                \
    { n, m, HC_DT_INVALID, true }
#define TATTRS(...)    .tattrs = {__VA_ARGS__}
#define FLAGS(f)       .flags = (f)
#define REASON(r)      .reason = (r)
#define ELEM(a)        .elem_attr = (a)
#define OP(nm, c, ...) {.name = nm, .cls = HC_OPCLS_##c, __VA_ARGS__},

/* Dtype sets under TensorFlow's names for them (op_def_builder.cc), for the .def entries. */
#define DTM(d)           HC_DTM(HC_DT_##d)
#define TF_SINT          (DTM(INT8) | DTM(INT16) | DTM(INT32) | DTM(INT64))
#define TF_INDEX16       (DTM(INT16) | HC_M_INDEX)
#define TF_REAL          HC_M_REAL                  /* realnumbertype */
#define TF_NUMBER        (HC_M_NUMBER | HC_M_QUANT) /* numbertype (qint16/quint16 since TF 2.x) */
#define TF_FLOAT_COMPLEX (HC_M_FLOATS | HC_M_COMPLEX)
#define TF_UNARY         (HC_M_FLOATS | TF_SINT | HC_M_COMPLEX)
/* Image ops (resize, crop): the integer and float types their kernels take. */
#define TF_IMAGE (HC_M_FLOATS | TF_SINT | DTM(UINT8) | DTM(UINT16))

static const hc_opdef TF_OPS[] = {
#include "ops/ops_tf.def"
};

const hc_opdef *hc_op_table(size_t *count) {
    *count = sizeof TF_OPS / sizeof TF_OPS[0];
    return TF_OPS;
}
