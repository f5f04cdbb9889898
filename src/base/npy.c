/* npy.c - the .npy reader (strict header parser, checked sizes) and writer (numpy's exact
 * version 1.0 layout). The header is a Python dict literal; we accept exactly what numpy's
 * reader accepts for C-order numeric arrays: the three keys in any order, any spacing, an
 * optional trailing comma, and nothing but whitespace after the closing brace. */
#include "base/npy.h"
#include "base/io.h"

#include <stdio.h>

#define NPY_MAGIC     "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN     64
/* numpy >= 1.24 leaves room for the first dim to grow to this many digits. */
#define NPY_GROWTH_DIGITS 21

static const struct {
    char descr[4];
    hc_dtype dt;
} NPY_TYPES[] = {
    {"<f4", HC_DT_FLOAT},  {"<f2", HC_DT_HALF},  {"<f8", HC_DT_DOUBLE}, {"<i4", HC_DT_INT32},
    {"<i8", HC_DT_INT64},  {"<i2", HC_DT_INT16}, {"|i1", HC_DT_INT8},   {"|u1", HC_DT_UINT8},
    {"<u2", HC_DT_UINT16}, {"|b1", HC_DT_BOOL},  {"<u4", HC_DT_UINT32}, {"<u8", HC_DT_UINT64},
};

const char *hc_npy_descr(hc_dtype dt) {
    for (size_t i = 0; i < HC_COUNT(NPY_TYPES); i++)
        if (NPY_TYPES[i].dt == dt) return NPY_TYPES[i].descr;
    return NULL;
}

bool hc_npy_count(int rank, const int64_t *dims, size_t *count) {
    size_t c = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || (uint64_t)dims[i] > SIZE_MAX) return false;
        if (!hc_mul_size(c, (size_t)dims[i], &c)) return false;
    }
    *count = c;
    return true;
}

/* ---- header parsing ------------------------------------------------------------------- */

typedef struct npy_lex {
    const char *p, *start, *end;
} npy_lex;

typedef struct npy_header {
    hc_span descr;
    bool descr_list; /* descr was a list: a structured dtype */
    bool fortran;
    int rank;
    int64_t dims[HC_NPY_MAX_RANK];
    unsigned seen; /* bit per key: 1 descr, 2 fortran_order, 4 shape */
} npy_header;

static void lex_ws(npy_lex *l) {
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
        l->p++;
}

/* Skip whitespace, then consume c if it is next. */
static bool lex_eat(npy_lex *l, char c) {
    lex_ws(l);
    if (l->p < l->end && *l->p == c) {
        l->p++;
        return true;
    }
    return false;
}

static bool lex_word(npy_lex *l, const char *w) {
    size_t n = strlen(w);
    lex_ws(l);
    if ((size_t)(l->end - l->p) < n || memcmp(l->p, w, n) != 0) return false;
    l->p += n;
    return true;
}

/* A quoted string without escapes (numpy never writes any in these keys). */
static bool lex_str(npy_lex *l, hc_span *out) {
    lex_ws(l);
    if (l->p >= l->end || (*l->p != '\'' && *l->p != '"')) return false;
    char q = *l->p++;
    const char *s = l->p;
    while (l->p < l->end && *l->p != q) {
        if (*l->p == '\\' || *l->p == '\n') return false;
        l->p++;
    }
    if (l->p >= l->end) return false;
    *out = hc_span_of(s, (size_t)(l->p - s));
    l->p++;
    return true;
}

/* A non-negative decimal integer; Python 2 numpy wrote a trailing 'L'. */
static bool lex_int(npy_lex *l, int64_t *v) {
    lex_ws(l);
    const char *s = l->p;
    uint64_t x = 0;
    while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
        uint64_t d = (uint64_t)(*l->p - '0');
        if (x > ((uint64_t)INT64_MAX - d) / 10) return false; /* before it can wrap */
        x = x * 10 + d;
        l->p++;
    }
    if (l->p == s) return false;
    if (l->p < l->end && (*l->p == 'L' || *l->p == 'l')) l->p++;
    *v = (int64_t)x;
    return true;
}

static hc_status hdr_fail(hc_ctx *ctx, const npy_lex *l, const char *what) {
    return hc_fail(ctx, HC_MALFORMED, NULL, "bad .npy header at offset %td: %s", l->p - l->start,
                   what);
}

