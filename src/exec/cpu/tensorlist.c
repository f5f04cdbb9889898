/* tensorlist.c - the tensorlist kernel family: TF2 TensorList ops (as lowered to TF1 control
 * flow in frozen graphs). The handle is a VARIANT scalar holding a reference-counted list
 * object (hc_object): element dtype, partially known element shape, optional maximum length
 * and the items, each a retained value or unset. Ops that return a new list (SetItem,
 * PushBack, PopBack, ScatterIntoExistingList, Resize) change the input list in place when the
 * input holds its only reference - TensorFlow's buffer forwarding - and copy it otherwise, so
 * a list value seen by another consumer never changes. Semantics follow TensorFlow's
 * list_kernels.h / list_kernels.cc: unset items read as zeros of the element shape (merged
 * with the op's element_shape input and, for GetItem, Stack and Gather, with the set items). */
#include "exec/cpu/pshape.h"

typedef struct hc_tlist {
    hc_object base;
    hc_ctx *ctx;
    hc_dtype dtype;
    hc_pshape elem;
    int64_t max_n; /* -1: unbounded */
    size_t n, cap;
    hc_val *items; /* dtype HC_DT_INVALID: unset */
} hc_tlist;

typedef struct tl_attrs {
    hc_dtype dtype; /* element_dtype */
    int64_t num_elements;
    bool resize_oob; /* SetItem: resize_if_index_out_of_bounds */
    bool has_shape;  /* TensorListConcat: element_shape attribute */
    hc_pshape shape;
} tl_attrs;

static void tl_destroy(hc_object *o, hc_session *s) {
    hc_tlist *l = (hc_tlist *)o;
    for (size_t i = 0; i < l->n; i++)
        hc_val_release(s, &l->items[i]);
    hc_dealloc(l->ctx, l->items);
    hc_dealloc(l->ctx, l);
}

static hc_status tl_resize(hc_kernel_ctx *k, hc_tlist *l, size_t n) {
    if (n > INT32_MAX) return HC_KFAIL(k, HC_LIMIT, "TensorList length %zu is too large", n);
    if (n > l->cap) {
        size_t cap = HC_MAX(n, 2 * l->cap);
        hc_val *it = hc_realloc(l->ctx, l->items, l->cap * sizeof *it, cap * sizeof *it);
        if (!it) return HC_NOMEM;
        memset(it + l->cap, 0, (cap - l->cap) * sizeof *it);
        l->items = it;
        l->cap = cap;
    }
    for (size_t i = n; i < l->n; i++)
        hc_val_release(k->s, &l->items[i]);
    l->n = n;
    return HC_OK;
}

/* A new empty list held by output `out` (the output owns it). */
static hc_status tl_new(hc_kernel_ctx *k, uint32_t out, hc_dtype dt, const hc_pshape *elem,
                        hc_tlist **res) {
    hc_tlist *l = hc_calloc(k->ctx, 1, sizeof *l);
    if (!l) return HC_NOMEM;
    l->base.destroy = tl_destroy;
    l->ctx = k->ctx;
    l->dtype = dt;
    l->elem = *elem;
    l->max_n = -1;
    hc_k_set_object(k, out, HC_DT_VARIANT, &l->base);
    *res = l;
    return HC_OK;
}

/* The list of input i (GetInputList). */
static hc_status tl_get(hc_kernel_ctx *k, uint32_t i, hc_tlist **out) {
    const hc_val *h = &k->in[i];
    if (i >= k->n_in || h->dtype != HC_DT_VARIANT || h->rank != 0 || !h->obj ||
        h->obj->destroy != tl_destroy)
        return HC_KFAIL(k, HC_INVALID, "input %u is not a TensorList handle", i);
    *out = (hc_tlist *)h->obj;
    return HC_OK;
}

static hc_status tl_check_dtype(hc_kernel_ctx *k, const hc_tlist *l, hc_dtype dt) {
    if (dt == l->dtype) return HC_OK;
    return HC_KFAIL(k, HC_INVALID, "invalid data types: op elements %s but list elements %s",
                    hc_dtype_name(dt), hc_dtype_name(l->dtype));
}

/* Keep a reference to v in *dst (values borrowed from the model or caller are copied). */
static hc_status tl_store(hc_kernel_ctx *k, hc_val *dst, const hc_val *v) {
    hc_val_release(k->s, dst);
    if (!v->buf && v->data) return hc_val_copy(k->s, v, dst);
    *dst = *v;
    hc_val_retain(dst);
    return HC_OK;
}

