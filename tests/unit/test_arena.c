/* test_arena.c - the bump allocator: arenas with interleaved lifetimes keep their bytes while
 * blocks are carved from and returned to the context's chunks (release builds; under ASan
 * every block comes from malloc), a custom allocator sees every chunk come and go, and an
 * injected allocation failure is an error, never a crash or a leak. */
#include "common/testlib.h"

#include "base/arena.h"

#include <stdlib.h>
#include <string.h>

#define N_ARENAS 5
#define N_ALLOCS 64

typedef struct rec {
    uint8_t *p;
    size_t n;
    uint8_t salt;
} rec;

static void put(hc_arena *a, rec *r, size_t n, uint8_t salt) {
    r->p = hc_arena_alloc(a, n);
    assert_non_null(r->p);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r->p[i], 0); /* hc_arena_alloc zeroes, reused chunk memory included */
    memset(r->p, salt, n);
    r->n = n;
    r->salt = salt;
}

static void verify(const rec *r) {
    for (size_t i = 0; i < r->n; i++)
        if (r->p[i] != r->salt) fail_msg("byte %zu of a %zu-byte allocation changed", i, r->n);
}

/* Sizes from 1 byte to 300 KiB, so blocks of every size class and several chunks are used. */
static size_t size_at(unsigned k) {
    static const size_t S[] = {1, 24, 200, 4000, 9000, 70000, 300000, 130000};
    return S[k % (sizeof S / sizeof S[0])];
}

static void interleaved_lifetimes_keep_bytes(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    static rec recs[N_ARENAS][N_ALLOCS];
    hc_arena a[N_ARENAS];
    for (int round = 0; round < 3; round++) {
        for (int j = 0; j < N_ARENAS; j++)
            hc_arena_init(&a[j], ctx);
        for (unsigned k = 0; k < N_ALLOCS; k++)
            for (int j = 0; j < N_ARENAS; j++)
                put(&a[j], &recs[j][k], size_at(k + (unsigned)j),
                    (uint8_t)(1u + (unsigned)j * 7u + k));
        /* Free every other arena, check the rest, then make new ones in the gaps. */
        for (int j = round % 2; j < N_ARENAS; j += 2)
            hc_arena_fini(&a[j]);
        for (int j = 1 - round % 2; j < N_ARENAS; j += 2)
            for (unsigned k = 0; k < N_ALLOCS; k++)
                verify(&recs[j][k]);
        for (int j = round % 2; j < N_ARENAS; j += 2) {
            hc_arena_init(&a[j], ctx);
            for (unsigned k = 0; k < N_ALLOCS / 2; k++)
                put(&a[j], &recs[j][k], size_at(k * 3u), (uint8_t)(200 - k));
        }
        for (int j = 0; j < N_ARENAS; j++) {
            for (unsigned k = 0; k < (j % 2 == round % 2 ? N_ALLOCS / 2 : N_ALLOCS); k++)
                verify(&recs[j][k]);
            hc_arena_fini(&a[j]);
        }
    }
    hc_ctx_free(ctx);
}

typedef struct counting {
    long live;
    long total;
} counting;

static void *count_alloc(void *user, size_t n) {
    counting *c = user;
    c->live++;
    c->total++;
    return malloc(n);
}

static void count_free(void *user, void *p) {
    counting *c = user;
    if (p) c->live--;
    free(p);
}

static void custom_allocator_sees_every_chunk(void **state) {
    (void)state;
    counting c = {0, 0};
    hc_allocator al = {count_alloc, count_free, &c};
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_ctx_set_allocator(ctx, &al);
    hc_arena a;
    hc_arena_init(&a, ctx);
    rec r[40];
    for (unsigned k = 0; k < 40; k++)
        put(&a, &r[k], size_at(k), (uint8_t)k);
    for (unsigned k = 0; k < 40; k++)
        verify(&r[k]);
    assert_true(c.total > 0);
    hc_arena_fini(&a);
    hc_ctx_free(ctx);
    assert_int_equal(c.live, 0);
}

static void injected_failures_are_errors(void **state) {
    (void)state;
    for (uint64_t at = 1; at < 6; at++) {
        hc_ctx *ctx;
        assert_int_equal(hc_ctx_new(&ctx), HC_OK);
        ctx->fail_at = at;
        ctx->alloc_count = 0;
        hc_arena a;
        hc_arena_init(&a, ctx);
        bool failed = false;
        for (unsigned k = 0; k < 2000 && !failed; k++)
            failed = hc_arena_alloc(&a, size_at(k)) == NULL;
        assert_true(failed);
        assert_int_equal(hc_ctx_status(ctx), HC_NOMEM);
        hc_arena_fini(&a);
        hc_ctx_free(ctx);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interleaved_lifetimes_keep_bytes),
        cmocka_unit_test(custom_allocator_sees_every_chunk),
        cmocka_unit_test(injected_failures_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