/* (), (n,), (n, m), (n, m,) - a 1-tuple needs its comma, as in Python. */
static hc_status parse_shape(hc_ctx *ctx, npy_lex *l, npy_header *h) {
    if (!lex_eat(l, '(')) return hdr_fail(ctx, l, "shape is not a tuple");
    h->rank = 0;
    if (lex_eat(l, ')')) return HC_OK;
    for (;;) {
        int64_t d;
        if (!lex_int(l, &d)) return hdr_fail(ctx, l, "shape entry is not a non-negative integer");
        if (h->rank == HC_NPY_MAX_RANK)
            return hc_fail(ctx, HC_LIMIT, NULL, ".npy array has more than %d dims",
                           HC_NPY_MAX_RANK);
        h->dims[h->rank++] = d;
        bool comma = lex_eat(l, ',');
        if (lex_eat(l, ')')) {
            if (h->rank == 1 && !comma) return hdr_fail(ctx, l, "shape (n) is not a tuple");
            return HC_OK;
        }
        if (!comma) return hdr_fail(ctx, l, "expected ',' or ')' in shape");
    }
}

static hc_status parse_value(hc_ctx *ctx, npy_lex *l, hc_span key, npy_header *h) {
    unsigned bit = hc_span_eq_str(key, "descr")           ? 1u
                   : hc_span_eq_str(key, "fortran_order") ? 2u
                   : hc_span_eq_str(key, "shape")         ? 4u
                                                          : 0u;
    if (!bit) return hdr_fail(ctx, l, "unknown key (expected descr, fortran_order, shape)");
    if (h->seen & bit) return hdr_fail(ctx, l, "duplicate key");
    h->seen |= bit;
    if (bit == 1) {
        lex_ws(l);
        if (l->p < l->end && *l->p == '[') {
            h->descr_list = true; /* structured dtype: rejected after parsing */
            return HC_OK;
        }
        return lex_str(l, &h->descr) ? HC_OK : hdr_fail(ctx, l, "descr is not a string");
    }
    if (bit == 2) {
        if (lex_word(l, "True"))
            h->fortran = true;
        else if (lex_word(l, "False"))
            h->fortran = false;
        else
            return hdr_fail(ctx, l, "fortran_order is not True or False");
        return HC_OK;
    }
    return parse_shape(ctx, l, h);
}

static hc_status parse_dict(hc_ctx *ctx, hc_span text, npy_header *h) {
    npy_lex l = {(const char *)text.p, (const char *)text.p, (const char *)text.p + text.n};
    memset(h, 0, sizeof *h);
    if (!lex_eat(&l, '{')) return hdr_fail(ctx, &l, "header is not a dict");
    while (!lex_eat(&l, '}')) {
        hc_span key;
        if (!lex_str(&l, &key)) return hdr_fail(ctx, &l, "expected a quoted key or '}'");
        if (!lex_eat(&l, ':')) return hdr_fail(ctx, &l, "expected ':' after key");
        hc_status s = parse_value(ctx, &l, key, h);
        if (s || h->descr_list) return s;
        if (!lex_eat(&l, ',')) {
            if (!lex_eat(&l, '}')) return hdr_fail(ctx, &l, "expected ',' or '}'");
            break;
        }
    }
    lex_ws(&l);
    if (l.p != l.end) return hdr_fail(ctx, &l, "text after the dict");
    if (h->seen != 7) return hdr_fail(ctx, &l, "missing key (need descr, fortran_order, shape)");
    return HC_OK;
}

static bool in_set(uint8_t c, const char *set) {
    return c && strchr(set, c); /* strchr would match the terminator for c == 0 */
}