/* ForwardInputOrCreateNewList: the input list itself when this op holds its only reference,
 * else a copy (items shared by reference); output `out` holds the result. */
static hc_status tl_mutable(hc_kernel_ctx *k, hc_tlist *in, uint32_t out, hc_tlist **res) {
    if (in->base.refs == 1) {
        hc_k_set_object(k, out, HC_DT_VARIANT, &in->base);
        *res = in;
        return HC_OK;
    }
    hc_tlist *l;
    hc_status s = tl_new(k, out, in->dtype, &in->elem, &l);
    if (!s) s = tl_resize(k, l, in->n);
    if (s) return s;
    l->max_n = in->max_n;
    for (size_t i = 0; i < in->n; i++) {
        l->items[i] = in->items[i];
        hc_val_retain(&l->items[i]);
    }
    *res = l;
    return HC_OK;
}

static hc_status int_scalar(hc_kernel_ctx *k, uint32_t i, const char *what, int64_t *out) {
    const hc_val *v = &k->in[i];
    if (i >= k->n_in || v->rank != 0 || !hc_k_int_at(v, 0, out))
        return HC_KFAIL(k, HC_INVALID, "%s must be an integer scalar", what);
    return HC_OK;
}

/* Element shape of input i merged with the list's (GetElementShapeFromInput). */
static hc_status merged_shape(hc_kernel_ctx *k, const hc_tlist *l, uint32_t i, hc_pshape *out) {
    char a[96], b[96];
    hc_pshape in;
    hc_status s = hc_pshape_from_val(k, &k->in[i], &in);
    if (s) return s;
    if (!hc_pshape_merge(&in, &l->elem, out))
        return HC_KFAIL(k, HC_INVALID, "element_shape %s is incompatible with the list's %s",
                        hc_pshape_str(&in, a, sizeof a), hc_pshape_str(&l->elem, b, sizeof b));
    return HC_OK;
}

/* Merge the shapes of the set items idx[0..n) (NULL: all) into *sh when not fully known. */
static hc_status merge_items(hc_kernel_ctx *k, const hc_tlist *l, const int32_t *idx, size_t n,
                             hc_pshape *sh) {
    char a[96];
    if (hc_pshape_full(&l->elem)) return HC_OK;
    for (size_t j = 0; j < n; j++) {
        size_t i = idx ? (size_t)idx[j] : j;
        if (i >= l->n || l->items[i].dtype == HC_DT_INVALID) continue;
        hc_pshape t = hc_pshape_of(&l->items[i]);
        if (!hc_pshape_merge(sh, &t, sh))
            return HC_KFAIL(k, HC_INVALID, "list item %zu has a shape incompatible with %s", i,
                            hc_pshape_str(sh, a, sizeof a));
    }
    return HC_OK;
}

/* ---------------------------------------------------------------------------------------- */

static hc_status tl_prepare(hc_kernel_prep *p) {
    tl_attrs *a = hc_arena_alloc(p->arena, sizeof *a);
    if (!a) return HC_NOMEM;
    memset(a, 0, sizeof *a);
    a->dtype = hc_k_attr_type(p->node, "element_dtype", HC_DT_INVALID);
    a->num_elements = hc_k_attr_int(p->node, "num_elements", -1);
    a->resize_oob = hc_k_attr_bool(p->node, "resize_if_index_out_of_bounds", false);
    a->has_shape = hc_node_attr(p->node, "element_shape") != NULL;
    if (!hc_pshape_attr(p->node, "element_shape", &a->shape))
        return hc_kp_fail(p, HC_LIMIT, "element_shape rank is beyond %d", HC_MAX_RANK);
    bool typed = hc_node_attr(p->node, "element_dtype") != NULL;
    if (typed && hc_dtype_size(a->dtype) == 0)
        return hc_kp_fail(p, HC_UNSUPPORTED, "list elements of type %s are not supported",
                          hc_dtype_name(a->dtype));
    p->state = a;
    return HC_OK;
}

static hc_status tl_empty_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_pshape sh;
    int64_t max_n;
    hc_tlist *l;
    hc_status s = k->n_in == 2 ? hc_pshape_from_val(k, &k->in[0], &sh)
                               : HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (!s) s = int_scalar(k, 1, "max_num_elements", &max_n);
    if (!s) s = tl_new(k, 0, a->dtype, &sh, &l);
    if (!s) l->max_n = max_n;
    return s;
}

