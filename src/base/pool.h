/* pool.h - a small fixed thread pool: run fn(arg, ith, nth) on nth workers and wait.
 * Work is split by the caller into output ranges, so results never depend on nth. */
#ifndef HC_BASE_POOL_H
#define HC_BASE_POOL_H
#include "base/ctx.h"

typedef struct hc_pool hc_pool;
typedef void (*hc_pool_fn)(void *arg, int ith, int nth);

/* Make a pool of n threads in total (the caller counts as one). */
hc_status hc_pool_new(hc_ctx *ctx, int n, hc_pool **out);
void hc_pool_free(hc_pool *p);
int hc_pool_size(const hc_pool *p);
/* Run fn on nth = min(want, pool size) threads (want <= 0: all) and return when all finished.
 * p may be NULL: fn runs once on the caller with nth = 1. */
void hc_pool_run(hc_pool *p, hc_pool_fn fn, void *arg, int want);
/* The context's pool, made on first use (NULL if it cannot be made: work runs serially). */
hc_pool *hc_ctx_pool(hc_ctx *ctx);
/* [begin, end) of n items for worker ith of nth. */
void hc_split_range(size_t n, int ith, int nth, size_t *begin, size_t *end);
#endif
