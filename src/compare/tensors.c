/* tensors.c - element-wise tensor comparison. */
#include "compare/compare.h"

#include "base/fp16.h"
#include "base/util.h"

#include <math.h>

size_t hc_tensor_elems(const hc_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->rank; i++)
        n *= t->dims[i] > 0 ? (size_t)t->dims[i] : 0;
    return n;
}

double hc_tensor_at(const hc_tensor *t, size_t i) {
    return hc_load_double(t->dtype, t->data, i);
}

static bool same_shape(const hc_tensor *a, const hc_tensor *b) {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

void hc_compare_tensors(const hc_tensor *a, const hc_tensor *b, hc_tensor_diff *d) {
    memset(d, 0, sizeof *d);
    d->same_shape = same_shape(a, b);
    d->cosine = 1.0;
    if (!d->same_shape) return;
    size_t n = hc_tensor_elems(a);
    double dot = 0, na = 0, nb = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double x = hc_tensor_at(a, i), y = hc_tensor_at(b, i);
        d->nan_a += isnan(x) != 0;
        d->nan_b += isnan(y) != 0;
        d->inf_a += isinf(x) != 0;
        d->inf_b += isinf(y) != 0;
        if (!isfinite(x) || !isfinite(y)) continue;
        double e = fabs(x - y), rel = e / HC_MAX(fabs(x), 1e-6);
        if (e > d->max_abs) {
            d->max_abs = e;
            d->argmax_abs = i;
        }
        if (rel > d->max_rel) d->max_rel = rel;
        if (fabs(x) > d->range_a) d->range_a = fabs(x);
        sum += e;
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    d->n = n;
    d->mean_abs = n ? sum / (double)n : 0;
    if (na > 0 || nb > 0) d->cosine = na > 0 && nb > 0 ? dot / (sqrt(na) * sqrt(nb)) : 0.0;
}
