/* arena.c - blocks grow geometrically; large requests get a block of their own.
 *
 * Blocks up to CHUNK_BLOCK_MAX are carved from 2 MiB chunks the context keeps, mapped for
 * transparent huge pages, rather than taken from malloc. Loading a model writes a few hundred
 * KiB of index into fresh memory, and each fresh 4 KiB page is a page fault - in a VM a
 * costly one (15-20 us measured on the CI machine, ~0.2 ms for a whole 2 MiB huge page): a
 * chunk turns the ~300 faults of opening and preparing the FPN detector into one or two.
 * A chunk counts the blocks carved from it; when the last goes, the context's current chunk
 * is reused from its start and any other is unmapped. Under AddressSanitizer every block
 * comes from malloc, so overruns between blocks stay visible. */
#include "base/arena.h"

#include <stdarg.h>
#include <stdio.h>

#if defined(__SANITIZE_ADDRESS__)
#define NO_CHUNKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_CHUNKS 1
#endif
#endif

#define CHUNK_BYTES     ((size_t)2 << 20)
#define CHUNK_BLOCK_MAX ((size_t)512 << 10)

typedef struct hc_chunk {
    void *raw;
    size_t map_len;
    size_t used; /* bytes carved, this header included */
    uint32_t blocks;
} hc_chunk;

struct hc_arena_block {
    hc_arena_block *next;
    size_t cap;
    hc_chunk *chunk; /* carved from this chunk, or NULL: from the allocator hook */
    _Alignas(16) unsigned char data[];
};

static void chunk_unmap(hc_ctx *ctx, hc_chunk *c) {
    hc_free_pages(ctx, c->raw, c->map_len);
}

void hc_arena_chunk_drop(hc_ctx *ctx) {
    hc_chunk *c = ctx->chunk;
    ctx->chunk = NULL;
    if (c && c->blocks == 0) chunk_unmap(ctx, c);
}

#ifndef NO_CHUNKS
/* n bytes (a multiple of 64) from the current chunk, starting a new one when it is full. */
static hc_arena_block *chunk_carve(hc_ctx *ctx, size_t n) {
    hc_chunk *c = ctx->chunk;
    if (!c || CHUNK_BYTES - c->used < n) {
        void *raw;
        size_t map_len;
        uint8_t *base = hc_alloc_pages(ctx, CHUNK_BYTES, &raw, &map_len);
        if (!base) return NULL;
        hc_arena_chunk_drop(ctx); /* its last block unmaps it otherwise */
        c = (hc_chunk *)(void *)base;
        *c = (hc_chunk){raw, map_len, 64, 0};
        ctx->chunk = c;
    }
    hc_arena_block *b = (hc_arena_block *)(void *)((uint8_t *)c + c->used);
    c->used += n;
    c->blocks++;
    b->chunk = c;
    return b;
}
#endif

static hc_arena_block *block_new(hc_ctx *ctx, size_t bytes) {
#ifndef NO_CHUNKS
    size_t n = (bytes + 63) & ~(size_t)63;
    if (n >= bytes && n <= CHUNK_BLOCK_MAX) return chunk_carve(ctx, n);
#endif
    hc_arena_block *b = hc_alloc(ctx, bytes);
    if (b) b->chunk = NULL;
    return b;
}

static void block_free(hc_ctx *ctx, hc_arena_block *b) {
    hc_chunk *c = b->chunk;
    if (!c) {
        hc_dealloc(ctx, b);
        return;
    }
    if (--c->blocks > 0) return;
    if (c == ctx->chunk)
        c->used = 64; /* already faulted in: the next arena starts here */
    else
        chunk_unmap(ctx, c);
}

void hc_arena_init(hc_arena *a, hc_ctx *ctx) {
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
}

void hc_arena_fini(hc_arena *a) {
    hc_arena_block *b = a->head;
    while (b) {
        hc_arena_block *next = b->next;
        block_free(a->ctx, b);
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
    hc_arena_block *b = block_new(a->ctx, bytes);
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
