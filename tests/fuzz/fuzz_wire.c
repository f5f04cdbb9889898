/* fuzz_wire.c - the protobuf wire reader: walk every field, descend into length-delimited
 * payloads that parse as messages (bounded depth), count packed values. Must never crash or
 * read outside the input, whatever the bytes. */
#include "pb/wire.h"

#include <stdint.h>
#include <stdlib.h>

static void walk(hc_ctx *ctx, hc_span s, const uint8_t *base, int depth) {
    hc_pb r = hc_pb_of(s, base);
    hc_pb_field f;
    bool got;
    while (hc_pb_next(ctx, &r, &f, &got) == HC_OK && got) {
        if (f.raw.p < s.p || f.raw.p + f.raw.n > s.p + s.n) __builtin_trap();
        if (f.wt != HC_WT_LEN) continue;
        size_t c;
        hc_pb_packed_count(f.s, HC_WT_VARINT, &c);
        hc_pb_packed_count(f.s, HC_WT_I32, &c);
        if (depth < 8) walk(ctx, f.s, base, depth + 1);
        hc_ctx_clear(ctx);
    }
    hc_ctx_clear(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hc_ctx *ctx;
    if (hc_ctx_new(&ctx)) return 0;
    walk(ctx, hc_span_of(data, size), data, 0);
    /* Round trip of the writer helpers on whatever the input spells. */
    hc_buf b;
    hc_buf_init(&b, ctx);
    hc_pbw_bytes(&b, 1, data, size);
    hc_pb r = hc_pb_of(hc_span_of(b.p, b.n), b.p);
    hc_pb_field f;
    bool got;
    if (hc_pb_next(ctx, &r, &f, &got) != HC_OK || !got || f.s.n != size) __builtin_trap();
    hc_buf_fini(&b);
    hc_ctx_free(ctx);
    return 0;
}
