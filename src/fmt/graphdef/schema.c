/* schema.c - the GraphDef message schema tables (see schema.h). Field numbers and types come
 * from tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape,types,
 * resource_handle,versions,function,op_def,full_type,graph_debug_info}.proto. A field that
 * a newer TensorFlow adds is not lost: the transcoder prints it by number. */
#include "fmt/graphdef/schema.h"

#include "base/util.h"
#include "pb/wire.h"

const uint8_t hc_schema_kind_wt[HC_SK_COUNT] = {
    [HC_SK_INT32] = HC_WT_VARINT,  [HC_SK_INT64] = HC_WT_VARINT, [HC_SK_UINT32] = HC_WT_VARINT,
    [HC_SK_UINT64] = HC_WT_VARINT, [HC_SK_BOOL] = HC_WT_VARINT,  [HC_SK_ENUM] = HC_WT_VARINT,
    [HC_SK_FLOAT] = HC_WT_I32,     [HC_SK_DOUBLE] = HC_WT_I64,   [HC_SK_FIXED64] = HC_WT_I64,
    [HC_SK_STRING] = HC_WT_LEN,    [HC_SK_BYTES] = HC_WT_LEN,    [HC_SK_MESSAGE] = HC_WT_LEN};

const char *const hc_schema_kind_name[HC_SK_COUNT] = {"int32",   "int64",  "uint32", "uint64",
                                                      "bool",    "enum",   "float",  "double",
                                                      "fixed64", "string", "bytes",  "message"};

/* One field per line, like the .proto files. */
/* clang-format off */
#define F(name, num, kind, ref) {name, num, HC_SK_##kind, false, ref}
#define R(name, num, kind, ref) {name, num, HC_SK_##kind, true, ref}
#define MSG(id, name, fields) [id] = {name, fields, HC_COUNT(fields)}

static const hc_schema_field GRAPH_DEF[] = {
    R("node", 1, MESSAGE, HC_SM_NODE_DEF),
    F("library", 2, MESSAGE, HC_SM_FUNCTION_DEF_LIBRARY),
    F("version", 3, INT32, 0),
    F("versions", 4, MESSAGE, HC_SM_VERSION_DEF),
    F("debug_info", 5, MESSAGE, HC_SM_GRAPH_DEBUG_INFO),
};

static const hc_schema_field NODE_DEF[] = {
    F("name", 1, STRING, 0),
    F("op", 2, STRING, 0),
    R("input", 3, STRING, 0),
    F("device", 4, STRING, 0),
    R("attr", 5, MESSAGE, HC_SM_ATTR_ENTRY),
    F("experimental_debug_info", 6, MESSAGE, HC_SM_NODE_DEBUG_INFO),
    F("experimental_type", 7, MESSAGE, HC_SM_FULL_TYPE_DEF),
};

static const hc_schema_field NODE_DEBUG_INFO[] = {
    R("original_node_names", 1, STRING, 0),
    R("original_func_names", 2, STRING, 0),
};

static const hc_schema_field ATTR_ENTRY[] = {
    F("key", 1, STRING, 0),
    F("value", 2, MESSAGE, HC_SM_ATTR_VALUE),
};

static const hc_schema_field ATTR_VALUE[] = {
    F("list", 1, MESSAGE, HC_SM_LIST_VALUE),
    F("s", 2, BYTES, 0),
    F("i", 3, INT64, 0),
    F("f", 4, FLOAT, 0),
    F("b", 5, BOOL, 0),
    F("type", 6, ENUM, HC_SE_DATA_TYPE),
    F("shape", 7, MESSAGE, HC_SM_TENSOR_SHAPE),
    F("tensor", 8, MESSAGE, HC_SM_TENSOR),
    F("placeholder", 9, STRING, 0),
    F("func", 10, MESSAGE, HC_SM_NAME_ATTR_LIST),
};

static const hc_schema_field LIST_VALUE[] = {
    R("s", 2, BYTES, 0),
    R("i", 3, INT64, 0),
    R("f", 4, FLOAT, 0),
    R("b", 5, BOOL, 0),
    R("type", 6, ENUM, HC_SE_DATA_TYPE),
    R("shape", 7, MESSAGE, HC_SM_TENSOR_SHAPE),
    R("tensor", 8, MESSAGE, HC_SM_TENSOR),
    R("func", 9, MESSAGE, HC_SM_NAME_ATTR_LIST),
};

static const hc_schema_field NAME_ATTR_LIST[] = {
    F("name", 1, STRING, 0),
    R("attr", 2, MESSAGE, HC_SM_ATTR_ENTRY),
};

