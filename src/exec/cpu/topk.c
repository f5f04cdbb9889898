/* topk.c - TopK and TopKV2: the k largest entries of each row (last dimension), as
 * TensorFlow's topk_op.cc orders them: larger value first, the lower index first among equal
 * values (-0 equals +0). TensorFlow leaves the place of NaN unspecified; here a NaN ranks
 * below every number. sorted=false returns the same sorted order (TensorFlow returns its heap
 * order, which callers must not rely on). Rows are split over the threads. */
#include "exec/cpu/detect.h"

#include "base/fp16.h"
#include "base/pool.h"

typedef struct topk_state {
    bool v2;   /* k is input 1 (TopKV2) rather than the k attribute (TopK) */
    int64_t k; /* TopK */
    hc_dtype t, index_type;
} topk_state;

/* An order-preserving key: larger values map to larger keys, NaN to 0 (below -inf). */
static uint64_t key_of_double(double d) {
    if (d != d) return 0;
    if (d == 0.0) d = 0.0; /* -0 ties with +0 */
    uint64_t b;
    memcpy(&b, &d, 8);
    return (b >> 63) ? ~b : b | 0x8000000000000000ull;
}

static uint64_t key_at(hc_dtype t, const uint8_t *p, size_t i) {
    int64_t v;
    switch (t) {
    case HC_DT_INT8:
        v = (int64_t)p[i] - (p[i] & 0x80 ? 256 : 0); /* int8 from its byte */
        break;
    case HC_DT_UINT8:
        v = p[i];
        break;
    case HC_DT_INT16: {
        int16_t x;
        memcpy(&x, p + 2 * i, 2);
        v = x;
        break;
    }
    case HC_DT_UINT16:
        v = hc_ld_u16(p + 2 * i);
        break;
    case HC_DT_INT32:
        v = hc_ld_i32(p + 4 * i);
        break;
    case HC_DT_UINT32: {
        uint32_t x;
        memcpy(&x, p + 4 * i, 4);
        v = x;
        break;
    }
    case HC_DT_INT64:
        v = hc_ld_i64(p + 8 * i);
        break;
    case HC_DT_UINT64: {
        uint64_t x;
        memcpy(&x, p + 8 * i, 8);
        return x;
    }
    case HC_DT_DOUBLE: {
        double d;
        memcpy(&d, p + 8 * i, 8);
        return key_of_double(d);
    }
    default: {
        float f; /* float, half, bfloat16: exact in float */
        hc_detect_to_f32(t, p + hc_dtype_size(t) * i, 1, &f);
        return key_of_double(f);
    }
    }
    return (uint64_t)v ^ 0x8000000000000000ull;
}

typedef struct topk_ent {
    uint64_t key;
    int64_t idx;
} topk_ent;

/* a ranks before b: larger key, then lower index. */
static inline bool before(const topk_ent *a, const topk_ent *b) {
    return a->key > b->key || (a->key == b->key && a->idx < b->idx);
}

/* Min-heap under `before` (the root is the weakest of the k kept). */
static void heap_down(topk_ent *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(&h[m], &h[l])) m = l;
        if (r < n && before(&h[m], &h[r])) m = r;
        if (m == i) return;
        topk_ent t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* The k best entries of one row of n, in rank order, into h[0..k). */
static void row_topk(hc_dtype t, const uint8_t *row, size_t n, size_t k, topk_ent *h) {
    for (size_t i = 0; i < k; i++)
        h[i] = (topk_ent){key_at(t, row, i), (int64_t)i};
    for (size_t i = k / 2; i-- > 0;)
        heap_down(h, k, i);
    for (size_t i = k; i < n; i++) {
        topk_ent e = {key_at(t, row, i), (int64_t)i};
        if (!before(&e, &h[0])) continue;
        h[0] = e;
        heap_down(h, k, 0);
    }
    /* Heap sort: repeatedly move the weakest to the end. */
    for (size_t m = k; m > 1; m--) {
        topk_ent w = h[0];
        h[0] = h[m - 1];
        h[m - 1] = w;
        heap_down(h, m - 1, 0);
    }
}

typedef struct topk_job {
    hc_kernel_ctx *k;
    const topk_state *st;
    size_t rows, n, kk;
    topk_ent *scratch; /* kk per thread */
} topk_job;

static void store_index(hc_dtype t, void *dst, size_t i, int64_t v) {
    if (t == HC_DT_INT64) {
        memcpy((uint8_t *)dst + 8 * i, &v, 8);
    } else if (t == HC_DT_INT16) {
        int16_t x = (int16_t)v;
        memcpy((uint8_t *)dst + 2 * i, &x, 2);
    } else {
        int32_t x = (int32_t)v;
        memcpy((uint8_t *)dst + 4 * i, &x, 4);
    }
}

