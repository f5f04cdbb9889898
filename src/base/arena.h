/* arena.h - bump allocator whose blocks come from the context's allocator hook. Objects with
 * one lifetime (a model's index, a plan, a session's metadata) live in one arena and are
 * released together. */
#ifndef HC_BASE_ARENA_H
#define HC_BASE_ARENA_H
#include "base/ctx.h"
#include "base/util.h"

typedef struct hc_arena_block hc_arena_block;

typedef struct hc_arena {
    hc_ctx *ctx;
    hc_arena_block *head;
    size_t used, cap; /* in head */
    size_t total;     /* bytes in all blocks */
} hc_arena;

void hc_arena_init(hc_arena *a, hc_ctx *ctx);
/* Unmap the context's current chunk if no arena block lives in it (hc_ctx_free). */
void hc_arena_chunk_drop(hc_ctx *ctx);
void hc_arena_fini(hc_arena *a);
/* 16-byte aligned, zeroed. NULL (with HC_NOMEM/HC_LIMIT recorded) on failure. */
void *hc_arena_alloc(hc_arena *a, size_t n);
void *hc_arena_array(hc_arena *a, size_t count, size_t size);
/* Like hc_arena_alloc but not zeroed (for large buffers the caller fills). */
void *hc_arena_alloc_raw(hc_arena *a, size_t n);
/* Copy bytes into the arena, NUL-terminated. */
char *hc_arena_strndup(hc_arena *a, const void *s, size_t n);
hc_span hc_arena_span(hc_arena *a, const void *s, size_t n);
/* printf into the arena. */
char *hc_arena_printf(hc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
