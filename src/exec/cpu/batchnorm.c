/* batchnorm.c - FusedBatchNorm, FusedBatchNormV2 and FusedBatchNormV3: x of T (float, or half
 * for V2/V3) with float scale, offset, mean and variance (U), channels last (NHWC, NDHWC) or
 * first (NCHW, NCDHW).
 *
 * Inference (is_training=false): y = (x - mean) * (rsqrt(variance + epsilon) * scale) + offset
 * in TF's order of operations (tensorflow/core/kernels/fused_batch_norm_op.cc); outputs 1 and
 * 2 are mean and variance passed through, 3 and 4 (reserve spaces) hold them too, V3's
 * reserve_space_3 is a float scalar 0.
 * Training (is_training=true, TF's default): batch statistics over everything but the
 * channel (accumulated in double), y from the biased variance; outputs 1/2 are the running
 * mean and the Bessel-corrected variance (blended with the inputs when
 * exponential_avg_factor != 1), 3/4 the batch mean and biased variance. */
#include "exec/cpu/conv.h"

#include "base/fp16.h"

#include <math.h>

typedef struct bn_attr {
    hc_dtype t;
    float eps, factor;
    bool training, chfirst;
    int rank; /* 4, or 5 for NDHWC / NCDHW */
} bn_attr;

void hc_bn_rows_scalar(const hc_bn_args *a) {
    for (size_t r = 0; r < a->rows; r++)
        for (size_t j = 0; j < a->c; j++) {
            size_t i = r * a->c + j;
            const uint8_t *x = a->x; /* may be unaligned */
            float v = a->f16 ? hc_f16_to_f32(hc_ld_u16(x + 2 * i)) : hc_ld_f32(x + 4 * i);
            /* Separate statements: no FMA contraction, matching the vector kernels and TF. */
            v = v - a->mean[j];
            v = v * a->mul[j];
            v = v + a->add[j];
            if (a->f16)
                ((uint16_t *)a->y)[i] = hc_f32_to_f16(v);
            else
                ((float *)a->y)[i] = v;
        }
}

hc_status hc_batchnorm_prepare(hc_kernel_prep *p) {
    bn_attr *a = hc_arena_alloc(p->arena, sizeof *a);
    if (!a) return HC_NOMEM;
    p->state = a;
    a->t = hc_k_attr_type(p->node, "T", HC_DT_FLOAT);
    bool v1 = hc_span_eq_str(p->node->op, "FusedBatchNorm");
    if (a->t != HC_DT_FLOAT && (v1 || a->t != HC_DT_HALF))
        return hc_kp_fail(p, HC_UNSUPPORTED, "T=%s is not supported", hc_dtype_name(a->t));
    if (hc_k_attr_type(p->node, "U", HC_DT_FLOAT) != HC_DT_FLOAT)
        return hc_kp_fail(p, HC_UNSUPPORTED, "U must be float");
    a->eps = hc_k_attr_float(p->node, "epsilon", 1e-4f);
    a->factor = hc_k_attr_float(p->node, "exponential_avg_factor", 1.0f);
    a->training = hc_k_attr_bool(p->node, "is_training", true);
    a->rank = 4;
    hc_span s;
    if (!hc_k_attr_str(p->node, "data_format", &s) || hc_span_eq_str(s, "NHWC")) return HC_OK;
    if (hc_span_eq_str(s, "NCHW")) {
        a->chfirst = true;
    } else if (!v1 && hc_span_eq_str(s, "NDHWC")) {
        a->rank = 5;
    } else if (!v1 && hc_span_eq_str(s, "NCDHW")) {
        a->rank = 5;
        a->chfirst = true;
    } else {
        return hc_kp_fail(p, HC_UNSUPPORTED, "data_format '" HC_SPAN_FMT "' is not supported",
                          HC_SPAN_ARG(s));
    }
    return HC_OK;
}

typedef struct bn_job {
    const bn_attr *a;
    const void *x;
    void *y;
    size_t outer, c, inner; /* x is outer x c x inner (inner = 1 for channels last) */
    const float *mean, *mul, *add;
    hc_bn_fn rows;
} bn_job;

static void bn_worker(void *arg, int ith, int nth) {
    const bn_job *j = arg;
    bool f16 = j->a->t == HC_DT_HALF;
    size_t esz = f16 ? 2 : 4, r0, r1;
    if (j->inner == 1) {
        hc_split_range(j->outer, ith, nth, &r0, &r1);
        hc_bn_args a = {(const uint8_t *)j->x + r0 * j->c * esz,
                        (uint8_t *)j->y + r0 * j->c * esz,
                        r1 - r0,
                        j->c,
                        j->mean,
                        j->mul,
                        j->add,
                        f16};
        j->rows(&a);
        return;
    }
    /* Channels first: each (batch, channel) plane has one mean, mul and add. */
    hc_split_range(j->outer * j->c, ith, nth, &r0, &r1);
    for (size_t pl = r0; pl < r1; pl++) {
        size_t ch = pl % j->c;
        hc_bn_args a = {(const uint8_t *)j->x + pl * j->inner * esz,
                        (uint8_t *)j->y + pl * j->inner * esz,
                        j->inner,
                        1,
                        j->mean + ch,
                        j->mul + ch,
                        j->add + ch,
                        f16};
        hc_bn_rows_scalar(&a);
    }
}

static hc_bn_fn bn_rows_for(const hc_cpu *cpu) {
    if (cpu->avx512) return hc_bn_rows_avx512;
    if (cpu->avx2) return hc_bn_rows_avx2;
    return hc_bn_rows_scalar;
}

