/* ctx.c - context lifetime, error recording and the allocator hook. */
/* MAP_ANONYMOUS and madvise for the page-backed buffers */
#define _DEFAULT_SOURCE
#include "base/ctx.h"
#include "base/arena.h"
#include "base/cpu.h"
#include "base/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *default_alloc(void *user, size_t n) {
    (void)user;
    return malloc(n ? n : 1);
}

static void default_free(void *user, void *p) {
    (void)user;
    free(p);
}

hc_status hc_ctx_new(hc_ctx **out) {
    hc_ctx *ctx = calloc(1, sizeof *ctx);
    *out = ctx;
    if (!ctx) return HC_NOMEM;
    ctx->alloc.alloc = default_alloc;
    ctx->alloc.free = default_free;
    hc_cpu_detect(&ctx->cpu);
    return HC_OK;
}

void hc_ctx_free(hc_ctx *ctx) {
    if (!ctx) return;
    hc_pool_free(ctx->pool);
    hc_arena_chunk_drop(ctx);
    free(ctx);
}

const char *hc_ctx_message(const hc_ctx *ctx) {
    return ctx->message;
}

hc_status hc_ctx_status(const hc_ctx *ctx) {
    return ctx->status;
}

const char *hc_ctx_where(const hc_ctx *ctx) {
    return ctx->where;
}

void hc_ctx_clear(hc_ctx *ctx) {
    ctx->status = HC_OK;
    ctx->message[0] = 0;
    ctx->where[0] = 0;
}

void hc_ctx_set_allocator(hc_ctx *ctx, const hc_allocator *a) {
    hc_arena_chunk_drop(ctx); /* it came from the allocator being replaced */
    if (a && a->alloc && a->free) {
        ctx->alloc = *a;
    } else {
        ctx->alloc.alloc = default_alloc;
        ctx->alloc.free = default_free;
        ctx->alloc.user = NULL;
    }
}

void hc_ctx_set_threads(hc_ctx *ctx, int threads) {
    ctx->threads = threads < 0 ? 0 : threads;
    hc_pool_free(ctx->pool);
    ctx->pool = NULL;
}

void hc_ctx_set_sync(hc_ctx *ctx, bool sync) {
    ctx->sync = sync;
}

void hc_ctx_set_progress(hc_ctx *ctx, hc_progress_fn fn, void *user) {
    ctx->progress = fn;
    ctx->progress_user = user;
}

void hc_progress(hc_ctx *ctx, const char *stage, double fraction) {
    if (ctx->progress) ctx->progress(ctx->progress_user, stage, fraction);
}

static const char *basename_of(const char *path) {
    const char *s = strrchr(path, '/');
    const char *src = strstr(path, "src/");
    if (src) return src;
    return s ? s + 1 : path;
}

