/* runtime.c - runtime buffers (a pool by power-of-two size class, 64-byte aligned, reference
 * counted) and the helpers kernels use to make outputs, fail and read attributes.
 *
 * Buffers are carved from slabs: big mappings advised for transparent huge pages. The first
 * run touches every buffer for the first time, and each touched page is a page fault (in a
 * VM, a costly one); carved side by side, the buffers of a model share a few 2 MiB pages
 * instead of spreading over hundreds of 4 KiB ones. A buffer never goes back to its slab: a
 * freed one waits in its size-class pool for the next tensor of that class. */
#include "exec/exec.h"

#include "base/fp16.h"

#include <stdarg.h>
#include <stdio.h>

struct hc_rtbuf {
    int32_t refs;
    uint8_t cls;
    size_t cap;
    hc_rtbuf *next;
    void *raw;
    size_t map_len; /* non-zero: raw is a mapping of this length (hc_alloc_pages) */
    uint8_t *data;
};

#define SLAB_BYTES      ((size_t)32 << 20)
#define SLAB_MAX_BUFFER (SLAB_BYTES / 4) /* larger buffers get a mapping of their own */

struct hc_slab {
    hc_slab *next;
    void *raw;
    size_t map_len;
    uint8_t *base;
    size_t used;
    unsigned n_carved;
};

static uint8_t *slab_carve(hc_session *s, size_t cap) {
    hc_slab *sl = s->slabs;
    if (!sl || SLAB_BYTES - sl->used < cap) { /* cap <= SLAB_MAX_BUFFER: a new slab fits it */
        sl = hc_calloc(s->ctx, 1, sizeof *sl);
        if (!sl) return NULL;
        sl->base = hc_alloc_pages(s->ctx, SLAB_BYTES, &sl->raw, &sl->map_len);
        if (!sl->base) {
            hc_dealloc(s->ctx, sl);
            return NULL;
        }
        sl->next = s->slabs;
        s->slabs = sl;
    }
    uint8_t *p = sl->base + sl->used;
    /* Stagger the next buffer by a varying number of cache lines: power-of-two buffers packed
     * end to end would start at the same offset within a page, and an op reading one while
     * writing another at such an offset stalls on 4 KiB aliasing. */
    sl->n_carved++;
    sl->used += ((cap + 63) & ~(size_t)63) + 64 * (1 + sl->n_carved % 31);
    if (sl->used > SLAB_BYTES) sl->used = SLAB_BYTES;
    return p;
}

/* Size classes: four per power of two (1.25, 1.5, 1.75 and 2 x 2^k for sizes in (2^k, 2^k+1]),
 * so a buffer is at most a quarter larger than asked; 256 bytes at least. Sets *cap. */
static unsigned size_class(size_t n, size_t *cap) {
    if (n <= 256) {
        *cap = 256;
        return 0;
    }
    unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1)); /* 2^k < n */
    size_t base = (size_t)1 << k, step = base / 4;
    size_t q = (n - base + step - 1) / step; /* 1..4 */
    *cap = base + q * step;
    return (k - 8) * 4 + (unsigned)q;
}

hc_rtbuf *hc_rtbuf_new(hc_session *s, size_t bytes) {
    size_t cap;
    if (bytes > ((size_t)1 << 46)) {
        hc_fail(s->ctx, HC_LIMIT, NULL, "a tensor of %zu bytes is too large", bytes);
        return NULL;
    }
    unsigned c = size_class(bytes, &cap);
    /* A free buffer of this class, or of one up to twice as large: reuse keeps the memory a
     * run touches (and its first-run page faults) down. */
    hc_rtbuf *b = NULL;
    for (unsigned cc = c; !b && cc <= c + 4 && cc < HC_N_SIZE_CLASSES; cc++) {
        b = s->free_bufs[cc];
        if (b) s->free_bufs[cc] = b->next;
    }
    if (!b) {
        b = hc_calloc(s->ctx, 1, sizeof *b);
        if (!b) return NULL;
        if (cap > SLAB_MAX_BUFFER)
            b->data = hc_alloc_pages(s->ctx, cap, &b->raw, &b->map_len);
        else
            b->data = slab_carve(s, cap);
        if (!b->data) {
            hc_dealloc(s->ctx, b);
            return NULL;
        }
        b->cap = cap;
        b->cls = (uint8_t)c;
    }
    b->refs = 1;
    b->next = NULL;
    s->bytes_live += b->cap;
    if (s->bytes_live > s->bytes_peak) s->bytes_peak = s->bytes_live;
    return b;
}

void *hc_rtbuf_data(hc_rtbuf *b) {
    return b->data;
}

