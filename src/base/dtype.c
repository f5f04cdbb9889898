/* dtype.c - names and sizes of element types (TensorFlow's DataType numbering). */
#include "halfcast/halfcast.h"

static const struct {
    const char *name;
    size_t size;
} DTYPES[HC_DT_COUNT] = {
    [HC_DT_INVALID] = {"invalid", 0},
    [HC_DT_FLOAT] = {"float", 4},
    [HC_DT_DOUBLE] = {"double", 8},
    [HC_DT_INT32] = {"int32", 4},
    [HC_DT_UINT8] = {"uint8", 1},
    [HC_DT_INT16] = {"int16", 2},
    [HC_DT_INT8] = {"int8", 1},
    [HC_DT_STRING] = {"string", 0},
    [HC_DT_COMPLEX64] = {"complex64", 8},
    [HC_DT_INT64] = {"int64", 8},
    [HC_DT_BOOL] = {"bool", 1},
    [HC_DT_QINT8] = {"qint8", 1},
    [HC_DT_QUINT8] = {"quint8", 1},
    [HC_DT_QINT32] = {"qint32", 4},
    [HC_DT_BFLOAT16] = {"bfloat16", 2},
    [HC_DT_QINT16] = {"qint16", 2},
    [HC_DT_QUINT16] = {"quint16", 2},
    [HC_DT_UINT16] = {"uint16", 2},
    [HC_DT_COMPLEX128] = {"complex128", 16},
    [HC_DT_HALF] = {"half", 2},
    [HC_DT_RESOURCE] = {"resource", 0},
    [HC_DT_VARIANT] = {"variant", 0},
    [HC_DT_UINT32] = {"uint32", 4},
    [HC_DT_UINT64] = {"uint64", 8},
};

const char *hc_dtype_name(hc_dtype dt) {
    if ((unsigned)dt >= HC_DT_COUNT) return "invalid";
    return DTYPES[dt].name;
}

size_t hc_dtype_size(hc_dtype dt) {
    if ((unsigned)dt >= HC_DT_COUNT) return 0;
    return DTYPES[dt].size;
}
