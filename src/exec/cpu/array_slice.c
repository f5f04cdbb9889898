/* array_slice.c - Slice and StridedSlice. StridedSlice follows TF's ValidateStridedSliceOp
 * (tensorflow/core/util/strided_slice_op.cc) step by step: the sparse spec (with its ellipsis,
 * new-axis and shrink masks) is expanded to one dense (begin, end, stride) per input axis,
 * masked and negative indices are made canonical and clamped, shrunk axes are bounds-checked,
 * then the processing shape (one entry per input axis) drives one strided copy and the final
 * shape drops shrunk axes and inserts new ones. */
#include "exec/cpu/array.h"

static void strides_of(const hc_val *v, int64_t *st) {
    int64_t s = 1;
    for (int d = v->rank - 1; d >= 0; d--) {
        st[d] = s;
        s *= v->dims[d];
    }
}

hc_status hc_arr_slice(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 3);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *in = &k->in[0];
    int64_t b[HC_MAX_RANK], s[HC_MAX_RANK], nb, ns;
    if ((st = hc_arr_int_vec(k, 1, "begin", false, b, HC_MAX_RANK, &nb)) ||
        (st = hc_arr_int_vec(k, 2, "size", false, s, HC_MAX_RANK, &ns)))
        return st;
    if (nb != in->rank || ns != in->rank)
        return hc_k_fail(k, HC_INVALID,
                         "expected begin and size to be vectors of size %d, but got "
                         "%lld and %lld",
                         (int)in->rank, (long long)nb, (long long)ns);
    bool identity = true;
    for (int d = 0; d < in->rank; d++) {
        int64_t dim = in->dims[d];
        if (s[d] == -1) s[d] = dim - b[d];
        if (dim == 0 && (b[d] != 0 || s[d] != 0))
            return hc_k_fail(k, HC_INVALID,
                             "expected begin[%d] == 0 (got %lld) and size[%d] == 0 "
                             "(got %lld) when input.dim_size(%d) == 0",
                             d, (long long)b[d], d, (long long)s[d], d);
        if (b[d] < 0 || b[d] > dim)
            return hc_k_fail(k, HC_INVALID, "expected begin[%d] in [0, %lld], but got %lld", d,
                             (long long)dim, (long long)b[d]);
        if (s[d] < 0 || s[d] > dim - b[d])
            return hc_k_fail(k, HC_INVALID, "expected size[%d] in [0, %lld], but got %lld", d,
                             (long long)(dim - b[d]), (long long)s[d]);
        identity &= b[d] == 0 && s[d] == dim;
    }
    if (identity) {
        hc_k_forward(k, 0, 0);
        return HC_OK;
    }
    if ((st = hc_k_alloc(k, 0, in->dtype, in->rank, s))) return st;
    hc_arr_copy c = {.rank = in->rank, .esz = esz, .dst = k->out[0].data};
    strides_of(in, c.st);
    int64_t off = 0;
    for (int d = 0; d < in->rank; d++) {
        c.dims[d] = s[d];
        off += b[d] * c.st[d];
    }
    c.src = (const uint8_t *)in->data + off * (int64_t)esz;
    hc_arr_copy_run(k, &c);
    return HC_OK;
}

/* ---- StridedSlice ------------------------------------------------------------------- */

typedef struct ss_masks {
    uint32_t begin, end, ellipsis, new_axis, shrink;
} ss_masks;

