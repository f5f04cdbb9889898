/* test_array_dequant.c - Dequantize through a real session, bit for bit against TF's formulas
 * written out here in TF's own order of float/double operations (dequantize_op.cc,
 * quantization_utils.h: QuantizedToFloatStruct / DEQUANTIZE_WITH_EIGEN), for every quantized
 * type, mode, narrow_range, per-axis ranges and bfloat16 output; the AVX2 path against
 * HC_CPU=scalar; and all 103 Dequantize nodes of the OpenCV face model (MIN_FIRST, quint8). */
#include "kernels/array_test.h"

#include "base/arena.h"
#include "exec/kernel.h"
#include "model/model.h"

#include <math.h>

typedef struct qtype {
    hc_dtype dt;
    int64_t lo, hi;
    int bits;
} qtype;

static const qtype QTYPES[] = {
    {HC_DT_QUINT8, 0, 255, 8},
    {HC_DT_QINT8, -128, 127, 8},
    {HC_DT_QUINT16, 0, 65535, 16},
    {HC_DT_QINT16, -32768, 32767, 16},
    {HC_DT_QINT32, INT32_MIN, INT32_MAX, 32},
};
static const char *const MODES[3] = {"MIN_COMBINED", "MIN_FIRST", "SCALED"};

static float q_value(const qtype *q, const uint8_t *p, int64_t i) {
    switch (q->bits) {
    case 8:
        return q->lo ? (float)(int8_t)p[i] : (float)p[i];
    case 16: {
        uint16_t u;
        memcpy(&u, p + 2 * i, 2);
        return q->lo ? (float)(int16_t)u : (float)u;
    }
    default: {
        int32_t v;
        memcpy(&v, p + 4 * i, 4);
        return (float)v;
    }
    }
}

/* TF's value for element x of a slice with range [mn, mx]. */
static float tf_dequant(const qtype *q, int mode, bool narrow, float x, float mn, float mx) {
    float lo = (float)q->lo, hi = (float)q->hi;
    if (mode == 0) { /* ((x + half_range) * scale_factor) + min_range */
        float half_range = q->lo == 0 ? 0.0f : (hi - lo + 1.0f) / 2.0f;
        float scale_factor = (mx - mn) / (hi - lo);
        float t = (x + half_range) * scale_factor;
        return t + mn;
    }
    if (mode == 1) { /* range_min_rounded + ((x - lowest) * range_scale), as TF's
                      * QuantizedToFloatStruct: the minimum snapped to a whole number of steps */
        int64_t steps = (int64_t)1 << q->bits;
        float range_scale = (float)((double)(mx - mn) / ((double)steps - 1.0));
        float range_min_rounded = mx == mn ? mn : roundf(mn / range_scale) * range_scale;
        float t = (x - lo) * range_scale;
        return range_min_rounded + t;
    }
    int min_output_value = (int)q->lo + (narrow ? 1 : 0);
    float down = mn / (float)min_output_value, up = mx / hi;
    float scale_factor = q->lo == 0 ? up : (down < up ? up : down); /* std::max(down, up) */
    return x * scale_factor;
}

static uint16_t bf16_rne(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if (isnan(f)) return (uint16_t)((u >> 16) | 0x40);
    uint32_t lsb = (u >> 16) & 1u;
    return (uint16_t)((u + 0x7fffu + lsb) >> 16);
}

typedef struct dq_arg {
    hc_dtype t, out;
    const char *mode;
    bool narrow;
    int64_t axis;
} dq_arg;

static void set_dq(oprun *r, const void *arg) {
    const dq_arg *a = arg;
    arr_set_t(r, "T", a->t);
    if (a->out) arr_set_t(r, "dtype", a->out);
    hc_gb_str(&r->t.g, r->node, "mode", a->mode);
    hc_gb_bool(&r->t.g, r->node, "narrow_range", a->narrow);
    if (a->axis != -1) hc_gb_int(&r->t.g, r->node, "axis", a->axis);
}

static float random_range_end(rng *g) {
    static const float ends[] = {0.0f, 1.0f, -1.0f, 6.0f, -3.5f, 1e-3f, 255.0f, 1e6f, -7.25f};
    if (rng_int(g, 0, 2) == 0) return ends[rng_int(g, 0, 8)];
    return (float)rng_int(g, -100000, 100000) / 997.0f;
}

/* Run with the CPU capped at scalar and at the machine's best; both must equal want. */
static void run_both_cpus(int n_in, const hc_tensor *in, const dq_arg *a, int rank,
                          const int64_t *dims, const void *want) {
    for (int cpu = 0; cpu < 2; cpu++) {
        if (cpu == 0)
            setenv("HC_CPU", "scalar", 1);
        else
            unsetenv("HC_CPU");
        arr_result res;
        arr_run_ok("Dequantize", n_in, in, 1, set_dq, a, &res);
        arr_expect(&res.t[0], a->out ? a->out : HC_DT_FLOAT, rank, dims, want);
        arr_result_free(&res);
    }
}

