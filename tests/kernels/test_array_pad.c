/* test_array_pad.c - Pad, PadV2, MirrorPad (REFLECT, SYMMETRIC), SpaceToBatchND and
 * BatchToSpaceND through a real session against per-element references (each output coordinate
 * mapped to its source or to the pad value), on random shapes with tail sizes, every element
 * size and 1 and 2 threads; TF's errors for bad paddings, blocks and crops. */
#include "kernels/array_test.h"

typedef enum mode { CONSTANT, REFLECT, SYMMETRIC } mode;

typedef struct pad_map {
    int rank;
    int64_t in[8], lo[8], hi[8];
    mode m;
} pad_map;

static int64_t pad_src(const int64_t *oc, const void *arg) {
    const pad_map *p = arg;
    int64_t c[8];
    for (int d = 0; d < p->rank; d++) {
        int64_t i = oc[d] - p->lo[d], n = p->in[d];
        if (p->m == CONSTANT && (i < 0 || i >= n)) return -1;
        if (p->m == REFLECT) i = i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
        if (p->m == SYMMETRIC) i = i < 0 ? -1 - i : i >= n ? 2 * n - 1 - i : i;
        c[d] = i;
    }
    return arr_flat(p->rank, p->in, c);
}

typedef struct pattr {
    hc_dtype t, tp;
    const char *mode;
} pattr;

static void set_pad(oprun *r, const void *arg) {
    const pattr *a = arg;
    arr_set_t(r, "T", a->t);
    arr_set_t(r, "Tpaddings", a->tp);
    if (a->mode) hc_gb_str(&r->t.g, r->node, "mode", a->mode);
}

/* An [n, 2] paddings tensor (int32 or int64) over buf. */
static hc_tensor pairs(hc_dtype tp, int n, const int64_t *lo, const int64_t *hi, int64_t *b64,
                       int32_t *b32) {
    static int64_t dims[2];
    dims[0] = n, dims[1] = 2;
    for (int d = 0; d < n; d++) {
        b64[2 * (size_t)d] = lo[d], b64[2 * (size_t)d + 1] = hi[d];
        b32[2 * (size_t)d] = (int32_t)lo[d], b32[2 * (size_t)d + 1] = (int32_t)hi[d];
    }
    return tp == HC_DT_INT64 ? arr_i64(2, dims, b64) : arr_i32(2, dims, b32);
}