/* descr -> dtype; single-byte types carry no byte order, so any order mark is fine. */
static hc_status map_descr(hc_ctx *ctx, const npy_header *h, hc_dtype *dt) {
    if (h->descr_list) return hc_fail(ctx, HC_UNSUPPORTED, NULL, "structured .npy dtype");
    hc_span d = h->descr;
    if (h->fortran)
        return hc_fail(ctx, HC_UNSUPPORTED, NULL,
                       "Fortran-order .npy arrays are not supported (save a C-order copy)");
    if (d.n == 3 && d.p[2] == '1' && in_set(d.p[0], "<>|=")) {
        char c[4] = {'|', (char)d.p[1], '1', 0};
        for (size_t i = 0; i < HC_COUNT(NPY_TYPES); i++)
            if (!strcmp(NPY_TYPES[i].descr, c)) return (*dt = NPY_TYPES[i].dt), HC_OK;
    }
    for (size_t i = 0; i < HC_COUNT(NPY_TYPES); i++)
        if (hc_span_eq_str(d, NPY_TYPES[i].descr)) return (*dt = NPY_TYPES[i].dt), HC_OK;
    if (d.n >= 2 && d.p[0] == '>')
        return hc_fail(ctx, HC_UNSUPPORTED, NULL, "big-endian .npy dtype '" HC_SPAN_FMT "'",
                       HC_SPAN_ARG(d));
    if (d.n >= 2 && d.n <= 16 && in_set(d.p[0], "<>|=") && in_set(d.p[1], "biufcmMOSUVa?"))
        return hc_fail(ctx, HC_UNSUPPORTED, NULL, ".npy dtype '" HC_SPAN_FMT "' is not supported",
                       HC_SPAN_ARG(d));
    return hc_fail(ctx, HC_MALFORMED, NULL, "bad .npy descr '%.*s'", (int)HC_MIN(d.n, 32),
                   (const char *)d.p);
}

/* ---- reading -------------------------------------------------------------------------- */

