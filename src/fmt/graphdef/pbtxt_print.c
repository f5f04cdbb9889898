/* pbtxt_print.c - binary GraphDef to protobuf text format, as TensorFlow's DebugString
 * writes it: fields in wire order, two spaces of indent per level, C-escaped strings (octal
 * for other non-printable bytes), the shortest float that reads back the same, enum names.
 *
 * A field is printed by name only where reading the text back (pbtxt.c) gives the very
 * same bytes; otherwise by number, as pbtxt.c describes. That is what makes text -> wire ->
 * text -> wire a fixed point and canonical binaries come back byte for byte. */
#include "fmt/graphdef/graphdef.h"
#include "fmt/graphdef/schema.h"
#include "pb/wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_DEPTH HC_PB_MAX_DEPTH

typedef struct wx {
    hc_ctx *ctx;
    hc_buf *out;
    const uint8_t *base;
} wx;

/* A varint; with `shortest`, only in its shortest encoding (the one the parser writes). */
static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v, bool shortest) {
    const uint8_t *start = *p;
    if (!hc_pb_varint(p, end, v)) return false;
    return !shortest || (size_t)(*p - start) == hc_pbw_varint_size(*v);
}

/* true when s is a sequence of whole fields of wire types 0, 1, 2 or 5 (with `shortest`,
 * every tag, length and varint in its shortest encoding too). *bad gets the offset of the
 * first field that is not, and *why what is wrong with it. */
static bool frame_check(hc_span s, bool shortest, size_t *bad, const char **why) {
    const uint8_t *p = s.p, *end = s.p + s.n;
    while (p < end) {
        uint64_t key, v;
        *bad = (size_t)(p - s.p);
        *why = "truncated field tag";
        if (!get_varint(&p, end, &key, shortest)) return false;
        *why = "invalid field number";
        if ((key >> 3) == 0 || (key >> 3) > HC_SCHEMA_MAX_FIELD_NUM) return false;
        *why = "truncated value";
        switch (key & 7) {
        case HC_WT_VARINT:
            if (!get_varint(&p, end, &v, shortest)) return false;
            break;
        case HC_WT_I64:
        case HC_WT_I32: {
            size_t w = (key & 7) == HC_WT_I64 ? 8 : 4;
            if ((size_t)(end - p) < w) return false;
            p += w;
            break;
        }
        case HC_WT_LEN:
            *why = "length runs past the end of its message";
            if (!get_varint(&p, end, &v, shortest) || v > (uint64_t)(end - p)) return false;
            p += v;
            break;
        default:
            *why =
                (key & 7) == 3 || (key & 7) == 4 ? "groups are not supported" : "invalid wire type";
            return false;
        }
    }
    return true;
}

/* A sub-message prints by name when the text reads back to the same bytes: whole fields,
 * shortest encodings (its own sub-messages are judged when they are printed). */
static bool frame_ok(hc_span s) {
    size_t bad;
    const char *why;
    return frame_check(s, true, &bad, &why);
}

/* Is v, as read from the wire, exactly what the text of this kind writes back? */
static bool value_ok(uint8_t kind, uint64_t v) {
    switch (kind) {
    case HC_SK_INT32:
    case HC_SK_ENUM:
        return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX;
    case HC_SK_UINT32:
        return v <= UINT32_MAX;
    case HC_SK_BOOL:
        return v <= 1;
    case HC_SK_FLOAT:
        return (v & 0x7f800000u) != 0x7f800000u || !(v & 0x7fffffu) ||
               (v & 0x7fffffffu) == HC_SCHEMA_NAN32;
    case HC_SK_DOUBLE: {
        const uint64_t exp = 0x7ffull << 52, frac = (1ull << 52) - 1;
        return (v & exp) != exp || !(v & frac) || (v & ~(1ull << 63)) == HC_SCHEMA_NAN64;
    }
    default:
        return true;
    }
}

/* A packed run that prints as values and reads back to the same bytes: not empty, whole
 * values, shortest varints, every value printable. */
static bool packed_ok(uint8_t kind, hc_span s) {
    uint32_t wt = hc_schema_kind_wt[kind];
    if (!s.n) return false;
    if (wt != HC_WT_VARINT) {
        size_t w = wt == HC_WT_I32 ? 4 : 8;
        if (s.n % w) return false;
        for (size_t i = 0; i < s.n; i += w) {
            uint64_t v = 0;
            memcpy(&v, s.p + i, w);
            if (!value_ok(kind, v)) return false;
        }
        return true;
    }
    for (const uint8_t *p = s.p, *end = s.p + s.n; p < end;) {
        uint64_t v;
        if (!get_varint(&p, end, &v, true) || !value_ok(kind, v)) return false;
    }
    return true;
}

static void put_indent(hc_buf *b, int depth) {
    static const char SPACES[] = "                                                                "
                                 "                                                                ";
    hc_buf_put(b, SPACES, (size_t)HC_MIN(depth, MAX_DEPTH) * 2);
}

