/* test_array_slice.c - Slice and StridedSlice through a real session. StridedSlice is checked
 * against a table of mask combinations (begin/end masks, ellipsis, new axes, shrink, negative
 * strides, clamping) whose expected outputs were computed with numpy's indexing of an iota
 * tensor (the same semantics as TF's ValidateStridedSliceOp for these specs) and are stored
 * here as source element indices; each case runs on every element size. Random slices are
 * checked against CPython's slice.indices() rules, and bad specs against TF's errors. */
#include "kernels/array_test.h"

typedef struct ss_case {
    int rank;
    int64_t dims[4];
    int n;
    int64_t b[5], e[5], s[5];
    int bm, em, ellipsis, new_axis, shrink;
    int out_rank;
    int64_t out_dims[5];
    int64_t n_out;
    const int64_t *src; /* flat input index of each output element */
} ss_case;

/* Generated with numpy 1.24 (x = arange(prod(dims)).reshape(dims); x[spec]), where the spec
 * maps bit i of ellipsis to ..., of new_axis to None, of shrink to begin[i], otherwise to
 * slice(None if begin_mask else b, None if end_mask else e, s). */
static const ss_case SS_CASES[] = {
    {3,
     {3, 4, 5},
     3,
     {0, 1, 2},
     {3, 3, 5},
     {1, 1, 1},
     0x0,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {3, 2, 3},
     18,
     (const int64_t[]){7, 8, 9, 12, 13, 14, 27, 28, 29, 32, 33, 34, 47, 48, 49, 52, 53, 54}},
    {3,
     {3, 4, 5},
     3,
     {-2, -3, -4},
     {-1, -1, -1},
     {1, 1, 1},
     0x0,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {1, 2, 3},
     6,
     (const int64_t[]){26, 27, 28, 31, 32, 33}},
    {3,
     {3, 4, 5},
     3,
     {2, 3, 4},
     {0, 0, 0},
     {-1, -1, -2},
     0x0,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {2, 3, 2},
     12,
     (const int64_t[]){59, 57, 54, 52, 49, 47, 39, 37, 34, 32, 29, 27}},
    {3,
     {3, 4, 5},
     3,
     {0, 0, 0},
     {0, 0, 0},
     {-1, 2, -3},
     0x7,
     0x7,
     0x0,
     0x0,
     0x0,
     3,
     {3, 2, 2},
     12,
     (const int64_t[]){44, 41, 54, 51, 24, 21, 34, 31, 4, 1, 14, 11}},
    {3,
     {3, 4, 5},
     3,
     {-10, 1, 0},
     {10, 100, -100},
     {1, 1, -1},
     0x0,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {3, 3, 1},
     9,
     (const int64_t[]){5, 10, 15, 25, 30, 35, 45, 50, 55}},
    {3,
     {3, 4, 5},
     3,
     {1, 0, 0},
     {2, 0, 0},
     {1, 1, 1},
     0x0,
     0x6,
     0x0,
     0x0,
     0x1,
     2,
     {4, 5},
     20,
     (const int64_t[]){20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                       30, 31, 32, 33, 34, 35, 36, 37, 38, 39}},
    {3,
     {3, 4, 5},
     1,
     {-1},
     {0},
     {1},
     0x0,
     0x0,
     0x0,
     0x0,
     0x1,
     2,
     {4, 5},
     20,
     (const int64_t[]){40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
                       50, 51, 52, 53, 54, 55, 56, 57, 58, 59}},
    {3,
     {3, 4, 5},
     3,
     {0, 2, -1},
     {0, 3, 0},
     {1, 1, 1},
     0x1,
     0x1,
     0x0,
     0x0,
     0x6,
     1,
     {3},
     3,
     (const int64_t[]){14, 34, 54}},
    {3,
     {3, 4, 5},
     2,
     {0, 1},
     {0, 3},
     {1, 1},
     0x0,
     0x0,
     0x1,
     0x0,
     0x0,
     3,
     {3, 4, 2},
     24,
     (const int64_t[]){1,  2,  6,  7,  11, 12, 16, 17, 21, 22, 26, 27,
                       31, 32, 36, 37, 41, 42, 46, 47, 51, 52, 56, 57}},
    {3,
     {3, 4, 5},
     3,
     {1, 0, -2},
     {2, 0, 5},
     {1, 1, 1},
     0x0,
     0x0,
     0x2,
     0x0,
     0x0,
     3,
     {1, 4, 2},
     8,
     (const int64_t[]){23, 24, 28, 29, 33, 34, 38, 39}},
    {3,
     {3, 4, 5},
     3,
     {0, 0, 0},
     {0, 0, 0},
     {1, 1, 1},
     0x6,
     0x6,
     0x0,
     0x1,
     0x0,
     4,
     {1, 3, 4, 5},
     60,
     (const int64_t[]){0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                       15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                       30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
                       45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59}},
    {3,
     {3, 4, 5},
     2,
     {0, 0},
     {0, 0},
     {1, 1},
     0x0,
     0x0,
     0x1,
     0x2,
     0x0,
     4,
     {3, 4, 5, 1},
     60,
     (const int64_t[]){0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                       15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                       30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
                       45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59}},
    {3,
     {3, 4, 5},
     2,
     {0, 1},
     {0, 2},
     {1, 1},
     0x0,
     0x0,
     0x0,
     0x1,
     0x3,
     3,
     {1, 4, 5},
     20,
     (const int64_t[]){20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                       30, 31, 32, 33, 34, 35, 36, 37, 38, 39}},
    {3,
     {3, 4, 5},
     2,
     {0, 0},
     {0, 2},
     {1, 1},
     0x0,
     0x0,
     0x1,
     0x1,
     0x0,
     3,
     {3, 4, 2},
     24,
     (const int64_t[]){0,  1,  5,  6,  10, 11, 15, 16, 20, 21, 25, 26,
                       30, 31, 35, 36, 40, 41, 45, 46, 50, 51, 55, 56}},
    {3,
     {3, 4, 5},
     3,
     {0, 0, 0},
     {3, 4, 5},
     {5, 5, 5},
     0x0,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {1, 1, 1},
     1,
     (const int64_t[]){0}},
    {3,
     {3, 4, 5},
     3,
     {0, 0, 0},
     {0, 1, 2},
     {-1, -1, -1},
     0x7,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {2, 2, 2},
     8,
     (const int64_t[]){59, 58, 54, 53, 39, 38, 34, 33}},
    {3,
     {3, 4, 5},
     1,
     {2},
     {1},
     {1},
     0x0,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {0, 4, 5},
     0,
     (const int64_t[]){0}},
    {3,
     {3, 4, 5},
     1,
     {1},
     {2},
     {2},
     0x0,
     0x0,
     0x0,
     0x0,
     0x1,
     2,
     {4, 5},
     20,
     (const int64_t[]){20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                       30, 31, 32, 33, 34, 35, 36, 37, 38, 39}},
    {3,
     {3, 4, 5},
     4,
     {0, 0, 0, 0},
     {0, 0, 0, 0},
     {1, 1, 1, 1},
     0x5,
     0x5,
     0x0,
     0xa,
     0x0,
     5,
     {3, 1, 4, 1, 5},
     60,
     (const int64_t[]){0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                       15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                       30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
                       45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59}},
    {3,
     {3, 4, 5},
     3,
     {0, 0, 0},
     {3, 4, 5},
     {1, 1, 1},
     0x0,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {3, 4, 5},
     60,
     (const int64_t[]){0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                       15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                       30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
                       45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59}},
    {3,
     {3, 4, 5},
     4,
     {0, 0, 0, 0},
     {3, 4, 5, 0},
     {1, 1, 1, 1},
     0x0,
     0x0,
     0x8,
     0x0,
     0x0,
     3,
     {3, 4, 5},
     60,
     (const int64_t[]){0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                       15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                       30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
                       45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59}},
    {4,
     {2, 3, 4, 5},
     3,
     {1, 0, 2},
     {2, 0, 3},
     {1, 1, 1},
     0x0,
     0x0,
     0x2,
     0x0,
     0x5,
     2,
     {3, 4},
     12,
     (const int64_t[]){62, 67, 72, 77, 82, 87, 92, 97, 102, 107, 112, 117}},
    {3,
     {3, 4, 5},
     3,
     {1, 2, 3},
     {2, 3, 4},
     {1, 1, 1},
     0x0,
     0x0,
     0x0,
     0x0,
     0x7,
     0,
     {0},
     1,
     (const int64_t[]){33}},
    {3,
     {3, 4, 5},
     3,
     {1, 1, 1},
     {0, 0, 0},
     {1, 2, 3},
     0x0,
     0x7,
     0x0,
     0x0,
     0x0,
     3,
     {2, 2, 2},
     8,
     (const int64_t[]){26, 29, 36, 39, 46, 49, 56, 59}},
    {3,
     {3, 4, 5},
     3,
     {-1, -1, -1},
     {-4, -5, -6},
     {-1, -2, -2},
     0x0,
     0x0,
     0x0,
     0x0,
     0x0,
     3,
     {3, 2, 3},
     18,
     (const int64_t[]){59, 57, 55, 49, 47, 45, 39, 37, 35, 29, 27, 25, 19, 17, 15, 9, 7, 5}},
    {3,
     {3, 4, 5},
     3,
     {0, 3, 0},
     {0, -5, 0},
     {1, -1, 1},
     0x5,
     0x5,
     0x0,
     0x0,
     0x0,
     3,
     {3, 4, 5},
     60,
     (const int64_t[]){15, 16, 17, 18, 19, 10, 11, 12, 13, 14, 5,  6,  7,  8,  9,
                       0,  1,  2,  3,  4,  35, 36, 37, 38, 39, 30, 31, 32, 33, 34,
                       25, 26, 27, 28, 29, 20, 21, 22, 23, 24, 55, 56, 57, 58, 59,
                       50, 51, 52, 53, 54, 45, 46, 47, 48, 49, 40, 41, 42, 43, 44}},
    {3,
     {7, 16, 17},
     3,
     {0, 1, 0},
     {0, 15, 17},
     {1, 3, -2},
     0x5,
     0x5,
     0x0,
     0x0,
     0x0,
     3,
     {7, 5, 9},
     315,
     (const int64_t[]){
         33,   31,   29,   27,   25,   23,   21,   19,   17,   84,   82,   80,   78,   76,   74,
         72,   70,   68,   135,  133,  131,  129,  127,  125,  123,  121,  119,  186,  184,  182,
         180,  178,  176,  174,  172,  170,  237,  235,  233,  231,  229,  227,  225,  223,  221,
         305,  303,  301,  299,  297,  295,  293,  291,  289,  356,  354,  352,  350,  348,  346,
         344,  342,  340,  407,  405,  403,  401,  399,  397,  395,  393,  391,  458,  456,  454,
         452,  450,  448,  446,  444,  442,  509,  507,  505,  503,  501,  499,  497,  495,  493,
         577,  575,  573,  571,  569,  567,  565,  563,  561,  628,  626,  624,  622,  620,  618,
         616,  614,  612,  679,  677,  675,  673,  671,  669,  667,  665,  663,  730,  728,  726,
         724,  722,  720,  718,  716,  714,  781,  779,  777,  775,  773,  771,  769,  767,  765,
         849,  847,  845,  843,  841,  839,  837,  835,  833,  900,  898,  896,  894,  892,  890,
         888,  886,  884,  951,  949,  947,  945,  943,  941,  939,  937,  935,  1002, 1000, 998,
         996,  994,  992,  990,  988,  986,  1053, 1051, 1049, 1047, 1045, 1043, 1041, 1039, 1037,
         1121, 1119, 1117, 1115, 1113, 1111, 1109, 1107, 1105, 1172, 1170, 1168, 1166, 1164, 1162,
         1160, 1158, 1156, 1223, 1221, 1219, 1217, 1215, 1213, 1211, 1209, 1207, 1274, 1272, 1270,
         1268, 1266, 1264, 1262, 1260, 1258, 1325, 1323, 1321, 1319, 1317, 1315, 1313, 1311, 1309,
         1393, 1391, 1389, 1387, 1385, 1383, 1381, 1379, 1377, 1444, 1442, 1440, 1438, 1436, 1434,
         1432, 1430, 1428, 1495, 1493, 1491, 1489, 1487, 1485, 1483, 1481, 1479, 1546, 1544, 1542,
         1540, 1538, 1536, 1534, 1532, 1530, 1597, 1595, 1593, 1591, 1589, 1587, 1585, 1583, 1581,
         1665, 1663, 1661, 1659, 1657, 1655, 1653, 1651, 1649, 1716, 1714, 1712, 1710, 1708, 1706,
         1704, 1702, 1700, 1767, 1765, 1763, 1761, 1759, 1757, 1755, 1753, 1751, 1818, 1816, 1814,
         1812, 1810, 1808, 1806, 1804, 1802, 1869, 1867, 1865, 1863, 1861, 1859, 1857, 1855, 1853}},
    {3,
     {3, 4, 5},
     3,
     {0, 0, 1},
     {0, 0, 4},
     {1, 1, 1},
     0x0,
     0x0,
     0x0,
     0x3,
     0x0,
     5,
     {1, 1, 2, 4, 5},
     40,
     (const int64_t[]){20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
                       34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
                       48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59}},
};

