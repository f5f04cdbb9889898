/* array_dequant.c - Dequantize: quint8, qint8, quint16, qint16 and qint32 to float (or
 * bfloat16), bit-exact with TF's CPU kernel (dequantize_op.cc, quantization_utils.h) on x86,
 * where MIN_FIRST takes the Eigen path (gemmlowp's meta path is ARM-only):
 *   MIN_COMBINED  ((float)q + half_range) * ((max - min) / (hi - lo)) + min,
 *                 half_range = signed ? (hi - lo + 1) / 2 : 0, all in float;
 *   MIN_FIRST     min_r + ((float)q - lo) * s, s = (float)((double)(max - min) / (2^bits - 1)),
 *                 min_r = round(min / s) * s (TF's QuantizedToFloatStruct);
 *   SCALED        (float)q * (lo == 0 ? max / hi : fmax(min / (lo + narrow), max / hi)).
 * All three are computed as ((float)q + A) * S + B, which is exact for each: adding 0 or
 * -lo is the same float operation, and B = -0.0f (SCALED) adds nothing. Multiply and add are
 * separate statements so no compiler fuses them into an FMA (TF does not).
 * `axis` >= 0 gives per-slice ranges (MIN_FIRST refused there, as in TF). */
#include "exec/cpu/array.h"

#include <math.h>

typedef enum dq_mode { DQ_MIN_COMBINED, DQ_MIN_FIRST, DQ_SCALED } dq_mode;

typedef struct dq_state {
    dq_mode mode;
    bool narrow;
    int64_t axis;
    hc_dtype out;
} dq_state;

hc_status hc_arr_dequantize_prepare(hc_kernel_prep *p) {
    dq_state *s = hc_arena_alloc(p->arena, sizeof *s);
    if (!s) return HC_NOMEM;
    hc_span m = hc_span_str("MIN_COMBINED");
    hc_k_attr_str(p->node, "mode", &m);
    if (hc_span_eq_str(m, "MIN_COMBINED"))
        s->mode = DQ_MIN_COMBINED;
    else if (hc_span_eq_str(m, "MIN_FIRST"))
        s->mode = DQ_MIN_FIRST;
    else if (hc_span_eq_str(m, "SCALED"))
        s->mode = DQ_SCALED;
    else
        return hc_kp_fail(p, HC_INVALID,
                          "mode string must be 'MIN_COMBINED', 'MIN_FIRST', or "
                          "'SCALED', is '" HC_SPAN_FMT "'",
                          HC_SPAN_ARG(m));
    s->narrow = hc_k_attr_bool(p->node, "narrow_range", false);
    s->axis = hc_k_attr_int(p->node, "axis", -1);
    s->out = hc_k_attr_type(p->node, "dtype", HC_DT_FLOAT);
    if (s->axis < -1) return hc_kp_fail(p, HC_INVALID, "axis %lld is below -1", (long long)s->axis);
    if (s->out != HC_DT_FLOAT && s->out != HC_DT_BFLOAT16)
        return hc_kp_fail(p, HC_TYPE, "output type must be bfloat16 or float, is '%s'",
                          hc_dtype_name(s->out));
    if (s->out == HC_DT_BFLOAT16 && s->mode != DQ_MIN_COMBINED)
        return hc_kp_fail(p, HC_INVALID,
                          "when output type is bfloat16, mode string must be "
                          "'MIN_COMBINED'");
    p->state = s;
    return HC_OK;
}

/* Limits of a quantized type: lowest, highest, bits. */
static bool q_limits(hc_dtype dt, int64_t *lo, int64_t *hi, int *bits) {
    switch (dt) {
    case HC_DT_QUINT8:
        *lo = 0, *hi = UINT8_MAX, *bits = 8;
        return true;
    case HC_DT_QINT8:
        *lo = INT8_MIN, *hi = INT8_MAX, *bits = 8;
        return true;
    case HC_DT_QUINT16:
        *lo = 0, *hi = UINT16_MAX, *bits = 16;
        return true;
    case HC_DT_QINT16:
        *lo = INT16_MIN, *hi = INT16_MAX, *bits = 16;
        return true;
    case HC_DT_QINT32:
        *lo = INT32_MIN, *hi = INT32_MAX, *bits = 32;
        return true;
    default:
        return false;
    }
}

