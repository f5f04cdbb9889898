/* test_pbtxt.c - the text format: parsing every syntax form, printing as TensorFlow does,
 * text -> wire -> text -> wire being a fixed point, unknown fields surviving, the shared
 * binary models coming back byte for byte through text, malformed text and binary being
 * reported with their position, content sniffing, and allocation failures. */
#include "common/models.h"
#include "common/testlib.h"

#include "fmt/graphdef/graphdef.h"
#include "fmt/graphdef/schema.h"
#include "pb/wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ---- */

static hc_ctx *new_ctx(void) {
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    return ctx;
}

/* Text to wire; fails the test with the message on error. */
static void parse_ok(hc_ctx *ctx, const char *text, size_t len, hc_buf *out) {
    hc_buf_init(out, ctx);
    hc_status s = hc_pbtxt_to_wire(ctx, hc_span_of(text, len), out);
    if (s)
        fail_msg("parse failed: %s\n--- text:\n%.*s", hc_ctx_message(ctx), (int)HC_MIN(len, 2000),
                 text);
}

static void print_ok(hc_ctx *ctx, const hc_buf *wire, hc_buf *out) {
    hc_buf_init(out, ctx);
    hc_status s = hc_wire_to_pbtxt(ctx, hc_span_of(wire->p, wire->n), out);
    if (s) fail_msg("print failed: %s", hc_ctx_message(ctx));
}

/* true when some line of the text is a field printed by number ("  12: ..."). */
static bool has_numbered_field(const hc_buf *t) {
    for (size_t i = 0; i < t->n; i++) {
        if (i && t->p[i - 1] != '\n') continue;
        size_t k = i;
        while (k < t->n && t->p[k] == ' ')
            k++;
        if (k < t->n && t->p[k] >= '0' && t->p[k] <= '9') return true;
    }
    return false;
}

/* The path of a shared file; skips this test (not the whole program) when it is missing,
 * except under CI=true where hc_test_shared fails. */
static const char *shared_or_skip(const char *rel) {
    const char *ci = getenv("CI");
    if (!hc_test_has_shared(rel) && !(ci && !strcmp(ci, "true"))) skip();
    return hc_test_shared(rel);
}

static void assert_bufs_equal(const hc_buf *a, const hc_buf *b) {
    assert_int_equal(a->n, b->n);
    if (a->n) assert_memory_equal(a->p, b->p, a->n);
}

/* text -> W1 -> T1 -> W2 -> T2 with W1 == W2 and T1 == T2. */
static void check_fixed_point(hc_ctx *ctx, const char *text, size_t len) {
    hc_buf w1, t1, w2, t2;
    parse_ok(ctx, text, len, &w1);
    print_ok(ctx, &w1, &t1);
    parse_ok(ctx, (const char *)t1.p, t1.n, &w2);
    assert_bufs_equal(&w1, &w2);
    print_ok(ctx, &w2, &t2);
    assert_bufs_equal(&t1, &t2);
    hc_buf_fini(&w1);
    hc_buf_fini(&t1);
    hc_buf_fini(&w2);
    hc_buf_fini(&t2);
}

/* The text parses to exactly the bytes expect[0..n). */
static void expect_wire(hc_ctx *ctx, const char *text, const hc_buf *expect) {
    hc_buf w;
    parse_ok(ctx, text, strlen(text), &w);
    if (w.n != expect->n || memcmp(w.p, expect->p, w.n)) {
        fprintf(stderr, "text: %s\ngot:     ", text);
        for (size_t i = 0; i < w.n; i++)
            fprintf(stderr, "%02x ", w.p[i]);
        fprintf(stderr, "\nexpected:");
        for (size_t i = 0; i < expect->n; i++)
            fprintf(stderr, " %02x", expect->p[i]);
        fprintf(stderr, "\n");
        fail_msg("wire bytes differ");
    }
    hc_buf_fini(&w);
    check_fixed_point(ctx, text, strlen(text));
}

/* The wire bytes print to exactly `text`. */
static void expect_text(hc_ctx *ctx, const hc_buf *wire, const char *text) {
    hc_buf t;
    print_ok(ctx, wire, &t);
    if (t.n != strlen(text) || memcmp(t.p, text, t.n))
        fail_msg("printed:\n%.*s\nexpected:\n%s", (int)t.n, (const char *)t.p, text);
    hc_buf_fini(&t);
}

/* Writers for the expected bytes: node { attr { key: k value { <body> } } }. */
typedef struct attr_case {
    const char *key;
    const hc_buf *value; /* AttrValue body */
} attr_case;

static void put_span_arg(hc_buf *b, const void *arg) {
    const hc_buf *v = arg;
    hc_buf_put(b, v->p, v->n);
}

static void put_attr_entry(hc_buf *b, const void *arg) {
    const attr_case *a = arg;
    hc_pbw_str(b, 1, a->key);
    hc_pbw_message(b, 2, put_span_arg, a->value);
}

static void put_node_with_attr(hc_buf *b, const void *arg) {
    hc_pbw_message(b, 5, put_attr_entry, arg);
}

/* Expected GraphDef bytes of `node { attr { key: "k" value { <value> } } }`. */
static void node_attr_wire(hc_ctx *ctx, const hc_buf *value, hc_buf *out) {
    attr_case a = {"k", value};
    hc_buf_init(out, ctx);
    hc_pbw_message(out, 1, put_node_with_attr, &a);
}

static void attr_text(char *dst, size_t cap, const char *value) {
    snprintf(dst, cap, "node { attr { key: \"k\" value { %s } } }", value);
}

/* ---- tests ---- */

