/* tensorarray.c - the tensorarray kernel family: TF1 TensorArray V3 ops. The handle is a
 * RESOURCE scalar holding a reference-counted TensorArray object (hc_object); the flow ports
 * are float scalars that only order the ops. Semantics follow TensorFlow's tensor_array.h and
 * tensor_array_ops.cc: elements are written once and read (then cleared when
 * clear_after_read); a dynamic_size array grows on writes; an element shape, partially known,
 * is checked on writes and fixed by the first write when identical_element_shapes; reading an
 * unwritten element gives zeros when the element shape is fully known, else an error; a
 * closed array refuses everything. Elements keep references to the values written (values
 * borrowed from the model or the caller are copied). */
#include "exec/cpu/pshape.h"

typedef struct ta_elem {
    hc_val v;     /* the value; dtype HC_DT_INVALID when there is none */
    bool written; /* a value, or a zeros placeholder of v's shape (v.data NULL) */
    bool read, cleared;
} ta_elem;

typedef struct hc_tarray {
    hc_object base;
    hc_ctx *ctx;
    hc_dtype dtype;
    bool dynamic, clear_after_read, identical, closed;
    hc_pshape elem;
    size_t n, cap;
    ta_elem *e;
} hc_tarray;

/* Per-node attributes. */
typedef struct ta_attrs {
    hc_dtype dtype;  /* dtype (creation, reads) or T (writes) */
    hc_pshape shape; /* element_shape or element_shape_except0 */
    bool dynamic, clear_after_read, identical;
} ta_attrs;

static void ta_clear(hc_session *s, hc_tarray *ta) {
    for (size_t i = 0; i < ta->n; i++)
        hc_val_release(s, &ta->e[i].v);
    hc_dealloc(ta->ctx, ta->e);
    ta->e = NULL;
    ta->n = ta->cap = 0;
}

static void ta_destroy(hc_object *o, hc_session *s) {
    hc_tarray *ta = (hc_tarray *)o;
    ta_clear(s, ta);
    hc_dealloc(ta->ctx, ta);
}

static hc_status ta_resize(hc_kernel_ctx *k, hc_tarray *ta, size_t n) {
    if (n > INT32_MAX) return HC_KFAIL(k, HC_LIMIT, "TensorArray size %zu is too large", n);
    if (n > ta->cap) {
        size_t cap = HC_MAX(n, 2 * ta->cap);
        ta_elem *e = hc_realloc(ta->ctx, ta->e, ta->cap * sizeof *e, cap * sizeof *e);
        if (!e) return HC_NOMEM;
        memset(e + ta->cap, 0, (cap - ta->cap) * sizeof *e);
        ta->e = e;
        ta->cap = cap;
    }
    if (n > ta->n) ta->n = n;
    return HC_OK;
}

/* The TensorArray of input 0. */
static hc_status ta_get(hc_kernel_ctx *k, hc_tarray **out) {
    const hc_val *h = &k->in[0];
    if (k->n_in < 1 || h->dtype != HC_DT_RESOURCE || !h->obj || h->obj->destroy != ta_destroy)
        return HC_KFAIL(k, HC_INVALID, "input 0 is not a TensorArray handle");
    hc_tarray *ta = (hc_tarray *)h->obj;
    if (ta->closed) return HC_KFAIL(k, HC_INVALID, "the TensorArray has already been closed");
    *out = ta;
    return HC_OK;
}

static hc_status ta_check_dtype(hc_kernel_ctx *k, const hc_tarray *ta, hc_dtype dt) {
    if (dt == ta->dtype) return HC_OK;
    return HC_KFAIL(k, HC_INVALID, "TensorArray dtype is %s but the op uses %s",
                    hc_dtype_name(ta->dtype), hc_dtype_name(dt));
}

static hc_status scalar_index(hc_kernel_ctx *k, uint32_t i, int32_t *out) {
    const hc_val *v = &k->in[i];
    if (v->rank != 0 || v->dtype != HC_DT_INT32)
        return HC_KFAIL(k, HC_INVALID, "TensorArray index must be an int32 scalar");
    *out = hc_ld_i32(v->data);
    return HC_OK;
}

/* LockedWriteOrAggregate without aggregation: one write per index. v is retained (or copied
 * when borrowed). */
