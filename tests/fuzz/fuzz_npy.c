/* fuzz_npy.c - fuzz target for the .npy reader: any bytes either parse or fail with a
 * message; whatever parses re-encodes (version 1.0) to bytes that parse back to the same
 * array. Replayed over corpus/npy/ by CTest; a libFuzzer binary with HC_FUZZ. */
#include "base/npy.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const hc_npy *a, const hc_npy *b) {
    return a->dtype == b->dtype && a->rank == b->rank &&
           !memcmp(a->dims, b->dims, sizeof a->dims) && a->nbytes == b->nbytes &&
           (!a->nbytes || !memcmp(a->data, b->data, a->nbytes));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hc_ctx *ctx;
    if (hc_ctx_new(&ctx)) return 0;
    hc_npy a, b;
    /* Alternate between views into the input and owned copies. */
    if (hc_npy_parse(ctx, hc_span_of(data, size), &a, size % 2 == 0) == HC_OK) {
        hc_buf buf;
        hc_buf_init(&buf, ctx);
        if (hc_npy_encode(ctx, a.dtype, a.rank, a.dims, a.data, &buf) != HC_OK) abort();
        if (hc_npy_parse(ctx, hc_span_of(buf.p, buf.n), &b, false) != HC_OK || !same(&a, &b))
            abort();
        if (buf.n % 64 != a.nbytes % 64) abort(); /* the data starts 64-aligned */
        hc_buf_fini(&buf);
        hc_npy_fini(ctx, &a);
    } else if (!hc_ctx_message(ctx)[0] || a.data) {
        abort(); /* every failure explains itself and leaves *out empty */
    }
    hc_ctx_free(ctx);
    return 0;
}
