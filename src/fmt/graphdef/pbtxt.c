/* pbtxt.c - protobuf text format (.pbtxt) for GraphDef: text to binary wire bytes, driven by
 * the schema table (schema.c), and telling text from binary by content. The way back, binary
 * to text, is pbtxt_print.c.
 *
 * Text to wire writes a "flat" stream: every output byte except the length prefixes of LEN
 * fields (messages, strings, packed runs). Opening a LEN field records a slot (where its
 * prefix goes); closing it fills in the length, which is known by then. A last pass
 * interleaves flat bytes and prefixes. Nothing is moved or read twice, so the time is
 * linear however deep the nesting, and a 12 MB tensor_content costs two copies.
 *
 * Text is read as protobuf's text format: # comments, `name: value`, `name { ... }`,
 * `name: { ... }`, `name < ... >`, lists `name: [1, 2]` and `name [{...}, {...}]`, optional
 * ',' or ';' after a field, enums by name or number, strings in '' or "" with C escapes
 * (and \u, \U) and adjacent literals concatenated, integers in decimal, 0x hex or 0 octal
 * (range-checked per type), floats with an optional f suffix, inf, infinity and nan.
 *
 * The printer writes fields by name only where reading the text back gives the very same
 * bytes. Everything else - unknown numbers, wrong wire types, values out of
 * range for their type, a packed run right after another of the same field (they would
 * merge), unpacked or empty packed fields, NaNs with a payload, sub-messages that do not
 * parse or nest deeper than 64 - is printed by number, and read back by number:
 *     N: 123                  varint (a minus sign gives the 64-bit two's complement)
 *     N: 0x0000000a           fixed32: a hex literal of exactly 8 digits
 *     N: 0x000000000000000a   fixed64: a hex literal of exactly 16 digits
 *     N: "bytes"              length-delimited
 *     N { 1: 2 }              a length-delimited message without schema (read only)
 * So text -> wire -> text -> wire is a fixed point, and a canonical binary (which is what
 * TensorFlow writes) comes back byte for byte. Groups (wire types 3, 4) are rejected.
 * Floats are printed and read with the C library (the "C" locale is assumed). */
#include "fmt/graphdef/graphdef.h"
#include "fmt/graphdef/schema.h"
#include "pb/wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_DEPTH    HC_PB_MAX_DEPTH
#define SNIFF_WINDOW 4096