static hc_status ta_write(hc_kernel_ctx *k, hc_tarray *ta, int64_t index, const hc_val *v) {
    if (index < 0 || (!ta->dynamic && (size_t)index >= ta->n))
        return HC_KFAIL(k, HC_INVALID,
                        "tried to write to index %lld but the TensorArray is not "
                        "resizeable and its size is %zu",
                        (long long)index, ta->n);
    hc_status s = (size_t)index >= ta->n ? ta_resize(k, ta, (size_t)index + 1) : HC_OK;
    if (s) return s;
    if (v->dtype != ta->dtype) return ta_check_dtype(k, ta, v->dtype);
    char a[96], b[96];
    if (!hc_pshape_fits(&ta->elem, v)) {
        hc_pshape vs = hc_pshape_of(v);
        return HC_KFAIL(k, HC_INVALID,
                        "could not write to index %lld: the value shape %s is "
                        "incompatible with the element shape %s",
                        (long long)index, hc_pshape_str(&vs, a, sizeof a),
                        hc_pshape_str(&ta->elem, b, sizeof b));
    }
    if (ta->identical && !hc_pshape_full(&ta->elem)) ta->elem = hc_pshape_of(v);
    ta_elem *e = &ta->e[index];
    if (e->read)
        return HC_KFAIL(k, HC_INVALID,
                        "could not write to index %lld: it has "
                        "already been read",
                        (long long)index);
    if (e->written)
        return HC_KFAIL(k, HC_INVALID,
                        "could not write to index %lld: it has "
                        "already been written to",
                        (long long)index);
    if (!v->buf && v->data) {
        if ((s = hc_val_copy(k->s, v, &e->v))) return s;
    } else {
        e->v = *v;
        hc_val_retain(&e->v);
    }
    e->written = true;
    return HC_OK;
}

/* LockedRead: *out receives a reference (the caller releases it). */
static hc_status ta_read(hc_kernel_ctx *k, hc_tarray *ta, int64_t index, hc_val *out) {
    char a[96];
    if (index < 0 || (size_t)index >= ta->n)
        return HC_KFAIL(k, HC_INVALID,
                        "tried to read from index %lld but the TensorArray size "
                        "is %zu",
                        (long long)index, ta->n);
    ta_elem *e = &ta->e[index];
    if (!e->written) {
        if (!hc_pshape_full(&ta->elem))
            return HC_KFAIL(k, HC_INVALID,
                            "could not read from index %lld: it has not been "
                            "written and the element shape %s is not fully defined",
                            (long long)index, hc_pshape_str(&ta->elem, a, sizeof a));
        /* Zeros of the element shape, made below. */
        e->v.dtype = ta->dtype;
        e->v.rank = ta->elem.rank;
        for (int32_t i = 0; i < ta->elem.rank; i++)
            e->v.dims[i] = ta->elem.dims[i];
        e->written = true;
    }
    if (e->cleared)
        return HC_KFAIL(k, HC_INVALID,
                        "could not read index %lld twice: it was cleared after a "
                        "previous read (clear_after_read)",
                        (long long)index);
    if (!e->v.data && hc_val_elems(&e->v) > 0) {
        hc_val z = e->v;
        z.buf = hc_rtbuf_new(k->s, hc_val_bytes(&z));
        if (!z.buf) return k->ctx->status ? k->ctx->status : HC_NOMEM;
        z.data = hc_rtbuf_data(z.buf);
        memset(z.data, 0, hc_val_bytes(&z));
        e->v = z;
    }
    *out = e->v;
    hc_val_retain(out);
    if (ta->clear_after_read) {
        hc_val_release(k->s, &e->v);
        e->cleared = true;
    }
    e->read = true;
    return HC_OK;
}

static hc_status flow_forward(hc_kernel_ctx *k, uint32_t in) {
    if (in >= k->n_in) return HC_KFAIL(k, HC_MALFORMED, "has no flow input");
    hc_k_forward(k, 0, in);
    return HC_OK;
}

/* ---------------------------------------------------------------------------------------- */