static void schema_is_consistent(void **state) {
    (void)state;
    for (size_t m = 0; m < HC_SM_COUNT; m++) {
        const hc_schema_msg *msg = &hc_schema_msgs[m];
        assert_non_null(msg->name);
        assert_true(msg->n_fields > 0);
        for (size_t i = 0; i < msg->n_fields; i++) {
            const hc_schema_field *f = &msg->fields[i];
            assert_true(f->num >= 1 && f->num <= HC_SCHEMA_MAX_FIELD_NUM);
            assert_true(f->kind < HC_SK_COUNT);
            if (f->kind == HC_SK_MESSAGE) assert_true(f->ref < HC_SM_COUNT);
            if (f->kind == HC_SK_ENUM) assert_true(f->ref < HC_SE_COUNT);
            for (size_t j = 0; j < i; j++) {
                assert_true(msg->fields[j].num != f->num);
                assert_true(strcmp(msg->fields[j].name, f->name) != 0);
            }
            assert_ptr_equal(hc_schema_field_by_num(msg, f->num), f);
            assert_ptr_equal(hc_schema_field_by_name(msg, f->name, strlen(f->name)), f);
        }
    }
    for (size_t e = 0; e < HC_SE_COUNT; e++) {
        const hc_schema_enum *en = &hc_schema_enums[e];
        for (size_t i = 0; i < en->n_values; i++) {
            if (i) assert_true(en->values[i - 1].num < en->values[i].num);
            int32_t v;
            const char *n = en->values[i].name;
            assert_true(hc_schema_enum_value((hc_schema_enum_id)e, n, strlen(n), &v));
            assert_int_equal(v, en->values[i].num);
            assert_string_equal(hc_schema_enum_name((hc_schema_enum_id)e, v), n);
        }
    }
    /* DataType: every number 1..23 and its _REF round-trips. */
    for (int32_t v = 1; v <= 23; v++) {
        assert_non_null(hc_schema_enum_name(HC_SE_DATA_TYPE, v));
        assert_non_null(hc_schema_enum_name(HC_SE_DATA_TYPE, v + 100));
    }
    assert_string_equal(hc_schema_enum_name(HC_SE_DATA_TYPE, 19), "DT_HALF");
    assert_string_equal(hc_schema_enum_name(HC_SE_DATA_TYPE, 123), "DT_UINT64_REF");
    assert_null(hc_schema_enum_name(HC_SE_DATA_TYPE, 99));
}

