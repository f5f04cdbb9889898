/* buf.h - a growable byte buffer for serializers (memory from the allocator hook). The first
 * failed growth records HC_NOMEM and makes later appends no-ops; check buf.failed once. */
#ifndef HC_BASE_BUF_H
#define HC_BASE_BUF_H
#include "base/ctx.h"
#include "base/util.h"

typedef struct hc_buf {
    hc_ctx *ctx;
    uint8_t *p;
    size_t n, cap;
    bool failed;
    bool measure; /* count bytes only, store nothing (for sizing nested messages) */
    /* Set by the caller: a first reservation of 1 MiB or more takes a huge-page mapping
     * (hc_alloc_pages) instead of the heap, so that filling it faults a few 2 MiB pages, not
     * thousands of 4 KiB ones. Such bytes are taken with hc_buf_take_pages only. */
    bool pages;
    void *map_raw;
    size_t map_len;
} hc_buf;

void hc_buf_init(hc_buf *b, hc_ctx *ctx);
void hc_buf_fini(hc_buf *b);
bool hc_buf_reserve(hc_buf *b, size_t extra);
void hc_buf_put(hc_buf *b, const void *p, size_t n);
void hc_buf_putc(hc_buf *b, char c);
void hc_buf_puts(hc_buf *b, const char *s);
void hc_buf_printf(hc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the bytes to the caller (free with hc_dealloc); the buffer becomes empty. Not for a
 * buffer in a page mapping (it returns NULL and records HC_INVALID then). */
uint8_t *hc_buf_take(hc_buf *b, size_t *n);
/* Hand the bytes and their mapping to the caller (free with hc_free_pages(raw, map_len)). */
uint8_t *hc_buf_take_pages(hc_buf *b, size_t *n, void **raw, size_t *map_len);
#endif