static hc_status tl_reserve_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_pshape sh;
    int64_t n;
    hc_tlist *l;
    hc_status s = k->n_in == 2 ? hc_pshape_from_val(k, &k->in[0], &sh)
                               : HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (!s) s = int_scalar(k, 1, "num_elements", &n);
    if (!s && n < 0)
        s = HC_KFAIL(k, HC_INVALID, "num_elements must be >= 0, got %lld", (long long)n);
    if (!s) s = tl_new(k, 0, a->dtype, &sh, &l);
    return s ? s : tl_resize(k, l, (size_t)n);
}

/* Item i of v along dimension 0 (rows [i, i+len) when keep_dim) into *dst, copied. */
static hc_status slice_rows(hc_kernel_ctx *k, const hc_val *v, int64_t i, int64_t len,
                            bool keep_dim, hc_val *dst) {
    hc_val part = {0};
    part.dtype = v->dtype;
    part.rank = keep_dim ? v->rank : v->rank - 1;
    for (int32_t d = 1; d < v->rank; d++)
        part.dims[keep_dim ? d : d - 1] = v->dims[d];
    if (keep_dim) part.dims[0] = len;
    size_t row = v->dims[0] ? hc_val_bytes(v) / (size_t)v->dims[0] : 0, bytes = hc_val_bytes(&part);
    if (bytes) {
        part.buf = hc_rtbuf_new(k->s, bytes);
        if (!part.buf) return k->ctx->status ? k->ctx->status : HC_NOMEM;
        part.data = hc_rtbuf_data(part.buf);
        memcpy(part.data, (const uint8_t *)v->data + (size_t)i * row, bytes);
    }
    hc_val_release(k->s, dst);
    *dst = part;
    return HC_OK;
}

static hc_status tl_from_tensor_op(hc_kernel_ctx *k) {
    const hc_val *t = &k->in[0];
    char a[96], b[96];
    hc_pshape sh, rest;
    hc_status s = k->n_in == 2 ? hc_pshape_from_val(k, &k->in[1], &sh)
                               : HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (s) return s;
    if (t->rank < 1) return HC_KFAIL(k, HC_INVALID, "tensor must be at least a vector");
    rest = hc_pshape_of(t);
    rest.rank--;
    memmove(rest.dims, rest.dims + 1, sizeof(int64_t) * (size_t)rest.rank);
    if (!hc_pshape_compatible(&sh, &rest))
        return HC_KFAIL(k, HC_INVALID,
                        "specified a list with shape %s from a tensor with shape "
                        "%s",
                        hc_pshape_str(&sh, a, sizeof a), hc_pshape_str(&rest, b, sizeof b));
    hc_tlist *l;
    if ((s = tl_new(k, 0, t->dtype, &sh, &l)) || (s = tl_resize(k, l, (size_t)t->dims[0])))
        return s;
    for (int64_t i = 0; !s && i < t->dims[0]; i++)
        s = slice_rows(k, t, i, 1, false, &l->items[i]);
    return s;
}

static hc_status tl_set_item_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_tlist *l, *out;
    int64_t i;
    char b1[96], b2[96];
    hc_status s = k->n_in == 3 ? tl_get(k, 0, &l) : HC_KFAIL(k, HC_MALFORMED, "expects 3 inputs");
    if (!s) s = tl_check_dtype(k, l, a->dtype);
    if (!s) s = int_scalar(k, 1, "index", &i);
    if (s) return s;
    const hc_val *v = &k->in[2];
    if (i < 0 || (!a->resize_oob && (size_t)i >= l->n))
        return HC_KFAIL(k, HC_INVALID,
                        "trying to modify element %lld in a list with %zu "
                        "elements",
                        (long long)i, l->n);
    if ((s = tl_check_dtype(k, l, v->dtype))) return s;
    if (!hc_pshape_fits(&l->elem, v)) {
        hc_pshape vs = hc_pshape_of(v);
        return HC_KFAIL(k, HC_INVALID,
                        "tried to set a tensor of shape %s in a list of element "
                        "shape %s",
                        hc_pshape_str(&vs, b1, sizeof b1), hc_pshape_str(&l->elem, b2, sizeof b2));
    }
    if ((s = tl_mutable(k, l, 0, &out))) return s;
    if ((size_t)i >= out->n && (s = tl_resize(k, out, (size_t)i + 1))) return s;
    return tl_store(k, &out->items[i], v);
}

