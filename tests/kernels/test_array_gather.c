/* test_array_gather.c - Gather, GatherV2 (axis, batch_dims, negative axes), GatherNd, OneHot and
 * Where through a real session against per-element references on random shapes with tail sizes
 * and every element size; out-of-range indices are errors (TF's CPU kernels), except in OneHot
 * where they make an all-off row. */
#include "kernels/array_test.h"

#include "base/fp16.h"

#include <math.h>

typedef struct gather_map {
    int prank, irank, axis, bd;
    int64_t p[8], i[8];
    const int64_t *idx; /* indices as int64 */
    int K;              /* GatherNd: index depth */
} gather_map;

static int64_t gather_src(const int64_t *oc, const void *arg) {
    const gather_map *m = arg;
    int64_t pc[8], ic[8];
    int nidx = m->irank - m->bd;
    for (int d = 0; d < m->axis; d++)
        pc[d] = oc[d];
    for (int d = 0; d < m->bd; d++)
        ic[d] = oc[d];
    for (int d = 0; d < nidx; d++)
        ic[m->bd + d] = oc[m->axis + d];
    pc[m->axis] = m->idx[arr_flat(m->irank, m->i, ic)];
    for (int d = m->axis + 1; d < m->prank; d++)
        pc[d] = oc[d - 1 + nidx];
    return arr_flat(m->prank, m->p, pc);
}

typedef struct gattr {
    hc_dtype t, ti, ta;
    int64_t batch_dims, axis;
} gattr;

static void set_gather(oprun *r, const void *arg) {
    const gattr *a = arg;
    arr_set_t(r, "Tparams", a->t);
    arr_set_t(r, "Tindices", a->ti);
    if (a->ta) arr_set_t(r, "Taxis", a->ta);
    if (a->batch_dims) hc_gb_int(&r->t.g, r->node, "batch_dims", a->batch_dims);
}

/* Indices tensor of dtype ti from int64 values (buf holds the narrowed copy). */
static hc_tensor index_tensor(hc_dtype ti, int rank, const int64_t *dims, const int64_t *v,
                              void *buf) {
    int64_t n = arr_elems(rank, dims);
    for (int64_t j = 0; j < n; j++) {
        if (ti == HC_DT_INT32) ((int32_t *)buf)[j] = (int32_t)v[j];
        if (ti == HC_DT_INT16) ((int16_t *)buf)[j] = (int16_t)v[j];
        if (ti == HC_DT_UINT8) ((uint8_t *)buf)[j] = (uint8_t)v[j];
    }
    return tensor_of(ti, rank, dims, ti == HC_DT_INT64 ? (const void *)v : buf);
}

