/* wire.h - zero-copy protobuf wire format. The reader walks a span field by field; bytes,
 * strings and sub-messages come back as spans into the input, and every length is checked
 * against what is left. The writer appends to a hc_buf; nested messages are sized by running
 * their encoder once in measure mode. */
#ifndef HC_PB_WIRE_H
#define HC_PB_WIRE_H
#include "base/buf.h"
#include "base/ctx.h"
#include "base/util.h"

enum {
    HC_WT_VARINT = 0,
    HC_WT_I64 = 1,
    HC_WT_LEN = 2,
    HC_WT_SGROUP = 3,
    HC_WT_EGROUP = 4,
    HC_WT_I32 = 5
};

/* Limits on what a file may make the reader do. */
#define HC_PB_MAX_DEPTH 64

typedef struct hc_pb {
    const uint8_t *p, *end;
    const uint8_t *base; /* start of the whole input: offsets in messages are relative to it */
} hc_pb;

typedef struct hc_pb_field {
    uint32_t num;
    uint32_t wt;
    uint64_t v;  /* varint, i32 or i64 payload */
    hc_span s;   /* LEN payload (also the body of a group) */
    hc_span raw; /* the whole field, tag included, for verbatim copies */
} hc_pb_field;

static inline hc_pb hc_pb_of(hc_span s, const uint8_t *base) {
    hc_pb r = {s.p, s.p + s.n, base ? base : s.p};
    return r;
}

/* Read the next field. Returns HC_OK with *got = false at the end of the span, HC_OK with
 * *got = true and f filled, or HC_MALFORMED (recorded in ctx with the byte offset). */
hc_status hc_pb_next(hc_ctx *ctx, hc_pb *r, hc_pb_field *f, bool *got);

/* Decode one varint from [*p, end). false when truncated or longer than 10 bytes. The one-
 * and two-byte forms (tags, lengths, dtypes) are decoded inline: they are most of a graph. */
bool hc_pb_varint_slow(const uint8_t **p, const uint8_t *end, uint64_t *v);
static inline bool hc_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    const uint8_t *q = *p;
    if (q < end && q[0] < 0x80) {
        *v = q[0];
        *p = q + 1;
        return true;
    }
    if (end - q >= 2 && q[1] < 0x80) {
        *v = (uint64_t)(q[0] & 0x7f) | ((uint64_t)q[1] << 7);
        *p = q + 2;
        return true;
    }
    return hc_pb_varint_slow(p, end, v);
}

/* Count the values in a packed field payload of the given element wire type. false when the
 * payload is not a whole number of values. */
bool hc_pb_packed_count(hc_span s, uint32_t wt, size_t *count);

/* Writer helpers (no-ops after the buffer failed). */
void hc_pbw_varint(hc_buf *b, uint64_t v);
void hc_pbw_tag(hc_buf *b, uint32_t num, uint32_t wt);
void hc_pbw_bytes(hc_buf *b, uint32_t num, const void *p, size_t n);
void hc_pbw_span(hc_buf *b, uint32_t num, hc_span s);
void hc_pbw_str(hc_buf *b, uint32_t num, const char *s);
void hc_pbw_uint(hc_buf *b, uint32_t num, uint64_t v);  /* varint field */
void hc_pbw_sint64(hc_buf *b, uint32_t num, int64_t v); /* int64 as varint (two's complement) */
void hc_pbw_fixed32(hc_buf *b, uint32_t num, uint32_t v);
void hc_pbw_float(hc_buf *b, uint32_t num, float v);
size_t hc_pbw_varint_size(uint64_t v);

/* A nested message: fn(b, arg) writes its body; it is called once to measure and once to
 * write. */
typedef void (*hc_pbw_fn)(hc_buf *b, const void *arg);
void hc_pbw_message(hc_buf *b, uint32_t num, hc_pbw_fn fn, const void *arg);
#endif
