/* ctx.h - the library context: first-error record, allocator hook with fault injection,
 * CPU features, thread count and progress callback. Nothing here is global. */
#ifndef HC_BASE_CTX_H
#define HC_BASE_CTX_H

#include "halfcast/halfcast.h"

#include <stdarg.h>
#include <stdint.h>

typedef struct hc_cpu {
    bool avx2;   /* AVX2 + FMA */
    bool f16c;   /* F16C conversions */
    bool avx512; /* AVX-512 F, BW, VL, DQ */
} hc_cpu;

struct hc_pool;
struct hc_chunk;

struct hc_ctx {
    hc_status status;
    char message[768];
    char where[96];
    hc_allocator alloc;
    /* Fault injection for tests: when fail_at > 0, the fail_at-th allocation (counted from
     * when fail_at was set) fails. Counts every allocation through the hook. */
    uint64_t alloc_count;
    uint64_t fail_at;
    hc_cpu cpu;
    int threads;
    struct hc_pool *pool;   /* worker threads, made on first use */
    struct hc_chunk *chunk; /* where arena blocks are carved now (arena.c) */
    hc_progress_fn progress;
    void *progress_user;
    bool sync; /* fsync written files before the rename (durable across power loss) */
    /* Names used to prefix messages: the file being processed. */
    const char *file;
};

/* Record an error if none is recorded yet. node may be NULL; fmt is printf-style.
 * Returns s so callers can write `return hc_fail(...)`. */
hc_status hc_fail_at(hc_ctx *ctx, hc_status s, const char *src, int line, const char *node,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define hc_fail(ctx, s, node, ...) hc_fail_at((ctx), (s), __FILE__, __LINE__, (node), __VA_ARGS__)

/* Same with a node name that is not NUL-terminated. */
hc_status hc_fail_span_at(hc_ctx *ctx, hc_status s, const char *src, int line, const void *node,
                          size_t node_len, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
#define hc_fail_n(ctx, s, node, len, ...)                                                          \
    hc_fail_span_at((ctx), (s), __FILE__, __LINE__, (node), (len), __VA_ARGS__)

/* Put a node's name into the recorded error when it names none yet ("FILE: node 'X': ...").
 * For errors raised by helpers that do not know which node they work for. */
void hc_ctx_add_node(hc_ctx *ctx, const void *node, size_t len);

/* Allocation through the hook. hc_alloc returns NULL and records HC_NOMEM on failure. */
void *hc_alloc(hc_ctx *ctx, size_t n);
void *hc_calloc(hc_ctx *ctx, size_t count, size_t size);
void *hc_realloc(hc_ctx *ctx, void *p, size_t old_n, size_t new_n);
void hc_dealloc(hc_ctx *ctx, void *p);
char *hc_strndup(hc_ctx *ctx, const char *s, size_t n);

/* Large page-backed buffers (runtime tensors of 1 MiB and more). With the default allocator
 * they are mapped 2 MiB-aligned and marked for transparent huge pages, so a first run does not
 * pay one page fault per 4 KiB; with a custom allocator the hook is used. *map_len receives
 * what hc_free_pages needs. Injected allocation failures apply. NULL with HC_NOMEM recorded. */
void *hc_alloc_pages(hc_ctx *ctx, size_t n, void **raw, size_t *map_len);
void hc_free_pages(hc_ctx *ctx, void *raw, size_t map_len);

/* Report progress (no-op without a callback). */
void hc_progress(hc_ctx *ctx, const char *stage, double fraction);

/* Defensive checks for conditions that should be impossible: true when the condition holds;
 * when it does not, records an internal error. */
#define HC_ALWAYS(ctx, cond)                                                                       \
    ((cond) ? 1 : (hc_fail((ctx), HC_UNSUPPORTED, NULL, "internal check failed: %s", #cond), 0))

#endif