/* Escaping by table, so that the loop has no data-dependent branch (weights are random
 * bytes): ESC_CODE holds up to 4 output bytes (little-endian) and ESC_LEN how many count.
 * C escapes for \n \r \t \" \' \\, three-digit octal for other non-printable bytes, as
 * TensorFlow prints them. */
#define ESC_PLAIN(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\'' && (c) != '\\')
#define ESC_SHORT(c)                                                                               \
    ((c) == '\n' || (c) == '\r' || (c) == '\t' || (c) == '"' || (c) == '\'' || (c) == '\\')
#define ESC_LETTER(c) ((c) == '\n' ? 'n' : (c) == '\r' ? 'r' : (c) == '\t' ? 't' : (c))
#define ESC_OCTAL(c)                                                                               \
    ('\\' | (uint32_t)('0' + ((c) >> 6)) << 8 | (uint32_t)('0' + (((c) >> 3) & 7)) << 16 |         \
     (uint32_t)('0' + ((c)&7)) << 24)
#define ESC_CODE(c)                                                                                \
    (ESC_PLAIN(c)   ? (uint32_t)(c)                                                                \
     : ESC_SHORT(c) ? ('\\' | (uint32_t)ESC_LETTER(c) << 8)                                        \
                    : ESC_OCTAL(c)),
#define ESC_LEN(c) (ESC_PLAIN(c) ? 1 : ESC_SHORT(c) ? 2 : 4),
#define X4(m, c)   m(c) m((c) + 1) m((c) + 2) m((c) + 3)
#define X16(m, c)  X4(m, c) X4(m, (c) + 4) X4(m, (c) + 8) X4(m, (c) + 12)
#define X64(m, c)  X16(m, c) X16(m, (c) + 16) X16(m, (c) + 32) X16(m, (c) + 48)
#define X256(m)    X64(m, 0) X64(m, 64) X64(m, 128) X64(m, 192)

static const uint32_t ESC_CODES[256] = {X256(ESC_CODE)};
static const uint8_t ESC_LENS[256] = {X256(ESC_LEN)};

static void put_escaped(hc_buf *b, hc_span s) {
    size_t cap;
    if (!hc_mul_size(s.n, 4, &cap) || !hc_add_size(cap, 2, &cap)) {
        hc_fail(b->ctx, HC_LIMIT, NULL, "string too long to print");
        b->failed = true;
        return;
    }
    if (!hc_buf_reserve(b, cap)) return;
    uint8_t *o = b->p + b->n;
    *o++ = '"';
    for (size_t i = 0; i < s.n; i++) {
        memcpy(o, &ESC_CODES[s.p[i]], 4); /* 4 bytes reserved per input byte */
        o += ESC_LENS[s.p[i]];
    }
    *o++ = '"';
    b->n = (size_t)(o - b->p);
}

/* The shortest %g that reads back to the same bits. */
static void put_real(hc_buf *b, uint64_t bits, bool dbl) {
    double d;
    float f = 0;
    uint32_t w = (uint32_t)bits;
    memcpy(&f, &w, 4);
    if (dbl)
        memcpy(&d, &bits, 8);
    else
        d = f;
    if (isnan(d) || isinf(d)) {
        hc_buf_puts(b, signbit(d) ? "-" : "");
        hc_buf_puts(b, isnan(d) ? "nan" : "inf");
        return;
    }
    char tmp[40];
    for (int prec = dbl ? 15 : 6; prec <= (dbl ? 17 : 9); prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (dbl) {
            double r = strtod(tmp, NULL);
            if (!memcmp(&r, &d, 8)) break;
        } else {
            float r = strtof(tmp, NULL);
            if (!memcmp(&r, &f, 4)) break;
        }
    }
    hc_buf_puts(b, tmp);
}

static void put_value_text(hc_buf *b, const hc_schema_field *fd, uint64_t v) {
    switch (fd->kind) {
    case HC_SK_INT32:
    case HC_SK_INT64:
        hc_buf_printf(b, "%lld", (long long)(int64_t)v);
        break;
    case HC_SK_BOOL:
        hc_buf_puts(b, v ? "true" : "false");
        break;
    case HC_SK_ENUM: {
        const char *n = hc_schema_enum_name(fd->ref, (int32_t)(int64_t)v);
        if (n)
            hc_buf_puts(b, n);
        else
            hc_buf_printf(b, "%d", (int32_t)(int64_t)v);
        break;
    }
    case HC_SK_FLOAT:
    case HC_SK_DOUBLE:
        put_real(b, v, fd->kind == HC_SK_DOUBLE);
        break;
    default:
        hc_buf_printf(b, "%llu", (unsigned long long)v);
        break;
    }
}

static void put_line_start(hc_buf *b, int depth, const char *name) {
    put_indent(b, depth);
    hc_buf_puts(b, name);
    hc_buf_puts(b, ": ");
}

