/* test_conv_matmul.c - MatMul and BatchMatMul / V2 / V3 through a real session against a
 * double-precision reference written here: sizes around every tile (1, 3, 7, 16, 17, 33,
 * 48, 64, 97), every transpose / adjoint combination, numpy-style batch broadcasting, fp32
 * and fp16 (tolerances as in conv_util.h), best SIMD on 1 and 2 threads (bit-identical),
 * AVX2 and scalar. Mismatched shapes and unsupported dtypes fail with a message. */
#include "kernels/conv_util.h"

typedef struct mm_cfg {
    const char *op;
    hc_dtype dt;
    bool ta, tb;
} mm_cfg;

static void mm_attrs(oprun *r, const void *ud) {
    const mm_cfg *c = ud;
    hc_graph *g = &r->t.g;
    bool batch = strncmp(c->op, "BatchMatMul", 11) == 0;
    if (strcmp(c->op, "BatchMatMulV3") == 0) {
        hc_gb_type(g, r->node, "Ta", c->dt);
        hc_gb_type(g, r->node, "Tb", c->dt);
        hc_gb_type(g, r->node, "Tout", c->dt);
    } else {
        hc_gb_type(g, r->node, "T", c->dt);
    }
    hc_gb_bool(g, r->node, batch ? "adj_x" : "transpose_a", c->ta);
    hc_gb_bool(g, r->node, batch ? "adj_y" : "transpose_b", c->tb);
}

/* out[b] = op(x[bx]) * op(y[by]) with x stored [.., M, K] or [.., K, M] (ta). */
static void mm_ref(const float *x, const float *y, size_t m, size_t k, size_t n, bool ta, bool tb,
                   double *ref, double *mag) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0, a = 0;
            for (size_t q = 0; q < k; q++) {
                double t = (double)x[ta ? q * m + i : i * k + q] * y[tb ? j * k + q : q * n + j];
                s += t;
                a += fabs(t);
            }
            ref[i * n + j] = s;
            mag[i * n + j] = a;
        }
}

/* Run one product with batch dims bx (of x) and by (of y), broadcast to bo. */
static void run_mm(const mm_cfg *c, size_t m, size_t k, size_t n, int rb, const int64_t *bx,
                   const int64_t *by, const int64_t *bo) {
    size_t nbx = 1, nby = 1, nbo = 1;
    for (int i = 0; i < rb; i++) {
        nbx *= (size_t)bx[i];
        nby *= (size_t)by[i];
        nbo *= (size_t)bo[i];
    }
    bool f16 = c->dt == HC_DT_HALF;
    float *x = malloc(nbx * m * k * 4 + 4), *y = malloc(nby * k * n * 4 + 4);
    double *ref = calloc(nbo * m * n + 1, 8), *mag = calloc(nbo * m * n + 1, 8);
    cu_fill(x, nbx * m * k, f16);
    cu_fill(y, nby * k * n, f16);
    for (size_t b = 0; b < nbo; b++) {
        size_t ix = 0, iy = 0, rem = b, sx = 1, sy = 1;
        for (int i = rb - 1; i >= 0; i--) {
            size_t d = rem % (size_t)bo[i];
            rem /= (size_t)bo[i];
            ix += (bx[i] == 1 ? 0 : d) * sx;
            iy += (by[i] == 1 ? 0 : d) * sy;
            sx *= (size_t)bx[i];
            sy *= (size_t)by[i];
        }
        mm_ref(x + ix * m * k, y + iy * k * n, m, k, n, c->ta, c->tb, ref + b * m * n,
               mag + b * m * n);
    }
    int64_t xd[8], yd[8];
    for (int i = 0; i < rb; i++) {
        xd[i] = bx[i];
        yd[i] = by[i];
    }
    xd[rb] = (int64_t)(c->ta ? k : m);
    xd[rb + 1] = (int64_t)(c->ta ? m : k);
    yd[rb] = (int64_t)(c->tb ? n : k);
    yd[rb + 1] = (int64_t)(c->tb ? k : n);
    static int nth_case;
    size_t xoff = nth_case++ % 3 == 2 ? 1 : 0; /* mostly aligned like session tensors */
    cu_tensor in[2] = {cu_make_at(c->dt, rb + 2, xd, x, xoff), cu_make(c->dt, rb + 2, yd, y)};
    char name[160];
    snprintf(name, sizeof name, "%s %s %zux%zux%zu ta%d tb%d batch %zu", c->op,
             f16 ? "half" : "float", m, k, n, c->ta, c->tb, nbo);
    cu_case cc = {c->op, 2, in, mm_attrs, c, 1, 0, ref, mag, nbo * m * n, f16, name};
    cu_run_case(&cc);
    free(in[0].mem);
    free(in[1].mem);
    free(x);
    free(y);
    free(ref);
    free(mag);
}

static const size_t sizes[] = {1, 3, 7, 16, 17, 33, 48, 64, 97};

