/* fuzz_pbtxt.c - the text format both ways. The input is read as text and, when it parses,
 * printed and parsed again: text -> wire -> text -> wire must be a fixed point (same bytes,
 * same text). The input is also printed as a binary GraphDef: whatever prints must parse,
 * and from there the round trip must be exact. Built with libFuzzer under clang (HC_FUZZ)
 * and replayed over tests/fuzz/corpus/pbtxt by replay_main.c in every test run. */
#include "fmt/graphdef/graphdef.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const hc_buf *a, const hc_buf *b) {
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* w was made by the parser: print it, parse it, and expect w again, and the same text. */
static void round_trip(hc_ctx *ctx, const hc_buf *w) {
    hc_buf t1, w2, t2;
    hc_buf_init(&t1, ctx);
    hc_buf_init(&w2, ctx);
    hc_buf_init(&t2, ctx);
    if (hc_wire_to_pbtxt(ctx, hc_span_of(w->p, w->n), &t1)) __builtin_trap();
    if (hc_pbtxt_to_wire(ctx, hc_span_of(t1.p, t1.n), &w2)) __builtin_trap();
    if (!same(w, &w2)) __builtin_trap();
    if (hc_wire_to_pbtxt(ctx, hc_span_of(w2.p, w2.n), &t2)) __builtin_trap();
    if (!same(&t1, &t2)) __builtin_trap();
    hc_buf_fini(&t1);
    hc_buf_fini(&w2);
    hc_buf_fini(&t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1u << 16)) return 0; /* keep runs fast; size limits are unit-tested */
    hc_ctx *ctx;
    if (hc_ctx_new(&ctx)) return 0;
    (void)hc_pbtxt_sniff(hc_span_of(data, size));

    hc_buf w;
    hc_buf_init(&w, ctx);
    if (hc_pbtxt_to_wire(ctx, hc_span_of(data, size), &w) == HC_OK) round_trip(ctx, &w);
    hc_buf_fini(&w);

    /* As binary: printing may refuse (malformed), but what it prints must read back. */
    hc_ctx_clear(ctx);
    hc_buf t;
    hc_buf_init(&t, ctx);
    if (hc_wire_to_pbtxt(ctx, hc_span_of(data, size), &t) == HC_OK) {
        hc_buf_init(&w, ctx);
        if (hc_pbtxt_to_wire(ctx, hc_span_of(t.p, t.n), &w)) __builtin_trap();
        round_trip(ctx, &w);
        hc_buf_fini(&w);
    }
    hc_buf_fini(&t);
    hc_ctx_free(ctx);
    return 0;
}