hc_status hc_arr_strided_slice_prepare(hc_kernel_prep *p) {
    ss_masks *m = hc_arena_alloc(p->arena, sizeof *m);
    if (!m) return HC_NOMEM;
    static const char *const names[5] = {"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                         "shrink_axis_mask"};
    uint32_t *f[5] = {&m->begin, &m->end, &m->ellipsis, &m->new_axis, &m->shrink};
    for (int i = 0; i < 5; i++) {
        int64_t v = hc_k_attr_int(p->node, names[i], 0);
        if (v < INT32_MIN || v > INT32_MAX)
            return hc_kp_fail(p, HC_MALFORMED, "%s %lld is not a 32-bit mask", names[i],
                              (long long)v);
        *f[i] = (uint32_t)(int32_t)v;
    }
    if (m->ellipsis & (m->ellipsis - 1))
        return hc_kp_fail(p, HC_INVALID, "multiple ellipses in slice spec not allowed");
    p->state = m;
    return HC_OK;
}

#define SS_SHRINK   (-1)
#define SS_NEW      (-2)
#define SS_MAX_SPEC 32

/* The dense spec: one entry per input axis, plus where each final axis comes from. */
typedef struct ss_dense {
    int64_t begin[HC_MAX_RANK], end[HC_MAX_RANK], stride[HC_MAX_RANK];
    uint32_t begin_mask, end_mask, shrink;
    int n_gather;
    int32_t gather[SS_MAX_SPEC + HC_MAX_RANK]; /* input axis, SS_SHRINK or SS_NEW */
} ss_dense;

typedef struct ss_sparse {
    int64_t n; /* entries, with the implicit trailing ellipsis */
    const int64_t *b, *e, *s;
    ss_masks m;
    int32_t add_after_ellipsis; /* new axes after the ellipsis */
} ss_sparse;

/* BuildDenseSpec: expand the ellipsis to the input axes it covers. */
static hc_status ss_dense_spec(hc_kernel_ctx *k, const ss_sparse *sp, int dims, ss_dense *dn) {
    memset(dn, 0, sizeof *dn);
    int full = 0;
    for (int64_t i = 0; i < sp->n; i++) {
        uint32_t bit = (uint32_t)1 << i;
        if (sp->m.ellipsis & bit) {
            int64_t next = HC_MIN(dims - (sp->n - i) + 1 + sp->add_after_ellipsis, (int64_t)dims);
            for (; full < next; full++) {
                dn->begin[full] = dn->end[full] = 0;
                dn->stride[full] = 1;
                dn->begin_mask |= (uint32_t)1 << full;
                dn->end_mask |= (uint32_t)1 << full;
                dn->gather[dn->n_gather++] = full;
            }
        } else if (sp->m.new_axis & bit) {
            dn->gather[dn->n_gather++] = SS_NEW;
        } else {
            if (full == dims) {
                if (dims == 0) return hc_k_fail(k, HC_INVALID, "attempting to slice scalar input");
                return hc_k_fail(k, HC_INVALID,
                                 "index out of range using input dim %d; input has "
                                 "only %d dims",
                                 full, dims);
            }
            dn->begin[full] = sp->b[i];
            dn->end[full] = sp->e[i];
            dn->stride[full] = sp->s[i];
            if (sp->m.begin & bit) dn->begin_mask |= (uint32_t)1 << full;
            if (sp->m.end & bit) dn->end_mask |= (uint32_t)1 << full;
            if (sp->m.shrink & bit) {
                dn->gather[dn->n_gather++] = SS_SHRINK;
                dn->shrink |= (uint32_t)1 << full;
            } else {
                dn->gather[dn->n_gather++] = full;
            }
            full++;
        }
    }
    return HC_OK;
}

/* Canonical index c (0: begin, 1: end) of x on an axis of size dim: TF's lambda. */
static int64_t ss_canonical(int64_t x, int c, bool masked, int64_t stride, int64_t dim) {
    int64_t lo = stride > 0 ? 0 : -1, hi = stride > 0 ? dim : dim - 1;
    if (masked) return stride > 0 ? (c == 0 ? lo : hi) : (c == 0 ? hi : lo);
    int64_t fwd = x < 0 ? dim + x : x;
    return fwd < lo ? lo : fwd > hi ? hi : fwd;
}

/* Step 3: canonical begin/end per input axis and the processing size. */
static hc_status ss_axis(hc_kernel_ctx *k, ss_dense *dn, int i, int64_t dim, int64_t *size) {
    int64_t *b = &dn->begin[i], *e = &dn->end[i], s = dn->stride[i];
    uint32_t bit = (uint32_t)1 << i;
    if (s == 0) return hc_k_fail(k, HC_INVALID, "strides[%d] must be non-zero", i);
    bool shrink = dn->shrink & bit;
    if (shrink && s <= 0)
        return hc_k_fail(k, HC_INVALID, "only stride 1 allowed on non-range indexing");
    if (shrink) {
        /* foo[-1] arrives as begin -1, end 0: rebuild end as begin + 1. */
        int64_t fwd = *b < 0 ? dim + *b : *b;
        *b = fwd;
        *e = fwd + 1;
        if (fwd < 0 || fwd >= dim)
            return hc_k_fail(k, HC_INVALID, "slice index %lld of dimension %d out of bounds",
                             (long long)fwd, i);
    } else {
        *b = ss_canonical(*b, 0, dn->begin_mask & bit, s, dim);
        *e = ss_canonical(*e, 1, dn->end_mask & bit, s, dim);
    }
    int64_t len = *e - *b;
    if (len == 0 || ((len < 0) != (s < 0)))
        *size = 0;
    else
        *size = len / s + (len % s != 0 ? 1 : 0);
    return HC_OK;
}

static hc_status ss_inputs(hc_kernel_ctx *k, int64_t v[3][SS_MAX_SPEC], int64_t *n) {
    static const char *const what[3] = {"begin", "end", "strides"};
    int64_t c[3];
    for (uint32_t i = 0; i < 3; i++) {
        const hc_val *x = &k->in[1 + i];
        if (x->rank != 1 || hc_val_elems(x) != hc_val_elems(&k->in[3]) ||
            hc_val_elems(x) >= SS_MAX_SPEC)
            return hc_k_fail(k, HC_INVALID,
                             "expected begin, end, and strides to be 1D equal size "
                             "tensors of fewer than 32 values");
        hc_status st = hc_arr_int_vec(k, 1 + i, what[i], false, v[i], SS_MAX_SPEC, &c[i]);
        if (st) return st;
    }
    *n = c[0];
    return HC_OK;
}

hc_status hc_arr_strided_slice(hc_kernel_ctx *k) {
    hc_status st = hc_arr_need_inputs(k, 4);
    size_t esz;
    if (st || (st = hc_arr_esz(k, 0, &esz))) return st;
    const hc_val *in = &k->in[0];
    int64_t v[3][SS_MAX_SPEC] = {{0}};
    ss_sparse sp = {.m = *(const ss_masks *)k->state};
    if ((st = ss_inputs(k, v, &sp.n))) return st;
    sp.b = v[0], sp.e = v[1], sp.s = v[2];
    bool seen = false;
    for (int64_t i = 0; i < sp.n; i++) {
        if (seen && (sp.m.new_axis & ((uint32_t)1 << i))) sp.add_after_ellipsis++;
        if (sp.m.ellipsis & ((uint32_t)1 << i)) seen = true;
    }
    if (!seen) sp.m.ellipsis |= (uint32_t)1 << sp.n++; /* an implicit ellipsis at the end */
    ss_dense dn;
    if ((st = ss_dense_spec(k, &sp, in->rank, &dn))) return st;
    int64_t proc[HC_MAX_RANK] = {0}, fin[HC_MAX_RANK];
    bool identity = true;
    for (int i = 0; i < in->rank; i++) {
        if ((st = ss_axis(k, &dn, i, in->dims[i], &proc[i]))) return st;
        identity &= dn.stride[i] == 1 && dn.begin[i] == 0 && dn.end[i] == in->dims[i];
    }
    int nf = 0;
    for (int g = 0; g < dn.n_gather; g++) {
        if (dn.gather[g] == SS_SHRINK) continue;
        if (nf == HC_MAX_RANK) return hc_k_fail(k, HC_LIMIT, "output rank exceeds %d", HC_MAX_RANK);
        fin[nf++] = dn.gather[g] == SS_NEW ? 1 : proc[dn.gather[g]];
    }
    if (identity) return hc_k_view(k, 0, 0, nf, fin);
    if ((st = hc_k_alloc(k, 0, in->dtype, nf, fin))) return st;
    hc_arr_copy c = {.rank = in->rank, .esz = esz, .dst = k->out[0].data};
    int64_t ist[HC_MAX_RANK], off = 0;
    strides_of(in, ist);
    for (int i = 0; i < in->rank; i++) {
        c.dims[i] = proc[i];
        c.st[i] = dn.stride[i] * ist[i];
        off += dn.begin[i] * ist[i];
    }
    if (hc_val_elems(&k->out[0]) == 0) return HC_OK;
    c.src = (const uint8_t *)in->data + off * (int64_t)esz;
    hc_arr_copy_run(k, &c);
    return HC_OK;
}
