/* test_array_concat.c - Concat, ConcatV2, Pack, Unpack, Split and SplitV through a real session
 * against per-element references, on random shapes (tail sizes, empty inputs, one big case
 * that runs on two threads) and every element size, plus TF's errors. */
#include "kernels/array_test.h"

typedef struct cat_arg {
    hc_dtype t;
    int n;         /* N / num / num_split */
    int64_t axis;  /* Pack / Unpack */
    hc_dtype tidx; /* ConcatV2 Tidx, SplitV Tlen */
} cat_arg;

static void set_cat(oprun *r, const void *arg) {
    const cat_arg *a = arg;
    const char *op = (const char *)r->t.g.nodes[r->node].op.p;
    size_t len = r->t.g.nodes[r->node].op.n;
    arr_set_t(r, "T", a->t);
    if (len == 8 && !memcmp(op, "ConcatV2", 8)) arr_set_t(r, "Tidx", a->tidx);
    if (len == 6 && !memcmp(op, "SplitV", 6)) arr_set_t(r, "Tlen", a->tidx);
    if ((len == 6 && !memcmp(op, "Concat", 6)) || (len == 8 && !memcmp(op, "ConcatV2", 8)) ||
        (len == 4 && !memcmp(op, "Pack", 4)))
        hc_gb_int(&r->t.g, r->node, "N", a->n);
    if ((len == 4 && !memcmp(op, "Pack", 4)) || (len == 6 && !memcmp(op, "Unpack", 6)))
        hc_gb_int(&r->t.g, r->node, "axis", a->axis);
    if (len == 6 && !memcmp(op, "Unpack", 6)) hc_gb_int(&r->t.g, r->node, "num", a->n);
    if (len >= 5 && !memcmp(op, "Split", 5)) hc_gb_int(&r->t.g, r->node, "num_split", a->n);
}

/* Reference concat of parts along axis (all of rank r, dims equal off the axis). */
static uint8_t *ref_concat(const hc_tensor *parts, int n, int axis, int64_t *odims) {
    int r = parts[0].rank;
    size_t esz = hc_dtype_size(parts[0].dtype);
    for (int d = 0; d < r; d++)
        odims[d] = parts[0].dims[d];
    odims[axis] = 0;
    for (int i = 0; i < n; i++)
        odims[axis] += parts[i].dims[axis];
    int64_t total = arr_elems(r, odims), oc[8] = {0};
    uint8_t *out = malloc((size_t)total * esz + 1);
    for (int64_t e = 0; e < total; e++) {
        int64_t c[8], a = oc[axis];
        int i = 0;
        while (a >= parts[i].dims[axis])
            a -= parts[i++].dims[axis];
        memcpy(c, oc, sizeof c);
        c[axis] = a;
        memcpy(out + (size_t)e * esz,
               (const uint8_t *)parts[i].data + (size_t)arr_flat(r, parts[i].dims, c) * esz, esz);
        for (int d = r - 1; d >= 0; d--) {
            if (++oc[d] < odims[d]) break;
            oc[d] = 0;
        }
    }
    return out;
}

static void random_parts(rng *g, hc_dtype dt, int r, int axis, int n, hc_tensor *parts, bool big) {
    int64_t dims[8];
    for (int d = 0; d < r; d++)
        dims[d] = big ? (d == 0 ? 64 : 40) : ARR_TAIL_DIMS[rng_int(g, 0, 7)];
    for (int i = 0; i < n; i++) {
        dims[axis] = big ? 33 : (rng_int(g, 0, 5) == 0 ? 0 : ARR_TAIL_DIMS[rng_int(g, 0, 7)]);
        parts[i] = arr_random(g, dt, r, dims);
    }
}

