/* pool.c - worker threads for kernels. A model runs a hundred or more kernels per inference,
 * each a few tens of microseconds, so a condition-variable wake-up per kernel (tens of
 * microseconds in a VM) would cost as much as the work. Workers therefore spin on a job
 * counter for a short while after each job and only then sleep on the condition variable; the
 * caller spins on the count of unfinished shares the same way. Shares are fixed by the caller
 * (ith of nth), so results never depend on timing. */
#include "base/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Spin budget before sleeping: a pause takes 10 to 140 cycles depending on the core, so this
 * is 10 to 150 microseconds, long enough to cover the gap between two kernels and short enough
 * that a worker without a core of its own (another process busy) costs little per kernel. */
#define SPINS 2000

struct hc_pool {
    int n; /* threads in total, the caller included */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    _Atomic uint64_t generation; /* bumped once per job */
    _Atomic int pending;         /* worker shares of the current job not finished yet */
    _Atomic int sleepers;        /* workers blocked on `wake` */
    _Atomic bool caller_sleeps;  /* the caller is blocked on `done` */
    _Atomic bool quit;
    /* the job, written before `generation` is bumped (release) and read after (acquire) */
    int nth;
    hc_pool_fn fn;
    void *arg;
};

typedef struct worker_arg {
    hc_pool *p;
    int ith;
} worker_arg;

/* Wait until the generation moves past `seen` (or quit). */
static uint64_t wait_job(hc_pool *p, uint64_t seen) {
    for (int i = 0; i < SPINS; i++) {
        uint64_t g = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (g != seen || atomic_load(&p->quit)) return g;
        CPU_RELAX();
        if ((i & 255) == 255) sched_yield(); /* let a thread without a core run */
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    uint64_t g;
    while ((g = atomic_load(&p->generation)) == seen && !atomic_load(&p->quit))
        pthread_cond_wait(&p->wake, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    return g;
}

static void finish_share(hc_pool *p) {
    if (atomic_fetch_sub(&p->pending, 1) != 1) return;
    if (!atomic_load(&p->caller_sleeps)) return;
    pthread_mutex_lock(&p->mu);
    pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->mu);
}

static void *worker(void *varg) {
    worker_arg wa = *(worker_arg *)varg;
    free(varg);
    hc_pool *p = wa.p;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_job(p, seen);
        if (atomic_load(&p->quit)) break;
        /* Every worker reports back, idle ones included, so none can still be reading the
         * job when the caller writes the next one. */
        if (wa.ith < p->nth) p->fn(p->arg, wa.ith, p->nth);
        finish_share(p);
    }
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
    atomic_store(&p->quit, true);
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

/* The caller's share is done; wait for the workers' shares. */
static void wait_done(hc_pool *p) {
    for (int i = 0; i < SPINS; i++) {
        if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0) return;
        CPU_RELAX();
        if ((i & 255) == 255) sched_yield();
    }
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->caller_sleeps, true);
    while (atomic_load(&p->pending) > 0)
        pthread_cond_wait(&p->done, &p->mu);
    atomic_store(&p->caller_sleeps, false);
    pthread_mutex_unlock(&p->mu);
}

void hc_pool_run(hc_pool *p, hc_pool_fn fn, void *arg, int want) {
    int nth = p ? p->n : 1;
    if (want > 0 && want < nth) nth = want;
    if (nth <= 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->nth = nth;
    atomic_store_explicit(&p->pending, p->n - 1, memory_order_relaxed);
    /* seq_cst, paired with the sleepers count: either the worker sees the new generation
     * before it sleeps or the caller sees it sleeping and wakes it. */
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
    fn(arg, 0, nth);
    wait_done(p);
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