/* Output `out` = zeros of *sh, which must be fully known. */
static hc_status zeros_out(hc_kernel_ctx *k, uint32_t out, hc_dtype dt, const hc_pshape *sh) {
    char a[96];
    if (!hc_pshape_full(sh))
        return HC_KFAIL(k, HC_INVALID,
                        "trying to read an unset list item but the element shape "
                        "%s is not fully defined",
                        hc_pshape_str(sh, a, sizeof a));
    return hc_pshape_alloc_zeros(k, out, dt, 0, false, sh);
}

static hc_status tl_get_item_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_tlist *l;
    int64_t i;
    hc_status s = k->n_in == 3 ? tl_get(k, 0, &l) : HC_KFAIL(k, HC_MALFORMED, "expects 3 inputs");
    if (!s) s = tl_check_dtype(k, l, a->dtype);
    if (!s) s = int_scalar(k, 1, "index", &i);
    if (s) return s;
    if (i < 0 || (size_t)i >= l->n)
        return HC_KFAIL(k, HC_INVALID,
                        "trying to access element %lld in a list with %zu "
                        "elements",
                        (long long)i, l->n);
    if (l->items[i].dtype != HC_DT_INVALID) {
        k->out[0] = l->items[i];
        hc_val_retain(&k->out[0]);
        return HC_OK;
    }
    hc_pshape sh;
    if ((s = merged_shape(k, l, 2, &sh)) || (s = merge_items(k, l, NULL, l->n, &sh))) return s;
    return zeros_out(k, 0, l->dtype, &sh);
}

/* Stack items idx[0..n) (NULL: all) into output 0 as [n] + element shape; unset items are
 * zeros. */
static hc_status stack_items(hc_kernel_ctx *k, const hc_tlist *l, const int32_t *idx, size_t n,
                             hc_pshape *sh) {
    char a[96];
    hc_status s = merge_items(k, l, idx, n, sh);
    if (s) return s;
    if (!hc_pshape_full(sh))
        return HC_KFAIL(k, HC_INVALID,
                        "tried to stack a list with unset items and a "
                        "non-fully-defined element shape %s",
                        hc_pshape_str(sh, a, sizeof a));
    if ((s = hc_pshape_alloc_zeros(k, 0, l->dtype, (int64_t)n, true, sh))) return s;
    size_t bytes = n ? hc_val_bytes(&k->out[0]) / n : 0;
    for (size_t j = 0; bytes && j < n; j++) {
        size_t i = idx ? (size_t)idx[j] : j;
        if (i >= l->n)
            return HC_KFAIL(k, HC_INVALID,
                            "index %zu out of range; the list has %zu "
                            "elements",
                            i, l->n);
        const hc_val *it = &l->items[i];
        if (it->dtype == HC_DT_INVALID) continue; /* zeros already */
        if (hc_val_bytes(it) != bytes || !hc_pshape_fits(sh, it))
            return HC_KFAIL(k, HC_INVALID, "list item %zu has a shape other than %s", i,
                            hc_pshape_str(sh, a, sizeof a));
        memcpy((uint8_t *)k->out[0].data + j * bytes, it->data, bytes);
    }
    return HC_OK;
}

static hc_status tl_stack_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_tlist *l;
    hc_pshape sh;
    hc_status s = k->n_in == 2 ? tl_get(k, 0, &l) : HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (!s) s = tl_check_dtype(k, l, a->dtype);
    if (s) return s;
    if (a->num_elements != -1 && (size_t)a->num_elements != l->n)
        return HC_KFAIL(k, HC_INVALID, "expected a list with %lld elements but got %zu",
                        (long long)a->num_elements, l->n);
    if ((s = merged_shape(k, l, 1, &sh))) return s;
    return stack_items(k, l, NULL, l->n, &sh);
}