static void concat_random(void **state) {
    (void)state;
    rng g = {21};
    for (int it = 0; it < 54; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        bool big = it == 5;
        int r = big ? 3 : (int)rng_int(&g, 1, 4), axis = big ? 1 : (int)rng_int(&g, 0, r - 1);
        int n = big ? 3 : (int)rng_int(&g, 1, 4);
        hc_tensor in[6];
        random_parts(&g, dt, r, axis, n, in, big);
        int64_t odims[8];
        uint8_t *want = ref_concat(in, n, axis, odims);
        bool v2 = it & 1;
        int64_t ax64 = axis - (it & 2 ? r : 0); /* negative axes too */
        int32_t ax32 = (int32_t)ax64;
        hc_tensor all[7];
        cat_arg a = {dt, n, 0, v2 && (it & 4) ? HC_DT_INT64 : HC_DT_INT32};
        hc_tensor axt = a.tidx == HC_DT_INT64 ? arr_i64(0, NULL, &ax64) : arr_i32(0, NULL, &ax32);
        for (int i = 0; i < n; i++)
            all[v2 ? i : i + 1] = in[i];
        all[v2 ? n : 0] = axt;
        arr_result res;
        arr_run_ok(v2 ? "ConcatV2" : "Concat", n + 1, all, 1, set_cat, &a, &res);
        arr_expect(&res.t[0], dt, r, odims, want);
        arr_result_free(&res);
        /* Split / SplitV of the result give the parts back (Split: equal parts only). */
        hc_tensor whole = tensor_of(dt, r, odims, want);
        int64_t sizes[6];
        for (int i = 0; i < n; i++)
            sizes[i] = in[i].dims[axis];
        if (n > 1) sizes[rng_int(&g, 0, n - 1)] = -1;
        const int64_t dn[1] = {n};
        hc_tensor sv[3] = {whole, arr_i64(1, dn, sizes), arr_i32(0, NULL, &ax32)};
        cat_arg sa = {dt, n, 0, HC_DT_INT64};
        arr_run_ok("SplitV", 3, sv, n, set_cat, &sa, &res);
        for (int i = 0; i < n; i++)
            arr_expect(&res.t[i], dt, r, in[i].dims, in[i].data);
        arr_result_free(&res);
        if (in[0].dims[axis] * n == odims[axis]) {
            hc_tensor sp[2] = {arr_i32(0, NULL, &ax32), whole};
            arr_run_ok("Split", 2, sp, n, set_cat, &sa, &res);
            int64_t pd[8];
            memcpy(pd, odims, sizeof pd);
            pd[axis] = odims[axis] / n;
            size_t esz = hc_dtype_size(dt),
                   inner = (size_t)arr_elems(r - axis - 1, odims + axis + 1);
            for (int i = 0; i < n; i++) { /* part i: rows [i*pd, (i+1)*pd) of each outer block */
                size_t outer = (size_t)arr_elems(axis, odims), w = (size_t)pd[axis] * inner * esz;
                uint8_t *p = malloc(outer * w + 1);
                for (size_t o = 0; o < outer; o++)
                    memcpy(p + o * w,
                           want + (o * (size_t)odims[axis] * inner) * esz + (size_t)i * w, w);
                arr_expect(&res.t[i], dt, r, pd, p);
                free(p);
            }
            arr_result_free(&res);
        }
        free(want);
        for (int i = 0; i < n; i++)
            arr_free(&in[i]);
    }
}

