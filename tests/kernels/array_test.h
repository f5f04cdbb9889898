/* array_test.h - helpers shared by the array-family kernel tests (tests/kernels/test_array*.c):
 * a seeded random generator, random tensors of every element size, running one op through a
 * real session at 1 and 2 threads, an independent reference that maps each output coordinate
 * to a source coordinate, and output checks. Header-only (static inline) so each test stays one
 * executable. */
#ifndef HC_TEST_ARRAY_TEST_H
#define HC_TEST_ARRAY_TEST_H

#include "common/oprun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One dtype per element size, plus bool and int8/int32/double for variety. */
static const hc_dtype ARR_DTYPES[] = {HC_DT_UINT8,  HC_DT_HALF, HC_DT_FLOAT,
                                      HC_DT_INT64,  HC_DT_BOOL, HC_DT_INT32,
                                      HC_DT_DOUBLE, HC_DT_INT8, HC_DT_COMPLEX128};
#define ARR_N_DTYPES (sizeof ARR_DTYPES / sizeof ARR_DTYPES[0])
/* Sizes around SIMD tiles and the transpose tile (16). */
static const int64_t ARR_TAIL_DIMS[] = {1, 2, 3, 7, 15, 16, 17, 33};

typedef struct rng {
    uint64_t s;
} rng;

static inline uint64_t rng_next(rng *r) {
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

/* Uniform in [lo, hi]. */
static inline int64_t rng_int(rng *r, int64_t lo, int64_t hi) {
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static inline void rng_bytes(rng *r, void *p, size_t n) {
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(rng_next(r) >> 56);
}

static inline int64_t arr_elems(int rank, const int64_t *dims) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    return n;
}

/* A tensor of random bytes (bool: 0/1) in malloc'd memory the test frees with arr_free. The
 * data starts one byte past the allocation: kernels must read inputs with unaligned loads
 * (inputs can be views into the model file), and UBSan checks that they do. */
static inline hc_tensor arr_random(rng *r, hc_dtype dt, int rank, const int64_t *dims) {
    size_t n = (size_t)arr_elems(rank, dims), esz = hc_dtype_size(dt);
    uint8_t *p = (uint8_t *)malloc(n * esz + 2) + 1;
    rng_bytes(r, p, n * esz);
    if (dt == HC_DT_BOOL)
        for (size_t i = 0; i < n; i++)
            p[i] &= 1;
    return tensor_of(dt, rank, dims, p);
}

static inline hc_tensor arr_i64(int rank, const int64_t *dims, const int64_t *v) {
    return tensor_of(HC_DT_INT64, rank, dims, v);
}

static inline hc_tensor arr_i32(int rank, const int64_t *dims, const int32_t *v) {
    return tensor_of(HC_DT_INT32, rank, dims, v);
}

static inline void arr_free(hc_tensor *t) {
    if (t->data) free((uint8_t *)(uintptr_t)t->data - 1);
    t->data = NULL;
}

/* Output coordinate -> source flat index, or -1 for `fill`. */
typedef int64_t (*arr_src_fn)(const int64_t *oc, const void *arg);

/* The reference: every output element by its coordinates (row-major), malloc'd. */
static inline uint8_t *arr_ref(const void *src, size_t esz, int orank, const int64_t *odims,
                               arr_src_fn f, const void *arg, const void *fill) {
    int64_t n = arr_elems(orank, odims), oc[16] = {0};
    uint8_t *out = malloc((size_t)n * esz + 1);
    for (int64_t i = 0; i < n; i++) {
        int64_t s = f(oc, arg);
        memcpy(out + (size_t)i * esz, s < 0 ? fill : (const uint8_t *)src + (size_t)s * esz, esz);
        for (int d = orank - 1; d >= 0; d--) {
            if (++oc[d] < odims[d]) break;
            oc[d] = 0;
        }
    }
    return out;
}

/* Flat index of coordinates c in dims. */
static inline int64_t arr_flat(int rank, const int64_t *dims, const int64_t *c) {
    int64_t f = 0;
    for (int i = 0; i < rank; i++)
        f = f * dims[i] + c[i];
    return f;
}

/* Run op once per thread count (1, 2): attrs are set by fn(r, arg) before each run. The
 * outputs of both runs are compared with each other (bit for bit); *out gets the 2-thread
 * run's outputs copied into malloc'd memory. Returns the status (the same for both runs). */
typedef void (*arr_attr_fn)(oprun *r, const void *arg);

typedef struct arr_result {
    int n;
    hc_tensor t[16];
    char msg[512];
} arr_result;

static inline void arr_result_free(arr_result *res) {
    for (int i = 0; i < res->n; i++)
        free((void *)res->t[i].data);
    res->n = 0;
}

static inline hc_status arr_run_threads(const char *op, int n_in, const hc_tensor *in, int n_out,
                                        arr_attr_fn fn, const void *arg, int threads,
                                        arr_result *res) {
    oprun r;
    oprun_init(&r, op, n_in, in);
    hc_ctx_set_threads(r.t.ctx, threads);
    if (fn) fn(&r, arg);
    hc_status s = oprun_exec(&r, n_out);
    res->n = 0;
    snprintf(res->msg, sizeof res->msg, "%s", s ? hc_ctx_message(r.t.ctx) : "");
    for (int k = 0; !s && k < n_out; k++) {
        hc_tensor o = oprun_out(&r, k);
        size_t bytes = (size_t)arr_elems(o.rank, o.dims) * hc_dtype_size(o.dtype);
        void *copy = malloc(bytes + 1);
        if (bytes) memcpy(copy, o.data, bytes);
        o.data = copy;
        res->t[res->n++] = o;
    }
    oprun_fini(&r);
    return s;
}

static inline void arr_expect_same(const arr_result *a, const arr_result *b) {
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        const hc_tensor *x = &a->t[i], *y = &b->t[i];
        assert_int_equal(x->dtype, y->dtype);
        assert_int_equal(x->rank, y->rank);
        for (int d = 0; d < x->rank; d++)
            assert_int_equal(x->dims[d], y->dims[d]);
        size_t bytes = (size_t)arr_elems(x->rank, x->dims) * hc_dtype_size(x->dtype);
        if (bytes) assert_memory_equal(x->data, y->data, bytes);
    }
}