static const hc_schema_field TENSOR[] = {
    F("dtype", 1, ENUM, HC_SE_DATA_TYPE),
    F("tensor_shape", 2, MESSAGE, HC_SM_TENSOR_SHAPE),
    F("version_number", 3, INT32, 0),
    F("tensor_content", 4, BYTES, 0),
    R("float_val", 5, FLOAT, 0),
    R("double_val", 6, DOUBLE, 0),
    R("int_val", 7, INT32, 0),
    R("string_val", 8, BYTES, 0),
    R("scomplex_val", 9, FLOAT, 0),
    R("int64_val", 10, INT64, 0),
    R("bool_val", 11, BOOL, 0),
    R("dcomplex_val", 12, DOUBLE, 0),
    R("half_val", 13, INT32, 0),
    R("resource_handle_val", 14, MESSAGE, HC_SM_RESOURCE_HANDLE),
    R("variant_val", 15, MESSAGE, HC_SM_VARIANT_TENSOR_DATA),
    R("uint32_val", 16, UINT32, 0),
    R("uint64_val", 17, UINT64, 0),
    F("float8_val", 18, BYTES, 0),
};

static const hc_schema_field TENSOR_SHAPE[] = {
    R("dim", 2, MESSAGE, HC_SM_TENSOR_SHAPE_DIM),
    F("unknown_rank", 3, BOOL, 0),
};

static const hc_schema_field TENSOR_SHAPE_DIM[] = {
    F("size", 1, INT64, 0),
    F("name", 2, STRING, 0),
};

static const hc_schema_field RESOURCE_HANDLE[] = {
    F("device", 1, STRING, 0),
    F("container", 2, STRING, 0),
    F("name", 3, STRING, 0),
    F("hash_code", 4, UINT64, 0),
    F("maybe_type_name", 5, STRING, 0),
    R("dtypes_and_shapes", 6, MESSAGE, HC_SM_DTYPE_AND_SHAPE),
};

static const hc_schema_field DTYPE_AND_SHAPE[] = {
    F("dtype", 1, ENUM, HC_SE_DATA_TYPE),
    F("shape", 2, MESSAGE, HC_SM_TENSOR_SHAPE),
};

static const hc_schema_field VARIANT_TENSOR_DATA[] = {
    F("type_name", 1, STRING, 0),
    F("metadata", 2, BYTES, 0),
    R("tensors", 3, MESSAGE, HC_SM_TENSOR),
};

static const hc_schema_field VERSION_DEF[] = {
    F("producer", 1, INT32, 0),
    F("min_consumer", 2, INT32, 0),
    R("bad_consumers", 3, INT32, 0),
};

static const hc_schema_field FUNCTION_DEF_LIBRARY[] = {
    R("function", 1, MESSAGE, HC_SM_FUNCTION_DEF),
    R("gradient", 2, MESSAGE, HC_SM_GRADIENT_DEF),
    R("registered_gradients", 3, MESSAGE, HC_SM_REGISTERED_GRADIENT),
};

/* Field 2 (the old FunctionDef.Node list) is reserved: printed by number if present. */
static const hc_schema_field FUNCTION_DEF[] = {
    F("signature", 1, MESSAGE, HC_SM_OP_DEF),
    R("node_def", 3, MESSAGE, HC_SM_NODE_DEF),
    R("ret", 4, MESSAGE, HC_SM_STRING_STRING_ENTRY),
    R("attr", 5, MESSAGE, HC_SM_ATTR_ENTRY),
    R("control_ret", 6, MESSAGE, HC_SM_STRING_STRING_ENTRY),
    R("arg_attr", 7, MESSAGE, HC_SM_ARG_ATTR_ENTRY),
    R("resource_arg_unique_id", 8, MESSAGE, HC_SM_U32_U32_ENTRY),
};

static const hc_schema_field ARG_ATTRS[] = {
    R("attr", 1, MESSAGE, HC_SM_ATTR_ENTRY),
};

static const hc_schema_field ARG_ATTR_ENTRY[] = {
    F("key", 1, UINT32, 0),
    F("value", 2, MESSAGE, HC_SM_ARG_ATTRS),
};

static const hc_schema_field U32_U32_ENTRY[] = {
    F("key", 1, UINT32, 0),
    F("value", 2, UINT32, 0),
};

static const hc_schema_field STRING_STRING_ENTRY[] = {
    F("key", 1, STRING, 0),
    F("value", 2, STRING, 0),
};