typedef struct ss_arg {
    hc_dtype t, index;
    int bm, em, ellipsis, new_axis, shrink;
} ss_arg;

static void set_ss(oprun *r, const void *arg) {
    const ss_arg *a = arg;
    arr_set_t(r, "T", a->t);
    arr_set_t(r, "Index", a->index);
    hc_gb_int(&r->t.g, r->node, "begin_mask", a->bm);
    hc_gb_int(&r->t.g, r->node, "end_mask", a->em);
    hc_gb_int(&r->t.g, r->node, "ellipsis_mask", a->ellipsis);
    hc_gb_int(&r->t.g, r->node, "new_axis_mask", a->new_axis);
    hc_gb_int(&r->t.g, r->node, "shrink_axis_mask", a->shrink);
}

/* begin/end/strides as int32 or int64 tensors backed by buf. */
static void ss_index_inputs(hc_dtype it, int n, const int64_t *b, const int64_t *e,
                            const int64_t *s, int32_t buf32[3][8], hc_tensor *out) {
    static int64_t dims[1];
    dims[0] = n;
    const int64_t *v[3] = {b, e, s};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < n; j++)
            buf32[i][j] = (int32_t)v[i][j];
        out[i] = it == HC_DT_INT32 ? arr_i32(1, dims, buf32[i]) : arr_i64(1, dims, v[i]);
    }
}