static void matmul_sizes(void **state) {
    (void)state;
    int i = 0;
    for (size_t a = 0; a < HC_COUNT(sizes); a++)
        for (size_t b = 0; b < HC_COUNT(sizes); b++, i++) {
            size_t m = sizes[a], n = sizes[b], k = sizes[(a + 2 * b) % HC_COUNT(sizes)];
            mm_cfg c = {"MatMul", i % 3 == 1 ? HC_DT_HALF : HC_DT_FLOAT, i % 4 >= 2, i % 2 == 1};
            run_mm(&c, m, k, n, 0, NULL, NULL, NULL);
        }
}

static void matmul_large(void **state) {
    (void)state;
    mm_cfg c = {"MatMul", HC_DT_FLOAT, false, false};
    run_mm(&c, 130, 200, 150, 0, NULL, NULL, NULL);
    mm_cfg h = {"MatMul", HC_DT_HALF, true, true};
    run_mm(&h, 70, 129, 100, 0, NULL, NULL, NULL);
    mm_cfg v = {"MatMul", HC_DT_FLOAT, false, true};
    run_mm(&v, 1, 1024, 300, 0, NULL, NULL, NULL); /* a fully-connected layer */
}

static void batch_matmul_broadcast(void **state) {
    (void)state;
    static const char *ops[] = {"BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"};
    int64_t same[2] = {2, 3}, bx[2] = {2, 1}, by[2] = {1, 3}, bo[2] = {2, 3};
    for (int o = 0; o < 3; o++)
        for (int t = 0; t < 4; t++) {
            mm_cfg c = {ops[o], t == 3 ? HC_DT_HALF : HC_DT_FLOAT, t & 1, (t >> 1) & 1};
            run_mm(&c, 5, 17, 9, 2, same, same, same);
            if (o > 0) run_mm(&c, 7, 3, 33, 2, bx, by, bo);
        }
    /* y without batch dims against a batched x (rank 3 x rank 2). */
    mm_cfg c = {"BatchMatMulV2", HC_DT_FLOAT, false, false};
    int64_t b4[1] = {4}, b1[1] = {1};
    run_mm(&c, 6, 16, 20, 1, b4, b1, b4);
}

static void matmul_malformed(void **state) {
    (void)state;
    float v[64] = {0};
    int64_t a[2] = {2, 3}, b[2] = {4, 5}, v1[1] = {3};
    cu_tensor x = cu_make(HC_DT_FLOAT, 2, a, v), y = cu_make(HC_DT_FLOAT, 2, b, v);
    cu_tensor r1 = cu_make(HC_DT_FLOAT, 1, v1, v);
    cu_tensor bad[2] = {x, y}, rank1[2] = {x, r1};
    mm_cfg f = {"MatMul", HC_DT_FLOAT, false, false};
    cu_expect_fail("MatMul", 2, bad, mm_attrs, &f, HC_INVALID, "incompatible");
    cu_expect_fail("MatMul", 2, rank1, mm_attrs, &f, HC_INVALID, "rank");
    mm_cfg bm = {"BatchMatMulV2", HC_DT_FLOAT, false, false};
    cu_expect_fail("BatchMatMulV2", 2, bad, mm_attrs, &bm, HC_INVALID, "multiply");
    int64_t b3[3] = {2, 3, 3}, c3[3] = {3, 3, 3};
    cu_tensor x3 = cu_make(HC_DT_FLOAT, 3, b3, v), y3 = cu_make(HC_DT_FLOAT, 3, c3, v);
    cu_tensor nb[2] = {x3, y3};
    cu_expect_fail("BatchMatMulV2", 2, nb, mm_attrs, &bm, HC_INVALID, "broadcast");
    int64_t sq[2] = {3, 3};
    cu_tensor i1 = cu_make(HC_DT_INT32, 2, sq, v), i2 = cu_make(HC_DT_INT32, 2, sq, v);
    cu_tensor ints[2] = {i1, i2};
    mm_cfg it = {"MatMul", HC_DT_INT32, false, false};
    cu_expect_fail("MatMul", 2, ints, mm_attrs, &it, HC_UNSUPPORTED, "int32");
    free(x.mem);
    free(y.mem);
    free(r1.mem);
    free(x3.mem);
    free(y3.mem);
    free(i1.mem);
    free(i2.mem);
}

/* K = 0 gives zeros; M = 0 an empty output. */
static void matmul_empty(void **state) {
    (void)state;
    float v[8] = {0};
    int64_t a[2] = {3, 0}, b[2] = {0, 2};
    cu_tensor in[2] = {cu_make(HC_DT_FLOAT, 2, a, v), cu_make(HC_DT_FLOAT, 2, b, v)};
    mm_cfg c = {"MatMul", HC_DT_FLOAT, false, false};
    cu_out o = cu_run("MatMul", 2, in, mm_attrs, &c, NULL, 1, 1, 0);
    if (o.st) fail_msg("%s", o.msg);
    int64_t want[2] = {3, 2};
    cu_expect_dims(&o, 2, want);
    for (size_t i = 0; i < o.n; i++)
        assert_true(o.f[i] == 0.0f);
    cu_out_free(&o);
    free(in[0].mem);
    free(in[1].mem);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matmul_sizes),           cmocka_unit_test(matmul_large),
        cmocka_unit_test(batch_matmul_broadcast), cmocka_unit_test(matmul_malformed),
        cmocka_unit_test(matmul_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
