/* arena.c - blocks grow geometrically; large requests get a block of their own. */
#include "base/arena.h"

#include <stdarg.h>
#include <stdio.h>

struct hc_arena_block {
    hc_arena_block *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

void hc_arena_init(hc_arena *a, hc_ctx *ctx) {
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
}

void hc_arena_fini(hc_arena *a) {
    hc_arena_block *b = a->head;
    while (b) {
        hc_arena_block *next = b->next;
        hc_dealloc(a->ctx, b);
        b = next;
    }
    a->head = NULL;
    a->used = a->cap = a->total = 0;
}

static bool grow(hc_arena *a, size_t n) {
    size_t want = a->cap ? a->cap * 2 : 4096;
    if (want > (1u << 20)) want = 1u << 20;
    if (want < n) want = n;
    size_t bytes;
    if (!hc_add_size(sizeof(hc_arena_block), want, &bytes)) {
        hc_fail(a->ctx, HC_LIMIT, NULL, "arena request of %zu bytes overflows", n);
        return false;
    }
    hc_arena_block *b = hc_alloc(a->ctx, bytes);
    if (!b) return false;
    b->cap = want;
    if (a->head && n > a->cap - a->used && want == n && a->cap - a->used > 256) {
        /* A big one-off request: keep filling the current block afterwards. */
        b->next = a->head->next;
        a->head->next = b;
        a->total += want;
        return true;
    }
    b->next = a->head;
    a->head = b;
    a->used = 0;
    a->cap = want;
    a->total += want;
    return true;
}

static void *arena_take(hc_arena *a, size_t n, bool zero);

void *hc_arena_alloc(hc_arena *a, size_t n) {
    return arena_take(a, n, true);
}

void *hc_arena_alloc_raw(hc_arena *a, size_t n) {
    return arena_take(a, n, false);
}

static void *arena_take(hc_arena *a, size_t n, bool zero) {
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n) {
        hc_fail(a->ctx, HC_LIMIT, NULL, "arena request of %zu bytes overflows", n);
        return NULL;
    }
    if (!a->head || a->cap - a->used < need) {
        hc_arena_block *before = a->head;
        if (!grow(a, need)) return NULL;
        if (a->head == before) {
            /* grow() linked a dedicated block behind the head. */
            hc_arena_block *b = a->head->next;
            if (zero) memset(b->data, 0, n);
            return b->data;
        }
    }
    void *p = a->head->data + a->used;
    a->used += need;
    if (zero) memset(p, 0, n);
    return p;
}

void *hc_arena_array(hc_arena *a, size_t count, size_t size) {
    size_t n;
    if (!hc_mul_size(count, size, &n)) {
        hc_fail(a->ctx, HC_LIMIT, NULL, "array of %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    return hc_arena_alloc(a, n);
}

char *hc_arena_strndup(hc_arena *a, const void *s, size_t n) {
    char *d = hc_arena_alloc(a, n + 1);
    if (d && n) memcpy(d, s, n);
    return d;
}

hc_span hc_arena_span(hc_arena *a, const void *s, size_t n) {
    char *d = hc_arena_strndup(a, s, n);
    return d ? hc_span_of(d, n) : hc_span_of(NULL, 0);
}

char *hc_arena_printf(hc_arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *d = hc_arena_alloc(a, (size_t)n + 1);
    if (!d) return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}