static void print_raw(wx *w, const hc_pb_field *f, int depth) {
    hc_buf *b = w->out;
    put_indent(b, depth);
    hc_buf_printf(b, "%u: ", f->num);
    if (f->wt == HC_WT_VARINT)
        hc_buf_printf(b, "%llu", (unsigned long long)f->v);
    else if (f->wt == HC_WT_I32)
        hc_buf_printf(b, "0x%08x", (unsigned)f->v);
    else if (f->wt == HC_WT_I64)
        hc_buf_printf(b, "0x%016llx", (unsigned long long)f->v);
    else
        put_escaped(b, f->s);
    hc_buf_putc(b, '\n');
}

static void print_packed(wx *w, const hc_schema_field *fd, hc_span s, int depth) {
    uint32_t wt = hc_schema_kind_wt[fd->kind];
    for (const uint8_t *p = s.p, *end = s.p + s.n; p < end && !w->out->failed;) {
        uint64_t v = 0;
        if (wt == HC_WT_VARINT) {
            if (!hc_pb_varint(&p, end, &v)) break; /* checked by packed_ok */
        } else {
            size_t n = wt == HC_WT_I32 ? 4 : 8;
            memcpy(&v, p, n);
            p += n;
        }
        put_line_start(w->out, depth, fd->name);
        put_value_text(w->out, fd, v);
        hc_buf_putc(w->out, '\n');
    }
}

enum { AS_RAW, AS_SCALAR, AS_PACKED, AS_STRING, AS_MESSAGE };

/* How to print field f (see the file comment: by name only when that reads back the same). */
static int classify(const hc_schema_field *fd, const hc_pb_field *f, int depth,
                    uint32_t last_packed) {
    if (!fd) return AS_RAW;
    uint32_t wt = hc_schema_kind_wt[fd->kind];
    if (fd->kind == HC_SK_MESSAGE)
        return f->wt == HC_WT_LEN && depth < MAX_DEPTH && frame_ok(f->s) ? AS_MESSAGE : AS_RAW;
    if (wt == HC_WT_LEN) return f->wt == HC_WT_LEN ? AS_STRING : AS_RAW;
    if (fd->repeated)
        return f->wt == HC_WT_LEN && f->num != last_packed && packed_ok(fd->kind, f->s) ? AS_PACKED
                                                                                        : AS_RAW;
    return f->wt == wt && value_ok(fd->kind, f->v) ? AS_SCALAR : AS_RAW;
}

static hc_status print_message(wx *w, hc_span s, const hc_schema_msg *m, int depth) {
    hc_pb r = hc_pb_of(s, w->base);
    uint32_t last_packed = 0;
    for (;;) {
        hc_pb_field f;
        bool got;
        hc_status st = hc_pb_next(w->ctx, &r, &f, &got);
        if (st || !got) return st;
        const hc_schema_field *fd = hc_schema_field_by_num(m, f.num);
        int how = classify(fd, &f, depth, last_packed);
        last_packed = how == AS_PACKED ? f.num : 0;
        hc_buf *b = w->out;
        switch (how) {
        case AS_MESSAGE:
            put_indent(b, depth);
            hc_buf_puts(b, fd->name);
            hc_buf_puts(b, " {\n");
            if ((st = print_message(w, f.s, &hc_schema_msgs[fd->ref], depth + 1))) return st;
            put_indent(b, depth);
            hc_buf_puts(b, "}\n");
            break;
        case AS_STRING:
            put_line_start(b, depth, fd->name);
            put_escaped(b, f.s);
            hc_buf_putc(b, '\n');
            break;
        case AS_SCALAR:
            put_line_start(b, depth, fd->name);
            put_value_text(b, fd, f.v);
            hc_buf_putc(b, '\n');
            break;
        case AS_PACKED:
            print_packed(w, fd, f.s, depth);
            break;
        default:
            print_raw(w, &f, depth);
            break;
        }
        if (b->failed) return w->ctx->status ? w->ctx->status : HC_NOMEM;
    }
}

hc_status hc_wire_to_pbtxt(hc_ctx *ctx, hc_span wire, hc_buf *out) {
    size_t n0 = out->n, bad;
    const char *why;
    if (!frame_check(wire, false, &bad, &why))
        return hc_fail(ctx, HC_MALFORMED, NULL, "GraphDef: %s at byte %zu", why, bad);
    wx w = {ctx, out, wire.p};
    /* Weights dominate and print at about 3 characters a byte: size the buffer once instead
     * of doubling it (each doubling copies, and touches fresh pages). */
    size_t guess;
    if (hc_mul_size(wire.n, 3, &guess) && hc_add_size(guess, 4096, &guess) &&
        !hc_buf_reserve(out, guess))
        return ctx->status ? ctx->status : HC_NOMEM;
    hc_status st = print_message(&w, wire, &hc_schema_msgs[HC_SM_GRAPH_DEF], 0);
    if (!st && out->failed) st = ctx->status ? ctx->status : HC_NOMEM;
    if (st) out->n = n0; /* nothing half-written */
    return st;
}