static hc_status ta_prepare(hc_kernel_prep *p) {
    ta_attrs *a = hc_arena_alloc(p->arena, sizeof *a);
    if (!a) return HC_NOMEM;
    memset(a, 0, sizeof *a);
    const hc_node *n = p->node;
    bool is_write = hc_node_attr(n, "T") != NULL;
    a->dtype = hc_k_attr_type(n, is_write ? "T" : "dtype", HC_DT_INVALID);
    bool ok = hc_pshape_attr(n, "element_shape", &a->shape);
    if (ok && hc_node_attr(n, "element_shape_except0"))
        ok = hc_pshape_attr(n, "element_shape_except0", &a->shape);
    if (!ok) return hc_kp_fail(p, HC_LIMIT, "element shape rank is beyond %d", HC_MAX_RANK);
    a->dynamic = hc_k_attr_bool(n, "dynamic_size", false);
    a->clear_after_read = hc_k_attr_bool(n, "clear_after_read", true);
    a->identical = hc_k_attr_bool(n, "identical_element_shapes", false);
    bool needs_type =
        !hc_span_eq_str(n->op, "TensorArraySizeV3") && !hc_span_eq_str(n->op, "TensorArrayCloseV3");
    if (needs_type && hc_dtype_size(a->dtype) == 0)
        return hc_kp_fail(p, HC_UNSUPPORTED, "elements of type %s are not supported",
                          hc_dtype_name(a->dtype));
    p->state = a;
    return HC_OK;
}

static hc_status ta_create(hc_kernel_ctx *k) {
    const ta_attrs *a = k->state;
    const hc_val *sz = &k->in[0];
    if (k->n_in != 1 || sz->rank != 0 || sz->dtype != HC_DT_INT32)
        return HC_KFAIL(k, HC_INVALID, "TensorArray size must be an int32 scalar");
    int32_t n = hc_ld_i32(sz->data);
    if (n < 0) return HC_KFAIL(k, HC_INVALID, "TensorArray size must be >= 0, got %d", n);
    hc_tarray *ta = hc_calloc(k->ctx, 1, sizeof *ta);
    if (!ta) return HC_NOMEM;
    ta->base.destroy = ta_destroy;
    ta->ctx = k->ctx;
    ta->dtype = a->dtype;
    ta->dynamic = a->dynamic;
    ta->clear_after_read = a->clear_after_read;
    ta->identical = a->identical;
    ta->elem = a->shape;
    hc_k_set_object(k, 0, HC_DT_RESOURCE, &ta->base); /* the output owns it from here */
    hc_status s = ta_resize(k, ta, (size_t)n);
    if (!s) s = hc_k_alloc(k, 1, HC_DT_FLOAT, 0, NULL);
    if (!s) memset(k->out[1].data, 0, 4);
    return s;
}

static hc_status ta_write_op(hc_kernel_ctx *k) {
    hc_tarray *ta;
    int32_t index;
    hc_status s = k->n_in == 4 ? ta_get(k, &ta) : HC_KFAIL(k, HC_MALFORMED, "expects 4 inputs");
    if (!s) s = scalar_index(k, 1, &index);
    if (!s) s = ta_write(k, ta, index, &k->in[2]);
    return s ? s : flow_forward(k, 3);
}

static hc_status ta_read_op(hc_kernel_ctx *k) {
    const ta_attrs *a = k->state;
    hc_tarray *ta;
    int32_t index;
    hc_status s = k->n_in == 3 ? ta_get(k, &ta) : HC_KFAIL(k, HC_MALFORMED, "expects 3 inputs");
    if (!s) s = ta_check_dtype(k, ta, a->dtype);
    if (!s) s = scalar_index(k, 1, &index);
    if (!s) s = ta_read(k, ta, index, &k->out[0]);
    return s;
}

static hc_status ta_size_op(hc_kernel_ctx *k) {
    hc_tarray *ta;
    hc_status s = ta_get(k, &ta);
    if (!s) s = hc_k_alloc(k, 0, HC_DT_INT32, 0, NULL);
    if (s) return s;
    int32_t n = (int32_t)ta->n;
    memcpy(k->out[0].data, &n, 4);
    return HC_OK;
}

static hc_status ta_close_op(hc_kernel_ctx *k) {
    hc_tarray *ta;
    hc_status s = ta_get(k, &ta);
    if (s) return s;
    ta_clear(k->s, ta);
    ta->closed = true;
    return HC_OK;
}

/* Read elements idx[0..n) (NULL: 0..n) into vals (references the caller releases). */
static hc_status read_many(hc_kernel_ctx *k, hc_tarray *ta, const hc_val *idx, size_t n,
                           hc_val *vals) {
    for (size_t i = 0; i < n; i++) {
        int64_t at = (int64_t)i;
        if (idx) at = hc_ld_i32((const uint8_t *)idx->data + 4 * i);
        hc_status s = ta_read(k, ta, at, &vals[i]);
        if (s) return s;
    }
    return HC_OK;
}

