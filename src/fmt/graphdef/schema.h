/* schema.h - the GraphDef message schema as data: every message reachable from GraphDef
 * (the .proto files of tensorflow/core/framework, TF 2.x) with its fields' names, numbers
 * and kinds, and the DataType and FullTypeId enums. The text-format transcoder (pbtxt.c)
 * is driven by it; the binary reader keeps its own direct walk.
 *
 * Maps are what they are on the wire: repeated entry messages with key = 1 and value = 2
 * (the *_ENTRY messages below), and text format writes them the same way. */
#ifndef HC_FMT_GRAPHDEF_SCHEMA_H
#define HC_FMT_GRAPHDEF_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum hc_schema_kind {
    HC_SK_INT32,
    HC_SK_INT64,
    HC_SK_UINT32,
    HC_SK_UINT64,
    HC_SK_BOOL,
    HC_SK_ENUM, /* an int32 on the wire; names from the enum table `ref` */
    HC_SK_FLOAT,
    HC_SK_DOUBLE,
    HC_SK_FIXED64,
    HC_SK_STRING,
    HC_SK_BYTES,
    HC_SK_MESSAGE, /* the message `ref` */
    HC_SK_COUNT
} hc_schema_kind;

typedef enum hc_schema_msg_id {
    HC_SM_GRAPH_DEF,
    HC_SM_NODE_DEF,
    HC_SM_NODE_DEBUG_INFO, /* NodeDef.ExperimentalDebugInfo */
    HC_SM_ATTR_ENTRY,      /* map<string, AttrValue> */
    HC_SM_ATTR_VALUE,
    HC_SM_LIST_VALUE, /* AttrValue.ListValue */
    HC_SM_NAME_ATTR_LIST,
    HC_SM_TENSOR,              /* TensorProto */
    HC_SM_TENSOR_SHAPE,        /* TensorShapeProto */
    HC_SM_TENSOR_SHAPE_DIM,    /* TensorShapeProto.Dim */
    HC_SM_RESOURCE_HANDLE,     /* ResourceHandleProto */
    HC_SM_DTYPE_AND_SHAPE,     /* ResourceHandleProto.DtypeAndShape */
    HC_SM_VARIANT_TENSOR_DATA, /* VariantTensorDataProto */
    HC_SM_VERSION_DEF,
    HC_SM_FUNCTION_DEF_LIBRARY,
    HC_SM_FUNCTION_DEF,
    HC_SM_ARG_ATTRS,           /* FunctionDef.ArgAttrs */
    HC_SM_ARG_ATTR_ENTRY,      /* map<uint32, ArgAttrs> */
    HC_SM_U32_U32_ENTRY,       /* map<uint32, uint32> */
    HC_SM_STRING_STRING_ENTRY, /* map<string, string> */
    HC_SM_OP_DEF,
    HC_SM_ARG_DEF,  /* OpDef.ArgDef */
    HC_SM_ATTR_DEF, /* OpDef.AttrDef */
    HC_SM_OP_DEPRECATION,
    HC_SM_GRADIENT_DEF,
    HC_SM_REGISTERED_GRADIENT,
    HC_SM_FULL_TYPE_DEF,
    HC_SM_GRAPH_DEBUG_INFO,
    HC_SM_FILE_LINE_COL,        /* GraphDebugInfo.FileLineCol */
    HC_SM_STACK_TRACE,          /* GraphDebugInfo.StackTrace */
    HC_SM_STRING_TRACE_ENTRY,   /* map<string, StackTrace> */
    HC_SM_FIXED64_FRAME_ENTRY,  /* map<fixed64, FileLineCol> */
    HC_SM_FIXED64_TRACE_ENTRY,  /* map<fixed64, StackTrace> */
    HC_SM_STRING_FIXED64_ENTRY, /* map<string, fixed64> */
    HC_SM_COUNT
} hc_schema_msg_id;

typedef enum hc_schema_enum_id {
    HC_SE_DATA_TYPE,
    HC_SE_FULL_TYPE_ID,
    HC_SE_COUNT
} hc_schema_enum_id;

typedef struct hc_schema_field {
    const char *name;
    uint32_t num;
    uint8_t kind;  /* hc_schema_kind */
    bool repeated; /* repeated scalars are packed: these messages are proto3, and the one
                    * proto2 repeated scalar (StackTrace.frame_id) is declared packed */
    uint8_t ref;   /* hc_schema_msg_id for messages, hc_schema_enum_id for enums */
} hc_schema_field;

typedef struct hc_schema_msg {
    const char *name;
    const hc_schema_field *fields;
    size_t n_fields;
} hc_schema_msg;

typedef struct hc_schema_enumerator {
    const char *name;
    int32_t num;
} hc_schema_enumerator;

typedef struct hc_schema_enum {
    const char *name;
    const hc_schema_enumerator *values; /* sorted by number */
    size_t n_values;
} hc_schema_enum;

/* Field numbers go up to 2^29 - 1. */
#define HC_SCHEMA_MAX_FIELD_NUM 536870911u

/* The NaNs that the text "nan" stands for ("-nan": the same with the sign bit). Other NaN
 * payloads are printed by number, so that they survive. */
#define HC_SCHEMA_NAN32 0x7fc00000u
#define HC_SCHEMA_NAN64 0x7ff8000000000000ull

/* The wire type of each kind, and its name for messages. */
extern const uint8_t hc_schema_kind_wt[HC_SK_COUNT];
extern const char *const hc_schema_kind_name[HC_SK_COUNT];

extern const hc_schema_msg hc_schema_msgs[HC_SM_COUNT];
extern const hc_schema_enum hc_schema_enums[HC_SE_COUNT];

/* Field lookups; NULL when the message has no such field. */
const hc_schema_field *hc_schema_field_by_num(const hc_schema_msg *m, uint32_t num);
const hc_schema_field *hc_schema_field_by_name(const hc_schema_msg *m, const char *name,
                                               size_t len);
/* The name of enum value v, or NULL when it has none (printed as a number then). */
const char *hc_schema_enum_name(hc_schema_enum_id e, int32_t v);
/* The number of the enum value called name[0..len); false when there is none. */
bool hc_schema_enum_value(hc_schema_enum_id e, const char *name, size_t len, int32_t *v);
#endif