static void rtbuf_release(hc_session *s, hc_rtbuf *b) {
    if (!b || --b->refs > 0) return;
    s->bytes_live -= b->cap;
    b->next = s->free_bufs[b->cls];
    s->free_bufs[b->cls] = b;
}

void hc_exec_free_buffers(hc_session *s) {
    for (int c = 0; c < HC_N_SIZE_CLASSES; c++) {
        hc_rtbuf *b = s->free_bufs[c];
        while (b) {
            hc_rtbuf *n = b->next;
            hc_free_pages(s->ctx, b->raw, b->map_len);
            hc_dealloc(s->ctx, b);
            b = n;
        }
        s->free_bufs[c] = NULL;
    }
    while (s->slabs) {
        hc_slab *n = s->slabs->next;
        hc_free_pages(s->ctx, s->slabs->raw, s->slabs->map_len);
        hc_dealloc(s->ctx, s->slabs);
        s->slabs = n;
    }
}

int64_t hc_val_elems(const hc_val *v) {
    int64_t n = 1;
    for (int32_t i = 0; i < v->rank; i++)
        n *= v->dims[i];
    return n;
}

size_t hc_val_bytes(const hc_val *v) {
    return (size_t)hc_val_elems(v) * hc_dtype_size(v->dtype);
}

void hc_val_retain(const hc_val *v) {
    if (v->buf) v->buf->refs++;
    if (v->obj) v->obj->refs++;
}

void hc_val_release(hc_session *s, hc_val *v) {
    rtbuf_release(s, v->buf);
    if (v->obj && --v->obj->refs == 0 && v->obj->destroy) v->obj->destroy(v->obj, s);
    memset(v, 0, sizeof *v);
}

hc_status hc_val_copy(hc_session *s, const hc_val *v, hc_val *out) {
    *out = *v;
    out->buf = NULL;
    out->obj = NULL;
    size_t n = hc_val_bytes(v);
    hc_rtbuf *b = hc_rtbuf_new(s, n);
    if (!b) return s->ctx->status;
    if (n) memcpy(b->data, v->data, n);
    out->buf = b;
    out->data = b->data;
    return HC_OK;
}

static hc_status check_shape(hc_kernel_ctx *k, int rank, const int64_t *dims, size_t esz,
                             size_t *bytes) {
    if (rank < 0 || rank > HC_MAX_RANK)
        return hc_k_fail(k, HC_LIMIT, "output rank %d is beyond the limit of %d", rank,
                         HC_MAX_RANK);
    size_t n = esz;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return hc_k_fail(k, HC_INVALID, "negative output dimension %lld", (long long)dims[i]);
        if (!hc_mul_size(n, (size_t)dims[i], &n))
            return hc_k_fail(k, HC_LIMIT, "output size overflows");
    }
    *bytes = n;
    return HC_OK;
}

hc_status hc_k_alloc(hc_kernel_ctx *k, uint32_t out, hc_dtype dt, int rank, const int64_t *dims) {
    size_t bytes = 0;
    size_t esz = hc_dtype_size(dt);
    if (!esz) return hc_k_fail(k, HC_UNSUPPORTED, "cannot allocate a %s tensor", hc_dtype_name(dt));
    hc_status st = check_shape(k, rank, dims, esz, &bytes);
    if (st) return st;
    hc_val *v = &k->out[out];
    hc_val_release(k->s, v);
    v->dtype = dt;
    v->rank = rank;
    for (int i = 0; i < rank; i++)
        v->dims[i] = dims[i];
    if (bytes == 0) return HC_OK;
    v->buf = hc_rtbuf_new(k->s, bytes);
    if (!v->buf) return k->ctx->status;
    v->data = v->buf->data;
    return HC_OK;
}

hc_status hc_k_alloc_reuse(hc_kernel_ctx *k, uint32_t out, const hc_val *cand, hc_dtype dt,
                           int rank, const int64_t *dims) {
    size_t esz = hc_dtype_size(dt), n = esz;
    bool fits = cand && cand->buf && cand->buf->refs == 1 && cand->data == cand->buf->data &&
                !cand->obj && esz && esz == hc_dtype_size(cand->dtype) && rank >= 0 &&
                rank <= HC_MAX_RANK;
    for (int i = 0; fits && i < rank; i++)
        fits = dims[i] >= 0 && hc_mul_size(n, (size_t)dims[i], &n);
    if (!fits || !n || n != hc_val_bytes(cand)) return hc_k_alloc(k, out, dt, rank, dims);
    hc_val *v = &k->out[out];
    hc_val_release(k->s, v);
    *v = *cand;
    v->buf->refs++;
    v->dtype = dt;
    v->rank = rank;
    for (int i = 0; i < rank; i++)
        v->dims[i] = dims[i];
    return HC_OK;
}