static hc_status tl_gather_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_tlist *l;
    hc_pshape sh;
    hc_status s = k->n_in == 3 ? tl_get(k, 0, &l) : HC_KFAIL(k, HC_MALFORMED, "expects 3 inputs");
    if (!s) s = tl_check_dtype(k, l, a->dtype);
    if (!s) s = merged_shape(k, l, 2, &sh);
    if (s) return s;
    const hc_val *iv = &k->in[1];
    if (iv->rank != 1 || iv->dtype != HC_DT_INT32)
        return HC_KFAIL(k, HC_INVALID, "indices must be an int32 vector");
    size_t n = (size_t)iv->dims[0];
    int32_t *idx = hc_k_scratch(k, (n + 1) * sizeof *idx);
    if (!idx) return k->ctx->status ? k->ctx->status : HC_NOMEM;
    for (size_t j = 0; j < n; j++) {
        idx[j] = hc_ld_i32((const uint8_t *)iv->data + 4 * j);
        if (idx[j] < 0 || (size_t)idx[j] >= l->n)
            s = HC_KFAIL(k, HC_INVALID, "index %d out of range; the list has %zu elements", idx[j],
                         l->n);
        if (s) break;
    }
    if (!s) s = stack_items(k, l, idx, n, &sh);
    hc_k_scratch_free(k, idx);
    return s;
}

static hc_status tl_length_op(hc_kernel_ctx *k) {
    hc_tlist *l;
    hc_status s = tl_get(k, 0, &l);
    if (!s) s = hc_k_alloc(k, 0, HC_DT_INT32, 0, NULL);
    if (s) return s;
    int32_t n = (int32_t)l->n;
    memcpy(k->out[0].data, &n, 4);
    return HC_OK;
}

static hc_status tl_element_shape_op(hc_kernel_ctx *k) {
    hc_tlist *l;
    hc_status s = tl_get(k, 0, &l);
    if (s) return s;
    hc_dtype t = hc_k_attr_type(k->node, "shape_type", HC_DT_INT32);
    if (t != HC_DT_INT32 && t != HC_DT_INT64)
        return HC_KFAIL(k, HC_INVALID, "shape_type must be int32 or int64");
    int64_t n = l->elem.rank;
    if ((s = hc_k_alloc(k, 0, t, l->elem.rank < 0 ? 0 : 1, &n))) return s;
    for (int32_t i = 0; i < (l->elem.rank < 0 ? 1 : l->elem.rank); i++) {
        int64_t d = l->elem.rank < 0 ? -1 : l->elem.dims[i];
        if (t == HC_DT_INT64)
            memcpy((uint8_t *)k->out[0].data + (size_t)8 * (size_t)i, &d, 8);
        else {
            int32_t d32 = (int32_t)d;
            memcpy((uint8_t *)k->out[0].data + (size_t)4 * (size_t)i, &d32, 4);
        }
    }
    return HC_OK;
}

static hc_status tl_push_back_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_tlist *l, *out;
    char b1[96], b2[96];
    hc_status s = k->n_in == 2 ? tl_get(k, 0, &l) : HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (s) return s;
    const hc_val *v = &k->in[1];
    if ((s = tl_check_dtype(k, l, v->dtype)) || (s = tl_check_dtype(k, l, a->dtype))) return s;
    if (!hc_pshape_fits(&l->elem, v)) {
        hc_pshape vs = hc_pshape_of(v);
        return HC_KFAIL(k, HC_INVALID,
                        "tried to append a tensor of shape %s to a list of "
                        "element shape %s",
                        hc_pshape_str(&vs, b1, sizeof b1), hc_pshape_str(&l->elem, b2, sizeof b2));
    }
    if (l->max_n != -1 && (int64_t)l->n >= l->max_n)
        return HC_KFAIL(k, HC_INVALID, "tried to push an item into a full list (%zu of %lld)", l->n,
                        (long long)l->max_n);
    if ((s = tl_mutable(k, l, 0, &out)) || (s = tl_resize(k, out, out->n + 1))) return s;
    return tl_store(k, &out->items[out->n - 1], v);
}

static hc_status tl_pop_back_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_tlist *l, *out;
    hc_status s = k->n_in == 2 ? tl_get(k, 0, &l) : HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (!s) s = tl_check_dtype(k, l, a->dtype);
    if (s) return s;
    if (l->n == 0) return HC_KFAIL(k, HC_INVALID, "trying to pop from an empty list");
    const hc_val *last = &l->items[l->n - 1];
    if (last->dtype != HC_DT_INVALID) {
        k->out[1] = *last;
        hc_val_retain(&k->out[1]);
    } else {
        hc_pshape sh;
        if ((s = merged_shape(k, l, 1, &sh)) || (s = zeros_out(k, 1, l->dtype, &sh))) return s;
    }
    if ((s = tl_mutable(k, l, 0, &out))) return s;
    return tl_resize(k, out, out->n - 1);
}