static const hc_schema_field OP_DEF[] = {
    F("name", 1, STRING, 0),
    R("input_arg", 2, MESSAGE, HC_SM_ARG_DEF),
    R("output_arg", 3, MESSAGE, HC_SM_ARG_DEF),
    R("attr", 4, MESSAGE, HC_SM_ATTR_DEF),
    F("summary", 5, STRING, 0),
    F("description", 6, STRING, 0),
    F("deprecation", 8, MESSAGE, HC_SM_OP_DEPRECATION),
    F("is_aggregate", 16, BOOL, 0),
    F("is_stateful", 17, BOOL, 0),
    F("is_commutative", 18, BOOL, 0),
    F("allows_uninitialized_input", 19, BOOL, 0),
    R("control_output", 20, STRING, 0),
    F("is_distributed_communication", 21, BOOL, 0),
};

static const hc_schema_field ARG_DEF[] = {
    F("name", 1, STRING, 0),
    F("description", 2, STRING, 0),
    F("type", 3, ENUM, HC_SE_DATA_TYPE),
    F("type_attr", 4, STRING, 0),
    F("number_attr", 5, STRING, 0),
    F("type_list_attr", 6, STRING, 0),
    R("handle_data", 7, MESSAGE, HC_SM_DTYPE_AND_SHAPE),
    F("is_ref", 16, BOOL, 0),
    F("experimental_full_type", 17, MESSAGE, HC_SM_FULL_TYPE_DEF),
};

static const hc_schema_field ATTR_DEF[] = {
    F("name", 1, STRING, 0),
    F("type", 2, STRING, 0),
    F("default_value", 3, MESSAGE, HC_SM_ATTR_VALUE),
    F("description", 4, STRING, 0),
    F("has_minimum", 5, BOOL, 0),
    F("minimum", 6, INT64, 0),
    F("allowed_values", 7, MESSAGE, HC_SM_ATTR_VALUE),
};

static const hc_schema_field OP_DEPRECATION[] = {
    F("version", 1, INT32, 0),
    F("explanation", 2, STRING, 0),
};

static const hc_schema_field GRADIENT_DEF[] = {
    F("function_name", 1, STRING, 0),
    F("gradient_func", 2, STRING, 0),
};

static const hc_schema_field REGISTERED_GRADIENT[] = {
    F("gradient_func", 1, STRING, 0),
    F("registered_op_type", 2, STRING, 0),
};

static const hc_schema_field FULL_TYPE_DEF[] = {
    F("type_id", 1, ENUM, HC_SE_FULL_TYPE_ID),
    R("args", 2, MESSAGE, HC_SM_FULL_TYPE_DEF),
    F("s", 3, STRING, 0),
    F("i", 4, INT64, 0),
};

static const hc_schema_field GRAPH_DEBUG_INFO[] = {
    R("files", 1, STRING, 0),
    R("traces", 2, MESSAGE, HC_SM_STRING_TRACE_ENTRY),
    R("frames_by_id", 4, MESSAGE, HC_SM_FIXED64_FRAME_ENTRY),
    R("name_to_trace_id", 5, MESSAGE, HC_SM_STRING_FIXED64_ENTRY),
    R("traces_by_id", 6, MESSAGE, HC_SM_FIXED64_TRACE_ENTRY),
};

static const hc_schema_field FILE_LINE_COL[] = {
    F("file_index", 1, INT32, 0),
    F("line", 2, INT32, 0),
    F("col", 3, INT32, 0),
    F("func", 4, STRING, 0),
    F("code", 5, STRING, 0),
};

static const hc_schema_field STACK_TRACE[] = {
    R("file_line_cols", 1, MESSAGE, HC_SM_FILE_LINE_COL),
    R("frame_id", 2, FIXED64, 0),
};

static const hc_schema_field STRING_TRACE_ENTRY[] = {
    F("key", 1, STRING, 0),
    F("value", 2, MESSAGE, HC_SM_STACK_TRACE),
};

static const hc_schema_field FIXED64_FRAME_ENTRY[] = {
    F("key", 1, FIXED64, 0),
    F("value", 2, MESSAGE, HC_SM_FILE_LINE_COL),
};

static const hc_schema_field FIXED64_TRACE_ENTRY[] = {
    F("key", 1, FIXED64, 0),
    F("value", 2, MESSAGE, HC_SM_STACK_TRACE),
};

static const hc_schema_field STRING_FIXED64_ENTRY[] = {
    F("key", 1, STRING, 0),
    F("value", 2, FIXED64, 0),
};

