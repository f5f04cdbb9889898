/* test_buf.c - the serializers' byte buffer: growth keeps the bytes, a large first reservation
 * with `pages` takes a page mapping that grows out into heap memory when it must, bytes in a
 * mapping are handed out only with hc_buf_take_pages, and a custom allocator still sees every
 * allocation (no mapping then). */
#include "common/testlib.h"

#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

static void fill(hc_buf *b, size_t n, unsigned salt) {
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(i * 31u + salt);
        hc_buf_put(b, &c, 1);
    }
}

static void check(const uint8_t *p, size_t n, unsigned salt) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(i * 31u + salt)) fail_msg("byte %zu differs", i);
}

static void heap_growth_keeps_bytes(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_buf b;
    hc_buf_init(&b, ctx);
    fill(&b, 100000, 7);
    assert_int_equal(b.map_len, 0);
    size_t n;
    uint8_t *p = hc_buf_take(&b, &n);
    assert_int_equal(n, 100000);
    check(p, n, 7);
    hc_dealloc(ctx, p);
    hc_ctx_free(ctx);
}

static void pages_grow_out_and_are_taken_with_their_mapping(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_buf b;
    hc_buf_init(&b, ctx);
    b.pages = true;
    assert_true(hc_buf_reserve(&b, (size_t)2 << 20));
    assert_true(b.map_len > 0);
    fill(&b, (size_t)2 << 20, 3);
    /* hc_buf_take refuses mapped bytes */
    size_t n;
    assert_null(hc_buf_take(&b, &n));
    assert_int_equal(hc_ctx_status(ctx), HC_INVALID);
    hc_ctx_clear(ctx);
    void *raw;
    size_t map_len;
    uint8_t *p = hc_buf_take_pages(&b, &n, &raw, &map_len);
    assert_int_equal(n, (size_t)2 << 20);
    assert_true(map_len > 0);
    check(p, n, 3);
    hc_free_pages(ctx, raw, map_len);
    /* past the mapping: the bytes move to the heap */
    hc_buf_init(&b, ctx);
    b.pages = true;
    assert_true(hc_buf_reserve(&b, (size_t)1 << 20));
    fill(&b, (size_t)3 << 20, 5);
    assert_int_equal(b.map_len, 0);
    assert_null(b.map_raw);
    p = hc_buf_take(&b, &n);
    assert_int_equal(n, (size_t)3 << 20);
    check(p, n, 5);
    hc_dealloc(ctx, p);
    /* small first reservations stay on the heap */
    hc_buf_init(&b, ctx);
    b.pages = true;
    fill(&b, 1000, 9);
    assert_int_equal(b.map_len, 0);
    hc_buf_fini(&b);
    hc_ctx_free(ctx);
}

static size_t live;
static void *count_alloc(void *user, size_t n) {
    (void)user;
    live++;
    return malloc(n);
}
static void count_free(void *user, void *p) {
    (void)user;
    if (p) live--;
    free(p);
}

static void custom_allocator_sees_everything(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_allocator a = {count_alloc, count_free, NULL};
    hc_ctx_set_allocator(ctx, &a);
    live = 0;
    hc_buf b;
    hc_buf_init(&b, ctx);
    b.pages = true;
    assert_true(hc_buf_reserve(&b, (size_t)2 << 20));
    assert_int_equal(b.map_len, 0);
    assert_int_equal(live, 1);
    fill(&b, 5000, 1);
    size_t n, map_len;
    void *raw;
    uint8_t *p = hc_buf_take_pages(&b, &n, &raw, &map_len);
    check(p, n, 1);
    assert_int_equal(map_len, 0);
    hc_free_pages(ctx, raw, map_len);
    assert_int_equal(live, 0);
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heap_growth_keeps_bytes),
        cmocka_unit_test(pages_grow_out_and_are_taken_with_their_mapping),
        cmocka_unit_test(custom_allocator_sees_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
