/* wire.c - protobuf wire reader and writer. */
#include "pb/wire.h"

bool hc_pb_varint_slow(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
    const uint8_t *p = *pp;
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p >= end) return false;
        uint8_t c = *p++;
        if (shift == 63 && (c & 0x7e)) return false; /* more than 64 bits */
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            *pp = p;
            return true;
        }
    }
    return false;
}

static hc_status bad(hc_ctx *ctx, const hc_pb *r, const uint8_t *at, const char *what) {
    return hc_fail(ctx, HC_MALFORMED, NULL, "%s at byte %zu", what, (size_t)(at - r->base));
}

static hc_status skip_group(hc_ctx *ctx, hc_pb *r, uint32_t num, int depth) {
    if (depth > HC_PB_MAX_DEPTH) return bad(ctx, r, r->p, "groups nested too deeply");
    for (;;) {
        const uint8_t *start = r->p;
        uint64_t key;
        if (!hc_pb_varint(&r->p, r->end, &key)) return bad(ctx, r, start, "unterminated group");
        uint32_t wt = (uint32_t)(key & 7), fn = (uint32_t)(key >> 3);
        uint64_t v;
        switch (wt) {
        case HC_WT_VARINT:
            if (!hc_pb_varint(&r->p, r->end, &v)) return bad(ctx, r, start, "truncated varint");
            break;
        case HC_WT_I64:
        case HC_WT_I32: {
            size_t w = wt == HC_WT_I64 ? 8 : 4;
            if ((size_t)(r->end - r->p) < w) return bad(ctx, r, start, "truncated fixed field");
            r->p += w;
            break;
        }
        case HC_WT_LEN:
            if (!hc_pb_varint(&r->p, r->end, &v) || v > (uint64_t)(r->end - r->p))
                return bad(ctx, r, start, "length past the end");
            r->p += v;
            break;
        case HC_WT_SGROUP: {
            hc_status s = skip_group(ctx, r, fn, depth + 1);
            if (s) return s;
            break;
        }
        case HC_WT_EGROUP:
            if (fn != num) return bad(ctx, r, start, "mismatched end of group");
            return HC_OK;
        default:
            return bad(ctx, r, start, "invalid wire type");
        }
    }
}

hc_status hc_pb_next(hc_ctx *ctx, hc_pb *r, hc_pb_field *f, bool *got) {
    *got = false;
    if (r->p >= r->end) return HC_OK;
    const uint8_t *start = r->p;
    uint64_t key;
    if (!hc_pb_varint(&r->p, r->end, &key)) return bad(ctx, r, start, "truncated field tag");
    if ((key >> 3) == 0 || (key >> 3) > 536870911u)
        return bad(ctx, r, start, "invalid field number");
    f->num = (uint32_t)(key >> 3);
    f->wt = (uint32_t)(key & 7);
    f->v = 0;
    f->s = hc_span_of(NULL, 0);
    switch (f->wt) {
    case HC_WT_VARINT:
        if (!hc_pb_varint(&r->p, r->end, &f->v)) return bad(ctx, r, start, "truncated varint");
        break;
    case HC_WT_I64:
        if (r->end - r->p < 8) return bad(ctx, r, start, "truncated 64-bit field");
        memcpy(&f->v, r->p, 8);
        r->p += 8;
        break;
    case HC_WT_I32: {
        if (r->end - r->p < 4) return bad(ctx, r, start, "truncated 32-bit field");
        uint32_t w;
        memcpy(&w, r->p, 4);
        f->v = w;
        r->p += 4;
        break;
    }
    case HC_WT_LEN: {
        uint64_t n;
        if (!hc_pb_varint(&r->p, r->end, &n)) return bad(ctx, r, start, "truncated length");
        if (n > (uint64_t)(r->end - r->p))
            return bad(ctx, r, start, "length runs past the end of its message");
        f->s = hc_span_of(r->p, (size_t)n);
        r->p += n;
        break;
    }
    case HC_WT_SGROUP: {
        const uint8_t *body = r->p;
        hc_status s = skip_group(ctx, r, f->num, 1);
        if (s) return s;
        f->s = hc_span_of(body, (size_t)(r->p - body));
        break;
    }
    default:
        return bad(ctx, r, start, "invalid wire type");
    }
    f->raw = hc_span_of(start, (size_t)(r->p - start));
    *got = true;
    return HC_OK;
}

bool hc_pb_packed_count(hc_span s, uint32_t wt, size_t *count) {
    if (wt == HC_WT_I32 || wt == HC_WT_I64) {
        size_t w = wt == HC_WT_I32 ? 4 : 8;
        if (s.n % w) return false;
        *count = s.n / w;
        return true;
    }
    /* varints: every byte without the continuation bit ends one value */
    size_t c = 0;
    for (size_t i = 0; i < s.n; i++)
        c += !(s.p[i] & 0x80);
    if (s.n && (s.p[s.n - 1] & 0x80)) return false;
    *count = c;
    return true;
}

size_t hc_pbw_varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void hc_pbw_varint(hc_buf *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    hc_buf_put(b, tmp, n);
}

void hc_pbw_tag(hc_buf *b, uint32_t num, uint32_t wt) {
    hc_pbw_varint(b, ((uint64_t)num << 3) | wt);
}

void hc_pbw_bytes(hc_buf *b, uint32_t num, const void *p, size_t n) {
    hc_pbw_tag(b, num, HC_WT_LEN);
    hc_pbw_varint(b, n);
    hc_buf_put(b, p, n);
}

void hc_pbw_span(hc_buf *b, uint32_t num, hc_span s) {
    hc_pbw_bytes(b, num, s.p, s.n);
}

void hc_pbw_str(hc_buf *b, uint32_t num, const char *s) {
    hc_pbw_bytes(b, num, s, strlen(s));
}

void hc_pbw_uint(hc_buf *b, uint32_t num, uint64_t v) {
    hc_pbw_tag(b, num, HC_WT_VARINT);
    hc_pbw_varint(b, v);
}

void hc_pbw_sint64(hc_buf *b, uint32_t num, int64_t v) {
    hc_pbw_uint(b, num, (uint64_t)v);
}

void hc_pbw_fixed32(hc_buf *b, uint32_t num, uint32_t v) {
    hc_pbw_tag(b, num, HC_WT_I32);
    hc_buf_put(b, &v, 4);
}

void hc_pbw_float(hc_buf *b, uint32_t num, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    hc_pbw_fixed32(b, num, u);
}

void hc_pbw_message(hc_buf *b, uint32_t num, hc_pbw_fn fn, const void *arg) {
    hc_buf m = {.ctx = b->ctx, .measure = true};
    fn(&m, arg);
    hc_pbw_tag(b, num, HC_WT_LEN);
    hc_pbw_varint(b, m.n);
    fn(b, arg);
}