/* Run at 1 and 2 threads; both must agree. A failure message goes to res->msg. */
static inline hc_status arr_run(const char *op, int n_in, const hc_tensor *in, int n_out,
                                arr_attr_fn fn, const void *arg, arr_result *res) {
    arr_result one;
    hc_status s1 = arr_run_threads(op, n_in, in, n_out, fn, arg, 1, &one);
    hc_status s2 = arr_run_threads(op, n_in, in, n_out, fn, arg, 2, res);
    assert_int_equal(s1, s2);
    if (!s1) arr_expect_same(&one, res);
    arr_result_free(&one);
    return s2;
}

/* Run and require success. */
static inline void arr_run_ok(const char *op, int n_in, const hc_tensor *in, int n_out,
                              arr_attr_fn fn, const void *arg, arr_result *res) {
    hc_status s = arr_run(op, n_in, in, n_out, fn, arg, res);
    if (s) fail_msg("%s failed: %s", op, res->msg);
}

/* Run and require an error of primary status want whose message contains `needle`. */
static inline void arr_run_err(const char *op, int n_in, const hc_tensor *in, int n_out,
                               arr_attr_fn fn, const void *arg, hc_status want,
                               const char *needle) {
    arr_result res;
    hc_status s = arr_run_threads(op, n_in, in, n_out, fn, arg, 1, &res);
    if (s == HC_OK) {
        arr_result_free(&res);
        fail_msg("%s succeeded; expected an error containing '%s'", op, needle);
    }
    if (HC_STATUS_PRIMARY(s) != want || (needle && !strstr(res.msg, needle)))
        fail_msg("%s: got status %d '%s'; expected %d with '%s'", op, (int)s, res.msg, (int)want,
                 needle ? needle : "");
}

/* Output t must have this dtype and shape and these bytes. */
static inline void arr_expect(const hc_tensor *t, hc_dtype dt, int rank, const int64_t *dims,
                              const void *data) {
    assert_int_equal(t->dtype, dt);
    if (t->rank != rank) fail_msg("rank %d, expected %d", t->rank, rank);
    for (int d = 0; d < rank; d++)
        if (t->dims[d] != dims[d])
            fail_msg("dim %d is %lld, expected %lld", d, (long long)t->dims[d], (long long)dims[d]);
    size_t bytes = (size_t)arr_elems(rank, dims) * hc_dtype_size(dt);
    if (bytes && !data)
        fail_msg("no expected data for %zu bytes", bytes);
    else if (bytes && memcmp(t->data, data, bytes) != 0) {
        size_t esz = hc_dtype_size(dt);
        for (size_t i = 0; i < bytes; i++)
            if (((const uint8_t *)t->data)[i] != ((const uint8_t *)data)[i])
                fail_msg("%s output differs at element %zu", hc_dtype_name(dt), i / esz);
    }
}

/* Common attribute setters. */
static inline void arr_set_t(oprun *r, const char *attr, hc_dtype dt) {
    hc_gb_type(&r->t.g, r->node, attr, dt);
}
#endif