static void strided_slice_table(void **state) {
    (void)state;
    rng g = {31};
    for (size_t c = 0; c < sizeof SS_CASES / sizeof SS_CASES[0]; c++) {
        const ss_case *k = &SS_CASES[c];
        for (size_t t = 0; t < ARR_N_DTYPES; t++) {
            hc_dtype dt = ARR_DTYPES[t];
            size_t esz = hc_dtype_size(dt);
            hc_tensor in[4] = {arr_random(&g, dt, k->rank, k->dims)};
            int32_t buf[3][8];
            ss_arg a = {
                dt,       t & 1 ? HC_DT_INT64 : HC_DT_INT32, k->bm, k->em, k->ellipsis, k->new_axis,
                k->shrink};
            ss_index_inputs(a.index, k->n, k->b, k->e, k->s, buf, in + 1);
            uint8_t *want = malloc((size_t)k->n_out * esz + 1);
            for (int64_t i = 0; i < k->n_out; i++)
                memcpy(want + (size_t)i * esz,
                       (const uint8_t *)in[0].data + (size_t)k->src[i] * esz, esz);
            arr_result res;
            arr_run_ok("StridedSlice", 4, in, 1, set_ss, &a, &res);
            if (res.t[0].rank != k->out_rank) fail_msg("case %zu: rank %d", c, res.t[0].rank);
            arr_expect(&res.t[0], dt, k->out_rank, k->out_dims, want);
            arr_result_free(&res);
            free(want);
            arr_free(&in[0]);
        }
    }
}

