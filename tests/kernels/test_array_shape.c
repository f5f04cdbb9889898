/* test_array_shape.c - the array family's shape ops through a real session: Reshape (one -1,
 * empty tensors, TF's zero-size inference), Squeeze, ExpandDims, Shape, ShapeN, Size, Rank,
 * Fill and Range, on every element size, with TF's errors for bad shapes and arguments. */
#include "kernels/array_test.h"

#include <math.h>

typedef struct tattr {
    hc_dtype t;
    const char *name2;
    hc_dtype t2;
} tattr;

static void set_tattr(oprun *r, const void *arg) {
    const tattr *a = arg;
    arr_set_t(r, "T", a->t);
    if (a->name2) arr_set_t(r, a->name2, a->t2);
}

/* Run a view-like op and check the output is the input's bytes with shape `want`. */
static void expect_view(const char *op, int n_in, const hc_tensor *in, int rank,
                        const int64_t *want) {
    tattr a = {in[0].dtype, n_in > 1 ? (strcmp(op, "Reshape") ? "Tdim" : "Tshape") : NULL,
               n_in > 1 ? in[1].dtype : HC_DT_INVALID};
    arr_result res;
    arr_run_ok(op, n_in, in, 1, set_tattr, &a, &res);
    arr_expect(&res.t[0], in[0].dtype, rank, want, in[0].data);
    arr_result_free(&res);
}