static void release_many(hc_kernel_ctx *k, hc_val *vals, size_t n) {
    for (size_t i = 0; i < n; i++)
        hc_val_release(k->s, &vals[i]);
    hc_k_scratch_free(k, vals);
}

/* Stack vals[0..n) (same shape) into output 0 as [n] + shape. */
static hc_status stack_into(hc_kernel_ctx *k, const hc_val *vals, size_t n) {
    char a[96], b[96];
    for (size_t i = 1; i < n; i++) {
        hc_pshape s0 = hc_pshape_of(&vals[0]), si = hc_pshape_of(&vals[i]);
        if (s0.rank != si.rank || memcmp(s0.dims, si.dims, sizeof(int64_t) * (size_t)s0.rank) != 0)
            return HC_KFAIL(k, HC_INVALID,
                            "TensorArray has inconsistent shapes: index 0 has %s "
                            "but index %zu has %s",
                            hc_pshape_str(&s0, a, sizeof a), i, hc_pshape_str(&si, b, sizeof b));
    }
    hc_pshape s0 = hc_pshape_of(&vals[0]);
    hc_status s = hc_pshape_alloc_zeros(k, 0, vals[0].dtype, (int64_t)n, true, &s0);
    size_t bytes = hc_val_bytes(&vals[0]);
    for (size_t i = 0; !s && bytes && i < n; i++)
        memcpy((uint8_t *)k->out[0].data + i * bytes, vals[i].data, bytes);
    return s;
}

static hc_status ta_gather_op(hc_kernel_ctx *k) {
    const ta_attrs *a = k->state;
    hc_tarray *ta;
    char b1[96], b2[96];
    hc_status s = k->n_in == 3 ? ta_get(k, &ta) : HC_KFAIL(k, HC_MALFORMED, "expects 3 inputs");
    if (!s) s = ta_check_dtype(k, ta, a->dtype);
    if (s) return s;
    if (!hc_pshape_merge(&ta->elem, &a->shape, &ta->elem))
        return HC_KFAIL(k, HC_INVALID,
                        "element_shape %s is incompatible with the TensorArray's "
                        "%s",
                        hc_pshape_str(&a->shape, b1, sizeof b1),
                        hc_pshape_str(&ta->elem, b2, sizeof b2));
    const hc_val *idx = &k->in[1];
    if (idx->rank != 1 || idx->dtype != HC_DT_INT32)
        return HC_KFAIL(k, HC_INVALID, "indices must be an int32 vector");
    size_t n = (size_t)idx->dims[0];
    if (n == 0) {
        if (!hc_pshape_full(&a->shape))
            return HC_KFAIL(k, HC_UNSUPPORTED,
                            "TensorArray has size zero, but element shape %s "
                            "is not fully defined",
                            hc_pshape_str(&a->shape, b1, sizeof b1));
        return hc_pshape_alloc_zeros(k, 0, a->dtype, 0, true, &a->shape);
    }
    hc_val *vals = hc_k_scratch(k, n * sizeof *vals);
    if (!vals) return k->ctx->status ? k->ctx->status : HC_NOMEM;
    memset(vals, 0, n * sizeof *vals);
    s = read_many(k, ta, idx, n, vals);
    if (!s && !hc_pshape_fits(&a->shape, &vals[0]))
        s = HC_KFAIL(k, HC_INVALID, "element_shape %s does not match the element at index 0",
                     hc_pshape_str(&a->shape, b1, sizeof b1));
    if (!s) s = stack_into(k, vals, n);
    release_many(k, vals, n);
    return s;
}