static void pad_random(void **state) {
    (void)state;
    rng g = {91};
    for (int it = 0; it < 162; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        pad_map p = {(int)rng_int(&g, 0, 4), {0}, {0}, {0}, (mode)(it / 9 % 3)};
        int64_t od[8];
        for (int d = 0; d < p.rank; d++) {
            p.in[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
            int64_t lim = p.m == CONSTANT ? 4 : p.m == REFLECT ? p.in[d] - 1 : p.in[d];
            p.lo[d] = rng_int(&g, 0, 2) ? rng_int(&g, 0, lim) : 0;
            p.hi[d] = rng_int(&g, 0, 2) ? rng_int(&g, 0, lim) : 0;
        }
        if (it % 40 == 1) { /* NHWC image, big enough for two threads */
            p.rank = 4, p.in[0] = 1, p.in[1] = 64, p.in[2] = 60, p.in[3] = 33;
            p.lo[0] = p.hi[0] = p.lo[3] = p.hi[3] = 0, p.lo[1] = p.lo[2] = 3, p.hi[1] = p.hi[2] = 2;
        }
        for (int d = 0; d < p.rank; d++)
            od[d] = p.in[d] + p.lo[d] + p.hi[d];
        hc_tensor x = arr_random(&g, dt, p.rank, p.in), c = arr_random(&g, dt, 0, NULL);
        static const uint8_t zero[16];
        bool v2 = p.m == CONSTANT && (it & 1);
        uint8_t *want =
            arr_ref(x.data, hc_dtype_size(dt), p.rank, od, pad_src, &p, v2 ? c.data : zero);
        int64_t b64[16];
        int32_t b32[16];
        pattr a = {dt, it & 2 ? HC_DT_INT64 : HC_DT_INT32,
                   p.m == REFLECT     ? "REFLECT"
                   : p.m == SYMMETRIC ? "SYMMETRIC"
                                      : NULL};
        hc_tensor in[3] = {x, pairs(a.tp, p.rank, p.lo, p.hi, b64, b32), c};
        const char *op = p.m != CONSTANT ? "MirrorPad" : v2 ? "PadV2" : "Pad";
        arr_result res;
        arr_run_ok(op, v2 ? 3 : 2, in, 1, set_pad, &a, &res);
        arr_expect(&res.t[0], dt, p.rank, od, want);
        arr_result_free(&res);
        free(want);
        arr_free(&x), arr_free(&c);
    }
}

static void pad_errors(void **state) {
    (void)state;
    float x[12] = {0}, c2[2] = {0};
    const int64_t d34[2] = {3, 4};
    int64_t b64[16];
    int32_t b32[16];
    pattr a = {HC_DT_FLOAT, HC_DT_INT64, NULL};
    const int64_t neg[2] = {0, -1}, z[2] = {0, 0}, three[2] = {3, 0}, four[2] = {0, 5};
    hc_tensor in[3] = {tensor_of(HC_DT_FLOAT, 2, d34, x), pairs(HC_DT_INT64, 2, neg, z, b64, b32),
                       tensor_of(HC_DT_FLOAT, 1, (const int64_t[]){2}, c2)};
    arr_run_err("Pad", 2, in, 1, set_pad, &a, HC_INVALID, "non-negative");
    in[1] = pairs(HC_DT_INT64, 1, z, z, b64, b32);
    arr_run_err("Pad", 2, in, 1, set_pad, &a, HC_INVALID, "[2, 2] matrix");
    in[1] = pairs(HC_DT_INT64, 2, z, z, b64, b32);
    arr_run_err("PadV2", 3, in, 1, set_pad, &a, HC_INVALID, "scalar");
    a.mode = "REFLECT";
    in[1] = pairs(HC_DT_INT64, 2, three, z, b64, b32);
    arr_run_err("MirrorPad", 2, in, 1, set_pad, &a, HC_INVALID, "less than the dimension size");
    a.mode = "SYMMETRIC";
    in[1] = pairs(HC_DT_INT64, 2, z, four, b64, b32);
    arr_run_err("MirrorPad", 2, in, 1, set_pad, &a, HC_INVALID, "no greater than");
    a.mode = "EDGE";
    arr_run_err("MirrorPad", 2, in, 1, set_pad, &a, HC_INVALID, "REFLECT or SYMMETRIC");
}

/* ---- SpaceToBatchND, BatchToSpaceND ------------------------------------------------- */

typedef struct bs_map {
    int rank, m;
    int64_t in[8], block[4], lo[4], hi[4], batch; /* batch: of the space side */
} bs_map;

/* SpaceToBatchND: out[bo * B + n, i_j.., r] = padded[n, i_j * b_j + o_j.., r]. */
static int64_t s2b_src(const int64_t *oc, const void *arg) {
    const bs_map *p = arg;
    int64_t c[8], bo = oc[0] / p->batch;
    c[0] = oc[0] % p->batch;
    for (int j = p->m - 1; j >= 0; j--) {
        int64_t o = bo % p->block[j];
        bo /= p->block[j];
        c[1 + j] = oc[1 + j] * p->block[j] + o - p->lo[j];
        if (c[1 + j] < 0 || c[1 + j] >= p->in[1 + j]) return -1;
    }
    for (int d = 1 + p->m; d < p->rank; d++)
        c[d] = oc[d];
    return arr_flat(p->rank, p->in, c);
}

/* BatchToSpaceND: out[n, y_j.., r] = in[bo * B' + n, (y_j + crop_j) / b_j.., r], with bo from
 * the offsets (y_j + crop_j) % b_j (row-major). */
static int64_t b2s_src(const int64_t *oc, const void *arg) {
    const bs_map *p = arg;
    int64_t c[8], bo = 0;
    for (int j = 0; j < p->m; j++) {
        int64_t y = oc[1 + j] + p->lo[j];
        c[1 + j] = y / p->block[j];
        bo = bo * p->block[j] + y % p->block[j];
    }
    c[0] = bo * p->batch + oc[0];
    for (int d = 1 + p->m; d < p->rank; d++)
        c[d] = oc[d];
    return arr_flat(p->rank, p->in, c);
}

static void set_bs(oprun *r, const void *arg) {
    const pattr *a = arg;
    const hc_span op = r->t.g.nodes[r->node].op;
    arr_set_t(r, "T", a->t);
    arr_set_t(r, "Tblock_shape", a->tp);
    arr_set_t(r, hc_span_eq_str(op, "SpaceToBatchND") ? "Tpaddings" : "Tcrops", a->tp);
}

static void run_bs(const char *op, const hc_tensor *x, const bs_map *p, pattr *a, int orank,
                   const int64_t *od, arr_src_fn f) {
    int64_t b64[16], bl64[4];
    int32_t b32[16], bl32[4];
    for (int j = 0; j < p->m; j++)
        bl64[j] = p->block[j], bl32[j] = (int32_t)p->block[j];
    const int64_t dm[1] = {p->m};
    hc_tensor in[3] = {*x, a->tp == HC_DT_INT64 ? arr_i64(1, dm, bl64) : arr_i32(1, dm, bl32),
                       pairs(a->tp, p->m, p->lo, p->hi, b64, b32)};
    static const uint8_t zero[16];
    uint8_t *want = arr_ref(x->data, hc_dtype_size(x->dtype), orank, od, f, p, zero);
    arr_result res;
    arr_run_ok(op, 3, in, 1, set_bs, a, &res);
    arr_expect(&res.t[0], x->dtype, orank, od, want);
    arr_result_free(&res);
    free(want);
}

static void space_batch_random(void **state) {
    (void)state;
    rng g = {97};
    for (int it = 0; it < 108; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        bs_map p = {0, (int)rng_int(&g, 1, 3), {0}, {0}, {0}, {0}, rng_int(&g, 1, 3)};
        p.rank = 1 + p.m + (int)rng_int(&g, 0, 2);
        p.in[0] = p.batch;
        int64_t od[8], nb = 1;
        for (int j = 0; j < p.m; j++) {
            p.block[j] = rng_int(&g, 1, 3);
            p.lo[j] = rng_int(&g, 0, 2), p.hi[j] = rng_int(&g, 0, 2);
            int64_t k = rng_int(&g, 1, 4) + (p.lo[j] + p.hi[j]) / p.block[j];
            p.in[1 + j] = k * p.block[j] - p.lo[j] - p.hi[j];
            nb *= p.block[j];
        }
        for (int d = 1 + p.m; d < p.rank; d++)
            p.in[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        if (it == 8) { /* the face model's shape of case: dilation 2 on a 1x38x38x128 map */
            p.rank = 4, p.m = 2, p.batch = p.in[0] = 1, p.in[1] = p.in[2] = 38, p.in[3] = 128;
            p.block[0] = p.block[1] = 2, p.lo[0] = p.lo[1] = p.hi[0] = p.hi[1] = 2, nb = 4;
        }
        od[0] = p.batch * nb;
        for (int j = 0; j < p.m; j++)
            od[1 + j] = (p.in[1 + j] + p.lo[j] + p.hi[j]) / p.block[j];
        for (int d = 1 + p.m; d < p.rank; d++)
            od[d] = p.in[d];
        pattr a = {dt, it & 1 ? HC_DT_INT64 : HC_DT_INT32, NULL};
        hc_tensor x = arr_random(&g, dt, p.rank, p.in);
        run_bs("SpaceToBatchND", &x, &p, &a, p.rank, od, s2b_src);
        /* BatchToSpaceND of a tensor shaped like that output, with the paddings as crops. */
        bs_map q = p;
        memcpy(q.in, od, sizeof od);
        int64_t bd[8];
        bd[0] = p.batch;
        for (int j = 0; j < p.m; j++)
            bd[1 + j] = od[1 + j] * p.block[j] - p.lo[j] - p.hi[j];
        for (int d = 1 + p.m; d < p.rank; d++)
            bd[d] = p.in[d];
        hc_tensor y = arr_random(&g, dt, p.rank, od);
        run_bs("BatchToSpaceND", &y, &q, &a, p.rank, bd, b2s_src);
        arr_free(&x), arr_free(&y);
    }
}

static void space_batch_errors(void **state) {
    (void)state;
    float x[48] = {0};
    const int64_t d[4] = {1, 4, 3, 4}, d1[1] = {1}, d2[1] = {2};
    int64_t b64[16];
    int32_t b32[16];
    const int64_t blk[2] = {2, 2}, zero[2] = {0, 0}, neg[2] = {-1, 0}, big[2] = {5, 5},
                  blk0[2] = {0, 2};
    pattr a = {HC_DT_FLOAT, HC_DT_INT64, NULL};
    hc_tensor in[3] = {tensor_of(HC_DT_FLOAT, 4, d, x), arr_i64(1, d2, blk),
                       pairs(HC_DT_INT64, 2, zero, zero, b64, b32)};
    arr_run_err("SpaceToBatchND", 3, in, 1, set_bs, &a, HC_INVALID, "not divisible");
    in[2] = pairs(HC_DT_INT64, 2, neg, zero, b64, b32);
    arr_run_err("SpaceToBatchND", 3, in, 1, set_bs, &a, HC_INVALID, "non-negative");
    in[1] = arr_i64(1, d2, blk0), in[2] = pairs(HC_DT_INT64, 2, zero, zero, b64, b32);
    arr_run_err("SpaceToBatchND", 3, in, 1, set_bs, &a, HC_INVALID, "positive");
    in[1] = arr_i64(1, d2, blk);
    arr_run_err("BatchToSpaceND", 3, in, 1, set_bs, &a, HC_INVALID, "not divisible by product");
    const int64_t d4[4] = {4, 1, 3, 4};
    in[0] = tensor_of(HC_DT_FLOAT, 4, d4, x);
    in[2] = pairs(HC_DT_INT64, 2, big, zero, b64, b32);
    arr_run_err("BatchToSpaceND", 3, in, 1, set_bs, &a, HC_INVALID, "cropped size");
    in[1] = arr_i64(1, d1, blk), in[2] = pairs(HC_DT_INT64, 2, zero, zero, b64, b32);
    arr_run_err("BatchToSpaceND", 3, in, 1, set_bs, &a, HC_INVALID, "[1, 2] matrix");
}

/* Sizes from a malformed graph: errors, never wrapped arithmetic or a crash. */
static void huge_sizes_fail_cleanly(void **state) {
    (void)state;
    float x[12] = {0};
    const int64_t d34[2] = {3, 4}, big = (int64_t)1 << 50;
    int64_t b64[16];
    int32_t b32[16];
    const int64_t lo[2] = {0, big}, z[2] = {0, 0};
    pattr a = {HC_DT_FLOAT, HC_DT_INT64, NULL};
    hc_tensor in[3] = {tensor_of(HC_DT_FLOAT, 2, d34, x), pairs(HC_DT_INT64, 2, lo, z, b64, b32)};
    arr_run_err("Pad", 2, in, 1, set_pad, &a, HC_LIMIT, "too large");
    const int64_t d4[4] = {1, 1, 3, 4}, blk[2] = {big, 1}, d2[1] = {2};
    in[0] = tensor_of(HC_DT_FLOAT, 4, d4, x);
    in[1] = arr_i64(1, d2, blk), in[2] = pairs(HC_DT_INT64, 2, z, z, b64, b32);
    arr_run_err("SpaceToBatchND", 3, in, 1, set_bs, &a, HC_LIMIT, "too large");
    arr_run_err("BatchToSpaceND", 3, in, 1, set_bs, &a, HC_LIMIT, "too large");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pad_random),
        cmocka_unit_test(pad_errors),
        cmocka_unit_test(space_batch_random),
        cmocka_unit_test(space_batch_errors),
        cmocka_unit_test(huge_sizes_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
