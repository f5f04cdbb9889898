/* ops.c - lookups over the op tables and port-spec interpretation. */
#include "ops/ops.h"

#include <string.h>

hc_dtype hc_dtype_from_name(hc_span name) {
    for (int dt = 1; dt < HC_DT_COUNT; dt++)
        if (hc_span_eq_str(name, hc_dtype_name((hc_dtype)dt))) return (hc_dtype)dt;
    return HC_DT_INVALID;
}

static int cmp_name(hc_span a, const char *b) {
    size_t bn = strlen(b), n = a.n < bn ? a.n : bn;
    int c = n ? memcmp(a.p, b, n) : 0;
    if (c) return c;
    return a.n < bn ? -1 : a.n > bn ? 1 : 0;
}

const hc_opdef *hc_op_find(hc_span name) {
    size_t count;
    const hc_opdef *t = hc_op_table(&count);
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name(name, t[mid].name);
        if (c == 0) return &t[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const hc_opdef *hc_op_find_str(const char *name) {
    return hc_op_find(hc_span_str(name));
}

const char *hc_opcls_name(hc_opcls c) {
    switch (c) {
    case HC_OPCLS_ALLOW:
        return "allow";
    case HC_OPCLS_INFER:
        return "infer";
    case HC_OPCLS_CLEAR:
        return "clear";
    case HC_OPCLS_DENY:
        return "deny";
    default:
        return "none";
    }
}

const hc_op_tattr *hc_op_tattr_find(const hc_opdef *def, hc_span name) {
    for (int i = 0; i < HC_OP_MAX_TATTRS && def->tattrs[i].name; i++)
        if (hc_span_eq_str(name, def->tattrs[i].name)) return &def->tattrs[i];
    return NULL;
}

bool hc_op_port_spec(const hc_opdef *def, const hc_op_arg *arg, hc_port_spec *out) {
    memset(out, 0, sizeof *out);
    hc_span t = hc_span_str(arg->type);
    if (t.n && t.p[0] == '*') {
        out->is_list = true;
        t.p++;
        t.n--;
    } else {
        const void *star = memchr(t.p, '*', t.n);
        if (star) {
            size_t k = (size_t)((const uint8_t *)star - t.p);
            out->count_attr = hc_span_of(t.p, k);
            t.p += k + 1;
            t.n -= k + 1;
        }
    }
    out->tattr = hc_op_tattr_find(def, t);
    if (out->tattr) return true;
    if (out->is_list) return false; /* a list must name a list(type) attribute */
    out->fixed = hc_dtype_from_name(t);
    return out->fixed != HC_DT_INVALID;
}