/* Concat's lengths output and the output shape; checks shapes beyond dimension 0. */
static hc_status concat_shape(hc_kernel_ctx *k, const ta_attrs *a, const hc_val *vals, size_t n,
                              int64_t *total) {
    char b1[96], b2[96];
    int64_t *len = k->out[1].data;
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        if (vals[i].rank < 1) return HC_KFAIL(k, HC_INVALID, "concat saw a scalar at index %zu", i);
        hc_pshape rest = hc_pshape_of(&vals[i]), first;
        rest.rank--;
        memmove(rest.dims, rest.dims + 1, sizeof(int64_t) * (size_t)rest.rank);
        if (i == 0 && !hc_pshape_compatible(&a->shape, &rest))
            return HC_KFAIL(k, HC_INVALID,
                            "element_shape_except0 %s does not match index 0 "
                            "(%s)",
                            hc_pshape_str(&a->shape, b1, sizeof b1),
                            hc_pshape_str(&rest, b2, sizeof b2));
        first = hc_pshape_of(&vals[0]);
        first.rank--;
        memmove(first.dims, first.dims + 1, sizeof(int64_t) * (size_t)first.rank);
        if (first.rank != rest.rank ||
            memcmp(first.dims, rest.dims, sizeof(int64_t) * (size_t)rest.rank) != 0)
            return HC_KFAIL(k, HC_INVALID,
                            "TensorArray has inconsistent shapes: index 0 has %s "
                            "but index %zu has %s beyond dimension 0",
                            hc_pshape_str(&first, b1, sizeof b1), i,
                            hc_pshape_str(&rest, b2, sizeof b2));
        memcpy(&len[i], &vals[i].dims[0], 8);
        *total += vals[i].dims[0];
    }
    return HC_OK;
}

static hc_status ta_concat_op(hc_kernel_ctx *k) {
    const ta_attrs *a = k->state;
    hc_tarray *ta;
    char b1[96];
    hc_status s = k->n_in == 2 ? ta_get(k, &ta) : HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (!s) s = ta_check_dtype(k, ta, a->dtype);
    if (s) return s;
    size_t n = ta->n;
    int64_t nn = (int64_t)n;
    if (n == 0) {
        if (!hc_pshape_full(&a->shape))
            return HC_KFAIL(k, HC_UNSUPPORTED,
                            "TensorArray has size zero, but "
                            "element_shape_except0 %s is not fully defined",
                            hc_pshape_str(&a->shape, b1, sizeof b1));
        s = hc_pshape_alloc_zeros(k, 0, a->dtype, 0, true, &a->shape);
        return s ? s : hc_k_alloc(k, 1, HC_DT_INT64, 1, &nn);
    }
    hc_val *vals = hc_k_scratch(k, n * sizeof *vals);
    if (!vals) return k->ctx->status ? k->ctx->status : HC_NOMEM;
    memset(vals, 0, n * sizeof *vals);
    int64_t total = 0;
    s = read_many(k, ta, NULL, n, vals);
    if (!s) s = hc_k_alloc(k, 1, HC_DT_INT64, 1, &nn);
    if (!s) s = concat_shape(k, a, vals, n, &total);
    if (!s) {
        int64_t dims[HC_MAX_RANK];
        memcpy(dims, vals[0].dims, sizeof dims);
        dims[0] = total;
        s = hc_k_alloc(k, 0, a->dtype, vals[0].rank, dims);
    }
    size_t at = 0;
    for (size_t i = 0; !s && i < n; i++) {
        size_t bytes = hc_val_bytes(&vals[i]);
        if (bytes) memcpy((uint8_t *)k->out[0].data + at, vals[i].data, bytes);
        at += bytes;
    }
    release_many(k, vals, n);
    return s;
}

/* Write rows [start, start + len) of v (along dimension 0) to index `index`. */
static hc_status write_rows(hc_kernel_ctx *k, hc_tarray *ta, int64_t index, const hc_val *v,
                            int64_t start, int64_t len, bool keep_dim) {
    hc_val part = {0};
    part.dtype = v->dtype;
    part.rank = keep_dim ? v->rank : v->rank - 1;
    for (int32_t i = 1; i < v->rank; i++)
        part.dims[keep_dim ? i : i - 1] = v->dims[i];
    if (keep_dim) part.dims[0] = len;
    size_t row = v->dims[0] ? hc_val_bytes(v) / (size_t)v->dims[0] : 0;
    size_t bytes = hc_val_bytes(&part);
    if (bytes) {
        part.buf = hc_rtbuf_new(k->s, bytes);
        if (!part.buf) return k->ctx->status ? k->ctx->status : HC_NOMEM;
        part.data = hc_rtbuf_data(part.buf);
        memcpy(part.data, (const uint8_t *)v->data + (size_t)start * row, bytes);
    }
    hc_status s = ta_write(k, ta, index, &part); /* retains part */
    hc_val_release(k->s, &part);
    return s;
}