static void pack_unpack_random(void **state) {
    (void)state;
    rng g = {23};
    for (int it = 0; it < 36; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        int r = (int)rng_int(&g, 0, 3), n = (int)rng_int(&g, 1, 5);
        int axis = (int)rng_int(&g, 0, r);
        int64_t dims[8];
        for (int d = 0; d < r; d++)
            dims[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        if (it == 7) r = 3, dims[0] = 64, dims[1] = 40, dims[2] = 33, n = 3; /* two threads */
        hc_tensor in[6];
        for (int i = 0; i < n; i++)
            in[i] = arr_random(&g, dt, r, dims);
        /* Pack is concat of the inputs each with a size-1 axis inserted. */
        hc_tensor ex[6];
        for (int i = 0; i < n; i++) {
            ex[i] = in[i];
            ex[i].rank = r + 1;
            for (int d = 0, s = 0; d <= r; d++)
                ex[i].dims[d] = d == axis ? 1 : dims[s++];
        }
        int64_t odims[8];
        uint8_t *want = ref_concat(ex, n, axis, odims);
        cat_arg a = {dt, n, axis - (it & 1 ? r + 1 : 0), HC_DT_INT32};
        arr_result res;
        arr_run_ok("Pack", n, in, 1, set_cat, &a, &res);
        arr_expect(&res.t[0], dt, r + 1, odims, want);
        arr_result_free(&res);
        hc_tensor packed = tensor_of(dt, r + 1, odims, want);
        cat_arg u = {dt, n, axis - (it & 2 ? r + 1 : 0), HC_DT_INT32};
        arr_run_ok("Unpack", 1, &packed, n, set_cat, &u, &res);
        for (int i = 0; i < n; i++)
            arr_expect(&res.t[i], dt, r, dims, in[i].data);
        arr_result_free(&res);
        free(want);
        for (int i = 0; i < n; i++)
            arr_free(&in[i]);
    }
}

static void concat_errors(void **state) {
    (void)state;
    float x[6] = {0};
    int32_t axis = 2;
    const int64_t d23[2] = {2, 3}, d32[2] = {3, 2}, d6[1] = {6};
    hc_tensor in[3] = {tensor_of(HC_DT_FLOAT, 2, d23, x), tensor_of(HC_DT_FLOAT, 2, d23, x),
                       arr_i32(0, NULL, &axis)};
    cat_arg a = {HC_DT_FLOAT, 2, 0, HC_DT_INT32};
    arr_run_err("ConcatV2", 3, in, 1, set_cat, &a, HC_INVALID, "out of range");
    axis = 0;
    in[1] = tensor_of(HC_DT_FLOAT, 2, d32, x);
    arr_run_err("ConcatV2", 3, in, 1, set_cat, &a, HC_INVALID, "dimension 1");
    in[1] = tensor_of(HC_DT_FLOAT, 1, d6, x);
    arr_run_err("ConcatV2", 3, in, 1, set_cat, &a, HC_INVALID, "rank");
    in[0] = tensor_of(HC_DT_FLOAT, 0, NULL, x), in[1] = tensor_of(HC_DT_FLOAT, 0, NULL, x);
    arr_run_err("ConcatV2", 3, in, 1, set_cat, &a, HC_INVALID, "scalars");
    /* Pack: shapes differ; axis out of range. */
    in[0] = tensor_of(HC_DT_FLOAT, 2, d23, x), in[1] = tensor_of(HC_DT_FLOAT, 2, d32, x);
    arr_run_err("Pack", 2, in, 1, set_cat, &a, HC_INVALID, "shapes of all inputs must match");
    in[1] = in[0];
    a.axis = 3;
    arr_run_err("Pack", 2, in, 1, set_cat, &a, HC_INVALID, "out of range");
    /* Unpack: num differs from the axis size. */
    cat_arg u = {HC_DT_FLOAT, 3, 0, HC_DT_INT32};
    arr_run_err("Unpack", 1, in, 3, set_cat, &u, HC_INVALID, "must equal 3");
    /* Split: not divisible; SplitV: sizes do not add up, two -1. */
    int32_t dim = 1;
    hc_tensor sp[2] = {arr_i32(0, NULL, &dim), in[0]};
    cat_arg s = {HC_DT_FLOAT, 2, 0, HC_DT_INT64};
    arr_run_err("Split", 2, sp, 2, set_cat, &s, HC_INVALID, "evenly divide");
    const int64_t two[1] = {2}, bad_sum[2] = {1, 1}, two_neg[2] = {-1, -1}, neg[2] = {4, -1};
    hc_tensor sv[3] = {in[0], arr_i64(1, two, bad_sum), arr_i32(0, NULL, &dim)};
    arr_run_err("SplitV", 3, sv, 2, set_cat, &s, HC_INVALID, "determined shape");
    sv[1] = arr_i64(1, two, two_neg);
    arr_run_err("SplitV", 3, sv, 2, set_cat, &s, HC_INVALID, "only be one -1");
    sv[1] = arr_i64(1, two, neg);
    arr_run_err("SplitV", 3, sv, 2, set_cat, &s, HC_INVALID, "determined shape");
    const int64_t negs[2] = {5, -2}; /* sums to 3: passes the sum check */
    sv[1] = arr_i64(1, two, negs);
    arr_run_err("SplitV", 3, sv, 2, set_cat, &s, HC_INVALID, ">= 0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concat_random),
        cmocka_unit_test(pack_unpack_random),
        cmocka_unit_test(concat_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
