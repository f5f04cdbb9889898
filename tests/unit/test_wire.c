/* test_wire.c - the protobuf wire reader and writer: varints at their boundaries, every wire
 * type, lengths checked against what is left, groups skipped, spans pointing into the input,
 * and the writer producing what the reader reads. */
#include "common/testlib.h"

#include "pb/wire.h"

#include <string.h>

static void varints_round_trip(void **state) {
    (void)state;
    const uint64_t vals[] = {0, 1, 127, 128, 16383, 16384, 0xffffffffu, 1ull << 63, ~0ull};
    hc_ctx *ctx;
    hc_ctx_new(&ctx);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        hc_buf b;
        hc_buf_init(&b, ctx);
        hc_pbw_varint(&b, vals[i]);
        assert_int_equal(b.n, hc_pbw_varint_size(vals[i]));
        const uint8_t *p = b.p;
        uint64_t v;
        assert_true(hc_pb_varint(&p, b.p + b.n, &v));
        assert_true(v == vals[i]);
        assert_ptr_equal(p, b.p + b.n);
        /* one byte short: truncated */
        p = b.p;
        assert_false(hc_pb_varint(&p, b.p + b.n - 1, &v));
        hc_buf_fini(&b);
    }
    /* 11 bytes, or a 10th byte with more than one bit: too long */
    const uint8_t long11[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t *p = long11;
    uint64_t v;
    assert_false(hc_pb_varint(&p, long11 + 11, &v));
    const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    p = over;
    assert_false(hc_pb_varint(&p, over + 10, &v));
    hc_ctx_free(ctx);
}

static void every_wire_type(void **state) {
    (void)state;
    hc_ctx *ctx;
    hc_ctx_new(&ctx);
    hc_buf b;
    hc_buf_init(&b, ctx);
    hc_pbw_uint(&b, 1, 300);
    hc_pbw_fixed32(&b, 2, 0xdeadbeef);
    hc_pbw_tag(&b, 3, HC_WT_I64);
    uint64_t x = 0x0123456789abcdefull;
    hc_buf_put(&b, &x, 8);
    hc_pbw_str(&b, 4, "hello");
    const uint8_t group[] = {0x2b, 0x08, 0x01, 0x2c}; /* field 5 start, field 1 = 1, end */
    hc_buf_put(&b, group, sizeof group);
    hc_pb r = hc_pb_of(hc_span_of(b.p, b.n), b.p);
    hc_pb_field f;
    bool got;
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_OK);
    assert_true(got && f.num == 1 && f.wt == HC_WT_VARINT && f.v == 300);
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_OK);
    assert_true(f.num == 2 && f.v == 0xdeadbeef);
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_OK);
    assert_true(f.num == 3 && f.v == x);
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_OK);
    assert_true(f.num == 4 && f.s.n == 5 && !memcmp(f.s.p, "hello", 5));
    assert_true(f.s.p > b.p && f.s.p < b.p + b.n); /* a view into the input */
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_OK);
    assert_true(f.num == 5 && f.wt == HC_WT_SGROUP && f.raw.n == sizeof group);
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_OK);
    assert_false(got);
    hc_buf_fini(&b);
    hc_ctx_free(ctx);
}

static void lengths_are_checked(void **state) {
    (void)state;
    hc_ctx *ctx;
    hc_ctx_new(&ctx);
    const uint8_t past[] = {0x0a, 0x05, 'a', 'b'};
    hc_pb r = hc_pb_of(hc_span_of(past, sizeof past), past);
    hc_pb_field f;
    bool got;
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_MALFORMED);
    assert_non_null(strstr(hc_ctx_message(ctx), "past the end"));
    hc_ctx_clear(ctx);
    const uint8_t huge[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0};
    r = hc_pb_of(hc_span_of(huge, sizeof huge), huge);
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_MALFORMED);
    hc_ctx_clear(ctx);
    const uint8_t fixed[] = {0x0d, 1, 2, 3};
    r = hc_pb_of(hc_span_of(fixed, sizeof fixed), fixed);
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_MALFORMED);
    hc_ctx_clear(ctx);
    const uint8_t bad_end[] = {0x0b, 0x14}; /* group 1 closed by end-group 2 */
    r = hc_pb_of(hc_span_of(bad_end, sizeof bad_end), bad_end);
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_MALFORMED);
    hc_ctx_free(ctx);
}

static void put_body(hc_buf *b, const void *arg) {
    hc_pbw_uint(b, 1, *(const uint64_t *)arg);
    hc_pbw_str(b, 2, "x");
}

static void nested_messages_are_sized(void **state) {
    (void)state;
    hc_ctx *ctx;
    hc_ctx_new(&ctx);
    hc_buf b;
    hc_buf_init(&b, ctx);
    uint64_t v = 1ull << 40;
    hc_pbw_message(&b, 7, put_body, &v);
    hc_pb r = hc_pb_of(hc_span_of(b.p, b.n), b.p);
    hc_pb_field f;
    bool got;
    assert_int_equal(hc_pb_next(ctx, &r, &f, &got), HC_OK);
    assert_true(f.num == 7 && f.wt == HC_WT_LEN && f.raw.n == b.n);
    hc_pb in = hc_pb_of(f.s, b.p);
    assert_int_equal(hc_pb_next(ctx, &in, &f, &got), HC_OK);
    assert_true(f.v == v);
    size_t c;
    const uint8_t packed[] = {0x01, 0x80, 0x01, 0x7f};
    assert_true(hc_pb_packed_count(hc_span_of(packed, 4), HC_WT_VARINT, &c) && c == 3);
    assert_false(hc_pb_packed_count(hc_span_of(packed, 2), HC_WT_VARINT, &c));
    assert_false(hc_pb_packed_count(hc_span_of(packed, 3), HC_WT_I32, &c));
    hc_buf_fini(&b);
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varints_round_trip),
        cmocka_unit_test(every_wire_type),
        cmocka_unit_test(lengths_are_checked),
        cmocka_unit_test(nested_messages_are_sized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