static void dequant_modes_types(void **state) {
    (void)state;
    rng g = {101};
    static const int64_t sizes[] = {1, 7, 15, 16, 17, 33, 64, 100003};
    for (size_t t = 0; t < sizeof QTYPES / sizeof QTYPES[0]; t++) {
        const qtype *q = &QTYPES[t];
        for (int mode = 0; mode < 3; mode++) {
            for (int it = 0; it < 8; it++) {
                int64_t dims[2] = {sizes[it], it & 1 ? 3 : 1};
                hc_tensor x = arr_random(&g, q->dt, 2, dims);
                float mn = random_range_end(&g), mx = random_range_end(&g);
                if (it == 2) mx = mn; /* an empty range */
                bool narrow = mode == 2 && (it & 2);
                int64_t n = dims[0] * dims[1];
                float *want = malloc((size_t)n * 4 + 4);
                for (int64_t i = 0; i < n; i++)
                    want[i] = tf_dequant(q, mode, narrow, q_value(q, x.data, i), mn, mx);
                dq_arg a = {q->dt, it & 4 ? HC_DT_FLOAT : HC_DT_INVALID, MODES[mode], narrow, -1};
                hc_tensor in[3] = {x, tensor_of(HC_DT_FLOAT, 0, NULL, &mn),
                                   tensor_of(HC_DT_FLOAT, 1, (const int64_t[]){1}, &mx)};
                run_both_cpus(3, in, &a, 2, dims, want);
                free(want);
                arr_free(&x);
            }
        }
    }
}

static void dequant_axis_and_bf16(void **state) {
    (void)state;
    rng g = {103};
    for (size_t t = 0; t < sizeof QTYPES / sizeof QTYPES[0]; t++) {
        const qtype *q = &QTYPES[t];
        for (int it = 0; it < 6; it++) {
            int mode = it & 1 ? 2 : 0;
            int64_t dims[3] = {2, ARR_TAIL_DIMS[rng_int(&g, 0, 7)], 17}, axis = it % 3;
            hc_tensor x = arr_random(&g, q->dt, 3, dims);
            float mn[33], mx[33];
            for (int64_t c = 0; c < dims[axis]; c++)
                mn[c] = random_range_end(&g), mx[c] = random_range_end(&g);
            int64_t n = 2 * dims[1] * 17, stride = axis == 2 ? 1 : axis == 1 ? 17 : dims[1] * 17;
            float *want = malloc((size_t)n * 4 + 4);
            for (int64_t i = 0; i < n; i++) {
                int64_t c = (i / stride) % dims[axis];
                want[i] = tf_dequant(q, mode, it & 2, q_value(q, x.data, i), mn[c], mx[c]);
            }
            dq_arg a = {q->dt, HC_DT_INVALID, MODES[mode], it & 2, axis};
            const int64_t dc[1] = {dims[axis]};
            hc_tensor in[3] = {x, tensor_of(HC_DT_FLOAT, 1, dc, mn),
                               tensor_of(HC_DT_FLOAT, 1, dc, mx)};
            run_both_cpus(3, in, &a, 3, dims, want);
            /* bfloat16 output, MIN_COMBINED only: TF's float result rounded to nearest even. */
            if (mode == 0) {
                uint16_t *wb = malloc((size_t)n * 2 + 2);
                for (int64_t i = 0; i < n; i++)
                    wb[i] = bf16_rne(want[i]);
                a.out = HC_DT_BFLOAT16;
                run_both_cpus(3, in, &a, 3, dims, wb);
                free(wb);
            }
            free(want);
            arr_free(&x);
        }
    }
}

