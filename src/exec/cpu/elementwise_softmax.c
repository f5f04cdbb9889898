/* elementwise_softmax.c - Softmax and LogSoftmax over the last axis, numerically stable as
 * TensorFlow's softmax_op_functor.h: shifted = x - max(x); softmax = exp(shifted) / sum,
 * log-softmax = shifted - log(sum). Rows are split over threads; each row is computed in fp32
 * (fp16 rows are converted in and out) with the sum accumulated in double, so the SIMD rows
 * (exp approximated within 1e-6 relative) and the scalar rows agree closely. */
#include "exec/cpu/elementwise.h"

#include "base/fp16.h"

#include <math.h>

void hc_ew_softmax_row_scalar(const float *x, float *y, size_t n, bool logsm) {
    float m = -INFINITY; /* NaNs never win the max (they make their row NaN through exp) */
    for (size_t i = 0; i < n; i++)
        m = x[i] > m ? x[i] : m;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        float e = expf(x[i] - m);
        sum += e;
        if (!logsm) y[i] = e;
    }
    if (logsm) {
        float ls = (float)log(sum);
        for (size_t i = 0; i < n; i++)
            y[i] = (x[i] - m) - ls;
    } else {
        float s = (float)sum;
        for (size_t i = 0; i < n; i++)
            y[i] /= s;
    }
}

hc_status hc_ew_prep_softmax(hc_kernel_prep *p) {
    hc_dtype t = hc_k_attr_type(p->node, "T", HC_DT_INVALID);
    if (t == HC_DT_INVALID || t == HC_DT_FLOAT || t == HC_DT_HALF) return HC_OK;
    return hc_kp_fail(p, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(t));
}

typedef struct sm_job {
    const hc_cpu *cpu;
    const uint8_t *in;
    uint8_t *out;
    hc_dtype dt;
    size_t rows, n;
    float *scratch; /* per thread: 2 * n floats */
    bool logsm;
} sm_job;

static void sm_thread(void *arg, int ith, int nth) {
    const sm_job *j = arg;
    float *xs = j->scratch + (size_t)ith * 2 * j->n, *ys = xs + j->n;
    size_t b, e, esz = hc_dtype_size(j->dt);
    hc_split_range(j->rows, ith, nth, &b, &e);
    void (*row)(const float *, float *, size_t, bool) = hc_ew_softmax_row_scalar;
    if (j->cpu->avx512)
        row = hc_ew_softmax_row_avx512;
    else if (j->cpu->avx2)
        row = hc_ew_softmax_row_avx2;
    for (size_t r = b; r < e; r++) {
        const float *x = hc_ew_load(j->cpu, j->in, j->dt, (int64_t)(r * j->n), j->n, xs);
        float *y = hc_ew_direct(j->out, j->dt, (int64_t)(r * j->n));
        row(x, y ? y : ys, j->n, j->logsm);
        if (!y)
            hc_f32_to_f16_array(j->cpu, ys, (uint16_t *)(void *)(j->out + r * j->n * esz), j->n,
                                NULL);
    }
}

static hc_status softmax(hc_kernel_ctx *k, bool logsm) {
    if (k->n_in != 1) return hc_k_fail(k, HC_MALFORMED, "takes 1 input, has %u", k->n_in);
    const hc_val *x = &k->in[0];
    if (x->dtype != HC_DT_FLOAT && x->dtype != HC_DT_HALF)
        return hc_k_fail(k, HC_UNSUPPORTED, "no kernel for dtype %s", hc_dtype_name(x->dtype));
    if (x->rank < 1) return hc_k_fail(k, HC_INVALID, "logits must have rank >= 1, is a scalar");
    hc_status st = hc_k_alloc(k, 0, x->dtype, x->rank, x->dims);
    if (st) return st;
    int64_t total = hc_val_elems(x), n = x->dims[x->rank - 1];
    if (total == 0) return HC_OK;
    sm_job j = {k->cpu,    x->data, k->out[0].data, x->dtype, (size_t)(total / n),
                (size_t)n, NULL,    logsm};
    int nth = hc_ew_threads(k, total, 16);
    if ((size_t)nth > j.rows) nth = (int)j.rows;
    size_t bytes;
    if (!hc_mul_size((size_t)nth * 2, j.n * sizeof(float), &bytes))
        return hc_k_fail(k, HC_LIMIT, "rows of %lld values are too long", (long long)n);
    j.scratch = hc_k_scratch(k, bytes);
    if (!j.scratch) return k->ctx->status;
    hc_pool_run(k->pool, sm_thread, &j, nth);
    hc_k_scratch_free(k, j.scratch);
    return HC_OK;
}

hc_status hc_ew_run_softmax(hc_kernel_ctx *k) {
    return softmax(k, false);
}

hc_status hc_ew_run_log_softmax(hc_kernel_ctx *k) {
    return softmax(k, true);
}
