/* test_array_shuffle.c - Transpose, Tile, BroadcastTo, Reverse, ReverseV2, DepthToSpace and
 * SpaceToDepth through a real session against per-element references (each output coordinate
 * mapped back to its source), on random shapes with tail sizes and every element size; the
 * strided copy engine itself (merged axes, blocked transposes, negative and zero strides)
 * against its one-element-at-a-time reference at 1 and 2 threads; TF's errors. */
#include "kernels/array_test.h"

#include "exec/cpu/array.h"

typedef struct map {
    int rank;
    int64_t in[8], perm[8], mult[8];
    bool rev[8];
    int64_t block;
} map;

typedef struct attr_arg {
    hc_dtype t;
    const char *idx_attr;
    hc_dtype idx;
    int64_t block;
    const char *format;
} attr_arg;

static void set_attrs(oprun *r, const void *arg) {
    const attr_arg *a = arg;
    arr_set_t(r, "T", a->t);
    if (a->idx_attr) arr_set_t(r, a->idx_attr, a->idx);
    if (a->block) hc_gb_int(&r->t.g, r->node, "block_size", a->block);
    if (a->format) hc_gb_str(&r->t.g, r->node, "data_format", a->format);
}

static int64_t transpose_src(const int64_t *oc, const void *arg) {
    const map *m = arg;
    int64_t c[8];
    for (int i = 0; i < m->rank; i++)
        c[m->perm[i]] = oc[i];
    return arr_flat(m->rank, m->in, c);
}

/* Run op on (x, index vector v) and compare with the reference of f over out dims. */
static void check_op(const char *op, const hc_tensor *x, const int64_t *v, int nv,
                     const attr_arg *a, int orank, const int64_t *odims, arr_src_fn f,
                     const map *m) {
    const int64_t dv[1] = {nv};
    int32_t v32[8];
    for (int i = 0; i < nv; i++)
        v32[i] = (int32_t)v[i];
    hc_tensor in[2] = {*x, a->idx == HC_DT_INT64 ? arr_i64(1, dv, v) : arr_i32(1, dv, v32)};
    uint8_t *want = arr_ref(x->data, hc_dtype_size(x->dtype), orank, odims, f, m, NULL);
    arr_result res;
    arr_run_ok(op, v ? 2 : 1, in, 1, set_attrs, a, &res);
    arr_expect(&res.t[0], x->dtype, orank, odims, want);
    arr_result_free(&res);
    free(want);
}

static void transpose_cases(void **state) {
    (void)state;
    rng g = {51};
    static const int64_t chans[] = {1, 7, 15, 16, 17, 33, 64};
    for (int it = 0; it < 120; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        map m = {.rank = (int)rng_int(&g, 1, 5)};
        int kind = it % 4; /* 0: random, 1: NHWC->NCHW, 2: NCHW->NHWC, 3: swap the last two */
        if (kind) m.rank = kind == 3 ? (int)rng_int(&g, 2, 3) : 4;
        for (int d = 0; d < m.rank; d++)
            m.in[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        if (kind == 1 || kind == 2) m.in[kind == 1 ? 3 : 1] = chans[rng_int(&g, 0, 6)];
        if (it == 9) m.in[0] = 2, m.in[1] = 64, m.in[2] = 40, m.in[3] = 33; /* two threads */
        for (int d = 0; d < m.rank; d++)
            m.perm[d] = d;
        if (kind == 0)
            for (int d = m.rank - 1; d > 0; d--) {
                int j = (int)rng_int(&g, 0, d);
                int64_t t = m.perm[d];
                m.perm[d] = m.perm[j], m.perm[j] = t;
            }
        if (kind == 1) m.perm[1] = 3, m.perm[2] = 1, m.perm[3] = 2;
        if (kind == 2) m.perm[1] = 2, m.perm[2] = 3, m.perm[3] = 1;
        if (kind == 3) m.perm[m.rank - 2] = m.rank - 1, m.perm[m.rank - 1] = m.rank - 2;
        int64_t od[8] = {0};
        for (int d = 0; d < m.rank; d++)
            od[d] = m.in[m.perm[d]];
        hc_tensor x = arr_random(&g, dt, m.rank, m.in);
        attr_arg a = {dt, "Tperm", it & 1 ? HC_DT_INT64 : HC_DT_INT32, 0, NULL};
        /* Both CPU levels must give the reference (the AVX2 tile is for 4-byte elements). */
        if (it & 2) setenv("HC_CPU", "scalar", 1);
        check_op("Transpose", &x, m.perm, m.rank, &a, m.rank, od, transpose_src, &m);
        unsetenv("HC_CPU");
        arr_free(&x);
    }
}

static int64_t tile_src(const int64_t *oc, const void *arg) {
    const map *m = arg;
    int64_t c[8];
    for (int i = 0; i < m->rank; i++)
        c[i] = oc[i] % m->in[i];
    return arr_flat(m->rank, m->in, c);
}

static void tile_cases(void **state) {
    (void)state;
    rng g = {53};
    for (int it = 0; it < 54; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        map m = {.rank = (int)rng_int(&g, 1, 4)};
        int64_t od[8] = {0};
        for (int d = 0; d < m.rank; d++) {
            m.in[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 5)];
            m.mult[d] = rng_int(&g, 0, 9) == 0 ? 0 : rng_int(&g, 1, 3);
        }
        if (it == 2) m.rank = 3, m.in[0] = 16, m.in[1] = 40, m.in[2] = 33, m.mult[0] = 8;
        if (it == 2) m.mult[1] = m.mult[2] = 1;
        for (int d = 0; d < m.rank; d++)
            od[d] = m.in[d] * m.mult[d];
        hc_tensor x = arr_random(&g, dt, m.rank, m.in);
        attr_arg a = {dt, "Tmultiples", it & 1 ? HC_DT_INT64 : HC_DT_INT32, 0, NULL};
        check_op("Tile", &x, m.mult, m.rank, &a, m.rank, od, tile_src, &m);
        arr_free(&x);
    }
}