typedef struct dq_affine {
    float a, s, b;
} dq_affine;

/* TF's constants for one (min, max) pair, in TF's float/double order of operations. */
static dq_affine dq_constants(const dq_state *st, hc_dtype dt, float mn, float mx) {
    int64_t lo = 0, hi = 0;
    int bits = 8;
    q_limits(dt, &lo, &hi, &bits);
    float flo = (float)lo, fhi = (float)hi;
    dq_affine r = {0.0f, 0.0f, mn};
    if (st->mode == DQ_MIN_COMBINED) {
        r.a = lo == 0 ? 0.0f : (fhi - flo + 1.0f) / 2.0f;
        r.s = (mx - mn) / (fhi - flo);
    } else if (st->mode == DQ_MIN_FIRST) {
        double steps = (double)((int64_t)1 << bits);
        r.a = -flo;
        r.s = (float)((double)(mx - mn) / (steps - 1.0));
        /* QuantizedToFloatStruct: the minimum snapped to a whole number of steps (float ops) */
        if (mx != mn) r.b = roundf(mn / r.s) * r.s;
    } else {
        float lo_out = (float)(lo + (st->narrow ? 1 : 0));
        float up = mx / fhi;
        if (lo == 0) {
            r.s = up;
        } else {
            float down = mn / lo_out;
            r.s = down < up ? up : down; /* std::max(down, up) */
        }
        r.b = -0.0f;
    }
    return r;
}

/* Round-to-nearest-even float -> bfloat16 (Eigen's conversion; NaN stays a quiet NaN). */
static uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

/* y[i] = ((float)x[i] + a) * s + b for n elements, typed per input; multiply and add are
 * separate statements (never an FMA). x may be unaligned. */
#define DEFINE_DQ(name, T, LOAD)                                                                   \
    static void name(const uint8_t *x, float *y, size_t n, const dq_affine *c) {                   \
        for (size_t i = 0; i < n; i++) {                                                           \
            T q;                                                                                   \
            memcpy(&q, x + i * sizeof q, sizeof q);                                                \
            float t = (float)(LOAD) + c->a;                                                        \
            float p = t * c->s;                                                                    \
            y[i] = p + c->b;                                                                       \
        }                                                                                          \
    }
DEFINE_DQ(dq_u8, uint8_t, q)
DEFINE_DQ(dq_i8, uint8_t, (int8_t)q)
DEFINE_DQ(dq_u16, uint16_t, q)
DEFINE_DQ(dq_i16, uint16_t, (int16_t)q)
DEFINE_DQ(dq_i32, int32_t, q)

typedef struct dq_job {
    const dq_state *st;
    hc_dtype in;
    size_t isz; /* input element bytes */
    const uint8_t *src;
    uint8_t *dst;
    const dq_affine *k;         /* per slice */
    size_t slices, post, chunk; /* unit u covers elements [u*chunk, (u+1)*chunk) */
    size_t n;
    bool avx2;
} dq_job;

/* n floats from input elements starting at x. */
static void dq_floats(const dq_job *j, const uint8_t *x, float *y, size_t n, const dq_affine *c) {
    switch (j->in) {
    case HC_DT_QUINT8:
        /* a is 0 for quint8 in every mode, so y = (float)q * s + b. */
        if (j->avx2)
            hc_arr_dequant_u8_avx2(x, y, n, c->s, c->b);
        else
            dq_u8(x, y, n, c);
        return;
    case HC_DT_QINT8:
        dq_i8(x, y, n, c);
        return;
    case HC_DT_QUINT16:
        dq_u16(x, y, n, c);
        return;
    case HC_DT_QINT16:
        dq_i16(x, y, n, c);
        return;
    default:
        dq_i32(x, y, n, c);
        return;
    }
}