/* CPython's slice.indices(): start, stop and count of slice(b?, e?, s) on a length n. */
static int64_t py_slice(int64_t n, bool has_b, int64_t b, bool has_e, int64_t e, int64_t s,
                        int64_t *start) {
    int64_t lo = s < 0 ? -1 : 0, hi = s < 0 ? n - 1 : n;
    if (!has_b)
        b = s < 0 ? hi : lo;
    else if (b < 0)
        b = b + n < lo ? lo : b + n;
    else if (b > hi)
        b = hi;
    if (!has_e)
        e = s < 0 ? lo : hi;
    else if (e < 0)
        e = e + n < lo ? lo : e + n;
    else if (e > hi)
        e = hi;
    *start = b;
    if (s < 0) return e < b ? (b - e - 1) / -s + 1 : 0;
    return b < e ? (e - b - 1) / s + 1 : 0;
}

typedef struct slice_map {
    int rank;
    int64_t in[8], start[8], step[8];
} slice_map;

static int64_t slice_src(const int64_t *oc, const void *arg) {
    const slice_map *m = arg;
    int64_t c[8];
    for (int d = 0; d < m->rank; d++)
        c[d] = m->start[d] + oc[d] * m->step[d];
    return arr_flat(m->rank, m->in, c);
}

static void strided_slice_random(void **state) {
    (void)state;
    rng g = {37};
    for (int it = 0; it < 90; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        int r = (int)rng_int(&g, 1, 4);
        int64_t dims[4], b[4], e[4], s[4], od[4];
        ss_arg a = {dt, it & 1 ? HC_DT_INT64 : HC_DT_INT32, 0, 0, 0, 0, 0};
        slice_map m = {r, {0}, {0}, {0}};
        for (int d = 0; d < r; d++) {
            dims[d] = it == 3 ? (int64_t[]){64, 40, 33, 3}[d] : ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
            b[d] = rng_int(&g, -dims[d] - 2, dims[d] + 2);
            e[d] = rng_int(&g, -dims[d] - 2, dims[d] + 2);
            s[d] = rng_int(&g, 1, 4) * (rng_int(&g, 0, 1) ? 1 : -1);
            if (rng_int(&g, 0, 3) == 0) a.bm |= 1 << d;
            if (rng_int(&g, 0, 3) == 0) a.em |= 1 << d;
            if (it == 3) s[d] = d == 2 ? -2 : 1, a.bm |= 1 << d, a.em |= 1 << d;
            m.in[d] = dims[d];
            m.step[d] = s[d];
            od[d] = py_slice(dims[d], !(a.bm >> d & 1), b[d], !(a.em >> d & 1), e[d], s[d],
                             &m.start[d]);
        }
        hc_tensor in[4] = {arr_random(&g, dt, r, dims)};
        int32_t buf[3][8];
        ss_index_inputs(a.index, r, b, e, s, buf, in + 1);
        uint8_t *want = arr_ref(in[0].data, hc_dtype_size(dt), r, od, slice_src, &m, NULL);
        arr_result res;
        arr_run_ok("StridedSlice", 4, in, 1, set_ss, &a, &res);
        arr_expect(&res.t[0], dt, r, od, want);
        arr_result_free(&res);
        free(want);
        arr_free(&in[0]);
    }
}

