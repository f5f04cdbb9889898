/* buf.c - growable byte buffer. */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>

void hc_buf_init(hc_buf *b, hc_ctx *ctx) {
    memset(b, 0, sizeof *b);
    b->ctx = ctx;
}

void hc_buf_fini(hc_buf *b) {
    if (b->map_raw || b->map_len)
        hc_free_pages(b->ctx, b->map_raw, b->map_len);
    else
        hc_dealloc(b->ctx, b->p);
    b->p = NULL;
    b->map_raw = NULL;
    b->n = b->cap = b->map_len = 0;
}

#define PAGES_FROM ((size_t)1 << 20)

/* Move the bytes out of a page mapping into heap memory of cap bytes. */
static bool leave_pages(hc_buf *b, size_t cap) {
    uint8_t *p = hc_alloc(b->ctx, cap);
    if (!p) return false;
    if (b->p && b->n) memcpy(p, b->p, b->n);
    hc_free_pages(b->ctx, b->map_raw, b->map_len);
    b->map_raw = NULL;
    b->map_len = 0;
    b->p = p;
    b->cap = cap;
    return true;
}

bool hc_buf_reserve(hc_buf *b, size_t extra) {
    if (b->failed) return false;
    size_t need;
    if (!hc_add_size(b->n, extra, &need)) {
        b->failed = true;
        hc_fail(b->ctx, HC_LIMIT, NULL, "output larger than the address space");
        return false;
    }
    if (need <= b->cap) return true;
    if (b->pages && !b->p && need >= PAGES_FROM) {
        b->p = hc_alloc_pages(b->ctx, need, &b->map_raw, &b->map_len);
        if (!b->p) {
            b->failed = true;
            return false;
        }
        b->cap = need;
        return true;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->map_raw || b->map_len) {
        if (leave_pages(b, cap)) return true;
        b->failed = true;
        return false;
    }
    uint8_t *p = hc_realloc(b->ctx, b->p, b->n, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void hc_buf_put(hc_buf *b, const void *p, size_t n) {
    if (b->measure) {
        b->n += n;
        return;
    }
    if (!n || !hc_buf_reserve(b, n)) return;
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void hc_buf_putc(hc_buf *b, char c) {
    hc_buf_put(b, &c, 1);
}

void hc_buf_puts(hc_buf *b, const char *s) {
    hc_buf_put(b, s, strlen(s));
}

void hc_buf_printf(hc_buf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp || b->measure) {
        hc_buf_put(b, tmp, (size_t)n);
        return;
    }
    if (!hc_buf_reserve(b, (size_t)n + 1)) return;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

uint8_t *hc_buf_take(hc_buf *b, size_t *n) {
    if (b->map_raw || b->map_len) {
        *n = 0;
        hc_fail(b->ctx, HC_INVALID, NULL, "a page-mapped buffer taken as heap memory");
        return NULL;
    }
    uint8_t *p = b->p;
    *n = b->n;
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

uint8_t *hc_buf_take_pages(hc_buf *b, size_t *n, void **raw, size_t *map_len) {
    uint8_t *p = b->p;
    *n = b->n;
    *raw = b->map_raw ? b->map_raw : p; /* heap bytes: hc_free_pages(p, 0) frees them */
    *map_len = b->map_len;
    b->p = NULL;
    b->map_raw = NULL;
    b->n = b->cap = b->map_len = 0;
    return p;
}