static double bn_ld(const bn_job *j, size_t o, size_t ch, size_t i) {
    size_t e = (o * j->c + ch) * j->inner + i;
    const uint8_t *x = j->x;
    if (j->a->t == HC_DT_HALF) return hc_f16_to_f32(hc_ld_u16(x + 2 * e));
    return hc_ld_f32(x + 4 * e);
}

/* Batch mean and biased variance per channel: two passes, in double. */
static void batch_stats(const bn_job *j, float *mean, float *var) {
    double n = (double)(j->outer * j->inner);
    for (size_t ch = 0; ch < j->c; ch++) {
        double s = 0, q = 0;
        for (size_t o = 0; o < j->outer; o++)
            for (size_t i = 0; i < j->inner; i++)
                s += bn_ld(j, o, ch, i);
        s /= n;
        for (size_t o = 0; o < j->outer; o++)
            for (size_t i = 0; i < j->inner; i++) {
                double d = bn_ld(j, o, ch, i) - s;
                q += d * d;
            }
        mean[ch] = (float)s;
        var[ch] = (float)(q / n);
    }
}

/* Inputs: shapes and dtypes; *c gets the channel count. */
static hc_status bn_check(hc_kernel_ctx *k, const bn_attr *a, size_t *c) {
    if (k->n_in != 5) return hc_k_fail(k, HC_MALFORMED, "takes 5 inputs, not %u", k->n_in);
    const hc_val *x = &k->in[0];
    if (x->dtype != a->t)
        return hc_k_fail(k, HC_TYPE, "x is %s, not %s", hc_dtype_name(x->dtype),
                         hc_dtype_name(a->t));
    if (x->rank != a->rank)
        return hc_k_fail(k, HC_INVALID, "x must be %d-D, not rank %d", a->rank, (int)x->rank);
    *c = (size_t)x->dims[a->chfirst ? 1 : a->rank - 1];
    for (uint32_t i = 1; i < 5; i++) {
        const hc_val *v = &k->in[i];
        if (v->dtype != HC_DT_FLOAT)
            return hc_k_fail(k, HC_TYPE, "input %u must be float, not %s", i,
                             hc_dtype_name(v->dtype));
        bool may_skip = a->training && i >= 3 && a->factor == 1.0f;
        if (v->rank != 1 || (size_t)v->dims[0] != *c) {
            if (may_skip && hc_val_elems(v) == 0) continue;
            return hc_k_fail(k, HC_INVALID, "input %u must have %zu elements (the channels of x)",
                             i, *c);
        }
    }
    return HC_OK;
}

/* Outputs 1..5: running or passed-through statistics and reserve spaces. */
static hc_status bn_side_outputs(hc_kernel_ctx *k, const bn_attr *a, size_t c, const float *bm,
                                 const float *bv, size_t n) {
    int64_t d = (int64_t)c;
    for (uint32_t o = 1; o < 5 && o < k->n_out; o++) {
        hc_status st = hc_k_alloc(k, o, HC_DT_FLOAT, 1, &d);
        if (st) return st;
        float *dst = k->out[o].data;
        for (size_t ch = 0; ch < c; ch++) {
            float v = o % 2 ? bm[ch] : bv[ch];
            if (a->training && o <= 2) {
                float adj = (float)n / (float)(n > 1 ? n - 1 : 1), f = a->factor;
                float cur = o == 1 ? bm[ch] : bv[ch] * adj;
                v = cur;
                if (f != 1.0f) v = (1.0f - f) * hc_k_f32_at(&k->in[o + 2], (int64_t)ch) + f * cur;
            }
            if (!n) v = NAN;
            dst[ch] = v;
        }
    }
    if (k->n_out > 5) {
        hc_status st = hc_k_alloc(k, 5, HC_DT_FLOAT, 0, NULL);
        if (st) return st;
        *(float *)k->out[5].data = 0.0f;
    }
    return HC_OK;
}

hc_status hc_batchnorm_run(hc_kernel_ctx *k) {
    const bn_attr *a = k->state;
    size_t c = 0;
    hc_status st = bn_check(k, a, &c);
    if (st) return st;
    const hc_val *x = &k->in[0];
    if ((st = hc_k_alloc(k, 0, a->t, x->rank, x->dims))) return st;
    size_t n = (size_t)hc_val_elems(x), inner = 1, outer;
    for (int i = 2; a->chfirst && i < x->rank; i++)
        inner *= (size_t)x->dims[i];
    outer = c ? n / c / inner : 0;
    float *buf = hc_k_scratch(k, (4 * c + 1) * sizeof(float));
    if (!buf) return k->ctx->status;
    float *mean = buf, *var = buf + c, *mul = buf + 2 * c, *add = buf + 3 * c;
    bn_job j = {a, x->data, k->out[0].data, outer, c, inner, mean, mul, add, bn_rows_for(k->cpu)};
    for (size_t ch = 0; ch < c; ch++) {
        mean[ch] = a->training ? 0.0f : hc_k_f32_at(&k->in[3], (int64_t)ch);
        var[ch] = a->training ? 0.0f : hc_k_f32_at(&k->in[4], (int64_t)ch);
        add[ch] = hc_k_f32_at(&k->in[2], (int64_t)ch);
    }
    if (a->training && n) batch_stats(&j, mean, var);
    for (size_t ch = 0; ch < c; ch++) {
        float r = 1.0f / sqrtf(var[ch] + a->eps);
        mul[ch] = r * hc_k_f32_at(&k->in[1], (int64_t)ch);
    }
    if (n) hc_pool_run(k->pool, bn_worker, &j, hc_conv_threads(k, 3.0 * (double)n));
    st = bn_side_outputs(k, a, c, mean, var, n / (c ? c : 1));
    hc_k_scratch_free(k, buf);
    return st;
}