const hc_schema_msg hc_schema_msgs[HC_SM_COUNT] = {
    MSG(HC_SM_GRAPH_DEF, "GraphDef", GRAPH_DEF),
    MSG(HC_SM_NODE_DEF, "NodeDef", NODE_DEF),
    MSG(HC_SM_NODE_DEBUG_INFO, "NodeDef.ExperimentalDebugInfo", NODE_DEBUG_INFO),
    MSG(HC_SM_ATTR_ENTRY, "AttrEntry", ATTR_ENTRY),
    MSG(HC_SM_ATTR_VALUE, "AttrValue", ATTR_VALUE),
    MSG(HC_SM_LIST_VALUE, "AttrValue.ListValue", LIST_VALUE),
    MSG(HC_SM_NAME_ATTR_LIST, "NameAttrList", NAME_ATTR_LIST),
    MSG(HC_SM_TENSOR, "TensorProto", TENSOR),
    MSG(HC_SM_TENSOR_SHAPE, "TensorShapeProto", TENSOR_SHAPE),
    MSG(HC_SM_TENSOR_SHAPE_DIM, "TensorShapeProto.Dim", TENSOR_SHAPE_DIM),
    MSG(HC_SM_RESOURCE_HANDLE, "ResourceHandleProto", RESOURCE_HANDLE),
    MSG(HC_SM_DTYPE_AND_SHAPE, "ResourceHandleProto.DtypeAndShape", DTYPE_AND_SHAPE),
    MSG(HC_SM_VARIANT_TENSOR_DATA, "VariantTensorDataProto", VARIANT_TENSOR_DATA),
    MSG(HC_SM_VERSION_DEF, "VersionDef", VERSION_DEF),
    MSG(HC_SM_FUNCTION_DEF_LIBRARY, "FunctionDefLibrary", FUNCTION_DEF_LIBRARY),
    MSG(HC_SM_FUNCTION_DEF, "FunctionDef", FUNCTION_DEF),
    MSG(HC_SM_ARG_ATTRS, "FunctionDef.ArgAttrs", ARG_ATTRS),
    MSG(HC_SM_ARG_ATTR_ENTRY, "ArgAttrEntry", ARG_ATTR_ENTRY),
    MSG(HC_SM_U32_U32_ENTRY, "ResourceArgUniqueIdEntry", U32_U32_ENTRY),
    MSG(HC_SM_STRING_STRING_ENTRY, "StringStringEntry", STRING_STRING_ENTRY),
    MSG(HC_SM_OP_DEF, "OpDef", OP_DEF),
    MSG(HC_SM_ARG_DEF, "OpDef.ArgDef", ARG_DEF),
    MSG(HC_SM_ATTR_DEF, "OpDef.AttrDef", ATTR_DEF),
    MSG(HC_SM_OP_DEPRECATION, "OpDeprecation", OP_DEPRECATION),
    MSG(HC_SM_GRADIENT_DEF, "GradientDef", GRADIENT_DEF),
    MSG(HC_SM_REGISTERED_GRADIENT, "RegisteredGradient", REGISTERED_GRADIENT),
    MSG(HC_SM_FULL_TYPE_DEF, "FullTypeDef", FULL_TYPE_DEF),
    MSG(HC_SM_GRAPH_DEBUG_INFO, "GraphDebugInfo", GRAPH_DEBUG_INFO),
    MSG(HC_SM_FILE_LINE_COL, "GraphDebugInfo.FileLineCol", FILE_LINE_COL),
    MSG(HC_SM_STACK_TRACE, "GraphDebugInfo.StackTrace", STACK_TRACE),
    MSG(HC_SM_STRING_TRACE_ENTRY, "TracesEntry", STRING_TRACE_ENTRY),
    MSG(HC_SM_FIXED64_FRAME_ENTRY, "FramesByIdEntry", FIXED64_FRAME_ENTRY),
    MSG(HC_SM_FIXED64_TRACE_ENTRY, "TracesByIdEntry", FIXED64_TRACE_ENTRY),
    MSG(HC_SM_STRING_FIXED64_ENTRY, "NameToTraceIdEntry", STRING_FIXED64_ENTRY),
};