static void strided_slice_errors(void **state) {
    (void)state;
    float x[60] = {0};
    const int64_t dims[3] = {3, 4, 5};
    hc_tensor in[4] = {tensor_of(HC_DT_FLOAT, 3, dims, x)};
    int32_t buf[3][8];
    ss_arg a = {HC_DT_FLOAT, HC_DT_INT64, 0, 0, 0, 0, 0};
    const int64_t z3[3] = {0, 0, 0}, o3[3] = {1, 1, 1}, e3[3] = {3, 4, 5}, s0[3] = {1, 0, 1};
    ss_index_inputs(a.index, 3, z3, e3, s0, buf, in + 1);
    arr_run_err("StridedSlice", 4, in, 1, set_ss, &a, HC_INVALID, "strides[1] must be non-zero");
    const int64_t b3[1] = {3}, e1[1] = {4}, s1[1] = {1}, sm1[1] = {-1};
    a.shrink = 1;
    ss_index_inputs(a.index, 1, b3, e1, s1, buf, in + 1);
    arr_run_err("StridedSlice", 4, in, 1, set_ss, &a, HC_INVALID, "out of bounds");
    const int64_t bm4[1] = {-4};
    ss_index_inputs(a.index, 1, bm4, e1, s1, buf, in + 1);
    arr_run_err("StridedSlice", 4, in, 1, set_ss, &a, HC_INVALID, "out of bounds");
    ss_index_inputs(a.index, 1, z3, o3, sm1, buf, in + 1);
    arr_run_err("StridedSlice", 4, in, 1, set_ss, &a, HC_INVALID, "only stride 1");
    a.shrink = 0;
    const int64_t z4[4] = {0}, o4[4] = {1, 1, 1, 1};
    ss_index_inputs(a.index, 4, z4, o4, o4, buf, in + 1);
    arr_run_err("StridedSlice", 4, in, 1, set_ss, &a, HC_INVALID, "index out of range");
    a.ellipsis = 3;
    ss_index_inputs(a.index, 3, z3, e3, o3, buf, in + 1);
    arr_run_err("StridedSlice", 4, in, 1, set_ss, &a, HC_INVALID, "multiple ellipses");
    a.ellipsis = 0;
    ss_index_inputs(a.index, 3, z3, e3, o3, buf, in + 1);
    in[3].dims[0] = 2; /* strides shorter than begin */
    arr_run_err("StridedSlice", 4, in, 1, set_ss, &a, HC_INVALID, "equal size");
    float s = 1;
    in[0] = tensor_of(HC_DT_FLOAT, 0, NULL, &s);
    ss_index_inputs(a.index, 1, z3, o3, o3, buf, in + 1);
    arr_run_err("StridedSlice", 4, in, 1, set_ss, &a, HC_INVALID, "scalar");
}