static void gather_v2_random(void **state) {
    (void)state;
    rng g = {71};
    static const hc_dtype itypes[3] = {HC_DT_INT32, HC_DT_INT64, HC_DT_INT16};
    for (int it = 0; it < 108; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        gather_map m = {(int)rng_int(&g, 1, 4), (int)rng_int(&g, 0, 3), 0, 0, {0}, {0}, NULL, 0};
        m.bd = (int)rng_int(&g, 0, HC_MIN(m.irank, m.prank - 1));
        m.axis = (int)rng_int(&g, m.bd, m.prank - 1);
        for (int d = 0; d < m.prank; d++)
            m.p[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        if (it == 5) m.prank = 2, m.irank = 1, m.bd = 0, m.axis = 0, m.p[0] = 1000, m.p[1] = 64;
        for (int d = 0; d < m.irank; d++)
            m.i[d] = d < m.bd ? m.p[d] : (it == 5 ? 900 : ARR_TAIL_DIMS[rng_int(&g, 0, 5)]);
        int64_t ni = arr_elems(m.irank, m.i), *idx = malloc((size_t)ni * 8 + 8);
        for (int64_t j = 0; j < ni; j++)
            idx[j] = rng_int(&g, 0, m.p[m.axis] - 1);
        m.idx = idx;
        int orank = m.prank - 1 + m.irank - m.bd;
        int64_t od[8];
        for (int d = 0, o = 0; d < m.prank; d++) {
            if (d != m.axis)
                od[o++] = m.p[d];
            else
                for (int k = m.bd; k < m.irank; k++)
                    od[o++] = m.i[k];
        }
        hc_tensor x = arr_random(&g, dt, m.prank, m.p);
        uint8_t *want = arr_ref(x.data, hc_dtype_size(dt), orank, od, gather_src, &m, NULL);
        hc_dtype ti = itypes[it % 3];
        void *buf = malloc((size_t)ni * 8 + 8);
        int64_t ax = rng_int(&g, 0, 1) ? m.axis : m.axis - m.prank;
        int64_t bd = m.bd && m.bd < m.irank && rng_int(&g, 0, 1) ? m.bd - m.irank : m.bd;
        gattr a = {dt, ti, it & 1 ? HC_DT_INT64 : HC_DT_INT32, bd, ax};
        int32_t ax32 = (int32_t)ax;
        hc_tensor in[3] = {x, index_tensor(ti, m.irank, m.i, idx, buf),
                           a.ta == HC_DT_INT64 ? arr_i64(0, NULL, &ax) : arr_i32(0, NULL, &ax32)};
        arr_result res;
        arr_run_ok("GatherV2", 3, in, 1, set_gather, &a, &res);
        arr_expect(&res.t[0], dt, orank, od, want);
        arr_result_free(&res);
        if (m.axis == 0 && m.bd == 0 && ti != HC_DT_INT16) { /* Gather (v1): axis 0 */
            a.ta = HC_DT_INVALID, a.batch_dims = 0;
            arr_run_ok("Gather", 2, in, 1, set_gather, &a, &res);
            arr_expect(&res.t[0], dt, orank, od, want);
            arr_result_free(&res);
        }
        free(want), free(buf), free(idx);
        arr_free(&x);
    }
}

static int64_t gather_nd_src(const int64_t *oc, const void *arg) {
    const gather_map *m = arg;
    int64_t pc[8], row = arr_flat(m->irank - 1, m->i, oc);
    for (int k = 0; k < m->K; k++)
        pc[k] = m->idx[row * m->K + k];
    for (int d = m->K; d < m->prank; d++)
        pc[d] = oc[m->irank - 1 + d - m->K];
    return arr_flat(m->prank, m->p, pc);
}

static void gather_nd_random(void **state) {
    (void)state;
    rng g = {73};
    for (int it = 0; it < 72; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        gather_map m = {(int)rng_int(&g, 1, 4), (int)rng_int(&g, 1, 3), 0, 0, {0}, {0}, NULL, 0};
        for (int d = 0; d < m.prank; d++)
            m.p[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        m.K = (int)rng_int(&g, 0, m.prank);
        for (int d = 0; d < m.irank - 1; d++)
            m.i[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 5)];
        if (it == 3) m.prank = 3, m.p[0] = 64, m.p[1] = 40, m.p[2] = 33, m.K = 1, m.i[0] = 200;
        if (it == 3) m.irank = 2;
        m.i[m.irank - 1] = m.K;
        int64_t ni = arr_elems(m.irank, m.i), *idx = malloc((size_t)ni * 8 + 8);
        for (int64_t j = 0; j < ni; j++)
            idx[j] = rng_int(&g, 0, m.p[j % (m.K ? m.K : 1)] - 1);
        m.idx = idx;
        int orank = m.irank - 1 + m.prank - m.K;
        int64_t od[8];
        for (int d = 0; d < m.irank - 1; d++)
            od[d] = m.i[d];
        for (int d = m.K; d < m.prank; d++)
            od[m.irank - 1 + d - m.K] = m.p[d];
        hc_tensor x = arr_random(&g, dt, m.prank, m.p);
        uint8_t *want = arr_ref(x.data, hc_dtype_size(dt), orank, od, gather_nd_src, &m, NULL);
        hc_dtype ti = it & 1 ? HC_DT_INT64 : HC_DT_INT32;
        void *buf = malloc((size_t)ni * 8 + 8);
        hc_tensor in[2] = {x, index_tensor(ti, m.irank, m.i, idx, buf)};
        gattr a = {dt, ti, HC_DT_INVALID, 0, 0};
        arr_result res;
        arr_run_ok("GatherNd", 2, in, 1, set_gather, &a, &res);
        arr_expect(&res.t[0], dt, orank, od, want);
        arr_result_free(&res);
        free(want), free(buf), free(idx);
        arr_free(&x);
    }
}

static void gather_errors(void **state) {
    (void)state;
    float x[12] = {0};
    const int64_t d34[2] = {3, 4}, d2[1] = {2}, d21[2] = {2, 1}, d13[2] = {1, 3};
    const int64_t bad_hi[2] = {0, 3}, bad_neg[2] = {-1, 0};
    int32_t axis = 0;
    gattr a = {HC_DT_FLOAT, HC_DT_INT64, HC_DT_INT32, 0, 0};
    hc_tensor in[3] = {tensor_of(HC_DT_FLOAT, 2, d34, x), arr_i64(1, d2, bad_hi),
                       arr_i32(0, NULL, &axis)};
    arr_run_err("GatherV2", 3, in, 1, set_gather, &a, HC_INVALID,
                "indices[1] = 3 is not in [0, 3)");
    in[1] = arr_i64(1, d2, bad_neg);
    arr_run_err("GatherV2", 3, in, 1, set_gather, &a, HC_INVALID, "indices[0] = -1 is not in");
    a.ta = HC_DT_INVALID;
    arr_run_err("Gather", 2, in, 1, set_gather, &a, HC_INVALID, "is not in [0, 3)");
    a.ta = HC_DT_INT32;
    axis = 2;
    const int64_t ok[2] = {0, 1};
    in[1] = arr_i64(1, d2, ok);
    arr_run_err("GatherV2", 3, in, 1, set_gather, &a, HC_INVALID, "axis 2 is out of range");
    axis = 0;
    a.batch_dims = 1;
    arr_run_err("GatherV2", 3, in, 1, set_gather, &a, HC_INVALID, "batch_dims");
    a.batch_dims = 0;
    float s = 0;
    in[0] = tensor_of(HC_DT_FLOAT, 0, NULL, &s);
    arr_run_err("GatherV2", 3, in, 1, set_gather, &a, HC_INVALID, "at least 1 dimensional");
    /* GatherNd: out of range row, index depth above the rank. */
    const int64_t nd_bad[2] = {1, 4}, deep[3] = {0, 0, 0};
    in[0] = tensor_of(HC_DT_FLOAT, 2, d34, x);
    in[1] = arr_i64(2, (const int64_t[]){1, 2}, nd_bad);
    a.ta = HC_DT_INVALID;
    arr_run_err("GatherNd", 2, in, 1, set_gather, &a, HC_INVALID,
                "does not index into param shape");
    in[1] = arr_i64(2, d13, deep);
    arr_run_err("GatherNd", 2, in, 1, set_gather, &a, HC_INVALID, "innermost dimension");
    in[0] = tensor_of(HC_DT_FLOAT, 2, (const int64_t[]){0, 4}, NULL);
    in[1] = arr_i64(2, d21, ok);
    arr_run_err("GatherNd", 2, in, 1, set_gather, &a, HC_INVALID, "params is empty");
}

/* ---- OneHot ----------------------------------------------------------------------------- */

typedef struct onehot_map {
    int irank, axis;
    int64_t i[8], depth;
    const int64_t *idx;
} onehot_map;

static int64_t onehot_src(const int64_t *oc, const void *arg) {
    const onehot_map *m = arg;
    int64_t ic[8];
    for (int d = 0, k = 0; d <= m->irank; d++)
        if (d != m->axis) ic[k++] = oc[d];
    return m->idx[arr_flat(m->irank, m->i, ic)] == oc[m->axis] ? 0 : -1; /* 0: on, -1: off */
}

typedef struct ohattr {
    hc_dtype t, ti;
    int64_t axis;
} ohattr;

static void set_onehot(oprun *r, const void *arg) {
    const ohattr *a = arg;
    arr_set_t(r, "T", a->t);
    arr_set_t(r, "TI", a->ti);
    hc_gb_int(&r->t.g, r->node, "axis", a->axis);
}

static void one_hot_random(void **state) {
    (void)state;
    rng g = {79};
    static const hc_dtype itypes[3] = {HC_DT_INT32, HC_DT_INT64, HC_DT_UINT8};
    for (int it = 0; it < 54; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES], ti = itypes[it % 3];
        onehot_map m = {(int)rng_int(&g, 0, 3), 0, {0}, ARR_TAIL_DIMS[rng_int(&g, 0, 7)], NULL};
        for (int d = 0; d < m.irank; d++)
            m.i[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        m.axis = (int)rng_int(&g, 0, m.irank);
        int64_t ni = arr_elems(m.irank, m.i), *idx = malloc((size_t)ni * 8 + 8);
        for (int64_t j = 0; j < ni; j++)
            idx[j] = rng_int(&g, ti == HC_DT_UINT8 ? 0 : -2, m.depth + 1); /* some off-range */
        m.idx = idx;
        int64_t od[8] = {0};
        for (int d = 0, k = 0; d <= m.irank; d++)
            od[d] = d == m.axis ? m.depth : m.i[k++];
        hc_tensor on = arr_random(&g, dt, 0, NULL), off = arr_random(&g, dt, 0, NULL);
        uint8_t *want =
            arr_ref(on.data, hc_dtype_size(dt), m.irank + 1, od, onehot_src, &m, off.data);
        int32_t depth = (int32_t)m.depth;
        void *buf = malloc((size_t)ni * 8 + 8);
        hc_tensor in[4] = {index_tensor(ti, m.irank, m.i, idx, buf), arr_i32(0, NULL, &depth), on,
                           off};
        ohattr a = {dt, ti, m.axis == m.irank && (it & 1) ? -1 : m.axis};
        arr_result res;
        arr_run_ok("OneHot", 4, in, 1, set_onehot, &a, &res);
        arr_expect(&res.t[0], dt, m.irank + 1, od, want);
        arr_result_free(&res);
        free(want), free(buf), free(idx);
        arr_free(&on), arr_free(&off);
    }
    float on = 1, off = 0;
    int32_t depth = -1;
    const int64_t d2[1] = {2}, v[2] = {0, 1};
    hc_tensor in[4] = {arr_i64(1, d2, v), arr_i32(0, NULL, &depth),
                       tensor_of(HC_DT_FLOAT, 0, NULL, &on), tensor_of(HC_DT_FLOAT, 0, NULL, &off)};
    ohattr a = {HC_DT_FLOAT, HC_DT_INT64, -1};
    arr_run_err("OneHot", 4, in, 1, set_onehot, &a, HC_INVALID, "non-negative");
    depth = 3, a.axis = 2;
    arr_run_err("OneHot", 4, in, 1, set_onehot, &a, HC_INVALID, "expected axis");
}

/* ---- Where ------------------------------------------------------------------------------ */

static bool truthy(const uint8_t *p, hc_dtype dt) {
    switch (dt) {
    case HC_DT_FLOAT: {
        float f;
        memcpy(&f, p, 4);
        return f != 0.0f;
    }
    case HC_DT_DOUBLE: {
        double f;
        memcpy(&f, p, 8);
        return f != 0.0;
    }
    case HC_DT_HALF: {
        uint16_t h;
        memcpy(&h, p, 2);
        return hc_f16_to_f32(h) != 0.0f;
    }
    case HC_DT_COMPLEX128: {
        double f[2];
        memcpy(f, p, 16);
        return f[0] != 0.0 || f[1] != 0.0;
    }
    default: {
        size_t n = hc_dtype_size(dt);
        for (size_t i = 0; i < n; i++)
            if (p[i]) return true;
        return false;
    }
    }
}

static void set_where(oprun *r, const void *arg) {
    arr_set_t(r, "T", *(const hc_dtype *)arg);
}

static void where_random(void **state) {
    (void)state;
    rng g = {83};
    for (int it = 0; it < 54; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        size_t esz = hc_dtype_size(dt);
        int r = (int)rng_int(&g, 0, 4);
        int64_t dims[4];
        for (int d = 0; d < r; d++)
            dims[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        hc_tensor x = arr_random(&g, dt, r, dims);
        int64_t n = arr_elems(r, dims), count = 0, c[4] = {0};
        uint8_t *p = (uint8_t *)x.data;
        /* Zero about half, and plant -0.0 and NaN in the float types. */
        for (int64_t i = 0; i < n; i++) {
            if (rng_int(&g, 0, 1))
                memset(p + (size_t)i * esz, 0, esz);
            else if (dt != HC_DT_BOOL && dt != HC_DT_UINT8 && dt != HC_DT_INT8 &&
                     rng_int(&g, 0, 3) == 0)
                memset(p + (size_t)i * esz, 0, esz - 1); /* only the top byte set */
            if (rng_int(&g, 0, 7) == 0 &&
                (dt == HC_DT_FLOAT || dt == HC_DT_HALF || dt == HC_DT_DOUBLE)) {
                memset(p + (size_t)i * esz, 0, esz);
                p[(size_t)(i + 1) * esz - 1] = 0x80; /* -0.0: false */
            }
        }
        int64_t *want = malloc((size_t)(n * r + 1) * 8);
        for (int64_t i = 0; i < n; i++) {
            if (truthy(p + (size_t)i * esz, dt)) memcpy(want + (count++) * r, c, (size_t)r * 8);
            for (int d = r - 1; d >= 0; d--) {
                if (++c[d] < dims[d]) break;
                c[d] = 0;
            }
        }
        arr_result res;
        arr_run_ok("Where", 1, &x, 1, set_where, &dt, &res);
        arr_expect(&res.t[0], HC_DT_INT64, 2, (const int64_t[]){count, r}, want);
        arr_result_free(&res);
        free(want);
        arr_free(&x);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gather_v2_random), cmocka_unit_test(gather_nd_random),
        cmocka_unit_test(gather_errors),    cmocka_unit_test(one_hot_random),
        cmocka_unit_test(where_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
