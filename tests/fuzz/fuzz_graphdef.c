/* fuzz_graphdef.c - the GraphDef reader and everything that reads a graph: open (binary or
 * text, detected by content), write back (must be the identity for binary input), check,
 * plan and convert, and preparing a session. Errors are fine; crashes, leaks and sanitizer
 * reports are not. */
#include "halfcast/halfcast.h"

#include <stdint.h>
#include <string.h>

static void convert_and_check(hc_ctx *ctx, const hc_model *m) {
    hc_check_report *r = NULL;
    hc_check(ctx, m, &r);
    hc_check_report_free(r);
    hc_ctx_clear(ctx);
    hc_model *out = NULL;
    hc_convert_stats st;
    if (hc_convert(ctx, m, NULL, &out, &st) == HC_OK) {
        /* A converted graph always passes its check. */
        hc_check_report *r2 = NULL;
        if (hc_check(ctx, out, &r2) != HC_OK) __builtin_trap();
        hc_check_report_free(r2);
    }
    hc_model_free(out);
    hc_ctx_clear(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hc_ctx *ctx;
    if (hc_ctx_new(&ctx)) return 0;
    hc_ctx_set_threads(ctx, 1);
    hc_model *m = NULL;
    if (hc_model_open_memory(ctx, data, size, "fuzz", &m) == HC_OK) {
        void *out = NULL;
        size_t n = 0;
        if (hc_model_serialize(ctx, m, HC_FORMAT_PB, &out, &n) == HC_OK &&
            hc_model_format(m) == HC_FORMAT_PB && (n != size || (n && memcmp(out, data, n))))
            __builtin_trap(); /* read -> write must be the identity */
        hc_free(ctx, out);
        hc_ctx_clear(ctx);
        convert_and_check(ctx, m);
        hc_session *s = NULL;
        hc_session_new(ctx, m, NULL, &s);
        hc_session_free(s);
    }
    hc_model_free(m);
    hc_ctx_free(ctx);
    return 0;
}