typedef struct bmap {
    int in_rank, out_rank;
    int64_t in[8];
} bmap;

static int64_t broadcast_src(const int64_t *oc, const void *arg) {
    const bmap *m = arg;
    int64_t c[8];
    for (int i = 0; i < m->in_rank; i++) {
        int64_t o = oc[i + m->out_rank - m->in_rank];
        c[i] = m->in[i] == 1 ? 0 : o;
    }
    return arr_flat(m->in_rank, m->in, c);
}

static void broadcast_to_cases(void **state) {
    (void)state;
    rng g = {55};
    for (int it = 0; it < 54; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        bmap m = {0, (int)rng_int(&g, 0, 4), {0}};
        int64_t od[8];
        for (int d = 0; d < m.out_rank; d++)
            od[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        if (it == 2) m.out_rank = 3, od[0] = 64, od[1] = 40, od[2] = 33;
        m.in_rank = (int)rng_int(&g, 0, m.out_rank);
        for (int i = 0; i < m.in_rank; i++) {
            int64_t o = od[i + m.out_rank - m.in_rank];
            m.in[i] = rng_int(&g, 0, 1) ? 1 : o;
        }
        hc_tensor x = arr_random(&g, dt, m.in_rank, m.in);
        attr_arg a = {dt, "Tidx", it & 1 ? HC_DT_INT64 : HC_DT_INT32, 0, NULL};
        check_op("BroadcastTo", &x, od, m.out_rank, &a, m.out_rank, od, broadcast_src,
                 (const map *)(const void *)&m);
        arr_free(&x);
    }
}

static int64_t reverse_src(const int64_t *oc, const void *arg) {
    const map *m = arg;
    int64_t c[8];
    for (int i = 0; i < m->rank; i++)
        c[i] = m->rev[i] ? m->in[i] - 1 - oc[i] : oc[i];
    return arr_flat(m->rank, m->in, c);
}

static void reverse_cases(void **state) {
    (void)state;
    rng g = {57};
    for (int it = 0; it < 72; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        map m = {.rank = (int)rng_int(&g, 1, 5)};
        for (int d = 0; d < m.rank; d++)
            m.in[d] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        if (it == 6) m.rank = 3, m.in[0] = 64, m.in[1] = 40, m.in[2] = 33;
        int64_t axes[8];
        int na = 0;
        for (int d = 0; d < m.rank; d++)
            if ((m.rev[d] = rng_int(&g, 0, 1) != 0))
                axes[na++] = rng_int(&g, 0, 1) ? d : d - m.rank;
        hc_tensor x = arr_random(&g, dt, m.rank, m.in);
        uint8_t *want = arr_ref(x.data, hc_dtype_size(dt), m.rank, m.in, reverse_src, &m, NULL);
        arr_result res;
        /* ReverseV2 with an axis list; Reverse (v1) with a bool per axis. */
        attr_arg a = {dt, "Tidx", it & 1 ? HC_DT_INT64 : HC_DT_INT32, 0, NULL};
        const int64_t dn[1] = {na}, dr[1] = {m.rank};
        int32_t a32[8];
        for (int i = 0; i < na; i++)
            a32[i] = (int32_t)axes[i];
        hc_tensor in[2] = {x, a.idx == HC_DT_INT64 ? arr_i64(1, dn, axes) : arr_i32(1, dn, a32)};
        arr_run_ok("ReverseV2", 2, in, 1, set_attrs, &a, &res);
        arr_expect(&res.t[0], dt, m.rank, m.in, want);
        arr_result_free(&res);
        uint8_t flags[8];
        for (int d = 0; d < m.rank; d++)
            flags[d] = m.rev[d];
        in[1] = tensor_of(HC_DT_BOOL, 1, dr, flags);
        a.idx_attr = NULL;
        arr_run_ok("Reverse", 2, in, 1, set_attrs, &a, &res);
        arr_expect(&res.t[0], dt, m.rank, m.in, want);
        arr_result_free(&res);
        free(want);
        arr_free(&x);
    }
}

static int64_t d2s_src(const int64_t *oc, const void *arg) {
    const map *m = arg;
    int64_t b = m->block, co = m->in[3] / (b * b);
    int64_t c[4] = {oc[0], oc[1] / b, oc[2] / b, ((oc[1] % b) * b + oc[2] % b) * co + oc[3]};
    return arr_flat(4, m->in, c);
}

static int64_t s2d_src(const int64_t *oc, const void *arg) {
    const map *m = arg;
    int64_t b = m->block, C = m->in[3], blk = oc[3] / C;
    int64_t c[4] = {oc[0], oc[1] * b + blk / b, oc[2] * b + blk % b, oc[3] % C};
    return arr_flat(4, m->in, c);
}

static void depth_space_cases(void **state) {
    (void)state;
    rng g = {59};
    for (int it = 0; it < 54; it++) {
        hc_dtype dt = ARR_DTYPES[(size_t)it % ARR_N_DTYPES];
        int64_t b = rng_int(&g, 2, 3);
        map m = {.rank = 4, .block = b};
        m.in[0] = rng_int(&g, 1, 2);
        m.in[1] = rng_int(&g, 1, 5) * b, m.in[2] = rng_int(&g, 1, 7) * b;
        m.in[3] = ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
        if (it == 3) m.in[1] = 64, m.in[2] = 40, m.in[3] = 17, b = m.block = 2;
        attr_arg a = {dt, NULL, HC_DT_INT32, b, it & 1 ? "NHWC" : NULL};
        /* SpaceToDepth of x, then DepthToSpace of the result gives x back. */
        hc_tensor x = arr_random(&g, dt, 4, m.in);
        int64_t od[4] = {m.in[0], m.in[1] / b, m.in[2] / b, m.in[3] * b * b};
        check_op("SpaceToDepth", &x, NULL, 0, &a, 4, od, s2d_src, &m);
        map m2 = m;
        memcpy(m2.in, od, sizeof od);
        hc_tensor y = arr_random(&g, dt, 4, od);
        check_op("DepthToSpace", &y, NULL, 0, &a, 4, m.in, d2s_src, &m2);
        arr_free(&x);
        arr_free(&y);
    }
}

static void shuffle_errors(void **state) {
    (void)state;
    float x[24] = {0};
    const int64_t d234[3] = {2, 3, 4}, d3[1] = {3}, d2[1] = {2};
    attr_arg a = {HC_DT_FLOAT, "Tperm", HC_DT_INT64, 0, NULL};
    const int64_t dup[3] = {0, 0, 1}, big[3] = {0, 1, 3}, two[2] = {1, 0};
    hc_tensor in[2] = {tensor_of(HC_DT_FLOAT, 3, d234, x), arr_i64(1, d3, dup)};
    arr_run_err("Transpose", 2, in, 1, set_attrs, &a, HC_INVALID, "not a permutation");
    in[1] = arr_i64(1, d3, big);
    arr_run_err("Transpose", 2, in, 1, set_attrs, &a, HC_INVALID, "not a permutation");
    in[1] = arr_i64(1, d2, two);
    arr_run_err("Transpose", 2, in, 1, set_attrs, &a, HC_INVALID, "vector of size 3");
    a.idx_attr = "Tmultiples";
    const int64_t neg[3] = {1, -1, 1};
    in[1] = arr_i64(1, d3, neg);
    arr_run_err("Tile", 2, in, 1, set_attrs, &a, HC_INVALID, "multiples[1] >= 0");
    in[1] = arr_i64(1, d2, two);
    arr_run_err("Tile", 2, in, 1, set_attrs, &a, HC_INVALID, "length 3");
    a.idx_attr = "Tidx";
    const int64_t bad[3] = {2, 5, 4}, fewer[2] = {3, 4};
    in[1] = arr_i64(1, d3, bad);
    arr_run_err("BroadcastTo", 2, in, 1, set_attrs, &a, HC_INVALID, "unable to broadcast");
    in[1] = arr_i64(1, d2, fewer);
    arr_run_err("BroadcastTo", 2, in, 1, set_attrs, &a, HC_INVALID, "unable to broadcast");
    const int64_t twice[2] = {1, -2}, out_of[1] = {3};
    in[1] = arr_i64(1, d2, twice);
    arr_run_err("ReverseV2", 2, in, 1, set_attrs, &a, HC_INVALID, "more than once");
    in[1] = arr_i64(1, (const int64_t[]){1}, out_of);
    arr_run_err("ReverseV2", 2, in, 1, set_attrs, &a, HC_INVALID, "out of range");
    const int64_t n4[4] = {1, 2, 3, 6}, n5[4] = {1, 3, 2, 4};
    attr_arg b = {HC_DT_FLOAT, NULL, HC_DT_INT32, 2, NULL};
    in[0] = tensor_of(HC_DT_FLOAT, 4, n4, x);
    arr_run_err("DepthToSpace", 1, in, 1, set_attrs, &b, HC_INVALID, "divisible");
    in[0] = tensor_of(HC_DT_FLOAT, 4, n5, x);
    arr_run_err("SpaceToDepth", 1, in, 1, set_attrs, &b, HC_INVALID, "divisible");
    in[0] = tensor_of(HC_DT_FLOAT, 3, d234, x);
    arr_run_err("SpaceToDepth", 1, in, 1, set_attrs, &b, HC_INVALID, "rank should be 4");
    b.block = 1;
    arr_run_err("DepthToSpace", 1, in, 1, set_attrs, &b, HC_INVALID, "block size");
    b.block = 2, b.format = "NCHW";
    arr_run_err("DepthToSpace", 1, in, 1, set_attrs, &b, HC_UNSUPPORTED, "NHWC");
}

/* The engine directly: random dims and strides (negative, zero, merged, transposed). */
static void copy_engine_random(void **state) {
    (void)state;
    rng g = {61};
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_ctx_set_threads(ctx, 2);
    static const size_t sizes[5] = {1, 2, 4, 8, 16};
    for (int it = 0; it < 400; it++) {
        hc_arr_copy c = {.rank = (int)rng_int(&g, 0, 6), .esz = sizes[it % 5]};
        bool big = it % 50 == 7;
        int64_t lo = 0, hi = 0, total = 1;
        for (int d = 0; d < c.rank; d++) {
            c.dims[d] = big ? (d < 2 ? 96 : 3) : ARR_TAIL_DIMS[rng_int(&g, 0, 7)];
            if (!big && total * c.dims[d] > 4096) c.dims[d] = rng_int(&g, 1, 3);
            total *= c.dims[d];
        }
        /* Strides from a random permutation of a contiguous layout, some negated or zeroed. */
        int64_t s = 1;
        for (int d = c.rank - 1; d >= 0; d--) {
            int64_t st = rng_int(&g, 0, 5) == 0 ? 0 : s * (rng_int(&g, 0, 3) == 0 ? 2 : 1);
            c.st[d] = rng_int(&g, 0, 3) == 0 ? -st : st;
            s *= c.dims[d] * (rng_int(&g, 0, 3) == 0 ? 2 : 1);
        }
        if (it % 3 == 0 && c.rank >= 2) { /* a plain transpose of the last two axes */
            c.st[c.rank - 2] = 1, c.st[c.rank - 1] = c.dims[c.rank - 2];
        }
        for (int d = 0; d < c.rank; d++) {
            int64_t span = (c.dims[d] - 1) * c.st[d];
            if (span < 0)
                lo += span;
            else
                hi += span;
        }
        size_t src_n = (size_t)(hi - lo + 1) * c.esz, dst_n = (size_t)total * c.esz;
        uint8_t *src = malloc(src_n), *a = malloc(dst_n + 1), *b = malloc(dst_n + 1);
        rng_bytes(&g, src, src_n);
        c.src = src + (size_t)(-lo) * c.esz;
        hc_arr_copy ref = c;
        ref.dst = a;
        hc_arr_copy_ref(&ref);
        for (int mode = 0; mode < 3; mode++) { /* serial scalar, 2 threads scalar, 2 threads SIMD */
            hc_kernel_ctx k;
            memset(&k, 0, sizeof k);
            k.ctx = ctx;
            k.pool = mode ? hc_ctx_pool(ctx) : NULL;
            k.cpu = mode == 2 ? &ctx->cpu : NULL;
            hc_arr_copy run = c;
            run.dst = b;
            hc_arr_copy_run(&k, &run);
            if (dst_n && memcmp(a, b, dst_n) != 0) fail_msg("engine differs at iteration %d", it);
        }
        free(src), free(a), free(b);
    }
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transpose_cases),    cmocka_unit_test(tile_cases),
        cmocka_unit_test(broadcast_to_cases), cmocka_unit_test(reverse_cases),
        cmocka_unit_test(depth_space_cases),  cmocka_unit_test(shuffle_errors),
        cmocka_unit_test(copy_engine_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