static void topk_worker(void *arg, int ith, int nth) {
    topk_job *j = arg;
    size_t b, e, esz = hc_dtype_size(j->st->t);
    hc_split_range(j->rows, ith, nth, &b, &e);
    topk_ent *h = j->scratch + (size_t)ith * j->kk;
    const uint8_t *in = j->k->in[0].data;
    uint8_t *vals = j->k->out[0].data;
    for (size_t r = b; r < e; r++) {
        row_topk(j->st->t, in + r * j->n * esz, j->n, j->kk, h);
        for (size_t i = 0; i < j->kk; i++) {
            memcpy(vals + (r * j->kk + i) * esz, in + (r * j->n + (size_t)h[i].idx) * esz, esz);
            store_index(j->st->index_type, j->k->out[1].data, r * j->kk + i, h[i].idx);
        }
    }
}

hc_status hc_detect_topk_prepare(hc_kernel_prep *p) {
    topk_state *st = hc_arena_alloc(p->arena, sizeof *st);
    if (!st) return HC_NOMEM;
    st->v2 = hc_span_eq_str(p->node->op, "TopKV2");
    st->k = hc_k_attr_int(p->node, "k", -1);
    st->t = hc_k_attr_type(p->node, "T", HC_DT_INVALID);
    st->index_type = hc_k_attr_type(p->node, "index_type", HC_DT_INT32);
    if (!hc_detect_image_dtype(st->t) && st->t != HC_DT_UINT32 && st->t != HC_DT_UINT64)
        return hc_kp_fail(p, HC_UNSUPPORTED, "values of type %s are not supported",
                          hc_dtype_name(st->t));
    if (st->index_type != HC_DT_INT16 && st->index_type != HC_DT_INT32 &&
        st->index_type != HC_DT_INT64)
        return hc_kp_fail(p, HC_UNSUPPORTED, "index_type %s is not supported",
                          hc_dtype_name(st->index_type));
    if (!st->v2 && st->k < 0)
        return hc_kp_fail(p, HC_MALFORMED, "needs k >= 0, got %lld", (long long)st->k);
    p->state = st;
    return HC_OK;
}

static hc_status read_k(hc_kernel_ctx *k, const topk_state *st, int64_t *kk) {
    *kk = st->k;
    if (!st->v2) return HC_OK;
    const hc_val *v = &k->in[1];
    if (v->rank != 0) return HC_KFAIL(k, HC_INVALID, "k must be a scalar, got rank %d", v->rank);
    if (v->dtype == HC_DT_INT16) {
        int16_t x;
        memcpy(&x, v->data, 2);
        *kk = x;
    } else if (!hc_k_int_at(v, 0, kk)) {
        return HC_KFAIL(k, HC_INVALID, "k must be an integer scalar");
    }
    if (*kk < 0) return HC_KFAIL(k, HC_INVALID, "needs k >= 0, got %lld", (long long)*kk);
    return HC_OK;
}

hc_status hc_detect_topk_run(hc_kernel_ctx *k) {
    const topk_state *st = k->state;
    if (k->n_in != (st->v2 ? 2u : 1u)) return HC_KFAIL(k, HC_MALFORMED, "wrong input count");
    const hc_val *x = &k->in[0];
    if (x->dtype != st->t)
        return HC_KFAIL(k, HC_INVALID, "input is %s, T is %s", hc_dtype_name(x->dtype),
                        hc_dtype_name(st->t));
    if (x->rank < 1) return HC_KFAIL(k, HC_INVALID, "input must be at least 1-D");
    int64_t kk, n = x->dims[x->rank - 1];
    hc_status s = read_k(k, st, &kk);
    if (s) return s;
    if (n < kk)
        return HC_KFAIL(k, HC_INVALID, "input has %lld columns, fewer than k = %lld", (long long)n,
                        (long long)kk);
    if (st->index_type == HC_DT_INT16 && n > INT16_MAX + 1)
        return HC_KFAIL(k, HC_INVALID, "indices do not fit int16");
    int64_t dims[HC_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[x->rank - 1] = kk;
    if ((s = hc_k_alloc(k, 0, st->t, x->rank, dims)) ||
        (s = hc_k_alloc(k, 1, st->index_type, x->rank, dims)))
        return s;
    size_t rows = (size_t)(n ? hc_val_elems(x) / n : 0);
    if (kk == 0 || rows == 0) return HC_OK;
    int nth = hc_detect_threads(k, (size_t)hc_val_elems(x));
    size_t bytes;
    if (!hc_mul_size((size_t)kk * sizeof(topk_ent), (size_t)nth, &bytes))
        return HC_KFAIL(k, HC_LIMIT, "k is too large");
    topk_job job = {k, st, rows, (size_t)n, (size_t)kk, hc_k_scratch(k, bytes)};
    if (!job.scratch) return k->ctx->status ? k->ctx->status : HC_NOMEM;
    hc_pool_run(k->pool, topk_worker, &job, nth);
    hc_k_scratch_free(k, job.scratch);
    return HC_OK;
}