/* DataType: each type T also has T_REF = T + 100 (all but DT_INVALID). */
#define HC_DATA_TYPES(X)                                                                       \
    X(FLOAT, 1) X(DOUBLE, 2) X(INT32, 3) X(UINT8, 4) X(INT16, 5) X(INT8, 6) X(STRING, 7)       \
    X(COMPLEX64, 8) X(INT64, 9) X(BOOL, 10) X(QINT8, 11) X(QUINT8, 12) X(QINT32, 13)           \
    X(BFLOAT16, 14) X(QINT16, 15) X(QUINT16, 16) X(UINT16, 17) X(COMPLEX128, 18) X(HALF, 19)   \
    X(RESOURCE, 20) X(VARIANT, 21) X(UINT32, 22) X(UINT64, 23) X(FLOAT8_E5M2, 24)              \
    X(FLOAT8_E4M3FN, 25) X(FLOAT8_E4M3FNUZ, 26) X(FLOAT8_E4M3B11FNUZ, 27)                      \
    X(FLOAT8_E5M2FNUZ, 28) X(INT4, 29) X(UINT4, 30) X(INT2, 31) X(UINT2, 32)

#define DT_VALUE(name, num) {"DT_" #name, num},
#define DT_REF_VALUE(name, num) {"DT_" #name "_REF", (num) + 100},
static const hc_schema_enumerator DATA_TYPE[] = {
    {"DT_INVALID", 0},
    HC_DATA_TYPES(DT_VALUE)
    HC_DATA_TYPES(DT_REF_VALUE)
};

static const hc_schema_enumerator FULL_TYPE_ID[] = {
    {"TFT_UNSET", 0},        {"TFT_VAR", 1},          {"TFT_ANY", 2},
    {"TFT_PRODUCT", 3},      {"TFT_NAMED", 4},        {"TFT_FOR_EACH", 20},
    {"TFT_CALLABLE", 100},   {"TFT_BOOL", 200},       {"TFT_UINT8", 201},
    {"TFT_UINT16", 202},     {"TFT_UINT32", 203},     {"TFT_UINT64", 204},
    {"TFT_INT8", 205},       {"TFT_INT16", 206},      {"TFT_INT32", 207},
    {"TFT_INT64", 208},      {"TFT_HALF", 209},       {"TFT_FLOAT", 210},
    {"TFT_DOUBLE", 211},     {"TFT_COMPLEX64", 212},  {"TFT_COMPLEX128", 213},
    {"TFT_STRING", 214},     {"TFT_BFLOAT16", 215},   {"TFT_TENSOR", 1000},
    {"TFT_ARRAY", 1001},     {"TFT_OPTIONAL", 1002},  {"TFT_LITERAL", 1003},
    {"TFT_ENCODED", 1004},   {"TFT_SHAPE_TENSOR", 1005},
    {"TFT_DATASET", 10102},  {"TFT_RAGGED", 10103},   {"TFT_ITERATOR", 10104},
    {"TFT_MUTEX_LOCK", 10202}, {"TFT_LEGACY_VARIANT", 10203},
};
/* clang-format on */

const hc_schema_enum hc_schema_enums[HC_SE_COUNT] = {
    [HC_SE_DATA_TYPE] = {"DataType", DATA_TYPE, HC_COUNT(DATA_TYPE)},
    [HC_SE_FULL_TYPE_ID] = {"FullTypeId", FULL_TYPE_ID, HC_COUNT(FULL_TYPE_ID)},
};

const hc_schema_field *hc_schema_field_by_num(const hc_schema_msg *m, uint32_t num) {
    for (size_t i = 0; i < m->n_fields; i++)
        if (m->fields[i].num == num) return &m->fields[i];
    return NULL;
}

const hc_schema_field *hc_schema_field_by_name(const hc_schema_msg *m, const char *name,
                                               size_t len) {
    for (size_t i = 0; i < m->n_fields; i++) {
        const char *f = m->fields[i].name;
        if (strncmp(f, name, len) == 0 && f[len] == 0) return &m->fields[i];
    }
    return NULL;
}

const char *hc_schema_enum_name(hc_schema_enum_id e, int32_t v) {
    const hc_schema_enum *en = &hc_schema_enums[e];
    size_t lo = 0, hi = en->n_values;
    while (lo < hi) { /* binary search: the tables are sorted by number */
        size_t mid = lo + (hi - lo) / 2;
        int32_t n = en->values[mid].num;
        if (n == v) return en->values[mid].name;
        if (n < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool hc_schema_enum_value(hc_schema_enum_id e, const char *name, size_t len, int32_t *v) {
    const hc_schema_enum *en = &hc_schema_enums[e];
    for (size_t i = 0; i < en->n_values; i++) {
        const char *n = en->values[i].name;
        if (strncmp(n, name, len) == 0 && n[len] == 0) {
            *v = en->values[i].num;
            return true;
        }
    }
    return false;
}