static hc_status tl_scatter_existing_op(hc_kernel_ctx *k) {
    hc_tlist *l, *out;
    hc_status s = k->n_in == 3 ? tl_get(k, 0, &l) : HC_KFAIL(k, HC_MALFORMED, "expects 3 inputs");
    if (s) return s;
    const hc_val *t = &k->in[1], *iv = &k->in[2];
    if ((s = tl_check_dtype(k, l, t->dtype))) return s;
    if (t->rank < 1) return HC_KFAIL(k, HC_INVALID, "tensor must be at least a vector");
    if (iv->rank != 1 || iv->dtype != HC_DT_INT32)
        return HC_KFAIL(k, HC_INVALID, "indices must be an int32 vector");
    if (iv->dims[0] != t->dims[0])
        return HC_KFAIL(k, HC_INVALID,
                        "expected len(indices) == tensor.shape[0], got %lld vs "
                        "%lld",
                        (long long)iv->dims[0], (long long)t->dims[0]);
    int64_t n = iv->dims[0], max_index = -1;
    for (int64_t j = 0; j < n; j++) {
        int32_t i = hc_ld_i32((const uint8_t *)iv->data + 4 * j);
        if (i < 0) return HC_KFAIL(k, HC_INVALID, "negative scatter index %d", i);
        max_index = HC_MAX(max_index, (int64_t)i);
    }
    if ((s = tl_mutable(k, l, 0, &out))) return s;
    if ((size_t)(max_index + 1) > out->n && (s = tl_resize(k, out, (size_t)(max_index + 1))))
        return s;
    for (int64_t j = 0; !s && j < n; j++)
        s = slice_rows(k, t, j, 1, false,
                       &out->items[hc_ld_i32((const uint8_t *)iv->data + 4 * j)]);
    return s;
}

static hc_status tl_resize_op(hc_kernel_ctx *k) {
    hc_tlist *l, *out;
    int64_t n;
    hc_status s = k->n_in == 2 ? tl_get(k, 0, &l) : HC_KFAIL(k, HC_MALFORMED, "expects 2 inputs");
    if (!s) s = int_scalar(k, 1, "size", &n);
    if (!s && n < 0) s = HC_KFAIL(k, HC_INVALID, "size must be >= 0, got %lld", (long long)n);
    if (!s) s = tl_mutable(k, l, 0, &out);
    return s ? s : tl_resize(k, out, (size_t)n);
}

/* TensorListConcat(V2): the element shape beyond dimension 0 and the known leading dim. */
static hc_status concat_shape(hc_kernel_ctx *k, const tl_attrs *a, const hc_tlist *l,
                              hc_pshape *rest, int64_t *first) {
    hc_pshape sh = a->shape;
    *first = -1;
    if (k->n_in > 1) {
        hc_status s = merged_shape(k, l, 1, &sh);
        if (s) return s;
        if (sh.rank == 0) return HC_KFAIL(k, HC_INVALID, "concat requires at least vectors");
    } else if (!a->has_shape) {
        sh = hc_pshape_unknown();
    }
    *rest = sh;
    if (sh.rank >= 1) {
        *first = k->n_in > 1 ? sh.dims[0] : -1;
        rest->rank--;
        memmove(rest->dims, rest->dims + 1, sizeof(int64_t) * (size_t)rest->rank);
    }
    return HC_OK;
}

/* Infer the shape beyond dimension 0 and the common leading dim from the set items. */
static hc_status concat_infer(hc_kernel_ctx *k, const hc_tlist *l, hc_pshape *rest,
                              int64_t *first) {
    bool check = *first == -1;
    int64_t inferred = *first;
    for (size_t i = 0; !hc_pshape_full(&l->elem) && i < l->n; i++) {
        const hc_val *t = &l->items[i];
        if (t->dtype == HC_DT_INVALID) continue;
        if (t->rank < 1) return HC_KFAIL(k, HC_INVALID, "concat saw a scalar at index %zu", i);
        hc_pshape r = hc_pshape_of(t);
        r.rank--;
        memmove(r.dims, r.dims + 1, sizeof(int64_t) * (size_t)r.rank);
        if (!hc_pshape_merge(rest, &r, rest))
            return HC_KFAIL(k, HC_INVALID, "list item %zu does not match the element shape", i);
        if (*first != -1 && *first != t->dims[0])
            return HC_KFAIL(k, HC_INVALID, "item %zu has leading dim %lld, expected %lld", i,
                            (long long)t->dims[0], (long long)*first);
        if (check && inferred == -1)
            inferred = t->dims[0];
        else if (check && inferred != t->dims[0])
            inferred = -1, check = false;
    }
    if (!hc_pshape_full(&l->elem)) *first = inferred;
    return HC_OK;
}