static void dequant_errors(void **state) {
    (void)state;
    uint8_t x[6] = {0};
    float r2[2] = {0, 1};
    const int64_t d23[2] = {2, 3}, d2[1] = {2};
    hc_tensor in[3] = {tensor_of(HC_DT_QUINT8, 2, d23, x), tensor_of(HC_DT_FLOAT, 1, d2, r2),
                       tensor_of(HC_DT_FLOAT, 1, d2, r2)};
    dq_arg a = {HC_DT_QUINT8, HC_DT_INVALID, "MIN_FIRST", false, 0};
    arr_run_err("Dequantize", 3, in, 1, set_dq, &a, HC_UNSUPPORTED,
                "MIN_FIRST mode is not implemented");
    a.axis = -1;
    arr_run_err("Dequantize", 3, in, 1, set_dq, &a, HC_INVALID, "must have 1 elements");
    a.axis = 2;
    arr_run_err("Dequantize", 3, in, 1, set_dq, &a, HC_INVALID, "axis must be less than");
    a.axis = -1, a.mode = "ROUNDED";
    arr_run_err("Dequantize", 3, in, 1, set_dq, &a, HC_INVALID, "mode string");
    a.mode = "SCALED", a.out = HC_DT_BFLOAT16;
    arr_run_err("Dequantize", 3, in, 1, set_dq, &a, HC_INVALID, "bfloat16");
    a.out = HC_DT_HALF;
    arr_run_err("Dequantize", 3, in, 1, set_dq, &a, HC_TYPE, "bfloat16 or float");
    a.out = HC_DT_INVALID, a.t = HC_DT_UINT8;
    in[0] = tensor_of(HC_DT_UINT8, 2, d23, x);
    in[1] = in[2] = tensor_of(HC_DT_FLOAT, 0, NULL, r2);
    arr_run_err("Dequantize", 3, in, 1, set_dq, &a, HC_TYPE, "quint8");
}

/* The OpenCV face model: every Dequantize is MIN_FIRST over quint8 Const weights; the session's
 * values must equal TF's formula bit for bit, with and without AVX2. */
static void face_model_dequantize(void **state) {
    (void)state;
    const char *rel = "models/tf/opencv-face-ssd-resnet10-uint8/opencv_face_detector_uint8.pb";
    if (!hc_test_has_shared(rel)) skip();
    for (int cpu = 0; cpu < 2; cpu++) {
        if (cpu == 0)
            setenv("HC_CPU", "scalar", 1);
        else
            unsetenv("HC_CPU");
        hc_ctx *ctx;
        hc_model *m;
        assert_int_equal(hc_ctx_new(&ctx), HC_OK);
        assert_int_equal(hc_model_open(ctx, hc_test_shared(rel), &m), HC_OK);
        const hc_graph *g = &m->g;
        const char *names[128];
        uint32_t nodes[128], n = 0;
        for (uint32_t i = 0; i < g->n_nodes && n < 128; i++) {
            const hc_node *nd = &g->nodes[i];
            if (!hc_span_eq_str(nd->op, "Dequantize")) continue;
            hc_span mode;
            assert_true(hc_k_attr_str(nd, "mode", &mode) && hc_span_eq_str(mode, "MIN_FIRST"));
            names[n] = hc_node_cname(&m->g, nd);
            nodes[n++] = i;
        }
        assert_int_equal(n, 103);
        hc_session *s;
        hc_session_options o = {names, n};
        if (hc_session_new(ctx, m, &o, &s) || hc_session_run(s))
            fail_msg("%s", hc_ctx_message(ctx));
        hc_arena arena;
        hc_arena_init(&arena, ctx);
        for (uint32_t j = 0; j < n; j++) {
            const hc_node *nd = &g->nodes[nodes[j]];
            const void *v[3];
            size_t cnt[3];
            for (int k = 0; k < 3; k++) {
                const hc_node *c = &g->nodes[nd->in[k].node];
                const hc_attr *at = hc_node_attr(c, "value");
                assert_non_null(at);
                assert_int_equal(hc_tensor_values(ctx, &arena, at->u.tensor, &v[k], &cnt[k]),
                                 HC_OK);
                assert_int_equal(at->u.tensor->dtype, k ? HC_DT_FLOAT : HC_DT_QUINT8);
            }
            float mn, mx;
            memcpy(&mn, v[1], 4);
            memcpy(&mx, v[2], 4);
            hc_tensor out;
            assert_int_equal(hc_session_output(s, j, &out), HC_OK);
            assert_int_equal((size_t)arr_elems(out.rank, out.dims), cnt[0]);
            for (size_t i = 0; i < cnt[0]; i++) {
                float want =
                    tf_dequant(&QTYPES[0], 1, false, (float)((const uint8_t *)v[0])[i], mn, mx);
                float got;
                memcpy(&got, (const uint8_t *)out.data + 4 * i, 4);
                if (memcmp(&got, &want, 4) != 0) /* bit for bit: -0.0 and NaN payloads too */
                    fail_msg("%s[%zu]: %.9g, TF %.9g", names[j], i, (double)got, (double)want);
            }
        }
        hc_arena_fini(&arena);
        hc_session_free(s);
        hc_model_free(m);
        hc_ctx_free(ctx);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dequant_modes_types),
        cmocka_unit_test(dequant_axis_and_bf16),
        cmocka_unit_test(dequant_errors),
        cmocka_unit_test(face_model_dequantize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