static bool is_space(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
static bool is_digit(int c) {
    return c >= '0' && c <= '9';
}
static bool is_alpha(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int hex_value(int c) {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool span_ieq(hc_span s, const char *lower) {
    size_t n = strlen(lower);
    if (s.n != n) return false;
    for (size_t i = 0; i < n; i++) {
        int c = s.p[i];
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        if (c != lower[i]) return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Text to wire */

typedef struct slot {
    size_t pos;   /* where the length prefix goes, as an offset in the flat stream */
    uint64_t len; /* the field's length, set when it closes */
} slot;

/* An open LEN field: a message being read, a string, or a run of packed values. */
typedef struct open_len {
    size_t slot;    /* its slot */
    size_t start;   /* flat offset of its first byte */
    uint64_t extra; /* prefix bytes of the LEN fields closed inside it */
} open_len;

/* A message being read. */
typedef struct frame {
    open_len len;        /* the message itself (only .extra is used at the top) */
    uint32_t packed_num; /* field number of the open packed run, 0 when none */
    open_len packed;
} frame;

typedef struct tx {
    hc_ctx *ctx;
    const uint8_t *text, *p, *end;
    hc_buf flat;
    slot *slots;
    size_t n_slots, cap_slots;
} tx;

static hc_status perr(tx *t, const uint8_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report a syntax error at `at` with its line and column (counted only now, so the
 * scanning loops stay free of bookkeeping). */
static hc_status perr(tx *t, const uint8_t *at, const char *fmt, ...) {
    size_t line = 1;
    const uint8_t *bol = t->text;
    for (const uint8_t *q = t->text; q < at; q++)
        if (*q == '\n') {
            line++;
            bol = q + 1;
        }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hc_fail(t->ctx, HC_MALFORMED, NULL, "line %zu column %zu: %s", line,
                   (size_t)(at - bol) + 1, msg);
}

/* What is at p, for messages: "'x'", "byte 0x01" or "the end of the text". */
static const char *found(const tx *t, char buf[16]) {
    if (t->p >= t->end) return "the end of the text";
    uint8_t c = *t->p;
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static int peek(const tx *t) {
    return t->p < t->end ? *t->p : -1;
}

/* Skip whitespace and # comments. */
static void skip_ws(tx *t) {
    while (t->p < t->end) {
        if (is_space(*t->p)) {
            t->p++;
        } else if (*t->p == '#') {
            const uint8_t *nl = memchr(t->p, '\n', (size_t)(t->end - t->p));
            t->p = nl ? nl + 1 : t->end;
        } else {
            break;
        }
    }
}

static hc_span take_ident(tx *t) {
    const uint8_t *s = t->p;
    if (t->p < t->end && is_alpha(*t->p))
        while (t->p < t->end && (is_alpha(*t->p) || is_digit(*t->p)))
            t->p++;
    return hc_span_of(s, (size_t)(t->p - s));
}

/* A number token: digits, letters, '_' and '.', and a sign right after the exponent 'e' of
 * a decimal. Its meaning is decided by the reader of the value. */
static hc_span take_number(tx *t) {
    const uint8_t *s = t->p;
    if (t->p >= t->end ||
        !(is_digit(*t->p) || (*t->p == '.' && t->end - t->p > 1 && is_digit(t->p[1]))))
        return hc_span_of(s, 0);
    bool hex = t->end - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    while (t->p < t->end) {
        uint8_t c = *t->p;
        bool sign = (c == '+' || c == '-') && !hex && (t->p[-1] == 'e' || t->p[-1] == 'E');
        if (!(is_alpha(c) || is_digit(c) || c == '.' || sign)) break;
        t->p++;
    }
    return hc_span_of(s, (size_t)(t->p - s));
}

/* Integer literal: decimal, 0x hex or 0 octal. Returns 0, 1 (not an integer) or 2 (too
 * big for 64 bits). *hex_digits counts the digits of a hex literal (0 otherwise). */
static int parse_uint(hc_span tok, uint64_t *v, size_t *hex_digits) {
    unsigned base = 10;
    size_t i = 0;
    *v = 0;
    *hex_digits = 0;
    if (tok.n > 2 && tok.p[0] == '0' && (tok.p[1] == 'x' || tok.p[1] == 'X')) {
        base = 16;
        i = 2;
        *hex_digits = tok.n - 2;
    } else if (tok.n > 1 && tok.p[0] == '0') {
        base = 8;
        i = 1;
    }
    if (i >= tok.n) return 1;
    for (; i < tok.n; i++) {
        int d = hex_value(tok.p[i]);
        if (d < 0 || (unsigned)d >= base) return 1;
        if (*v > (UINT64_MAX - (unsigned)d) / base) return 2;
        *v = *v * base + (unsigned)d;
    }
    return 0;
}

/* [-] integer. */
static hc_status read_int(tx *t, const char *what, bool *neg, uint64_t *mag, size_t *hex) {
    const uint8_t *at = t->p;
    char b[16];
    *neg = peek(t) == '-';
    if (*neg) {
        t->p++;
        skip_ws(t);
    }
    hc_span tok = take_number(t);
    if (!tok.n) return perr(t, t->p, "expected %s, found %s", what, found(t, b));
    int r = parse_uint(tok, mag, hex);
    if (r == 1) return perr(t, at, "expected %s, found '%.*s'", what, HC_SPAN_ARG(tok));
    if (r == 2) return perr(t, at, "integer '%.*s' does not fit in 64 bits", HC_SPAN_ARG(tok));
    return HC_OK;
}

/* Decimal float syntax: digits [. digits] [e [+-] digits] [f], at least one mantissa
 * digit. *len gets the length without the f suffix. */
static bool float_syntax(hc_span tok, size_t *len) {
    size_t i = 0, digits = 0;
    while (i < tok.n && is_digit(tok.p[i]))
        i++, digits++;
    if (i < tok.n && tok.p[i] == '.')
        for (i++; i < tok.n && is_digit(tok.p[i]); i++)
            digits++;
    if (!digits) return false;
    if (i < tok.n && (tok.p[i] == 'e' || tok.p[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < tok.n && (tok.p[i] == '+' || tok.p[i] == '-')) i++;
        while (i < tok.n && is_digit(tok.p[i]))
            i++, e++;
        if (!e) return false;
    }
    *len = i;
    if (i < tok.n && (tok.p[i] == 'f' || tok.p[i] == 'F')) i++;
    return i == tok.n;
}

/* A float or double value: number, inf, infinity or nan (any case), with a minus sign. */
static hc_status read_float(tx *t, bool dbl, uint64_t *bits) {
    const uint8_t *at = t->p;
    char b[16];
    bool neg = peek(t) == '-';
    if (neg) {
        t->p++;
        skip_ws(t);
    }
    double d = 0;
    float f = 0;
    hc_span id = take_ident(t), tok = id.n ? id : take_number(t);
    uint64_t u;
    size_t hex, len;
    if (id.n && (span_ieq(id, "inf") || span_ieq(id, "infinity"))) {
        d = HUGE_VAL;
        f = HUGE_VALF;
    } else if (id.n && span_ieq(id, "nan")) {
        *bits = dbl ? HC_SCHEMA_NAN64 | (uint64_t)neg << 63 : HC_SCHEMA_NAN32 | (uint64_t)neg << 31;
        return HC_OK;
    } else if (!tok.n) {
        return perr(t, t->p, "expected a number, found %s", found(t, b));
    } else if (!id.n && float_syntax(tok, &len)) {
        char num[128];
        if (len >= sizeof num) return perr(t, at, "number longer than %zu characters", sizeof num);
        memcpy(num, tok.p, len);
        num[len] = 0;
        if (dbl)
            d = strtod(num, NULL);
        else
            f = strtof(num, NULL);
    } else if (!id.n && tok.n > 2 && tok.p[1] != '.' && parse_uint(tok, &u, &hex) == 0 && hex) {
        d = (double)u;
        f = (float)u;
    } else {
        return perr(t, at, "expected a number, found '%.*s'", HC_SPAN_ARG(tok));
    }
    if (neg) {
        d = -d;
        f = -f;
    }
    if (dbl) {
        memcpy(bits, &d, 8);
    } else {
        uint32_t w;
        memcpy(&w, &f, 4);
        *bits = w;
    }
    return HC_OK;
}

/* Slots and LEN fields. */

static hc_status open_len_field(tx *t, uint32_t num, open_len *ol) {
    if (t->n_slots == t->cap_slots) {
        size_t cap = t->cap_slots ? t->cap_slots * 2 : 256, bytes;
        if (!hc_mul_size(cap, sizeof(slot), &bytes))
            return hc_fail(t->ctx, HC_LIMIT, NULL, "too many fields");
        slot *s = hc_realloc(t->ctx, t->slots, t->n_slots * sizeof(slot), bytes);
        if (!s) return HC_NOMEM;
        t->slots = s;
        t->cap_slots = cap;
    }
    hc_pbw_tag(&t->flat, num, HC_WT_LEN);
    ol->slot = t->n_slots;
    ol->start = t->flat.n;
    ol->extra = 0;
    t->slots[t->n_slots++] = (slot){t->flat.n, 0};
    return HC_OK;
}

static void close_len_field(tx *t, open_len *parent, const open_len *ol) {
    uint64_t len = (uint64_t)(t->flat.n - ol->start) + ol->extra;
    t->slots[ol->slot].len = len;
    parent->extra += hc_pbw_varint_size(len) + ol->extra;
}

static void close_packed(tx *t, frame *fr) {
    if (!fr->packed_num) return;
    close_len_field(t, &fr->len, &fr->packed);
    fr->packed_num = 0;
}

static const char SIMPLE_ESCAPES[128] = {
    ['n'] = '\n', ['r'] = '\r',  ['t'] = '\t',  ['a'] = '\a', ['b'] = '\b', ['f'] = '\f',
    ['v'] = '\v', ['\\'] = '\\', ['\''] = '\'', ['"'] = '"',  ['?'] = '?'};

/* One escape sequence after the backslash at t->p[-1]; writes up to 4 bytes at *o. */
static hc_status read_escape(tx *t, uint8_t **o) {
    const uint8_t *at = t->p - 1;
    if (t->p >= t->end) return perr(t, at, "unterminated string");
    uint8_t c = *t->p++;
    if (c < 128 && SIMPLE_ESCAPES[c]) {
        *(*o)++ = (uint8_t)SIMPLE_ESCAPES[c];
        return HC_OK;
    }
    unsigned v = 0;
    if (c >= '0' && c <= '7') {
        v = (unsigned)(c - '0');
        for (int k = 0; k < 2 && t->p < t->end && *t->p >= '0' && *t->p <= '7'; k++)
            v = v * 8 + (unsigned)(*t->p++ - '0');
        if (v > 255) return perr(t, at, "octal escape above \\377");
        *(*o)++ = (uint8_t)v;
        return HC_OK;
    }
    if (c == 'x' || c == 'X') {
        int k = 0;
        for (; k < 2 && t->p < t->end && hex_value(*t->p) >= 0; k++)
            v = v * 16 + (unsigned)hex_value(*t->p++);
        if (!k) return perr(t, at, "\\x escape without hex digits");
        *(*o)++ = (uint8_t)v;
        return HC_OK;
    }
    if (c == 'u' || c == 'U') {
        int want = c == 'u' ? 4 : 8;
        for (int k = 0; k < want; k++) {
            if (t->p >= t->end || hex_value(*t->p) < 0)
                return perr(t, at, "\\%c escape needs %d hex digits", c, want);
            v = v * 16 + (unsigned)hex_value(*t->p++);
        }
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
            return perr(t, at, "\\%c escape is not a Unicode scalar value", c);
        uint8_t *w = *o; /* UTF-8 */
        if (v < 0x80)
            *w++ = (uint8_t)v;
        else if (v < 0x800)
            *w++ = (uint8_t)(0xc0 | v >> 6), *w++ = (uint8_t)(0x80 | (v & 63));
        else if (v < 0x10000)
            *w++ = (uint8_t)(0xe0 | v >> 12), *w++ = (uint8_t)(0x80 | ((v >> 6) & 63)),
            *w++ = (uint8_t)(0x80 | (v & 63));
        else
            *w++ = (uint8_t)(0xf0 | v >> 18), *w++ = (uint8_t)(0x80 | ((v >> 12) & 63)),
            *w++ = (uint8_t)(0x80 | ((v >> 6) & 63)), *w++ = (uint8_t)(0x80 | (v & 63));
        *o = w;
        return HC_OK;
    }
    if (c > 0x20 && c < 0x7f) return perr(t, at, "invalid escape '\\%c'", c);
    return perr(t, at, "invalid escape: backslash before byte 0x%02x", c);
}

/* One quoted literal (t->p at the quote), unescaped onto the flat stream. Output is
 * reserved a chunk at a time: each input byte gives at most one output byte, except \u
 * escapes, which the slack covers. */
static hc_status read_literal(tx *t) {
    enum { CHUNK = 4096, SLACK = 8 };
    const uint8_t *start = t->p;
    uint8_t quote = *t->p++;
    for (;;) {
        if (!hc_buf_reserve(&t->flat, CHUNK + SLACK))
            return t->ctx->status ? t->ctx->status : HC_NOMEM;
        uint8_t *o = t->flat.p + t->flat.n, *lim = o + CHUNK;
        hc_status st = HC_OK;
        while (o < lim) {
            if (t->p >= t->end) return perr(t, start, "string is not closed");
            uint8_t c = *t->p;
            if (c == quote) {
                t->p++;
                t->flat.n = (size_t)(o - t->flat.p);
                return HC_OK;
            }
            if (c == '\n') return perr(t, start, "string is not closed at the end of its line");
            t->p++;
            if (c != '\\')
                *o++ = c;
            else if ((st = read_escape(t, &o)))
                return st;
        }
        t->flat.n = (size_t)(o - t->flat.p);
    }
}

/* A string value: one or more adjacent literals, concatenated. */
static hc_status put_string(tx *t, frame *fr, uint32_t num, const char *name) {
    char b[16];
    if (peek(t) != '"' && peek(t) != '\'')
        return perr(t, t->p, "expected a string for field '%s', found %s", name, found(t, b));
    close_packed(t, fr);
    open_len ol;
    hc_status st = open_len_field(t, num, &ol);
    while (!st) {
        if ((st = read_literal(t))) break;
        skip_ws(t);
        if (peek(t) != '"' && peek(t) != '\'') break;
    }
    if (!st) close_len_field(t, &fr->len, &ol);
    return st;
}

static hc_status check_range(tx *t, const uint8_t *at, const hc_schema_field *fd, bool neg,
                             uint64_t mag) {
    uint64_t max;
    switch (fd->kind) {
    case HC_SK_INT32:
    case HC_SK_ENUM:
        max = neg ? 0x80000000u : 0x7fffffffu;
        break;
    case HC_SK_INT64:
        max = neg ? 1ull << 63 : (1ull << 63) - 1;
        break;
    case HC_SK_UINT32:
        max = neg ? 0 : 0xffffffffu;
        break;
    default:
        max = neg ? 0 : UINT64_MAX;
        break;
    }
    if (mag <= max) return HC_OK;
    return perr(t, at, "%s%llu is out of range for %s field '%s'", neg ? "-" : "",
                (unsigned long long)mag, hc_schema_kind_name[fd->kind], fd->name);
}

/* A scalar of a known field: its wire type and value. */
static hc_status read_scalar(tx *t, const hc_schema_field *fd, uint32_t *wt, uint64_t *v) {
    const uint8_t *at = t->p;
    bool neg = false;
    uint64_t mag = 0;
    size_t hex = 0;
    hc_status st;
    *wt = hc_schema_kind_wt[fd->kind];
    if (fd->kind == HC_SK_FLOAT || fd->kind == HC_SK_DOUBLE)
        return read_float(t, fd->kind == HC_SK_DOUBLE, v);
    hc_span id = take_ident(t);
    if (id.n && fd->kind == HC_SK_BOOL) {
        static const char *const NAMES[] = {"false", "False", "f", "true", "True", "t"};
        for (size_t i = 0; i < HC_COUNT(NAMES); i++)
            if (hc_span_eq_str(id, NAMES[i])) {
                *v = i >= 3;
                return HC_OK;
            }
        return perr(t, at, "expected true or false for field '%s', found '%.*s'", fd->name,
                    HC_SPAN_ARG(id));
    }
    if (id.n && fd->kind == HC_SK_ENUM) {
        int32_t e;
        if (!hc_schema_enum_value(fd->ref, (const char *)id.p, id.n, &e))
            return perr(t, at, "unknown %s value '%.*s' for field '%s'",
                        hc_schema_enums[fd->ref].name, HC_SPAN_ARG(id), fd->name);
        *v = (uint64_t)(int64_t)e;
        return HC_OK;
    }
    if (id.n)
        return perr(t, at, "expected a number for field '%s', found '%.*s'", fd->name,
                    HC_SPAN_ARG(id));
    if ((st = read_int(t, fd->kind == HC_SK_BOOL ? "true or false" : "an integer", &neg, &mag,
                       &hex)))
        return st;
    if (fd->kind == HC_SK_BOOL && (mag > 1 || (neg && mag)))
        return perr(t, at, "expected true or false for field '%s'", fd->name);
    if ((st = check_range(t, at, fd, neg, mag))) return st;
    *v = neg ? 0 - mag : mag;
    return HC_OK;
}

/* A value of a field known only by number: integer (the hex width picks fixed32/64). */
static hc_status put_raw_number(tx *t, frame *fr, uint32_t num) {
    const uint8_t *at = t->p;
    bool neg;
    uint64_t mag;
    size_t hex;
    hc_status st = read_int(t, "a number or a string", &neg, &mag, &hex);
    if (st) return st;
    close_packed(t, fr);
    if (!neg && hex == 8 && mag <= 0xffffffffu) {
        uint32_t w = (uint32_t)mag;
        hc_pbw_tag(&t->flat, num, HC_WT_I32);
        hc_buf_put(&t->flat, &w, 4);
    } else if (!neg && hex == 16) {
        hc_pbw_tag(&t->flat, num, HC_WT_I64);
        hc_buf_put(&t->flat, &mag, 8);
    } else {
        if (neg && mag > 1ull << 63)
            return perr(t, at, "-%llu does not fit in 64 bits", (unsigned long long)mag);
        hc_pbw_uint(&t->flat, num, neg ? 0 - mag : mag);
    }
    return HC_OK;
}

static hc_status put_scalar(tx *t, frame *fr, const hc_schema_field *fd) {
    uint32_t wt;
    uint64_t v;
    hc_status st = read_scalar(t, fd, &wt, &v);
    if (st) return st;
    if (!fd->repeated) {
        close_packed(t, fr);
        hc_pbw_tag(&t->flat, fd->num, wt);
    } else if (fr->packed_num != fd->num) {
        /* Consecutive values of a repeated scalar make one packed run (proto3). */
        close_packed(t, fr);
        if ((st = open_len_field(t, fd->num, &fr->packed))) return st;
        fr->packed_num = fd->num;
    }
    if (wt == HC_WT_VARINT)
        hc_pbw_varint(&t->flat, v);
    else if (wt == HC_WT_I32)
        hc_buf_put(&t->flat, &(uint32_t){(uint32_t)v}, 4);
    else
        hc_buf_put(&t->flat, &v, 8);
    return HC_OK;
}

static hc_status parse_body(tx *t, const hc_schema_msg *m, frame *fr, int depth, int close);

static hc_status put_message(tx *t, frame *fr, uint32_t num, const hc_schema_msg *m, int depth) {
    if (depth >= MAX_DEPTH) return perr(t, t->p, "messages nested deeper than %d", MAX_DEPTH);
    int close = *t->p++ == '{' ? '}' : '>';
    close_packed(t, fr);
    frame child = {{0, 0, 0}, 0, {0, 0, 0}};
    hc_status st = open_len_field(t, num, &child.len);
    if (!st) st = parse_body(t, m, &child, depth + 1, close);
    if (!st) close_len_field(t, &fr->len, &child.len);
    return st;
}

/* One value of field fd (NULL: known by number only): a message, string or scalar. */
static hc_status put_value(tx *t, frame *fr, const hc_schema_field *fd, uint32_t num,
                           const char *name, int depth) {
    int c = peek(t);
    char b[16];
    if (c == '{' || c == '<') {
        if (fd && fd->kind != HC_SK_MESSAGE)
            return perr(t, t->p, "field '%s' is a %s, not a message", name,
                        hc_schema_kind_name[fd->kind]);
        return put_message(t, fr, num, fd ? &hc_schema_msgs[fd->ref] : NULL, depth);
    }
    if (fd && fd->kind == HC_SK_MESSAGE)
        return perr(t, t->p, "field '%s' is a message: expected '{', found %s", name, found(t, b));
    if (!fd || fd->kind == HC_SK_STRING || fd->kind == HC_SK_BYTES) {
        if (fd || c == '"' || c == '\'') return put_string(t, fr, num, name);
        return put_raw_number(t, fr, num);
    }
    return put_scalar(t, fr, fd);
}

/* `[ value, value ... ]` */
static hc_status put_list(tx *t, frame *fr, const hc_schema_field *fd, uint32_t num,
                          const char *name, int depth) {
    char b[16];
    if (fd && !fd->repeated)
        return perr(t, t->p, "field '%s' is not repeated: it cannot take a list", name);
    t->p++;
    skip_ws(t);
    if (peek(t) == ']') {
        t->p++;
        return HC_OK;
    }
    for (;;) {
        hc_status st = put_value(t, fr, fd, num, name, depth);
        if (st) return st;
        skip_ws(t);
        int c = peek(t);
        t->p += c == ',' || c == ']';
        if (c == ']') return HC_OK;
        if (c != ',')
            return perr(t, t->p, "expected ',' or ']' in the list of '%s', found %s", name,
                        found(t, b));
        skip_ws(t);
    }
}

static hc_status parse_field(tx *t, const hc_schema_msg *m, frame *fr, int depth) {
    const uint8_t *at = t->p;
    const hc_schema_field *fd = NULL;
    uint32_t num;
    char name[48], b[16];
    hc_span id = take_ident(t);
    if (id.n) {
        fd = m ? hc_schema_field_by_name(m, (const char *)id.p, id.n) : NULL;
        if (!fd)
            return perr(t, at, "unknown field '%.*s' in %s", HC_SPAN_ARG(id),
                        m ? m->name : "a message known only by number");
        num = fd->num;
        snprintf(name, sizeof name, "%s", fd->name);
    } else if (is_digit(peek(t))) {
        hc_span tok = take_number(t);
        uint64_t v;
        size_t hex;
        if (parse_uint(tok, &v, &hex) || hex || v == 0 || v > HC_SCHEMA_MAX_FIELD_NUM ||
            tok.p[0] == '0')
            return perr(t, at, "invalid field number '%.*s'", HC_SPAN_ARG(tok));
        num = (uint32_t)v;
        snprintf(name, sizeof name, "%u", num);
    } else if (peek(t) == '[') {
        return perr(t, at, "extension and Any fields ([...]) are not supported");
    } else {
        return perr(t, at, "expected a field name, found %s", found(t, b));
    }
    skip_ws(t);
    bool colon = peek(t) == ':';
    if (colon) {
        t->p++;
        skip_ws(t);
    }
    int c = peek(t);
    if (c == '[') return put_list(t, fr, fd, num, name, depth);
    if (!colon && c != '{' && c != '<')
        return perr(t, t->p, "expected ':' or '{' after field '%s', found %s", name, found(t, b));
    return put_value(t, fr, fd, num, name, depth);
}

/* Fields up to `close` ('}' or '>'), or to the end of the text at the top (close 0). */
static hc_status parse_body(tx *t, const hc_schema_msg *m, frame *fr, int depth, int close) {
    const uint8_t *open = close ? t->p - 1 : t->p; /* the brace, for "not closed" */
    char b[16];
    for (;;) {
        skip_ws(t);
        int c = peek(t);
        if (c < 0) {
            if (!close) break;
            return perr(t, open, "'%c' is not closed", close == '}' ? '{' : '<');
        }
        if (c == close) {
            t->p++;
            break;
        }
        if (c == '}' || c == '>') return perr(t, t->p, "unexpected %s", found(t, b));
        hc_status st = parse_field(t, m, fr, depth);
        if (st) return st;
        skip_ws(t);
        if (peek(t) == ',' || peek(t) == ';') t->p++;
    }
    close_packed(t, fr);
    return HC_OK;
}

/* Insert the length prefixes into the flat stream, in place: segments move up from the
 * last slot to the first, so each byte moves once and nothing unread is overwritten. */
static hc_status assemble(tx *t, uint64_t extra) {
    size_t total;
    if (extra > SIZE_MAX || !hc_add_size(t->flat.n, (size_t)extra, &total))
        return hc_fail(t->ctx, HC_LIMIT, NULL, "output larger than the address space");
    if (!hc_buf_reserve(&t->flat, total - t->flat.n))
        return t->ctx->status ? t->ctx->status : HC_NOMEM;
    uint8_t *p = t->flat.p;
    size_t src_end = t->flat.n, dst_end = total;
    for (size_t i = t->n_slots; i-- > 0;) {
        size_t pos = t->slots[i].pos, seg = src_end - pos;
        memmove(p + dst_end - seg, p + pos, seg);
        dst_end -= seg;
        uint8_t v[10];
        size_t k = 0;
        for (uint64_t len = t->slots[i].len; len >= 0x80; len >>= 7)
            v[k++] = (uint8_t)(len | 0x80);
        v[k] = (uint8_t)(t->slots[i].len >> (7 * k));
        memcpy(p + dst_end - (k + 1), v, k + 1);
        dst_end -= k + 1;
        src_end = pos;
    }
    t->flat.n = total;
    return HC_ALWAYS(t->ctx, dst_end == src_end) ? HC_OK : HC_UNSUPPORTED;
}

/* Hand the result over: the flat buffer itself when out is empty (no copy), else append. */
static void give(tx *t, hc_buf *out) {
    if (out->n == 0 && !out->measure && !out->failed && out->ctx == t->ctx) {
        hc_buf_fini(out);
        out->p = t->flat.p;
        out->n = t->flat.n;
        out->cap = t->flat.cap;
        t->flat.p = NULL;
        t->flat.n = t->flat.cap = 0;
        return;
    }
    hc_buf_put(out, t->flat.p, t->flat.n);
}

hc_status hc_pbtxt_to_wire(hc_ctx *ctx, hc_span text, hc_buf *out) {
    tx t = {.ctx = ctx, .text = text.p, .p = text.p, .end = text.p + text.n};
    if (text.n >= 3 && !memcmp(text.p, "\xef\xbb\xbf", 3)) t.p += 3; /* UTF-8 byte order mark */
    hc_buf_init(&t.flat, ctx);
    /* Binary is about a third of its text when weights dominate (octal escapes): size the
     * buffer once rather than doubling it. */
    hc_status st = hc_buf_reserve(&t.flat, text.n / 2 + 256) ? HC_OK : HC_NOMEM;
    frame top = {{0, 0, 0}, 0, {0, 0, 0}};
    if (!st) st = parse_body(&t, &hc_schema_msgs[HC_SM_GRAPH_DEF], &top, 0, 0);
    if (!st && t.flat.failed) st = HC_NOMEM;
    if (!st) st = assemble(&t, top.len.extra);
    if (!st) give(&t, out);
    if (!st && out->failed) st = HC_NOMEM;
    if (st == HC_NOMEM && ctx->status) st = ctx->status;
    hc_buf_fini(&t.flat);
    hc_dealloc(ctx, t.slots);
    return st;
}

/* ---------------------------------------------------------------------------------------
 * Detection */

/* Binary GraphDefs start with tags like 0x0a ('\n') and hold 0x12 (an op tag) in every
 * node, so the test is control bytes: text has none but whitespace. Then the first thing
 * after whitespace and comments must start a field name. */
bool hc_pbtxt_sniff(hc_span data) {
    size_t n = HC_MIN(data.n, (size_t)SNIFF_WINDOW), i = 0;
    if (!data.n) return false;
    for (size_t k = 0; k < n; k++) {
        uint8_t c = data.p[k];
        if ((c < 0x20 && !is_space(c)) || c == 0x7f) return false;
    }
    if (n >= 3 && !memcmp(data.p, "\xef\xbb\xbf", 3)) i = 3;
    while (i < n) {
        if (is_space(data.p[i])) {
            i++;
        } else if (data.p[i] == '#') {
            while (i < n && data.p[i] != '\n')
                i++;
        } else {
            return is_alpha(data.p[i]) || is_digit(data.p[i]);
        }
    }
    return true; /* only whitespace and comments so far: text (an empty graph at least) */
}
