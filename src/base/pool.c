/* pool.c - pthread worker pool with a generation counter: workers sleep on a condition
 * variable, wake for each job, and the caller runs share 0 itself. */
#include "base/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct hc_pool {
    int n; /* threads in total, the caller included */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t generation;
    int pending;
    int nth;
    hc_pool_fn fn;
    void *arg;
    bool quit;
};

typedef struct worker_arg {
    hc_pool *p;
    int ith;
} worker_arg;

static void *worker(void *varg) {
    worker_arg wa = *(worker_arg *)varg;
    free(varg);
    hc_pool *p = wa.p;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit) break;
        seen = p->generation;
        if (wa.ith < p->nth) {
            hc_pool_fn fn = p->fn;
            void *arg = p->arg;
            int nth = p->nth;
            pthread_mutex_unlock(&p->mu);
            fn(arg, wa.ith, nth);
            pthread_mutex_lock(&p->mu);
            if (--p->pending == 0) pthread_cond_signal(&p->done);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

hc_status hc_pool_new(hc_ctx *ctx, int n, hc_pool **out) {
    *out = NULL;
    if (n < 1) n = 1;
    hc_pool *p = calloc(1, sizeof *p);
    if (!p) return hc_fail(ctx, HC_NOMEM, NULL, "out of memory making the thread pool");
    p->n = n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = calloc((size_t)n, sizeof *p->threads);
    if (!p->threads) {
        hc_pool_free(p);
        return hc_fail(ctx, HC_NOMEM, NULL, "out of memory making the thread pool");
    }
    for (int i = 1; i < n; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa) {
            wa->p = p;
            wa->ith = i;
        }
        if (!wa || pthread_create(&p->threads[i], NULL, worker, wa) != 0) {
            free(wa);
            p->n = i;
            break;
        }
    }
    *out = p;
    return HC_OK;
}

void hc_pool_free(hc_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}

int hc_pool_size(const hc_pool *p) {
    return p ? p->n : 1;
}

void hc_pool_run(hc_pool *p, hc_pool_fn fn, void *arg, int want) {
    int nth = p ? p->n : 1;
    if (want > 0 && want < nth) nth = want;
    if (nth <= 1) {
        fn(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->nth = nth;
    p->pending = nth - 1;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, nth);
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

hc_pool *hc_ctx_pool(hc_ctx *ctx) {
    if (ctx->pool) return ctx->pool;
    int n = ctx->threads;
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)(c > 64 ? 64 : c) : 1;
    }
    if (n <= 1) return NULL;
    if (hc_pool_new(ctx, n, &ctx->pool) != HC_OK) {
        hc_ctx_clear(ctx);
        return NULL;
    }
    return ctx->pool;
}

void hc_split_range(size_t n, int ith, int nth, size_t *begin, size_t *end) {
    size_t per = n / (size_t)nth, rem = n % (size_t)nth, i = (size_t)ith;
    *begin = i * per + (i < rem ? i : rem);
    *end = *begin + per + (i < rem ? 1 : 0);
}