static void dq_span(const dq_job *j, size_t b, size_t e, const dq_affine *c) {
    if (j->st->out == HC_DT_FLOAT) {
        dq_floats(j, j->src + b * j->isz, (float *)(void *)(j->dst + 4 * b), e - b, c);
        return;
    }
    /* bfloat16: TF computes the float, then rounds it; through a small float block. */
    float tmp[256];
    for (size_t lo = b; lo < e; lo += 256) {
        size_t n = HC_MIN(e - lo, (size_t)256);
        dq_floats(j, j->src + lo * j->isz, tmp, n, c);
        for (size_t i = 0; i < n; i++) {
            uint16_t h = to_bf16(tmp[i]);
            memcpy(j->dst + 2 * (lo + i), &h, 2);
        }
    }
}

static void dq_run(void *arg, size_t b, size_t e) {
    const dq_job *j = arg;
    size_t lo = b * j->chunk, hi = HC_MIN(e * j->chunk, j->n);
    while (lo < hi) {
        /* Split at slice boundaries: element i is in slice (i / post) % slices. */
        size_t s = (lo / j->post) % j->slices, end = HC_MIN(hi, (lo / j->post + 1) * j->post);
        dq_span(j, lo, end, &j->k[s]);
        lo = end;
    }
}

hc_status hc_arr_dequantize(hc_kernel_ctx *k) {
    const dq_state *s = k->state;
    hc_status st = hc_arr_need_inputs(k, 3);
    if (st) return st;
    const hc_val *in = &k->in[0], *mn = &k->in[1], *mx = &k->in[2];
    int64_t lo, hi;
    int bits;
    if (!q_limits(in->dtype, &lo, &hi, &bits))
        return hc_k_fail(k, HC_TYPE,
                         "input must be quint8, qint8, quint16, qint16 or qint32, not %s",
                         hc_dtype_name(in->dtype));
    if (mn->dtype != HC_DT_FLOAT || mx->dtype != HC_DT_FLOAT)
        return hc_k_fail(k, HC_TYPE, "min_range and max_range must be float");
    if (s->axis >= in->rank)
        return hc_k_fail(k, HC_INVALID, "axis must be less than input dimension(%d), got %lld",
                         (int)in->rank, (long long)s->axis);
    int64_t slices = s->axis >= 0 ? in->dims[s->axis] : 1;
    if (hc_val_elems(mn) != slices || hc_val_elems(mx) != slices)
        return hc_k_fail(k, HC_INVALID,
                         "input_min_tensor and input_max_tensor must have %lld "
                         "elements (the dequantization axis %lld), got %lld and %lld",
                         (long long)slices, (long long)s->axis, (long long)hc_val_elems(mn),
                         (long long)hc_val_elems(mx));
    if (slices > 1 && s->mode == DQ_MIN_FIRST)
        return hc_k_fail(k, HC_UNSUPPORTED,
                         "MIN_FIRST mode is not implemented for Dequantize "
                         "with axis != -1");
    if ((st = hc_k_alloc(k, 0, s->out, in->rank, in->dims))) return st;
    size_t n = (size_t)hc_val_elems(in);
    if (n == 0) return HC_OK;
    dq_affine *c = hc_k_scratch(k, (size_t)slices * sizeof *c);
    if (!c) return k->ctx->status;
    for (int64_t i = 0; i < slices; i++)
        c[i] = dq_constants(s, in->dtype, hc_ld_f32((const uint8_t *)mn->data + 4 * i),
                            hc_ld_f32((const uint8_t *)mx->data + 4 * i));
    size_t post = 1;
    for (int d = (int)s->axis + 1; s->axis >= 0 && d < in->rank; d++)
        post *= (size_t)in->dims[d];
    dq_job j = {s,           in->dtype,      hc_dtype_size(in->dtype), in->data, k->out[0].data,
                c,           (size_t)slices, slices > 1 ? post : n,    4096,     n,
                k->cpu->avx2};
    hc_arr_parallel(k, (n + j.chunk - 1) / j.chunk, n * 4, dq_run, &j);
    hc_k_scratch_free(k, c);
    return HC_OK;
}