void hc_k_forward(hc_kernel_ctx *k, uint32_t out, uint32_t in) {
    hc_val_release(k->s, &k->out[out]);
    k->out[out] = k->in[in];
    hc_val_retain(&k->out[out]);
}

hc_status hc_k_view(hc_kernel_ctx *k, uint32_t out, uint32_t in, int rank, const int64_t *dims) {
    size_t bytes = 0;
    hc_status st = check_shape(k, rank, dims, 1, &bytes);
    if (st) return st;
    if ((int64_t)bytes != hc_val_elems(&k->in[in]))
        return hc_k_fail(k, HC_INVALID, "cannot view %lld elements as %zu",
                         (long long)hc_val_elems(&k->in[in]), bytes);
    hc_k_forward(k, out, in);
    hc_val *v = &k->out[out];
    v->rank = rank;
    for (int i = 0; i < rank; i++)
        v->dims[i] = dims[i];
    return HC_OK;
}

void hc_k_set_object(hc_kernel_ctx *k, uint32_t out, hc_dtype dt, hc_object *o) {
    hc_val *v = &k->out[out];
    hc_val_release(k->s, v);
    v->dtype = dt;
    v->rank = 0;
    v->obj = o;
    o->refs++;
}

static hc_status fail_node(hc_ctx *ctx, const hc_node *n, hc_status s, const char *fmt,
                           va_list ap) {
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return hc_fail_n(ctx, s, n->name.p, n->name.n, "(" HC_SPAN_FMT ") %s", HC_SPAN_ARG(n->op), msg);
}

hc_status hc_k_fail(hc_kernel_ctx *k, hc_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_node(k->ctx, k->node, s, fmt, ap);
    va_end(ap);
    return s;
}

hc_status hc_kp_fail(hc_kernel_prep *p, hc_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_node(p->ctx, p->node, s, fmt, ap);
    va_end(ap);
    return s;
}

void *hc_k_scratch(hc_kernel_ctx *k, size_t bytes) {
    hc_rtbuf *b = hc_rtbuf_new(k->s, bytes + 64);
    if (!b) return NULL;
    /* Keep the buffer pointer just before the aligned data we hand out. */
    memcpy(b->data, &b, sizeof b);
    return b->data + 64;
}

void hc_k_scratch_free(hc_kernel_ctx *k, void *p) {
    if (!p) return;
    hc_rtbuf *b;
    memcpy(&b, (uint8_t *)p - 64, sizeof b);
    rtbuf_release(k->s, b);
}

bool hc_k_attr_ints(const hc_node *n, const char *name, const int64_t **v, size_t *count) {
    const hc_attr *a = hc_node_attr(n, name);
    if (!a || a->kind != HC_ATTR_LIST) return false;
    if (a->u.list->kind != HC_ATTR_I && a->u.list->n) return false;
    *v = a->u.list->u.i;
    *count = a->u.list->n;
    return true;
}

bool hc_k_attr_str(const hc_node *n, const char *name, hc_span *out) {
    const hc_attr *a = hc_node_attr(n, name);
    if (!a || a->kind != HC_ATTR_S) return false;
    *out = a->u.s;
    return true;
}

bool hc_k_attr_bool(const hc_node *n, const char *name, bool def) {
    const hc_attr *a = hc_node_attr(n, name);
    return a && a->kind == HC_ATTR_B ? a->u.b : def;
}

float hc_k_attr_float(const hc_node *n, const char *name, float def) {
    const hc_attr *a = hc_node_attr(n, name);
    return a && a->kind == HC_ATTR_F ? a->u.f : def;
}

int64_t hc_k_attr_int(const hc_node *n, const char *name, int64_t def) {
    const hc_attr *a = hc_node_attr(n, name);
    return a && a->kind == HC_ATTR_I ? a->u.i : def;
}

hc_dtype hc_k_attr_type(const hc_node *n, const char *name, hc_dtype def) {
    const hc_attr *a = hc_node_attr(n, name);
    return a && a->kind == HC_ATTR_TYPE ? a->u.type : def;
}

bool hc_k_int_at(const hc_val *v, int64_t i, int64_t *out) {
    if (i < 0 || i >= hc_val_elems(v)) return false;
    const uint8_t *p = v->data;
    switch (v->dtype) {
    case HC_DT_INT32:
        *out = hc_ld_i32(p + 4 * i);
        return true;
    case HC_DT_INT64:
        *out = hc_ld_i64(p + 8 * i);
        return true;
    default:
        return false;
    }
}

float hc_k_f32_at(const hc_val *v, int64_t i) {
    double d = hc_load_double(v->dtype, v->data, (size_t)i);
    return d == d ? (float)d : 0.0f; /* non-numeric dtypes read as 0 */
}