static const char HAND_GRAPH[] =
    "# a small graph that uses most forms once\n"
    "node {\n"
    "  name: \"x\"\n"
    "  op: \"Placeholder\"\n"
    "  attr { key: \"dtype\" value { type: DT_FLOAT } }\n"
    "  attr { key: \"shape\" value { shape { dim { size: -1 } dim { size: 3 } } } }\n"
    "}\n"
    "node <\n"
    "  name: 'w';\n"
    "  op: \"Const\",\n"
    "  attr {\n"
    "    key: \"value\"\n"
    "    value: {\n"
    "      tensor {\n"
    "        dtype: DT_FLOAT\n"
    "        tensor_shape { dim: { size: 3 } }\n"
    "        float_val: [1.5, -2e-3, .25]  # list form\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "  attr { key: \"dtype\" value { type: 1 } }\n"
    ">\n"
    "node {\n"
    "  name: \"c\" op: \"Const\"\n"
    "  attr { key: \"value\" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 2 } }\n"
    "      tensor_content: \"\\001\\000\\000\\000\" '\\377\\xff\\xFF\\377' } } }\n"
    "  attr { key: \"dtype\" value { type: DT_INT32 } }\n"
    "}\n"
    "node {\n"
    "  name: \"y\" op: \"Mul\" input: \"x\" input: \"w:0\" input: \"^c\"\n"
    "  device: \"/cpu:0\"\n"
    "  attr { key: \"T\" value { type: DT_FLOAT } }\n"
    "  attr { key: \"ints\" value { list { i: [1, -2, 0x10] } } }\n"
    "  attr { key: \"f\" value { f: 0.5 } }\n"
    "}\n"
    "versions { producer: 27 min_consumer: 12 }\n";

static void hand_written_graph_reads(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    hc_buf w;
    parse_ok(ctx, HAND_GRAPH, strlen(HAND_GRAPH), &w);
    hc_graph g;
    hc_graph_init(&g, ctx);
    if (hc_graphdef_read(&g, hc_span_of(w.p, w.n))) fail_msg("%s", hc_ctx_message(ctx));
    assert_int_equal(g.n_nodes, 4);
    const hc_node *x = &g.nodes[0], *wn = &g.nodes[1], *c = &g.nodes[2], *y = &g.nodes[3];
    assert_true(hc_span_eq_str(x->name, "x") && hc_span_eq_str(x->op, "Placeholder"));
    const hc_attr *a = hc_node_attr(x, "dtype");
    assert_non_null(a);
    assert_int_equal(a->kind, HC_ATTR_TYPE);
    assert_int_equal(a->u.type, HC_DT_FLOAT);
    a = hc_node_attr(x, "shape");
    assert_int_equal(a->kind, HC_ATTR_SHAPE);
    assert_int_equal(a->u.shape.rank, 2);
    assert_int_equal(a->u.shape.dims[0], -1);
    assert_int_equal(a->u.shape.dims[1], 3);

    assert_true(hc_span_eq_str(wn->name, "w"));
    a = hc_node_attr(wn, "value");
    assert_int_equal(a->kind, HC_ATTR_TENSOR);
    const hc_tensor_proto *t = a->u.tensor;
    assert_int_equal(t->dtype, HC_DT_FLOAT);
    assert_int_equal(t->shape.rank, 1);
    assert_int_equal(t->shape.dims[0], 3);
    assert_int_equal(t->enc, HC_ENC_VALUES);
    assert_int_equal(t->val_field, 5);
    assert_int_equal(t->n_vals, 3);
    assert_int_equal(t->vals.n, 12);
    const float want[3] = {1.5f, -2e-3f, 0.25f};
    assert_memory_equal(t->vals.p, want, 12);
    assert_int_equal(hc_node_attr(wn, "dtype")->u.type, HC_DT_FLOAT);

    a = hc_node_attr(c, "value");
    assert_int_equal(a->u.tensor->enc, HC_ENC_CONTENT);
    assert_int_equal(a->u.tensor->content.n, 8);
    assert_memory_equal(a->u.tensor->content.p, "\1\0\0\0\377\377\377\377", 8);

    assert_int_equal(y->n_in, 3);
    assert_true(hc_span_eq_str(y->in_names[1], "w:0") && hc_span_eq_str(y->in_names[2], "^c"));
    assert_true(hc_span_eq_str(y->device, "/cpu:0"));
    a = hc_node_attr(y, "ints");
    assert_int_equal(a->kind, HC_ATTR_LIST);
    assert_int_equal(a->u.list->kind, HC_ATTR_I);
    assert_int_equal(a->u.list->n, 3);
    assert_int_equal(a->u.list->u.i[0], 1);
    assert_int_equal(a->u.list->u.i[1], -2);
    assert_int_equal(a->u.list->u.i[2], 16);
    assert_true(hc_node_attr(y, "f")->u.f == 0.5f);
    assert_int_equal(g.n_top_fields, 1); /* versions */
    hc_graph_fini(&g);
    check_fixed_point(ctx, HAND_GRAPH, strlen(HAND_GRAPH));
    hc_buf_fini(&w);
    hc_ctx_free(ctx);
}

static void strings_and_escapes(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    hc_buf v, e;
    char text[512];
    static const char raw[] = "a\n\r\t\\'\"?\a\b\f\vAA\0z\1\0017\xc3\xa9\xf0\x9f\x98\x80\x7f"
                              "bcd";
    hc_buf_init(&v, ctx);
    hc_pbw_bytes(&v, 2, raw, sizeof raw - 1);
    node_attr_wire(ctx, &v, &e);
    attr_text(text, sizeof text,
              "s: \"a\\n\\r\\t\\\\\\'\\\"\\?\\a\\b\\f\\v\\101\\x41\\0z\\1\\0017\\u00e9\\U0001F600"
              "\\177\" 'b' # comment between literals\n 'c' \"d\"");
    expect_wire(ctx, text, &e);
    /* Printed back: C escapes where they exist, octal otherwise (as TensorFlow writes). */
    expect_text(ctx, &e,
                "node {\n  attr {\n    key: \"k\"\n    value {\n      s: "
                "\"a\\n\\r\\t\\\\\\'\\\"?\\007\\010\\014\\013AA\\000z\\001\\0017\\303\\251\\360"
                "\\237\\230\\200\\177bcd\"\n    }\n  }\n}\n");
    hc_buf_fini(&v);
    hc_buf_fini(&e);
    /* Single quotes hold double quotes unescaped, and the other way round. */
    hc_buf_init(&v, ctx);
    hc_pbw_str(&v, 2, "say \"hi\" it's");
    node_attr_wire(ctx, &v, &e);
    attr_text(text, sizeof text, "s: 'say \"hi\" ' \"it's\"");
    expect_wire(ctx, text, &e);
    hc_buf_fini(&v);
    hc_buf_fini(&e);
    hc_ctx_free(ctx);
}

static void integers(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    static const struct {
        const char *text;
        int64_t v;
    } cases[] = {
        {"0", 0},
        {"42", 42},
        {"-42", -42},
        {"0x7fffffffffffffff", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"0X1F", 31},
        {"017", 15},
        {"- 3", -3},
    };
    for (size_t i = 0; i < HC_COUNT(cases); i++) {
        hc_buf v, e;
        char text[256], val[64];
        hc_buf_init(&v, ctx);
        hc_pbw_sint64(&v, 3, cases[i].v);
        node_attr_wire(ctx, &v, &e);
        snprintf(val, sizeof val, "i: %s", cases[i].text);
        attr_text(text, sizeof text, val);
        expect_wire(ctx, text, &e);
        hc_buf_fini(&v);
        hc_buf_fini(&e);
    }
    /* int32 (sign-extended to 10 bytes), uint32 and uint64 in a tensor, packed. */
    const char *text =
        "node { attr { key: \"k\" value { tensor { int_val: [-2147483648, 2147483647]"
        " uint32_val: 4294967295 uint64_val: 18446744073709551615 } } } }";
    hc_buf w, t;
    parse_ok(ctx, text, strlen(text), &w);
    print_ok(ctx, &w, &t);
    hc_buf_putc(&t, 0);
    assert_non_null(strstr((const char *)t.p, "\n        int_val: -2147483648\n"
                                              "        int_val: 2147483647\n"
                                              "        uint32_val: 4294967295\n"
                                              "        uint64_val: 18446744073709551615\n"));
    check_fixed_point(ctx, text, strlen(text));
    hc_buf_fini(&w);
    hc_buf_fini(&t);
    hc_ctx_free(ctx);
}

static void floats_bools_and_enums(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    static const struct {
        const char *text;
        float v;
    } fl[] = {{"1", 1.0f},      {"1.5", 1.5f},  {"-2e-3", -2e-3f},
              {".5", 0.5f},     {"1.5f", 1.5f}, {"2E+2F", 200.0f},
              {"0x10", 16.0f},  {"-0", -0.0f},  {"3.4028235e38", 3.4028235e38f},
              {"1e-45", 1e-45f}};
    for (size_t i = 0; i < HC_COUNT(fl); i++) {
        hc_buf v, e;
        char text[256], val[64];
        hc_buf_init(&v, ctx);
        hc_pbw_float(&v, 4, fl[i].v);
        node_attr_wire(ctx, &v, &e);
        snprintf(val, sizeof val, "f: %s", fl[i].text);
        attr_text(text, sizeof text, val);
        expect_wire(ctx, text, &e);
        hc_buf_fini(&v);
        hc_buf_fini(&e);
    }
    static const struct {
        const char *text;
        uint32_t bits;
    } special[] = {{"inf", 0x7f800000u},  {"-inf", 0xff800000u}, {"Infinity", 0x7f800000u},
                   {"-INF", 0xff800000u}, {"nan", 0x7fc00000u},  {"NaN", 0x7fc00000u},
                   {"-nan", 0xffc00000u}};
    for (size_t i = 0; i < HC_COUNT(special); i++) {
        hc_buf v, e;
        char text[256], val[64];
        hc_buf_init(&v, ctx);
        hc_pbw_fixed32(&v, 4, special[i].bits);
        node_attr_wire(ctx, &v, &e);
        snprintf(val, sizeof val, "f: %s", special[i].text);
        attr_text(text, sizeof text, val);
        expect_wire(ctx, text, &e);
        hc_buf_fini(&v);
        hc_buf_fini(&e);
    }
    static const struct {
        const char *text;
        uint64_t v;
        uint32_t field;
    } vi[] = {{"b: true", 1, 5},
              {"b: True", 1, 5},
              {"b: t", 1, 5},
              {"b: 1", 1, 5},
              {"b: false", 0, 5},
              {"b: False", 0, 5},
              {"b: f", 0, 5},
              {"b: 0", 0, 5},
              {"type: DT_FLOAT", 1, 6},
              {"type: DT_HALF", 19, 6},
              {"type: DT_UINT64", 23, 6},
              {"type: DT_HALF_REF", 119, 6},
              {"type: 19", 19, 6},
              {"type: 999", 999, 6},
              {"type: -1", UINT64_MAX, 6},
              {"type: DT_INVALID", 0, 6}};
    for (size_t i = 0; i < HC_COUNT(vi); i++) {
        hc_buf v, e;
        char text[256];
        hc_buf_init(&v, ctx);
        hc_pbw_uint(&v, vi[i].field, vi[i].v);
        node_attr_wire(ctx, &v, &e);
        attr_text(text, sizeof text, vi[i].text);
        expect_wire(ctx, text, &e);
        hc_buf_fini(&v);
        hc_buf_fini(&e);
    }
    /* Doubles in a tensor, and how floats print: shortest form that reads back. */
    const char *text = "node { attr { key: \"k\" value { tensor { double_val: [0.1, 1e300, "
                       "-inf, 2.5] float_val: [0.1, 1e-05, 3.4028235e38, 16777216, "
                       "1.00099996416e-05, -0] } } } }";
    hc_buf w, t;
    parse_ok(ctx, text, strlen(text), &w);
    print_ok(ctx, &w, &t);
    hc_buf_putc(&t, 0);
    static const char *const lines[] = {"double_val: 0.1\n",          "double_val: 1e+300\n",
                                        "double_val: -inf\n",         "double_val: 2.5\n",
                                        "float_val: 0.1\n",           "float_val: 1e-05\n",
                                        "float_val: 3.4028235e+38\n", "float_val: 16777216\n",
                                        "float_val: 1.001e-05\n",     "float_val: -0\n"};
    for (size_t i = 0; i < HC_COUNT(lines); i++)
        if (!strstr((const char *)t.p, lines[i]))
            fail_msg("missing line %s in\n%s", lines[i], (const char *)t.p);
    check_fixed_point(ctx, text, strlen(text));
    hc_buf_fini(&w);
    hc_buf_fini(&t);
    hc_ctx_free(ctx);
}

/* Lists, repeated entries and the message forms give the same bytes. */
static void lists_and_message_forms(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    static const char *const same[][2] = {
        {"list { i: [1, 2, 3] }", "list { i: 1 i: 2; i: 3, }"},
        {"list { type: [DT_FLOAT, DT_HALF] }", "list: { type: DT_FLOAT type: 19 }"},
        {"list { shape [{dim {size: 1}}, {unknown_rank: true}] }",
         "list < shape { dim < size: 1 > } shape: { unknown_rank: t } >"},
        {"list { s: [\"a\", 'b'] f: [] b: [] }", "list { s: \"a\" s: \"b\" }"},
        {"list { func [{ name: \"f\" attr { key: \"T\" value { type: DT_FLOAT } } }] }",
         "list { func: { name: \"f\", attr: { key: 'T', value: { type: DT_FLOAT, }, }, }, }"},
    };
    for (size_t i = 0; i < HC_COUNT(same); i++) {
        char a[512], b[512];
        attr_text(a, sizeof a, same[i][0]);
        attr_text(b, sizeof b, same[i][1]);
        hc_buf wa, wb;
        parse_ok(ctx, a, strlen(a), &wa);
        parse_ok(ctx, b, strlen(b), &wb);
        assert_bufs_equal(&wa, &wb);
        check_fixed_point(ctx, a, strlen(a));
        hc_buf_fini(&wa);
        hc_buf_fini(&wb);
    }
    /* A packed run is one field: i: [1, 2, 3] is 1a 03 01 02 03. */
    hc_buf v, l, e;
    hc_buf_init(&l, ctx);
    hc_pbw_bytes(&l, 3, "\1\2\3", 3);
    hc_buf_init(&v, ctx);
    hc_pbw_span(&v, 1, hc_span_of(l.p, l.n));
    node_attr_wire(ctx, &v, &e);
    expect_wire(ctx, "node { attr { key: \"k\" value { list { i: [1, 2] i: 3 } } } }", &e);
    expect_text(ctx, &e,
                "node {\n  attr {\n    key: \"k\"\n    value {\n      list {\n        i: 1\n"
                "        i: 2\n        i: 3\n      }\n    }\n  }\n}\n");
    hc_buf_fini(&v);
    hc_buf_fini(&l);
    hc_buf_fini(&e);
    /* Maps of the function library, FullTypeDef enums and debug info all have names. */
    const char *lib =
        "library { function { signature { name: \"fn\" input_arg { name: \"a\" type: DT_FLOAT }"
        " output_arg { name: \"r\" type_attr: \"T\" } attr { name: \"T\" type: \"type\""
        " allowed_values { list { type: [DT_HALF, DT_FLOAT] } } } is_stateful: true }"
        " node_def { name: \"n\" op: \"Identity\" input: \"a\" experimental_type {"
        " type_id: TFT_PRODUCT args { type_id: TFT_TENSOR args { type_id: TFT_FLOAT } } } }"
        " ret { key: \"r\" value: \"n:output:0\" } control_ret { key: \"c\" value: \"n\" }"
        " arg_attr { key: 0 value { attr { key: \"_a\" value { b: true } } } }"
        " resource_arg_unique_id { key: 1 value: 2 } }"
        " gradient { function_name: \"fn\" gradient_func: \"g\" }"
        " registered_gradients { gradient_func: \"g\" registered_op_type: \"Op\" } }\n"
        "node { name: \"n\" op: \"fn\" experimental_debug_info { original_node_names: \"o\" } }\n"
        "debug_info { files: \"a.py\" frames_by_id { key: 7 value { file_index: 0 line: 3"
        " func: \"f\" } } traces_by_id { key: 9 value { frame_id: [7, 8] } }"
        " name_to_trace_id { key: \"n\" value: 9 } }\n"
        "versions { producer: 1 bad_consumers: [2, 3] }\nversion: 4\n";
    check_fixed_point(ctx, lib, strlen(lib));
    hc_buf w, t;
    parse_ok(ctx, lib, strlen(lib), &w);
    print_ok(ctx, &w, &t);
    hc_buf_putc(&t, 0);
    assert_non_null(strstr((const char *)t.p, "            type_id: TFT_FLOAT\n"));
    assert_non_null(strstr((const char *)t.p, "      frame_id: 8\n"));
    assert_false(has_numbered_field(&t));
    hc_buf_fini(&w);
    hc_buf_fini(&t);
    hc_ctx_free(ctx);
}

/* Unknown numbers, wrong wire types and values a name would not give back: by number. */
static void unknown_fields_survive(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    const char *text = "node { name: \"a\" 999: 5 998: \"abc\" 997: 0x0000000a"
                       " 996: 0x000000000000000b 995: -1 994 { 1: 2 3: \"x\" 4 { } } }\n"
                       "123: 7\n";
    hc_buf w, t;
    parse_ok(ctx, text, strlen(text), &w);
    print_ok(ctx, &w, &t);
    const char *want = "node {\n  name: \"a\"\n  999: 5\n  998: \"abc\"\n  997: 0x0000000a\n"
                       "  996: 0x000000000000000b\n  995: 18446744073709551615\n"
                       "  994: \"\\010\\002\\032\\001x\\\"\\000\"\n}\n123: 7\n";
    if (t.n != strlen(want) || memcmp(t.p, want, t.n))
        fail_msg("got\n%.*s", (int)t.n, (const char *)t.p);
    check_fixed_point(ctx, text, strlen(text));
    hc_buf_fini(&w);
    hc_buf_fini(&t);

    /* Binary that the schema would not print back by name. */
    hc_buf b;
    hc_buf_init(&b, ctx);
    hc_buf n;
    hc_buf_init(&n, ctx);
    hc_pbw_uint(&n, 1, 5);          /* name as a varint */
    hc_pbw_fixed32(&n, 2, 7);       /* op as fixed32 */
    hc_pbw_bytes(&n, 6, "\xff", 1); /* debug info that is not a message */
    hc_buf_put(&b, "\x0a", 1);
    hc_pbw_varint(&b, n.n);
    hc_buf_put(&b, n.p, n.n);
    hc_buf av, tv; /* tensor with odd value fields */
    hc_buf_init(&av, ctx);
    hc_buf_init(&tv, ctx);
    hc_pbw_bytes(&tv, 7, "\1\2", 2);     /* int_val packed */
    hc_pbw_bytes(&tv, 7, "\3", 1);       /* ... and again: would merge if named */
    hc_pbw_uint(&tv, 7, 4);              /* unpacked element */
    hc_pbw_bytes(&tv, 5, "", 0);         /* empty packed float_val */
    hc_pbw_bytes(&tv, 5, "\1\2\3", 3);   /* float_val not a whole number of floats */
    hc_pbw_fixed32(&tv, 5, 0x7fc00001u); /* NaN with a payload, unpacked */
    hc_pbw_bytes(&tv, 7, "\x80\x00", 2); /* over-long varint */
    hc_pbw_bytes(&tv, 11, "\2", 1);      /* bool_val 2 */
    hc_pbw_uint(&tv, 1, 1ull << 40);     /* dtype out of int32 range */
    hc_pbw_uint(&tv, 3, 0xffffffffu);    /* int32 -1 written as uint32 */
    hc_pbw_span(&av, 8, hc_span_of(tv.p, tv.n));
    hc_pbw_fixed32(&av, 4, 0xffc00001u); /* f: NaN with payload */
    hc_pbw_uint(&av, 5, 3);              /* b: 3 */
    hc_buf_fini(&n);
    hc_buf_init(&n, ctx);
    attr_case ac = {"k", &av};
    hc_pbw_message(&n, 5, put_attr_entry, &ac);
    hc_pbw_span(&b, 1, hc_span_of(n.p, n.n));
    hc_pbw_uint(&b, 4, 3); /* versions as a varint */
    print_ok(ctx, &b, &t);
    parse_ok(ctx, (const char *)t.p, t.n, &w);
    assert_bufs_equal(&w, &b);
    hc_buf_putc(&t, 0);
    assert_non_null(strstr((const char *)t.p, "  1: 5\n  2: 0x00000007\n  6: \"\\377\"\n"));
    assert_non_null(strstr((const char *)t.p, "int_val: 1\n        int_val: 2\n"));
    assert_non_null(strstr((const char *)t.p, "7: \"\\003\"\n        7: 4\n"));
    hc_buf_fini(&w);
    hc_buf_fini(&t);
    hc_buf_fini(&b);
    hc_buf_fini(&n);
    hc_buf_fini(&av);
    hc_buf_fini(&tv);
    hc_ctx_free(ctx);
}

/* Messages nest up to 64 levels in text; deeper binary prints the rest by number. */
static void depth_limits(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    hc_buf text;
    hc_buf_init(&text, ctx);
    for (int i = 0; i < 64; i++)
        hc_buf_puts(&text, "1000 {");
    for (int i = 0; i < 64; i++)
        hc_buf_puts(&text, "}");
    hc_buf w;
    parse_ok(ctx, (const char *)text.p, text.n, &w);
    hc_buf_fini(&w);
    hc_buf_fini(&text);
    hc_buf_init(&text, ctx);
    hc_buf_puts(&text, "node { experimental_type {");
    for (int i = 0; i < 62; i++)
        hc_buf_puts(&text, " args { type_id: TFT_ANY");
    for (int i = 0; i < 64; i++)
        hc_buf_puts(&text, "}");
    check_fixed_point(ctx, (const char *)text.p, text.n);
    parse_ok(ctx, (const char *)text.p, text.n, &w);
    hc_buf t;
    print_ok(ctx, &w, &t);
    assert_false(has_numbered_field(&t)); /* all 64 levels by name */
    hc_buf_fini(&t);
    hc_buf_fini(&w);
    hc_buf_fini(&text);
    /* 70 levels of FullTypeDef.args in binary: the ones past 64 print as bytes. */
    hc_buf inner;
    hc_buf_init(&inner, ctx);
    for (int i = 0; i < 70; i++) {
        hc_buf outer;
        hc_buf_init(&outer, ctx);
        hc_pbw_uint(&outer, 1, 2);
        hc_pbw_span(&outer, i < 69 ? 2 : 7, hc_span_of(inner.p, inner.n));
        hc_buf_fini(&inner);
        inner = outer;
    }
    hc_buf g;
    hc_buf_init(&g, ctx);
    hc_pbw_span(&g, 1, hc_span_of(inner.p, inner.n)); /* node { experimental_type ... } */
    print_ok(ctx, &g, &t);
    parse_ok(ctx, (const char *)t.p, t.n, &w);
    assert_bufs_equal(&w, &g);
    hc_buf_putc(&t, 0);
    assert_non_null(strstr((const char *)t.p, "2: \""));
    hc_buf_fini(&t);
    hc_buf_fini(&w);
    hc_buf_fini(&g);
    hc_buf_fini(&inner);
    hc_ctx_free(ctx);
}

static void shared_models_round_trip(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    for (size_t i = 0; i < HC_N_TF_MODELS; i++) {
        const char *path = shared_or_skip(HC_TF_MODELS[i]);
        size_t n;
        uint8_t *bin = hc_test_read(path, &n);
        assert_non_null(bin);
        assert_false(hc_pbtxt_sniff(hc_span_of(bin, n)));
        struct timespec t0, t1, t2;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        hc_buf t, w;
        hc_buf_init(&t, ctx);
        if (hc_wire_to_pbtxt(ctx, hc_span_of(bin, n), &t)) fail_msg("%s", hc_ctx_message(ctx));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        hc_buf_init(&w, ctx);
        if (hc_pbtxt_to_wire(ctx, hc_span_of(t.p, t.n), &w)) fail_msg("%s", hc_ctx_message(ctx));
        clock_gettime(CLOCK_MONOTONIC, &t2);
        assert_true(hc_pbtxt_sniff(hc_span_of(t.p, t.n)));
        /* TensorFlow writes canonical encodings, so the identity is exact. */
        assert_int_equal(w.n, n);
        assert_memory_equal(w.p, bin, n);
        double ms1 =
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        double ms2 =
            (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6;
        printf("%s: %zu bytes, text %zu bytes, to text %.1f ms, to binary %.1f ms\n",
               strrchr(path, '/') + 1, n, t.n, ms1, ms2);
        hc_buf_fini(&t);
        hc_buf_fini(&w);
        free(bin);
    }
    hc_ctx_free(ctx);
}

static void opencv_pbtxt_parses(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    const char *path =
        shared_or_skip("models/tf/opencv-face-ssd-resnet10-uint8/opencv_face_detector.pbtxt");
    size_t n;
    uint8_t *text = hc_test_read(path, &n);
    assert_non_null(text);
    assert_true(hc_pbtxt_sniff(hc_span_of(text, n)));
    hc_buf w;
    parse_ok(ctx, (const char *)text, n, &w);
    /* OpenCV's text graphs leave the weights out (they live in the .pb), so linking the
     * inputs fails; every node has been read by then. */
    hc_graph g;
    hc_graph_init(&g, ctx);
    hc_status s = hc_graphdef_read(&g, hc_span_of(w.p, w.n));
    if (s && !strstr(hc_ctx_message(ctx), "names a node that does not exist"))
        fail_msg("%s", hc_ctx_message(ctx));
    hc_ctx_clear(ctx);
    assert_true(g.n_nodes > 100);
    assert_true(hc_span_eq_str(g.nodes[0].name, "data"));
    assert_true(hc_span_eq_str(g.nodes[0].op, "Placeholder"));
    assert_int_equal(hc_node_attr(&g.nodes[0], "dtype")->u.type, HC_DT_FLOAT);
    assert_true(hc_span_eq_str(g.nodes[1].name, "data_bn/FusedBatchNorm"));
    assert_int_equal(g.nodes[1].n_in, 5);
    const hc_attr *eps = hc_node_attr(&g.nodes[1], "epsilon");
    assert_non_null(eps);
    assert_true(eps->u.f == 1.00099996416e-05f);
    const hc_attr *pads = hc_node_attr(&g.nodes[4], "value");
    assert_non_null(pads);
    assert_int_equal(pads->u.tensor->dtype, HC_DT_INT32);
    assert_int_equal(pads->u.tensor->n_vals, 2);
    hc_graph_fini(&g);
    check_fixed_point(ctx, (const char *)text, n);
    hc_buf_fini(&w);
    free(text);
    hc_ctx_free(ctx);
}

static const struct {
    const char *text;
    const char *says; /* part of the message */
} BAD_TEXT[] = {
    {"node { name: \"abc }", "line 1 column 14: string is not closed"},
    {"node { name: \"a\nb\" }", "string is not closed at the end of its line"},
    {"node { name: \"a\\qb\" }", "invalid escape '\\q'"},
    {"node { name: \"\\x\" }", "\\x escape without hex digits"},
    {"node { name: \"\\400\" }", "octal escape above"},
    {"node { name: \"\\u12\" }", "\\u escape needs 4 hex digits"},
    {"node { nmae: \"a\" }", "unknown field 'nmae' in NodeDef"},
    {"node { attr { key: \"T\" value { type: DT_FLAOT } } }", "unknown DataType value 'DT_FLAOT'"},
    {"versions { producer: 2147483648 }", "out of range for int32 field 'producer'"},
    {"versions { producer: -2147483649 }", "out of range for int32"},
    {"node { attr { value { tensor { uint32_val: -1 } } } }", "out of range for uint32"},
    {"node { attr { value { i: 18446744073709551616 } } }", "does not fit in 64 bits"},
    {"node { attr { value { i: 1.5 } } }", "expected an integer"},
    {"node { attr { value { b: 2 } } }", "expected true or false"},
    {"node { attr { value { b: yes } } }", "expected true or false"},
    {"node { attr { value { f: abc } } }", "expected a number"},
    {"node { attr { value { f: 1.5.5 } } }", "expected a number"},
    {"node { name: \"a\"", "line 1 column 6: '{' is not closed"},
    {"node { name: \"a\" } }", "line 1 column 20: unexpected '}'"},
    {"node { name: \"a\" >", "unexpected '>'"},
    {"node: \"x\"", "field 'node' is a message: expected '{'"},
    {"node { name { } }", "field 'name' is a string, not a message"},
    {"node { name \"x\" }", "expected ':' or '{' after field 'name'"},
    {"node { name: x }", "expected a string for field 'name'"},
    {"node { op: [\"a\"] }", "field 'op' is not repeated"},
    {"versions { bad_consumers: [1 2] }", "expected ',' or ']' in the list of 'bad_consumers'"},
    {"node { input: [\"a\", }", "expected a string"},
    {"node { [ext.field]: 1 }", "extension and Any fields"},
    {"0: 1", "invalid field number '0'"},
    {"536870912: 1", "invalid field number"},
    {"12: 1.5", "expected a number or a string"},
    {"12 { name: \"a\" }", "unknown field 'name' in a message known only by number"},
    {"node { = }", "expected a field name, found '='"},
    {"node {\n  name: \"a\"\n  op: @\n}", "line 3 column 7: expected a string for field 'op'"},
    {"node { name: \"a\" \x01 }", "byte 0x01"},
    {"versions { producer: 0x }", "expected an integer"},
    {"versions { producer: 09 }", "expected an integer"},
    {"versions { producer: - }", "expected an integer"},
    {"node { attr { value { type: -2147483649 } } }", "out of range for enum"},
};

static void malformed_text_is_reported(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    for (size_t i = 0; i < HC_COUNT(BAD_TEXT); i++) {
        hc_ctx_clear(ctx);
        hc_buf w;
        hc_buf_init(&w, ctx);
        hc_buf_puts(&w, "keep");
        hc_status s = hc_pbtxt_to_wire(ctx, hc_span_str(BAD_TEXT[i].text), &w);
        const char *msg = hc_ctx_message(ctx);
        if (s != HC_MALFORMED || !strstr(msg, BAD_TEXT[i].says) || strncmp(msg, "line ", 5) ||
            !strstr(msg, " column ") || strchr(msg, '\n'))
            fail_msg("text %zu <%s>: status %d, message <%s>, wanted <%s>", i, BAD_TEXT[i].text, s,
                     msg, BAD_TEXT[i].says);
        assert_int_equal(w.n, 4); /* the output is left as it was */
        hc_buf_fini(&w);
    }
    /* Nesting: 64 levels are fine, 65 are not. */
    hc_buf text;
    hc_buf_init(&text, ctx);
    for (int i = 0; i < 65; i++)
        hc_buf_puts(&text, "7 {");
    hc_ctx_clear(ctx);
    hc_buf w;
    hc_buf_init(&w, ctx);
    assert_int_equal(hc_pbtxt_to_wire(ctx, hc_span_of(text.p, text.n), &w), HC_MALFORMED);
    assert_non_null(
        strstr(hc_ctx_message(ctx), "line 1 column 195: messages nested deeper than 64"));
    hc_buf_fini(&w);
    hc_buf_fini(&text);
    hc_ctx_free(ctx);
}

static void malformed_binary_is_reported(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    static const struct {
        const char *bytes;
        size_t n;
        const char *says;
    } bad[] = {
        {"\x0a\x05\x0a\x01", 4, "length runs past the end of its message at byte 0"},
        {"\x18", 1, "truncated value at byte 0"},
        {"\x18\x01\x80", 3, "truncated field tag at byte 2"},
        {"\x1b\x1c", 2, "groups are not supported at byte 0"},
        {"\x07\x00", 2, "invalid field number at byte 0"},
        {"\x1e", 1, "invalid wire type at byte 0"},
        {"\x1d\x01\x02", 3, "truncated value"},
    };
    for (size_t i = 0; i < HC_COUNT(bad); i++) {
        hc_ctx_clear(ctx);
        hc_buf t;
        hc_buf_init(&t, ctx);
        hc_status s = hc_wire_to_pbtxt(ctx, hc_span_of(bad[i].bytes, bad[i].n), &t);
        if (s != HC_MALFORMED || !strstr(hc_ctx_message(ctx), bad[i].says))
            fail_msg("case %zu: status %d message <%s>", i, s, hc_ctx_message(ctx));
        assert_int_equal(t.n, 0);
        hc_buf_fini(&t);
    }
    hc_ctx_free(ctx);
}

static void sniffing(void **state) {
    (void)state;
    assert_true(hc_pbtxt_sniff(hc_span_str("node {\n name: \"a\"\n}\n")));
    assert_true(hc_pbtxt_sniff(hc_span_str("# comment\n\n  versions { producer: 1 }")));
    assert_true(hc_pbtxt_sniff(hc_span_str("\xef\xbb\xbfnode { }")));
    assert_true(hc_pbtxt_sniff(hc_span_str("\r\n\tnode { name: \"caf\xc3\xa9\" }")));
    assert_true(hc_pbtxt_sniff(hc_span_str("# only a comment\n")));
    assert_true(hc_pbtxt_sniff(hc_span_str("12: 3")));
    assert_false(hc_pbtxt_sniff(hc_span_of("", 0)));
    assert_false(hc_pbtxt_sniff(hc_span_of("\x0a\x03\x0a\x01x", 5)));
    assert_false(hc_pbtxt_sniff(hc_span_str("\n\x12\x01x")));
    assert_false(hc_pbtxt_sniff(hc_span_str("{ node }")));
    assert_false(hc_pbtxt_sniff(hc_span_str("node { name: \"a\x7f\" }")));
    /* A control byte after the 4 KiB window is not looked at. */
    char big[5000];
    memset(big, ' ', sizeof big);
    memcpy(big, "node {", 6);
    big[4500] = 1;
    assert_true(hc_pbtxt_sniff(hc_span_of(big, sizeof big)));
    big[4000] = 2;
    assert_false(hc_pbtxt_sniff(hc_span_of(big, sizeof big)));
}

/* Fail the k-th allocation for every k: each call either succeeds or reports HC_NOMEM. */
static void allocation_failures(void **state) {
    (void)state;
    hc_ctx *ctx = new_ctx();
    hc_buf ref;
    parse_ok(ctx, HAND_GRAPH, strlen(HAND_GRAPH), &ref);
    for (int dir = 0; dir < 2; dir++) {
        for (uint64_t k = 1;; k++) {
            hc_ctx_clear(ctx);
            ctx->alloc_count = 0;
            ctx->fail_at = k;
            hc_buf out;
            hc_buf_init(&out, ctx);
            hc_status s = dir ? hc_wire_to_pbtxt(ctx, hc_span_of(ref.p, ref.n), &out)
                              : hc_pbtxt_to_wire(ctx, hc_span_str(HAND_GRAPH), &out);
            bool hit = ctx->alloc_count >= k;
            ctx->fail_at = 0;
            hc_buf_fini(&out);
            if (hit)
                assert_int_equal(s, HC_NOMEM);
            else
                assert_int_equal(s, HC_OK);
            if (!hit) break;
            assert_true(k < 100);
        }
    }
    hc_buf_fini(&ref);
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_is_consistent),
        cmocka_unit_test(hand_written_graph_reads),
        cmocka_unit_test(strings_and_escapes),
        cmocka_unit_test(integers),
        cmocka_unit_test(floats_bools_and_enums),
        cmocka_unit_test(lists_and_message_forms),
        cmocka_unit_test(unknown_fields_survive),
        cmocka_unit_test(depth_limits),
        cmocka_unit_test(malformed_text_is_reported),
        cmocka_unit_test(malformed_binary_is_reported),
        cmocka_unit_test(sniffing),
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test(opencv_pbtxt_parses),
        cmocka_unit_test(shared_models_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
