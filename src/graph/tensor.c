/* tensor.c - dense values of a TensorProto view: tensor_content is returned in place; typed
 * *_val lists are decoded into the arena with TensorFlow's rule that the last value repeats
 * to fill the shape. */
#include "graph/graph.h"
#include "pb/wire.h"

#include "base/fp16.h"

/* Decode value i (0-based) of a packed payload as a 64-bit pattern. */
static bool next_val(const uint8_t **p, const uint8_t *end, uint32_t wt, uint64_t *v) {
    if (wt == HC_WT_I32) {
        if (end - *p < 4) return false;
        uint32_t w;
        memcpy(&w, *p, 4);
        *p += 4;
        *v = w;
        return true;
    }
    if (wt == HC_WT_I64) {
        if (end - *p < 8) return false;
        memcpy(v, *p, 8);
        *p += 8;
        return true;
    }
    return hc_pb_varint(p, end, v);
}

/* Store one decoded value as element type dt. */
static void store(void *dst, size_t i, hc_dtype dt, uint32_t field, uint64_t v) {
    uint8_t *d = dst;
    size_t sz = hc_dtype_size(dt);
    switch (sz) {
    case 1:
        d[i] = (uint8_t)v;
        break;
    case 2: {
        uint16_t w = (uint16_t)v; /* half_val, int_val for int16/uint16 */
        memcpy(d + 2 * i, &w, 2);
        break;
    }
    case 4: {
        uint32_t w = (uint32_t)v; /* float bits (float_val) or int32 */
        memcpy(d + 4 * i, &w, 4);
        break;
    }
    case 8:
        memcpy(d + 8 * i, &v, 8);
        break;
    default:
        break;
    }
    (void)field;
}

uint32_t hc_tensor_val_field(hc_dtype dt) {
    switch (dt) {
    case HC_DT_FLOAT:
        return 5;
    case HC_DT_DOUBLE:
        return 6;
    case HC_DT_INT32:
    case HC_DT_INT16:
    case HC_DT_INT8:
    case HC_DT_UINT8:
    case HC_DT_UINT16:
    case HC_DT_QINT8:
    case HC_DT_QUINT8:
    case HC_DT_QINT16:
    case HC_DT_QUINT16:
    case HC_DT_QINT32:
        return 7;
    case HC_DT_STRING:
        return 8;
    case HC_DT_INT64:
        return 10;
    case HC_DT_BOOL:
        return 11;
    case HC_DT_HALF:
    case HC_DT_BFLOAT16:
        return 13;
    case HC_DT_UINT32:
        return 16;
    case HC_DT_UINT64:
        return 17;
    default:
        return 0;
    }
}

hc_status hc_tensor_values(hc_ctx *ctx, hc_arena *arena, const hc_tensor_proto *t,
                           const void **data, size_t *count) {
    int64_t elems = hc_shape_elems(&t->shape);
    size_t sz = hc_dtype_size(t->dtype);
    if (elems < 0) return hc_fail(ctx, HC_MALFORMED, NULL, "constant has an unknown shape");
    if (sz == 0)
        return hc_fail(ctx, HC_UNSUPPORTED, NULL, "constant of dtype %s has no fixed size",
                       hc_dtype_name(t->dtype));
    size_t n = (size_t)elems, bytes;
    if (!hc_mul_size(n, sz, &bytes))
        return hc_fail(ctx, HC_LIMIT, NULL, "constant of %zu elements is too large", n);
    *count = n;
    if (t->enc == HC_ENC_CONTENT) {
        if (t->content.n != bytes)
            return hc_fail(ctx, HC_MALFORMED, NULL,
                           "tensor_content has %zu bytes, shape and dtype need %zu", t->content.n,
                           bytes);
        *data = t->content.p;
        return HC_OK;
    }
    uint8_t *out = hc_arena_alloc(arena, bytes ? bytes : 1);
    if (!out) return HC_NOMEM;
    *data = out;
    if (t->enc != HC_ENC_VALUES || n == 0) return HC_OK; /* zeros (the arena zeroed them) */
    if (t->val_field == 8)
        return hc_fail(ctx, HC_UNSUPPORTED, NULL, "string constants have no dense values");
    if (t->val_field != hc_tensor_val_field(t->dtype))
        return hc_fail(ctx, HC_MALFORMED, NULL,
                       "constant of dtype %s keeps its values in TensorProto field %u",
                       hc_dtype_name(t->dtype), t->val_field);
    if (t->n_vals > n)
        return hc_fail(ctx, HC_MALFORMED, NULL, "constant has %zu values for %zu elements",
                       t->n_vals, n);
    const uint8_t *p = t->vals.p, *end = t->vals.p + t->vals.n;
    uint64_t v = 0;
    size_t i = 0;
    for (; i < t->n_vals; i++) {
        if (!next_val(&p, end, t->val_wt, &v))
            return hc_fail(ctx, HC_MALFORMED, NULL, "constant values are cut short");
        store(out, i, t->dtype, t->val_field, v);
    }
    /* TensorFlow repeats the last value to fill the tensor. */
    for (; i < n; i++)
        memcpy(out + i * sz, out + (t->n_vals - 1) * sz, sz);
    return HC_OK;
}

static void store_double(uint8_t *p, hc_dtype dt, double v) {
    switch (dt) {
    case HC_DT_FLOAT: {
        float f = (float)v;
        memcpy(p, &f, 4);
        break;
    }
    case HC_DT_HALF: {
        uint16_t h = hc_f32_to_f16((float)v);
        memcpy(p, &h, 2);
        break;
    }
    case HC_DT_DOUBLE:
        memcpy(p, &v, 8);
        break;
    case HC_DT_INT32: {
        int32_t i = (int32_t)v;
        memcpy(p, &i, 4);
        break;
    }
    case HC_DT_INT64: {
        int64_t i = (int64_t)v;
        memcpy(p, &i, 8);
        break;
    }
    case HC_DT_INT16:
    case HC_DT_UINT16: {
        uint16_t i = (uint16_t)(int32_t)v;
        memcpy(p, &i, 2);
        break;
    }
    case HC_DT_INT8:
    case HC_DT_UINT8:
        p[0] = (uint8_t)(int32_t)v;
        break;
    case HC_DT_BOOL:
        p[0] = v != 0.0;
        break;
    default:
        break;
    }
}

hc_status hc_tensor_values_as(hc_ctx *ctx, hc_arena *arena, const hc_tensor_proto *t, hc_dtype to,
                              const void **data, size_t *count) {
    hc_status s = hc_tensor_values(ctx, arena, t, data, count);
    if (s || t->dtype == to) return s;
    size_t from_sz = hc_dtype_size(t->dtype), to_sz = hc_dtype_size(to), bytes;
    if (!from_sz || !to_sz)
        return hc_fail(ctx, HC_UNSUPPORTED, NULL, "cannot convert a %s constant to %s",
                       hc_dtype_name(t->dtype), hc_dtype_name(to));
    if (!hc_mul_size(*count, to_sz, &bytes))
        return hc_fail(ctx, HC_LIMIT, NULL, "constant too large");
    uint8_t *out = hc_arena_alloc_raw(arena, bytes ? bytes : 1);
    if (!out) return HC_NOMEM;
    const uint8_t *in = *data;
    for (size_t i = 0; i < *count; i++)
        store_double(out + i * to_sz, to, hc_load_double(t->dtype, in, i));
    *data = out;
    return HC_OK;
}