/* Magic, version and header length; *text is the header, *data_off where the data starts. */
static hc_status parse_preamble(hc_ctx *ctx, hc_span b, hc_span *text, size_t *data_off) {
    if (b.n < 10 || memcmp(b.p, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return hc_fail(ctx, HC_MALFORMED, NULL,
                       "not a .npy file (bad magic or shorter than 10 "
                       "bytes)");
    unsigned major = b.p[6], minor = b.p[7];
    if (major < 1 || major > 3 || minor != 0)
        return hc_fail(ctx, HC_UNSUPPORTED, NULL, ".npy format version %u.%u is not supported",
                       major, minor);
    size_t off = major == 1 ? 10 : 12, hlen;
    if (b.n < off) return hc_fail(ctx, HC_MALFORMED, NULL, "truncated .npy preamble");
    if (major == 1)
        hlen = hc_ld_u16(b.p + 8);
    else
        hlen = (size_t)(uint32_t)hc_ld_i32(b.p + 8);
    if (hlen > b.n - off)
        return hc_fail(ctx, HC_MALFORMED, NULL,
                       "truncated .npy header (%zu bytes declared, %zu present)", hlen, b.n - off);
    *text = hc_span_of(b.p + off, hlen);
    *data_off = off + hlen;
    return HC_OK;
}

static hc_status check_size(hc_ctx *ctx, const hc_npy *a, size_t have) {
    size_t count, need;
    if (!hc_npy_count(a->rank, a->dims, &count) ||
        !hc_mul_size(count, hc_dtype_size(a->dtype), &need))
        return hc_fail(ctx, HC_MALFORMED, NULL, ".npy shape's byte size overflows");
    if (have < need)
        return hc_fail(ctx, HC_MALFORMED, NULL,
                       "truncated .npy data: %zu bytes present, shape needs %zu", have, need);
    if (have > need)
        return hc_fail(ctx, HC_MALFORMED, NULL, ".npy has %zu bytes after the data", have - need);
    return HC_OK;
}

hc_status hc_npy_parse(hc_ctx *ctx, hc_span bytes, hc_npy *out, bool copy) {
    memset(out, 0, sizeof *out);
    hc_span text = {0};
    size_t off = 0;
    npy_header h;
    hc_npy a = {0};
    hc_status s = parse_preamble(ctx, bytes, &text, &off);
    if (!s) s = parse_dict(ctx, text, &h);
    if (!s) s = map_descr(ctx, &h, &a.dtype);
    if (s) return s;
    a.rank = h.rank;
    memcpy(a.dims, h.dims, sizeof a.dims);
    s = check_size(ctx, &a, bytes.n - off);
    if (s) return s;
    a.nbytes = bytes.n - off;
    a.data = (void *)(uintptr_t)(bytes.p + off); /* a borrowed view; const is the caller's */
    if (copy) {
        void *p = hc_alloc(ctx, a.nbytes ? a.nbytes : 1);
        if (!p) return HC_NOMEM;
        if (a.nbytes) memcpy(p, bytes.p + off, a.nbytes);
        a.data = p;
        a.owned = true;
    }
    *out = a;
    return HC_OK;
}

hc_status hc_npy_read(hc_ctx *ctx, const char *path, hc_npy *out) {
    memset(out, 0, sizeof *out);
    const char *saved = ctx->file;
    ctx->file = path;
    hc_map m;
    hc_status s = hc_map_file(ctx, path, &m);
    if (!s) {
        s = hc_npy_parse(ctx, hc_span_of(m.p, m.n), out, true);
        hc_map_release(ctx, &m);
    }
    ctx->file = saved;
    return s;
}

void hc_npy_fini(hc_ctx *ctx, hc_npy *a) {
    if (!a) return;
    if (a->owned) hc_dealloc(ctx, a->data);
    memset(a, 0, sizeof *a);
}

/* ---- writing -------------------------------------------------------------------------- */

/* The dict exactly as numpy formats it: sorted keys, repr() values, ", " after each. */
static size_t format_dict(char *s, size_t cap, const char *descr, int rank, const int64_t *dims) {
    size_t n =
        (size_t)snprintf(s, cap, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(s + n, cap - n, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (n < cap) n += (size_t)snprintf(s + n, cap - n, "%s), }", rank == 1 ? "," : "");
    if (rank > 0 && n < cap) {
        int digits = snprintf(NULL, 0, "%lld", (long long)dims[0]);
        for (int i = digits; i < NPY_GROWTH_DIGITS && n + 1 < cap; i++)
            s[n++] = ' ';
        s[n] = 0;
    }
    return n;
}

hc_status hc_npy_encode(hc_ctx *ctx, hc_dtype dt, int rank, const int64_t *dims, const void *data,
                        hc_buf *out) {
    const char *descr = hc_npy_descr(dt);
    if (!descr)
        return hc_fail(ctx, HC_INVALID, NULL, "dtype %s cannot be written to .npy",
                       hc_dtype_name(dt));
    if (rank < 0 || rank > HC_NPY_MAX_RANK || (rank > 0 && !dims))
        return hc_fail(ctx, HC_INVALID, NULL, "bad rank %d for .npy (0..%d)", rank,
                       HC_NPY_MAX_RANK);
    size_t count, nbytes;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0) return hc_fail(ctx, HC_INVALID, NULL, "negative dim %d", i);
    if (!hc_npy_count(rank, dims, &count) || !hc_mul_size(count, hc_dtype_size(dt), &nbytes))
        return hc_fail(ctx, HC_LIMIT, NULL, ".npy data size overflows");
    if (nbytes && !data) return hc_fail(ctx, HC_INVALID, NULL, "no data for a non-empty array");
    char head[512];
    size_t hlen = format_dict(head, sizeof head, descr, rank, dims) + 1; /* + '\n' */
    size_t pad = NPY_ALIGN - (NPY_MAGIC_LEN + 4 + hlen) % NPY_ALIGN;
    uint16_t total = (uint16_t)(hlen + pad); /* < 600: fits version 1.0's u16 */
    uint8_t pre[10] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)(total & 0xff), (uint8_t)(total >> 8)};
    if (!hc_buf_reserve(out, sizeof pre + total + nbytes)) return HC_NOMEM;
    hc_buf_put(out, pre, sizeof pre);
    hc_buf_put(out, head, hlen - 1);
    for (size_t i = 0; i < pad; i++)
        hc_buf_putc(out, ' ');
    hc_buf_putc(out, '\n');
    if (nbytes) hc_buf_put(out, data, nbytes);
    return out->failed ? HC_NOMEM : HC_OK;
}

hc_status hc_npy_write(hc_ctx *ctx, const char *path, hc_dtype dt, int rank, const int64_t *dims,
                       const void *data) {
    hc_buf b;
    hc_buf_init(&b, ctx);
    hc_status s = hc_npy_encode(ctx, dt, rank, dims, data, &b);
    if (!s) s = hc_write_atomic(ctx, path, b.p, b.n, 0, 0);
    hc_buf_fini(&b);
    return s;
}