static hc_status tl_concat_op(hc_kernel_ctx *k) {
    const tl_attrs *a = k->state;
    hc_tlist *l;
    hc_pshape rest;
    int64_t first, nn;
    char b1[96];
    hc_status s = tl_get(k, 0, &l);
    if (!s) s = tl_check_dtype(k, l, a->dtype);
    if (!s) s = concat_shape(k, a, l, &rest, &first);
    if (!s) s = concat_infer(k, l, &rest, &first);
    if (s) return s;
    if (!hc_pshape_full(&rest))
        return HC_KFAIL(k, HC_INVALID,
                        "the element shape beyond dimension 0, %s, is not fully "
                        "defined",
                        hc_pshape_str(&rest, b1, sizeof b1));
    nn = (int64_t)l->n;
    if ((s = hc_k_alloc(k, 1, HC_DT_INT64, 1, &nn))) return s;
    int64_t total = 0, *len = k->out[1].data;
    const hc_val *lead = k->n_in > 2 ? &k->in[2] : NULL;
    if (lead && (lead->dtype != HC_DT_INT64 || lead->rank != 1))
        return HC_KFAIL(k, HC_INVALID, "leading_dims must be an int64 vector");
    for (size_t i = 0; i < l->n; i++) {
        int64_t d = first;
        if (l->items[i].dtype != HC_DT_INVALID)
            d = l->items[i].dims[0];
        else if (lead && (int64_t)i < hc_val_elems(lead))
            d = hc_ld_i64((uint8_t *)lead->data + 8 * i);
        if (d < 0)
            return HC_KFAIL(k, HC_INVALID,
                            "list item %zu is unset and its leading "
                            "dimension is unknown",
                            i);
        len[i] = d;
        total += d;
    }
    if ((s = hc_pshape_alloc_zeros(k, 0, l->dtype, total, true, &rest))) return s;
    size_t at = 0, row = hc_dtype_size(l->dtype);
    for (int32_t d = 0; d < rest.rank; d++)
        row *= (size_t)rest.dims[d];
    for (size_t i = 0; i < l->n; i++) {
        size_t bytes = (size_t)len[i] * row;
        if (l->items[i].dtype != HC_DT_INVALID && bytes)
            memcpy((uint8_t *)k->out[0].data + at, l->items[i].data, bytes);
        at += bytes;
    }
    return HC_OK;
}

/* Sorted by op name (binary search). */
const hc_kernel hc_kernels_tensorlist[] = {
    {"EmptyTensorList", tl_prepare, tl_empty_op},
    {"TensorListConcat", tl_prepare, tl_concat_op},
    {"TensorListConcatV2", tl_prepare, tl_concat_op},
    {"TensorListElementShape", tl_prepare, tl_element_shape_op},
    {"TensorListFromTensor", tl_prepare, tl_from_tensor_op},
    {"TensorListGather", tl_prepare, tl_gather_op},
    {"TensorListGetItem", tl_prepare, tl_get_item_op},
    {"TensorListLength", tl_prepare, tl_length_op},
    {"TensorListPopBack", tl_prepare, tl_pop_back_op},
    {"TensorListPushBack", tl_prepare, tl_push_back_op},
    {"TensorListReserve", tl_prepare, tl_reserve_op},
    {"TensorListResize", tl_prepare, tl_resize_op},
    {"TensorListScatterIntoExistingList", tl_prepare, tl_scatter_existing_op},
    {"TensorListSetItem", tl_prepare, tl_set_item_op},
    {"TensorListStack", tl_prepare, tl_stack_op},
};
const size_t hc_n_kernels_tensorlist =
    sizeof hc_kernels_tensorlist / sizeof hc_kernels_tensorlist[0];