/* ---- Slice ----------------------------------------------------------------------------- */

static void set_slice(oprun *r, const void *arg) {
    const ss_arg *a = arg;
    arr_set_t(r, "T", a->t);
    arr_set_t(r, "Index", a->index);
}

static void slice_random(void **state) {
    (void)state;
    rng g = {41};
    for (int it = 0; it < 72; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        int r = it == 2 ? 3 : (int)rng_int(&g, 0, 4);
        int64_t dims[4], b[4], sz[4], od[4];
        slice_map m = {r, {0}, {0}, {0}};
        for (int d = 0; d < r; d++) {
            dims[d] = it == 2 ? (int64_t[]){64, 40, 33, 3}[d] : ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
            b[d] = rng_int(&g, 0, dims[d]);
            sz[d] = rng_int(&g, 0, 3) == 0 ? -1 : rng_int(&g, 0, dims[d] - b[d]);
            if (it == 2) b[d] = d == 1, sz[d] = -1;
            od[d] = sz[d] == -1 ? dims[d] - b[d] : sz[d];
            m.in[d] = dims[d], m.start[d] = b[d], m.step[d] = 1;
        }
        hc_tensor in[3] = {arr_random(&g, dt, r, dims)};
        ss_arg a = {dt, it & 1 ? HC_DT_INT64 : HC_DT_INT32, 0, 0, 0, 0, 0};
        int32_t buf[3][8];
        hc_tensor idx[3];
        ss_index_inputs(a.index, r, b, sz, sz, buf, idx);
        in[1] = idx[0], in[2] = idx[1];
        uint8_t *want = arr_ref(in[0].data, hc_dtype_size(dt), r, od, slice_src, &m, NULL);
        arr_result res;
        arr_run_ok("Slice", 3, in, 1, set_slice, &a, &res);
        arr_expect(&res.t[0], dt, r, od, want);
        arr_result_free(&res);
        free(want);
        arr_free(&in[0]);
    }
}

static void slice_errors(void **state) {
    (void)state;
    float x[12] = {0};
    const int64_t dims[2] = {3, 4}, d2[1] = {2}, d1[1] = {1};
    ss_arg a = {HC_DT_FLOAT, HC_DT_INT64, 0, 0, 0, 0, 0};
    const int64_t b_bad[2] = {4, 0}, s_ok[2] = {-1, -1}, b_ok[2] = {1, 1}, s_bad[2] = {3, 1};
    hc_tensor in[3] = {tensor_of(HC_DT_FLOAT, 2, dims, x), arr_i64(1, d2, b_bad),
                       arr_i64(1, d2, s_ok)};
    arr_run_err("Slice", 3, in, 1, set_slice, &a, HC_INVALID, "expected begin[0] in [0, 3]");
    in[1] = arr_i64(1, d2, b_ok), in[2] = arr_i64(1, d2, s_bad);
    arr_run_err("Slice", 3, in, 1, set_slice, &a, HC_INVALID, "expected size[0] in [0, 2]");
    in[2] = arr_i64(1, d1, s_bad);
    arr_run_err("Slice", 3, in, 1, set_slice, &a, HC_INVALID, "vectors of size 2");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strided_slice_table),  cmocka_unit_test(strided_slice_random),
        cmocka_unit_test(strided_slice_errors), cmocka_unit_test(slice_random),
        cmocka_unit_test(slice_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