static hc_status ta_scatter_op(hc_kernel_ctx *k) {
    hc_tarray *ta;
    hc_status s = k->n_in == 4 ? ta_get(k, &ta) : HC_KFAIL(k, HC_MALFORMED, "expects 4 inputs");
    if (s) return s;
    const hc_val *idx = &k->in[1], *v = &k->in[2];
    if ((s = ta_check_dtype(k, ta, v->dtype))) return s;
    if (v->rank < 1) return HC_KFAIL(k, HC_INVALID, "value to scatter must be at least a vector");
    if (idx->rank != 1 || idx->dtype != HC_DT_INT32)
        return HC_KFAIL(k, HC_INVALID, "indices must be an int32 vector");
    if (idx->dims[0] != v->dims[0])
        return HC_KFAIL(k, HC_INVALID, "expected len(indices) == values.shape[0], got %lld vs %lld",
                        (long long)idx->dims[0], (long long)v->dims[0]);
    int64_t n = idx->dims[0], max_index = -1;
    for (int64_t i = 0; i < n; i++)
        max_index = HC_MAX(max_index, (int64_t)hc_ld_i32((const uint8_t *)idx->data + 4 * i));
    int64_t size = (int64_t)ta->n;
    if (ta->dynamic && size < max_index + 1) size = max_index + 1;
    if (max_index >= size)
        return HC_KFAIL(k, HC_INVALID, "max scatter index must be < array size (%lld vs %lld)",
                        (long long)max_index, (long long)size);
    /* TensorFlow writes the last value first. */
    for (int64_t i = n - 1; !s && i >= 0; i--)
        s = write_rows(k, ta, hc_ld_i32((const uint8_t *)idx->data + 4 * i), v, i, 1, false);
    return s ? s : flow_forward(k, 3);
}

static hc_status ta_split_op(hc_kernel_ctx *k) {
    hc_tarray *ta;
    hc_status s = k->n_in == 4 ? ta_get(k, &ta) : HC_KFAIL(k, HC_MALFORMED, "expects 4 inputs");
    if (s) return s;
    const hc_val *v = &k->in[1], *len = &k->in[2];
    if (len->rank != 1 || len->dtype != HC_DT_INT64)
        return HC_KFAIL(k, HC_INVALID, "lengths must be an int64 vector");
    if (v->rank < 1) return HC_KFAIL(k, HC_INVALID, "value to split must be at least a vector");
    int64_t n = len->dims[0], total = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t l = hc_ld_i64((const uint8_t *)len->data + 8 * i);
        if (l < 0 || __builtin_add_overflow(total, l, &total))
            return HC_KFAIL(k, HC_INVALID, "invalid length %lld", (long long)l);
    }
    if (total != v->dims[0])
        return HC_KFAIL(k, HC_INVALID, "the lengths sum to %lld but the value has %lld rows",
                        (long long)total, (long long)v->dims[0]);
    int64_t size = (int64_t)ta->n;
    if (ta->dynamic && size < n) size = n;
    if (size != n)
        return HC_KFAIL(k, HC_INVALID,
                        "TensorArray size %lld differs from the %lld lengths and "
                        "is not dynamic",
                        (long long)size, (long long)n);
    if ((s = ta_check_dtype(k, ta, v->dtype))) return s;
    int64_t start = total;
    for (int64_t i = n - 1; !s && i >= 0; i--) {
        int64_t l = hc_ld_i64((const uint8_t *)len->data + 8 * i);
        start -= l;
        s = write_rows(k, ta, i, v, start, l, true);
    }
    return s ? s : flow_forward(k, 3);
}

/* Sorted by op name (binary search). */
const hc_kernel hc_kernels_tensorarray[] = {
    {"TensorArrayCloseV3", ta_prepare, ta_close_op},
    {"TensorArrayConcatV3", ta_prepare, ta_concat_op},
    {"TensorArrayGatherV3", ta_prepare, ta_gather_op},
    {"TensorArrayReadV3", ta_prepare, ta_read_op},
    {"TensorArrayScatterV3", ta_prepare, ta_scatter_op},
    {"TensorArraySizeV3", ta_prepare, ta_size_op},
    {"TensorArraySplitV3", ta_prepare, ta_split_op},
    {"TensorArrayV3", ta_prepare, ta_create},
    {"TensorArrayWriteV3", ta_prepare, ta_write_op},
};
const size_t hc_n_kernels_tensorarray =
    sizeof hc_kernels_tensorarray / sizeof hc_kernels_tensorarray[0];