static void reshape_random(void **state) {
    (void)state;
    rng g = {0x1234};
    for (int it = 0; it < 60; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        int rank = (int)rng_int(&g, 1, 4);
        int64_t dims[4];
        for (int d = 0; d < rank; d++)
            dims[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        hc_tensor in[2] = {arr_random(&g, dt, rank, dims)};
        /* Target: the same dims reversed, one of them -1 (int32 or int64 shape). */
        int64_t want[4], s64[4];
        int32_t s32[4];
        int unknown = (int)rng_int(&g, -1, rank - 1);
        for (int d = 0; d < rank; d++) {
            want[d] = dims[rank - 1 - d];
            s64[d] = d == unknown ? -1 : want[d];
            s32[d] = (int32_t)s64[d];
        }
        const int64_t sd[1] = {rank};
        in[1] = it & 1 ? arr_i64(1, sd, s64) : arr_i32(1, sd, s32);
        expect_view("Reshape", 2, in, rank, want);
        arr_free(&in[0]);
    }
}

static void reshape_empty_and_scalar(void **state) {
    (void)state;
    float x[1] = {5};
    const int64_t d06[2] = {0, 6}, d1[1] = {1}, d2[1] = {2}, d0[1] = {0};
    hc_tensor in[2] = {tensor_of(HC_DT_FLOAT, 2, d06, NULL)};
    /* TF leaves zero sizes out of the product: [0, -1] of a [0, 6] input is [0, 6]. */
    const int64_t s1[2] = {0, -1}, w1[2] = {0, 6};
    in[1] = arr_i64(1, d2, s1);
    expect_view("Reshape", 2, in, 2, w1);
    const int64_t s2[2] = {-1, 3}, w2[2] = {0, 3};
    in[1] = arr_i64(1, d2, s2);
    expect_view("Reshape", 2, in, 2, w2);
    const int64_t s3[2] = {-1, 0}, w3[2] = {6, 0};
    in[1] = arr_i64(1, d2, s3);
    expect_view("Reshape", 2, in, 2, w3);
    /* A one-element tensor to a scalar (empty shape vector), and back through a scalar shape. */
    in[0] = tensor_of(HC_DT_FLOAT, 1, d1, x);
    in[1] = arr_i64(1, d0, NULL);
    expect_view("Reshape", 2, in, 0, NULL);
    const int64_t minus1[1] = {-1};
    in[0] = tensor_of(HC_DT_FLOAT, 0, NULL, x);
    in[1] = arr_i64(0, NULL, minus1);
    expect_view("Reshape", 2, in, 1, d1);
}

static void reshape_errors(void **state) {
    (void)state;
    float x[6] = {0};
    const int64_t d6[1] = {6}, d2[1] = {2}, d1[1] = {1};
    hc_tensor in[2] = {tensor_of(HC_DT_FLOAT, 1, d6, x)};
    tattr a = {HC_DT_FLOAT, "Tshape", HC_DT_INT64};
    const int64_t two_unknown[2] = {-1, -1}, negative[2] = {-2, 3}, not_mult[2] = {4, -1},
                  wrong[1] = {4};
    in[1] = arr_i64(1, d2, two_unknown);
    arr_run_err("Reshape", 2, in, 1, set_tattr, &a, HC_INVALID, "only one input size may be -1");
    in[1] = arr_i64(1, d2, negative);
    arr_run_err("Reshape", 2, in, 1, set_tattr, &a, HC_INVALID, "must be non-negative");
    in[1] = arr_i64(1, d2, not_mult);
    arr_run_err("Reshape", 2, in, 1, set_tattr, &a, HC_INVALID, "multiple of 4");
    in[1] = arr_i64(1, d1, wrong);
    arr_run_err("Reshape", 2, in, 1, set_tattr, &a, HC_INVALID, "6 values");
    const int64_t huge[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
    in[1] = arr_i64(1, d2, huge);
    arr_run_err("Reshape", 2, in, 1, set_tattr, &a, HC_LIMIT, "overflows");
    const int64_t m2[2] = {2, 3};
    in[1] = arr_i64(2, (const int64_t[]){1, 2}, m2);
    arr_run_err("Reshape", 2, in, 1, set_tattr, &a, HC_INVALID, "vector");
}

typedef struct squeeze_arg {
    hc_dtype t;
    const int64_t *dims;
    size_t n;
} squeeze_arg;

static void set_squeeze(oprun *r, const void *arg) {
    const squeeze_arg *a = arg;
    arr_set_t(r, "T", a->t);
    if (a->n) hc_gb_ints(&r->t.g, r->node, "squeeze_dims", a->dims, a->n);
}

static void squeeze_cases(void **state) {
    (void)state;
    rng g = {7};
    for (size_t t = 0; t < ARR_N_DTYPES; t++) {
        const int64_t dims[5] = {1, 3, 1, 17, 1};
        hc_tensor in = arr_random(&g, ARR_DTYPES[t], 5, dims);
        arr_result res;
        squeeze_arg all = {ARR_DTYPES[t], NULL, 0};
        arr_run_ok("Squeeze", 1, &in, 1, set_squeeze, &all, &res);
        arr_expect(&res.t[0], in.dtype, 2, (const int64_t[]){3, 17}, in.data);
        arr_result_free(&res);
        const int64_t some[2] = {-1, 0};
        squeeze_arg two = {ARR_DTYPES[t], some, 2};
        arr_run_ok("Squeeze", 1, &in, 1, set_squeeze, &two, &res);
        arr_expect(&res.t[0], in.dtype, 3, (const int64_t[]){3, 1, 17}, in.data);
        arr_result_free(&res);
        arr_free(&in);
    }
    float x[3] = {1, 2, 3};
    const int64_t d[2] = {1, 3}, bad[1] = {1}, out_of_range[1] = {2};
    hc_tensor in = tensor_of(HC_DT_FLOAT, 2, d, x);
    squeeze_arg a = {HC_DT_FLOAT, bad, 1};
    arr_run_err("Squeeze", 1, &in, 1, set_squeeze, &a, HC_INVALID, "expected a dimension of 1");
    a.dims = out_of_range;
    arr_run_err("Squeeze", 1, &in, 1, set_squeeze, &a, HC_INVALID, "out of range");
}

static void expand_dims_all_positions(void **state) {
    (void)state;
    rng g = {9};
    const int64_t dims[3] = {2, 7, 3};
    for (size_t t = 0; t < ARR_N_DTYPES; t++) {
        hc_tensor in[2] = {arr_random(&g, ARR_DTYPES[t], 3, dims)};
        for (int32_t at = -4; at <= 3; at++) {
            in[1] = arr_i32(0, NULL, &at);
            int pos = at < 0 ? at + 4 : at;
            int64_t want[4];
            for (int d = 0, i = 0; d < 4; d++)
                want[d] = d == pos ? 1 : dims[i++];
            expect_view("ExpandDims", 2, in, 4, want);
        }
        int32_t bad = 4;
        in[1] = arr_i32(0, NULL, &bad);
        tattr a = {ARR_DTYPES[t], "Tdim", HC_DT_INT32};
        arr_run_err("ExpandDims", 2, in, 1, set_tattr, &a, HC_INVALID, "expand dim index 4");
        arr_free(&in[0]);
    }
}

typedef struct shape_arg {
    hc_dtype t, out;
    int n;
} shape_arg;

static void set_shape(oprun *r, const void *arg) {
    const shape_arg *a = arg;
    arr_set_t(r, "T", a->t);
    arr_set_t(r, "out_type", a->out);
    if (a->n) hc_gb_int(&r->t.g, r->node, "N", a->n);
}

static void expect_ints(const hc_tensor *t, hc_dtype dt, int rank, const int64_t *v, int64_t n) {
    assert_int_equal(t->dtype, dt);
    assert_int_equal(t->rank, rank);
    if (rank) assert_int_equal(t->dims[0], n);
    for (int64_t i = 0; i < n; i++) {
        int64_t x =
            dt == HC_DT_INT64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
        assert_int_equal(x, v[i]);
    }
}

static void shape_size_rank(void **state) {
    (void)state;
    rng g = {11};
    const int64_t dims[4] = {2, 0, 33, 5}, d2[2] = {16, 17};
    for (int o = 0; o < 2; o++) {
        hc_dtype out = o ? HC_DT_INT64 : HC_DT_INT32;
        for (size_t t = 0; t < ARR_N_DTYPES; t++) {
            hc_tensor in[3] = {arr_random(&g, ARR_DTYPES[t], 4, dims),
                               arr_random(&g, ARR_DTYPES[t], 2, d2),
                               arr_random(&g, ARR_DTYPES[t], 0, NULL)};
            shape_arg a = {ARR_DTYPES[t], out, 0};
            arr_result res;
            arr_run_ok("Shape", 1, in, 1, set_shape, &a, &res);
            expect_ints(&res.t[0], out, 1, dims, 4);
            arr_result_free(&res);
            arr_run_ok("Size", 1, &in[1], 1, set_shape, &a, &res);
            expect_ints(&res.t[0], out, 0, (const int64_t[]){(int64_t)16 * 17}, 1);
            arr_result_free(&res);
            arr_run_ok("Rank", 1, in, 1, set_shape, &a, &res);
            expect_ints(&res.t[0], HC_DT_INT32, 0, (const int64_t[]){4}, 1);
            arr_result_free(&res);
            shape_arg n3 = {ARR_DTYPES[t], out, 3};
            arr_run_ok("ShapeN", 3, in, 3, set_shape, &n3, &res);
            expect_ints(&res.t[0], out, 1, dims, 4);
            expect_ints(&res.t[1], out, 1, d2, 2);
            expect_ints(&res.t[2], out, 1, NULL, 0);
            arr_result_free(&res);
            for (int i = 0; i < 3; i++)
                arr_free(&in[i]);
        }
    }
}

static void set_fill(oprun *r, const void *arg) {
    const tattr *a = arg;
    arr_set_t(r, "T", a->t);
    arr_set_t(r, "index_type", a->t2);
}

static void fill_every_dtype(void **state) {
    (void)state;
    rng g = {13};
    for (size_t t = 0; t < ARR_N_DTYPES; t++) {
        hc_dtype dt = ARR_DTYPES[t];
        size_t esz = hc_dtype_size(dt);
        const int64_t shapes[3][3] = {{3, 17, 1}, {33, 16, 7}, {2, 0, 5}};
        for (int s = 0; s < 3; s++) {
            hc_tensor in[2];
            int32_t d32[3] = {(int32_t)shapes[s][0], (int32_t)shapes[s][1], (int32_t)shapes[s][2]};
            const int64_t d3[1] = {3};
            in[0] = s & 1 ? arr_i64(1, d3, shapes[s]) : arr_i32(1, d3, d32);
            in[1] = arr_random(&g, dt, 0, NULL);
            tattr a = {dt, NULL, in[0].dtype};
            arr_result res;
            arr_run_ok("Fill", 2, in, 1, set_fill, &a, &res);
            int64_t n = arr_elems(3, shapes[s]);
            uint8_t *want = malloc((size_t)n * esz + 1);
            for (int64_t i = 0; i < n; i++)
                memcpy(want + (size_t)i * esz, in[1].data, esz);
            arr_expect(&res.t[0], dt, 3, shapes[s], want);
            free(want);
            arr_result_free(&res);
            arr_free(&in[1]);
        }
    }
    const int64_t neg[2] = {2, -1}, d2[1] = {2};
    float v = 1;
    hc_tensor in[2] = {arr_i64(1, d2, neg), tensor_of(HC_DT_FLOAT, 0, NULL, &v)};
    tattr a = {HC_DT_FLOAT, NULL, HC_DT_INT64};
    arr_run_err("Fill", 2, in, 1, set_fill, &a, HC_INVALID, "must be >= 0");
    const int64_t ok[2] = {2, 2};
    in[0] = arr_i64(1, d2, ok);
    in[1] = tensor_of(HC_DT_FLOAT, 1, (const int64_t[]){1}, &v);
    arr_run_err("Fill", 2, in, 1, set_fill, &a, HC_INVALID, "scalar");
}

static void set_range(oprun *r, const void *arg) {
    arr_set_t(r, "Tidx", *(const hc_dtype *)arg);
}

static void range_run(hc_dtype dt, const void *s, const void *l, const void *d, arr_result *res) {
    hc_tensor in[3] = {tensor_of(dt, 0, NULL, s), tensor_of(dt, 0, NULL, l),
                       tensor_of(dt, 0, NULL, d)};
    arr_run_ok("Range", 3, in, 1, set_range, &dt, res);
}

static void range_values(void **state) {
    (void)state;
    arr_result res;
    int32_t a[3] = {0, 10, 3}, b[3] = {10, 0, -3}, c[3] = {-5, -5, 2};
    range_run(HC_DT_INT32, &a[0], &a[1], &a[2], &res);
    arr_expect(&res.t[0], HC_DT_INT32, 1, (const int64_t[]){4}, (const int32_t[]){0, 3, 6, 9});
    arr_result_free(&res);
    range_run(HC_DT_INT32, &b[0], &b[1], &b[2], &res);
    arr_expect(&res.t[0], HC_DT_INT32, 1, (const int64_t[]){4}, (const int32_t[]){10, 7, 4, 1});
    arr_result_free(&res);
    range_run(HC_DT_INT32, &c[0], &c[1], &c[2], &res);
    arr_expect(&res.t[0], HC_DT_INT32, 1, (const int64_t[]){0}, (const int32_t[]){0});
    arr_result_free(&res);
    int64_t big[3] = {(int64_t)1 << 40, ((int64_t)1 << 40) + 5, 2};
    range_run(HC_DT_INT64, &big[0], &big[1], &big[2], &res);
    const int64_t wbig[3] = {big[0], big[0] + 2, big[0] + 4};
    arr_expect(&res.t[0], HC_DT_INT64, 1, (const int64_t[]){3}, wbig);
    arr_result_free(&res);
    /* float: ceil(|(limit - start) / delta|) values, each the previous plus delta. */
    float f[3] = {0.0f, 1.0f, 0.1f};
    range_run(HC_DT_FLOAT, &f[0], &f[1], &f[2], &res);
    float wf[10], acc = 0.0f;
    for (int i = 0; i < 10; i++, acc += 0.1f)
        wf[i] = acc;
    arr_expect(&res.t[0], HC_DT_FLOAT, 1, (const int64_t[]){10}, wf);
    arr_result_free(&res);
    double dd[3] = {2.5, -1.0, -0.75};
    range_run(HC_DT_DOUBLE, &dd[0], &dd[1], &dd[2], &res);
    arr_expect(&res.t[0], HC_DT_DOUBLE, 1, (const int64_t[]){5},
               (const double[]){2.5, 1.75, 1.0, 0.25, -0.5});
    arr_result_free(&res);
}

static void range_errors(void **state) {
    (void)state;
    int32_t v[3] = {0, 10, 0};
    hc_dtype dt = HC_DT_INT32;
    hc_tensor in[3] = {tensor_of(dt, 0, NULL, &v[0]), tensor_of(dt, 0, NULL, &v[1]),
                       tensor_of(dt, 0, NULL, &v[2])};
    arr_run_err("Range", 3, in, 1, set_range, &dt, HC_INVALID, "delta != 0");
    v[2] = -1;
    arr_run_err("Range", 3, in, 1, set_range, &dt, HC_INVALID, "start >= limit");
    uint16_t h[3] = {0, 0x4000, 0x3c00};
    dt = HC_DT_HALF;
    for (int i = 0; i < 3; i++)
        in[i] = tensor_of(dt, 0, NULL, &h[i]);
    arr_run_err("Range", 3, in, 1, set_range, &dt, HC_UNSUPPORTED, "half");
    float nan = NAN, f[2] = {0, 1};
    dt = HC_DT_FLOAT;
    in[0] = tensor_of(dt, 0, NULL, &f[0]);
    in[1] = tensor_of(dt, 0, NULL, &nan);
    in[2] = tensor_of(dt, 0, NULL, &f[1]);
    arr_run_err("Range", 3, in, 1, set_range, &dt, HC_INVALID, "NaN");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reshape_random),
        cmocka_unit_test(reshape_empty_and_scalar),
        cmocka_unit_test(reshape_errors),
        cmocka_unit_test(squeeze_cases),
        cmocka_unit_test(expand_dims_all_positions),
        cmocka_unit_test(shape_size_rank),
        cmocka_unit_test(fill_every_dtype),
        cmocka_unit_test(range_values),
        cmocka_unit_test(range_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