static hc_status record(hc_ctx *ctx, hc_status s, const char *src, int line, const char *node,
                        size_t node_len, const char *fmt, va_list ap) {
    if (ctx->status != HC_OK) return s;
    ctx->status = s;
    size_t cap = sizeof ctx->message, n = 0;
    int k;
    if (ctx->file) {
        k = snprintf(ctx->message, cap, "%s: ", ctx->file);
        n = k > 0 ? (size_t)k : 0;
    }
    if (node && n < cap) {
        k = snprintf(ctx->message + n, cap - n,
                     "node '%.*s': ", (int)(node_len > 200 ? 200 : node_len), node);
        n += k > 0 ? (size_t)k : 0;
    }
    if (n < cap) vsnprintf(ctx->message + n, cap - n, fmt, ap);
    /* One line: fold any newline an argument carried in. */
    for (char *c = ctx->message; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    snprintf(ctx->where, sizeof ctx->where, "%s:%d", basename_of(src), line);
    return s;
}

hc_status hc_fail_at(hc_ctx *ctx, hc_status s, const char *src, int line, const char *node,
                     const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    record(ctx, s, src, line, node, node ? strlen(node) : 0, fmt, ap);
    va_end(ap);
    return s;
}

hc_status hc_fail_span_at(hc_ctx *ctx, hc_status s, const char *src, int line, const void *node,
                          size_t node_len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    record(ctx, s, src, line, node, node_len, fmt, ap);
    va_end(ap);
    return s;
}

void hc_ctx_add_node(hc_ctx *ctx, const void *node, size_t len) {
    if (ctx->status == HC_OK || strstr(ctx->message, "node '")) return;
    const char *rest = ctx->message;
    size_t flen = ctx->file ? strlen(ctx->file) : 0;
    if (flen && !strncmp(rest, ctx->file, flen) && !strncmp(rest + flen, ": ", 2)) rest += flen + 2;
    char tail[sizeof ctx->message], msg[sizeof ctx->message + 512];
    snprintf(tail, sizeof tail, "%s", rest);
    snprintf(msg, sizeof msg, "%s%snode '%.*s': %s", ctx->file ? ctx->file : "",
             ctx->file ? ": " : "", (int)(len > 200 ? 200 : len), (const char *)node, tail);
    size_t n = strlen(msg);
    if (n >= sizeof ctx->message) n = sizeof ctx->message - 1;
    memcpy(ctx->message, msg, n);
    ctx->message[n] = 0;
}

void *hc_alloc(hc_ctx *ctx, size_t n) {
    ctx->alloc_count++;
    if (ctx->fail_at && ctx->alloc_count == ctx->fail_at) {
        hc_fail(ctx, HC_NOMEM, NULL, "out of memory (injected failure %llu)",
                (unsigned long long)ctx->fail_at);
        return NULL;
    }
    void *p = ctx->alloc.alloc(ctx->alloc.user, n);
    if (!p) hc_fail(ctx, HC_NOMEM, NULL, "out of memory allocating %zu bytes", n);
    return p;
}

#define HUGE_PAGE ((size_t)2 << 20)

void *hc_alloc_pages(hc_ctx *ctx, size_t n, void **raw, size_t *map_len) {
    *raw = NULL;
    *map_len = 0;
    if (ctx->alloc.alloc != default_alloc) {
        void *p = hc_alloc(ctx, n + 64);
        *raw = p;
        return p ? (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63) : NULL;
    }
    ctx->alloc_count++;
    if (ctx->fail_at && ctx->alloc_count == ctx->fail_at) {
        hc_fail(ctx, HC_NOMEM, NULL, "out of memory (injected failure %llu)",
                (unsigned long long)ctx->fail_at);
        return NULL;
    }
    size_t len = ((n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)) + HUGE_PAGE;
    if (len < n) {
        hc_fail(ctx, HC_LIMIT, NULL, "allocation of %zu bytes overflows", n);
        return NULL;
    }
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        hc_fail(ctx, HC_NOMEM, NULL, "out of memory mapping %zu bytes", n);
        return NULL;
    }
    uint8_t *aligned = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
#ifdef MADV_HUGEPAGE
    madvise(aligned, len - (size_t)(aligned - (uint8_t *)p), MADV_HUGEPAGE);
#endif
    *raw = p;
    *map_len = len;
    return aligned;
}

void hc_free_pages(hc_ctx *ctx, void *raw, size_t map_len) {
    if (!raw) return;
    if (map_len)
        munmap(raw, map_len);
    else
        hc_dealloc(ctx, raw);
}

void *hc_calloc(hc_ctx *ctx, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) {
        hc_fail(ctx, HC_LIMIT, NULL, "allocation of %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    void *p = hc_alloc(ctx, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *hc_realloc(hc_ctx *ctx, void *p, size_t old_n, size_t new_n) {
    void *q = hc_alloc(ctx, new_n);
    if (!q) return NULL;
    if (p) memcpy(q, p, old_n < new_n ? old_n : new_n);
    hc_dealloc(ctx, p);
    return q;
}

void hc_dealloc(hc_ctx *ctx, void *p) {
    if (p) ctx->alloc.free(ctx->alloc.user, p);
}

char *hc_strndup(hc_ctx *ctx, const char *s, size_t n) {
    char *d = hc_alloc(ctx, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void hc_free(hc_ctx *ctx, void *p) {
    hc_dealloc(ctx, p);
}

const char *hc_status_name(hc_status s) {
    static const char *const names[] = {
        "ok",         "out of memory",  "i/o error",        "malformed input", "unsupported",
        "type error", "limit exceeded", "invalid argument", "not found",       "check failed"};
    unsigned p = HC_STATUS_PRIMARY(s);
    return p < sizeof names / sizeof names[0] ? names[p] : "unknown status";
}
