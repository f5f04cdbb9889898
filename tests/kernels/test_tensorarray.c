/* test_tensorarray.c - TensorArray V3 ops through real sessions on graphs built in code:
 * write/read/gather/concat/scatter/split/size/close, TensorFlow's rules (write once, read
 * then cleared, dynamic growth, element shapes, zeros for unwritten elements of a known
 * shape, dtype checks, closed arrays), and TF1 while loops (Enter/Merge/Switch/LoopCond/
 * NextIteration/Exit) that read one TensorArray and write another per iteration, gathered or
 * concatenated after the loop - the "map" and pnet patterns of the real models. */
#include "common/oprun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* Graph helpers                                                                             */

static int32_t node_t(hc_graph *g, int32_t n, const char *attr, hc_dtype t) {
    hc_gb_type(g, n, attr, t);
    return n;
}

/* TensorArrayV3 named `name` of `size_node` elements. */
static int32_t ta_new(hc_graph *g, const char *name, const char *size, hc_dtype dt, int rank,
                      const int64_t *shape, bool dynamic, bool clear, bool identical) {
    int32_t n = HC_GB_NODE(g, "TensorArrayV3", name, size);
    hc_gb_type(g, n, "dtype", dt);
    if (rank >= 0) hc_gb_shape(g, n, "element_shape", rank, shape);
    hc_gb_bool(g, n, "dynamic_size", dynamic);
    hc_gb_bool(g, n, "clear_after_read", clear);
    hc_gb_bool(g, n, "identical_element_shapes", identical);
    hc_gb_str(g, n, "tensor_array_name", "");
    return n;
}

static int32_t ta_write(hc_graph *g, const char *name, const char *h, const char *i, const char *v,
                        const char *flow, hc_dtype t) {
    return node_t(g, HC_GB_NODE(g, "TensorArrayWriteV3", name, h, i, v, flow), "T", t);
}

static int32_t ta_read(hc_graph *g, const char *name, const char *h, const char *i,
                       const char *flow, hc_dtype t) {
    return node_t(g, HC_GB_NODE(g, "TensorArrayReadV3", name, h, i, flow), "dtype", t);
}

static int32_t ta_gather(hc_graph *g, const char *name, const char *h, const char *idx,
                         const char *flow, hc_dtype t, int rank, const int64_t *shape) {
    int32_t n = node_t(g, HC_GB_NODE(g, "TensorArrayGatherV3", name, h, idx, flow), "dtype", t);
    if (rank >= 0) hc_gb_shape(g, n, "element_shape", rank, shape);
    return n;
}

typedef struct sess {
    tg t;
    hc_session *s;
    hc_status st;
    char msg[768];
} sess;

/* Open the built graph, fetch outs, feed (name, tensor) pairs, run. */
static hc_status sess_run(sess *x, const char *const *outs, size_t n_out, const char *in_name,
                          const hc_tensor *in) {
    tg_open(&x->t);
    hc_session_options o = {outs, n_out};
    x->st = hc_session_new(x->t.ctx, x->t.m, &o, &x->s);
    if (!x->st && in_name) x->st = hc_session_set_input(x->s, in_name, in);
    if (!x->st) x->st = hc_session_run(x->s);
    if (x->st) snprintf(x->msg, sizeof x->msg, "%s", hc_ctx_message(x->t.ctx));
    return x->st;
}

static void sess_fini(sess *x) {
    hc_session_free(x->s);
    tg_fini(&x->t);
}

static hc_tensor out_of(const sess *x, size_t i) {
    hc_tensor t;
    memset(&t, 0, sizeof t);
    if (hc_session_output(x->s, i, &t)) fail_msg("output %zu missing", i);
    return t;
}

static void expect_ok(const sess *x) {
    if (x->st) fail_msg("run failed (%d): %s", (int)x->st, x->msg);
}

static void expect_error(const sess *x, hc_status st, const char *needle) {
    if (x->st != st) fail_msg("expected status %d, got %d: %s", (int)st, (int)x->st, x->msg);
    if (needle && !strstr(x->msg, needle)) fail_msg("message lacks '%s': %s", needle, x->msg);
}

static void expect_f32(const hc_tensor *t, int rank, const int64_t *dims, const float *want) {
    assert_int_equal(t->dtype, HC_DT_FLOAT);
    assert_int_equal(t->rank, rank);
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        assert_int_equal(t->dims[i], dims[i]);
        n *= (size_t)dims[i];
    }
    if (n) assert_memory_equal(t->data, want, 4 * n);
}

static const float V0[2] = {1, 2}, V1[2] = {3, 4}, V2[2] = {5, 6};
static const int64_t D2[1] = {2};

/* Three writes chained by the flow: w0 -> w1 -> w2. */
static void three_writes(hc_graph *g, const int64_t *shape, bool clear) {
    hc_gb_scalar_i32(g, "n", 3);
    ta_new(g, "ta", "n", HC_DT_FLOAT, shape ? 1 : -1, shape, false, clear, false);
    hc_gb_scalar_i32(g, "i0", 0);
    hc_gb_scalar_i32(g, "i1", 1);
    hc_gb_scalar_i32(g, "i2", 2);
    hc_gb_const_f32(g, "v0", 1, D2, V0);
    hc_gb_const_f32(g, "v1", 1, D2, V1);
    hc_gb_const_f32(g, "v2", 1, D2, V2);
    ta_write(g, "w0", "ta", "i0", "v0", "ta:1", HC_DT_FLOAT);
    ta_write(g, "w1", "ta", "i1", "v1", "w0", HC_DT_FLOAT);
    ta_write(g, "w2", "ta", "i2", "v2", "w1", HC_DT_FLOAT);
}

/* ---------------------------------------------------------------------------------------- */

static void write_read_gather_size(void **state) {
    (void)state;
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    three_writes(g, NULL, true);
    ta_read(g, "r1", "ta", "i1", "w2", HC_DT_FLOAT);
    const int32_t idx[2] = {2, 0};
    hc_gb_const_i32(g, "idx", 1, D2, idx);
    ta_gather(g, "gat", "ta", "idx", "w2", HC_DT_FLOAT, 1, D2);
    HC_GB_NODE(g, "TensorArraySizeV3", "size", "ta", "w2");
    const char *outs[] = {"r1", "gat", "size", "w2"};
    sess_run(&x, outs, 4, NULL, NULL);
    expect_ok(&x);
    hc_tensor r1 = out_of(&x, 0), gat = out_of(&x, 1), size = out_of(&x, 2), flow = out_of(&x, 3);
    expect_f32(&r1, 1, D2, V1);
    const float gw[4] = {5, 6, 1, 2};
    const int64_t gd[2] = {2, 2};
    expect_f32(&gat, 2, gd, gw);
    assert_int_equal(size.dtype, HC_DT_INT32);
    assert_int_equal(*(const int32_t *)size.data, 3);
    assert_int_equal(flow.dtype, HC_DT_FLOAT);
    assert_int_equal(flow.rank, 0);
    sess_fini(&x);
}

/* Concat joins along dimension 0 and reports the lengths; Split undoes it. */
static void concat_split_scatter(void **state) {
    (void)state;
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    hc_gb_scalar_i32(g, "n", 2);
    ta_new(g, "ta", "n", HC_DT_FLOAT, -1, NULL, false, true, false);
    const float val[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const int64_t vd[2] = {5, 2}, ld[1] = {2};
    const int64_t lens[2] = {2, 3};
    hc_gb_const_f32(g, "val", 2, vd, val);
    hc_gb_const(g, "lens", HC_DT_INT64, 1, ld, lens);
    node_t(g, HC_GB_NODE(g, "TensorArraySplitV3", "split", "ta", "val", "lens", "ta:1"), "T",
           HC_DT_FLOAT);
    int32_t c =
        node_t(g, HC_GB_NODE(g, "TensorArrayConcatV3", "cat", "ta", "split"), "dtype", HC_DT_FLOAT);
    const int64_t ex0[1] = {2};
    hc_gb_shape(g, c, "element_shape_except0", 1, ex0);
    /* Scatter rows of val to indices 4, 0, 2 of a dynamic array, then gather them back. */
    hc_gb_scalar_i32(g, "zero", 0);
    ta_new(g, "dyn", "zero", HC_DT_FLOAT, -1, NULL, true, true, false);
    const int32_t sidx[3] = {4, 0, 2};
    const int64_t sd[1] = {3};
    const float rows[6] = {10, 11, 20, 21, 30, 31};
    const int64_t rd[2] = {3, 2};
    hc_gb_const_i32(g, "sidx", 1, sd, sidx);
    hc_gb_const_f32(g, "rows", 2, rd, rows);
    node_t(g, HC_GB_NODE(g, "TensorArrayScatterV3", "scat", "dyn", "sidx", "rows", "dyn:1"), "T",
           HC_DT_FLOAT);
    const int32_t gidx[3] = {0, 2, 4};
    hc_gb_const_i32(g, "gidx", 1, sd, gidx);
    ta_gather(g, "gat", "dyn", "gidx", "scat", HC_DT_FLOAT, -1, NULL);
    HC_GB_NODE(g, "TensorArraySizeV3", "size", "dyn", "scat");
    const char *outs[] = {"cat", "cat:1", "gat", "size"};
    sess_run(&x, outs, 4, NULL, NULL);
    expect_ok(&x);
    hc_tensor cat = out_of(&x, 0), len = out_of(&x, 1), gat = out_of(&x, 2), size = out_of(&x, 3);
    expect_f32(&cat, 2, vd, val);
    assert_int_equal(len.dtype, HC_DT_INT64);
    assert_memory_equal(len.data, lens, 16);
    const float gw[6] = {20, 21, 30, 31, 10, 11};
    expect_f32(&gat, 2, rd, gw);
    assert_int_equal(*(const int32_t *)size.data, 5);
    sess_fini(&x);
}

/* Build three writes, then add `extra` reads/writes via fn, run outs, return the session. */
typedef void (*build_fn)(hc_graph *g);

static void run_case(build_fn fn, const int64_t *shape, bool clear, const char *const *outs,
                     size_t n_out, sess *x) {
    memset(x, 0, sizeof *x);
    tg_init(&x->t);
    three_writes(&x->t.g, shape, clear);
    fn(&x->t.g);
    sess_run(x, outs, n_out, NULL, NULL);
}

static void b_double_write(hc_graph *g) {
    ta_write(g, "w3", "ta", "i1", "v0", "w2", HC_DT_FLOAT);
}
static void b_read_twice(hc_graph *g) {
    ta_read(g, "ra", "ta", "i1", "w2", HC_DT_FLOAT);
    ta_read(g, "rb", "ta", "i1", "w2", HC_DT_FLOAT);
    HC_GB_NODE(g, "Identity", "rb_after", "rb", "^ra");
    hc_gb_type(g, hc_graph_find(g, hc_span_str("rb_after")), "T", HC_DT_FLOAT);
}
static void b_out_of_range(hc_graph *g) {
    hc_gb_scalar_i32(g, "i9", 9);
    ta_write(g, "w3", "ta", "i9", "v0", "w2", HC_DT_FLOAT);
}
static void b_wrong_dtype(hc_graph *g) {
    ta_read(g, "rd", "ta", "i1", "w2", HC_DT_INT32);
}
static void b_bad_shape(hc_graph *g) {
    const float v[3] = {1, 2, 3};
    const int64_t d[1] = {3};
    hc_gb_const_f32(g, "v3", 1, d, v);
    hc_gb_scalar_i32(g, "n4", 4);
    ta_new(g, "ta4", "n4", HC_DT_FLOAT, 1, D2, false, true, false);
    ta_write(g, "w4", "ta4", "i0", "v3", "ta4:1", HC_DT_FLOAT);
}
static void b_identical(hc_graph *g) {
    const float v[3] = {1, 2, 3};
    const int64_t d[1] = {3};
    hc_gb_const_f32(g, "v3", 1, d, v);
    hc_gb_scalar_i32(g, "n4", 4);
    ta_new(g, "ta4", "n4", HC_DT_FLOAT, -1, NULL, false, true, true);
    ta_write(g, "w4", "ta4", "i0", "v0", "ta4:1", HC_DT_FLOAT);
    ta_write(g, "w5", "ta4", "i1", "v3", "w4", HC_DT_FLOAT);
}
static void b_unwritten(hc_graph *g) {
    hc_gb_scalar_i32(g, "n4", 4);
    ta_new(g, "ta4", "n4", HC_DT_FLOAT, -1, NULL, false, true, false);
    ta_read(g, "r4", "ta4", "i2", "ta4:1", HC_DT_FLOAT);
}
static void b_unwritten_known(hc_graph *g) {
    hc_gb_scalar_i32(g, "n4", 4);
    ta_new(g, "ta4", "n4", HC_DT_FLOAT, 1, D2, false, true, false);
    ta_read(g, "r4", "ta4", "i2", "ta4:1", HC_DT_FLOAT);
    const int32_t none[1] = {0};
    const int64_t zd[1] = {0};
    hc_gb_const_i32(g, "none", 1, zd, none);
    ta_gather(g, "g0", "ta4", "none", "ta4:1", HC_DT_FLOAT, 1, D2);
}
static void b_closed(hc_graph *g) {
    HC_GB_NODE(g, "TensorArrayCloseV3", "close", "ta", "^w2");
    HC_GB_NODE(g, "TensorArraySizeV3", "size", "ta", "w2", "^close");
}

static void rules_of_tensorflow(void **state) {
    (void)state;
    sess x;
    const char *o1[] = {"w3"};
    run_case(b_double_write, NULL, true, o1, 1, &x);
    expect_error(&x, HC_INVALID, "already been written");
    sess_fini(&x);
    const char *o2[] = {"rb_after"};
    run_case(b_read_twice, NULL, true, o2, 1, &x);
    expect_error(&x, HC_INVALID, "cleared");
    sess_fini(&x);
    run_case(b_read_twice, NULL, false, o2, 1, &x); /* clear_after_read = false */
    expect_ok(&x);
    hc_tensor t = out_of(&x, 0);
    expect_f32(&t, 1, D2, V1);
    sess_fini(&x);
    run_case(b_out_of_range, NULL, true, o1, 1, &x);
    expect_error(&x, HC_INVALID, "not resizeable");
    sess_fini(&x);
    const char *o3[] = {"rd"};
    run_case(b_wrong_dtype, NULL, true, o3, 1, &x);
    expect_error(&x, HC_INVALID, "dtype");
    sess_fini(&x);
    const char *o4[] = {"w4"};
    run_case(b_bad_shape, NULL, true, o4, 1, &x);
    expect_error(&x, HC_INVALID, "incompatible");
    sess_fini(&x);
    const char *o5[] = {"w5"};
    run_case(b_identical, NULL, true, o5, 1, &x);
    expect_error(&x, HC_INVALID, "incompatible");
    sess_fini(&x);
    const char *o6[] = {"r4"};
    run_case(b_unwritten, NULL, true, o6, 1, &x);
    expect_error(&x, HC_INVALID, "not been written");
    sess_fini(&x);
    const char *o7[] = {"r4", "g0"};
    run_case(b_unwritten_known, NULL, true, o7, 2, &x);
    expect_ok(&x);
    const float zeros[2] = {0, 0};
    t = out_of(&x, 0);
    expect_f32(&t, 1, D2, zeros);
    t = out_of(&x, 1);
    const int64_t gd[2] = {0, 2};
    expect_f32(&t, 2, gd, NULL);
    sess_fini(&x);
    const char *o8[] = {"size"};
    run_case(b_closed, NULL, true, o8, 1, &x);
    expect_error(&x, HC_INVALID, "closed");
    sess_fini(&x);
}

/* A handle that is not a TensorArray (a float) is refused, not dereferenced. */
static void not_a_handle(void **state) {
    (void)state;
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    hc_gb_scalar_f32(g, "f", 1.0f);
    HC_GB_NODE(g, "TensorArraySizeV3", "size", "f", "f");
    const char *outs[] = {"size"};
    sess_run(&x, outs, 1, NULL, NULL);
    expect_error(&x, HC_INVALID, "not a TensorArray");
    sess_fini(&x);
}

/* Attributes from the file are checked when the session is made. */
static void malformed_attributes(void **state) {
    (void)state;
    const int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    sess x = {0};
    tg_init(&x.t);
    hc_gb_scalar_i32(&x.t.g, "n", 2);
    ta_new(&x.t.g, "ta", "n", HC_DT_FLOAT, 9, nine, false, true, false);
    const char *outs[] = {"ta:1"};
    sess_run(&x, outs, 1, NULL, NULL);
    expect_error(&x, HC_LIMIT, "rank");
    sess_fini(&x);
    memset(&x, 0, sizeof x);
    tg_init(&x.t);
    hc_gb_scalar_i32(&x.t.g, "n", 2);
    ta_new(&x.t.g, "ta", "n", HC_DT_STRING, -1, NULL, false, true, false);
    sess_run(&x, outs, 1, NULL, NULL);
    expect_error(&x, HC_UNSUPPORTED, "string");
    sess_fini(&x);
}

/* ---------------------------------------------------------------------------------------- */
/* TF1 while loop: out[i] = in[i] for i < n, the TensorArray map pattern.                    */

static void enter(hc_graph *g, const char *name, const char *in, hc_dtype t, bool constant) {
    int32_t n = HC_GB_NODE(g, "Enter", name, in);
    hc_gb_type(g, n, "T", t);
    hc_gb_str(g, n, "frame_name", "map/while/");
    hc_gb_bool(g, n, "is_constant", constant);
    hc_gb_int(g, n, "parallel_iterations", 10);
}

/* Loop variables i (int32) and flow (float) through Merge / Switch / NextIteration / Exit;
 * the body is made by `body`, which returns the next flow's node name. */
static void build_loop(hc_graph *g, const char *n_name, const char *(*body)(hc_graph *g)) {
    hc_gb_scalar_i32(g, "i0", 0);
    enter(g, "e_i", "i0", HC_DT_INT32, false);
    enter(g, "e_f", "out:1", HC_DT_FLOAT, false);
    enter(g, "e_n", n_name, HC_DT_INT32, true);
    enter(g, "e_hin", "in", HC_DT_RESOURCE, true);
    enter(g, "e_fin", "scat", HC_DT_FLOAT, true);
    enter(g, "e_hout", "out", HC_DT_RESOURCE, true);
    node_t(g, HC_GB_NODE(g, "Merge", "m_i", "e_i", "ni_i"), "T", HC_DT_INT32);
    node_t(g, HC_GB_NODE(g, "Merge", "m_f", "e_f", "ni_f"), "T", HC_DT_FLOAT);
    hc_gb_int(g, hc_graph_find(g, hc_span_str("m_i")), "N", 2);
    hc_gb_int(g, hc_graph_find(g, hc_span_str("m_f")), "N", 2);
    node_t(g, HC_GB_NODE(g, "Less", "less", "m_i", "e_n"), "T", HC_DT_INT32);
    HC_GB_NODE(g, "LoopCond", "lc", "less");
    node_t(g, HC_GB_NODE(g, "Switch", "s_i", "m_i", "lc"), "T", HC_DT_INT32);
    node_t(g, HC_GB_NODE(g, "Switch", "s_f", "m_f", "lc"), "T", HC_DT_FLOAT);
    node_t(g, HC_GB_NODE(g, "Exit", "x_i", "s_i"), "T", HC_DT_INT32);
    node_t(g, HC_GB_NODE(g, "Exit", "x_f", "s_f"), "T", HC_DT_FLOAT);
    node_t(g, HC_GB_NODE(g, "Identity", "id_i", "s_i:1"), "T", HC_DT_INT32);
    node_t(g, HC_GB_NODE(g, "Identity", "id_f", "s_f:1"), "T", HC_DT_FLOAT);
    const char *next_flow = body(g);
    int32_t one = HC_GB_NODE(g, "Const", "one", "^id_i");
    int32_t v1 = 1;
    hc_gb_type(g, one, "dtype", HC_DT_INT32);
    hc_gb_tensor(g, one, "value", HC_DT_INT32, 0, NULL, &v1);
    node_t(g, HC_GB_NODE(g, "AddV2", "add", "id_i", "one"), "T", HC_DT_INT32);
    node_t(g, HC_GB_NODE(g, "NextIteration", "ni_i", "add"), "T", HC_DT_INT32);
    node_t(g, HC_GB_NODE(g, "NextIteration", "ni_f", next_flow), "T", HC_DT_FLOAT);
}

static const char *copy_body(hc_graph *g) {
    ta_read(g, "rd", "e_hin", "id_i", "e_fin", HC_DT_FLOAT);
    ta_write(g, "wr", "e_hout", "id_i", "rd", "id_f", HC_DT_FLOAT);
    return "wr";
}

/* in = scatter(x rows), out written per iteration, gathered (or concatenated) after. */
static void map_loop(int64_t rows, bool concat) {
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    const int64_t xd[2] = {rows, 3}, nd[1] = {rows};
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 2, xd);
    int32_t *idx = malloc(4 * (size_t)rows + 4);
    for (int64_t i = 0; i < rows; i++)
        idx[i] = (int32_t)i;
    hc_gb_const_i32(g, "idx", 1, nd, idx);
    hc_gb_scalar_i32(g, "n", (int32_t)rows);
    const int64_t es[1] = {3};
    ta_new(g, "in", "n", HC_DT_FLOAT, 1, es, false, true, true);
    node_t(g, HC_GB_NODE(g, "TensorArrayScatterV3", "scat", "in", "idx", "x", "in:1"), "T",
           HC_DT_FLOAT);
    /* The output array: fixed size for gather, dynamic (pnet style) for concat. */
    hc_gb_scalar_i32(g, "zero", 0);
    ta_new(g, "out", concat ? "zero" : "n", HC_DT_FLOAT, concat ? 1 : -1, es, concat, true, false);
    build_loop(g, "n", copy_body);
    if (concat) {
        int32_t c = node_t(g, HC_GB_NODE(g, "TensorArrayConcatV3", "res", "out", "x_f"), "dtype",
                           HC_DT_FLOAT);
        hc_gb_shape(g, c, "element_shape_except0", 0, NULL);
    } else {
        ta_gather(g, "res", "out", "idx", "x_f", HC_DT_FLOAT, 1, es);
    }
    float *xv = malloc(12 * (size_t)rows + 4);
    for (int64_t i = 0; i < 3 * rows; i++)
        xv[i] = (float)i * 0.5f - 3.0f;
    hc_tensor in = tensor_of(HC_DT_FLOAT, 2, xd, xv);
    /* Fetched through an Identity: the executor does not fetch Exit nodes themselves. */
    node_t(g, HC_GB_NODE(g, "Identity", "last", "x_i"), "T", HC_DT_INT32);
    const char *outs[] = {"res", "last"};
    sess_run(&x, outs, 2, "x", &in);
    expect_ok(&x);
    hc_tensor res = out_of(&x, 0), last = out_of(&x, 1);
    const int64_t flat[1] = {3 * rows};
    expect_f32(&res, concat ? 1 : 2, concat ? flat : xd, xv);
    assert_int_equal(*(const int32_t *)last.data, (int32_t)rows);
    /* A second run of the same session gives the same result. */
    assert_int_equal(hc_session_run(x.s), HC_OK);
    res = out_of(&x, 0);
    expect_f32(&res, concat ? 1 : 2, concat ? flat : xd, xv);
    sess_fini(&x);
    free(idx);
    free(xv);
}

static void while_loop_map(void **state) {
    (void)state;
    static const int64_t rows[] = {0, 1, 5, 17};
    for (size_t i = 0; i < 4; i++) {
        map_loop(rows[i], false);
        map_loop(rows[i], true);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_read_gather_size), cmocka_unit_test(concat_split_scatter),
        cmocka_unit_test(rules_of_tensorflow),    cmocka_unit_test(not_a_handle),
        cmocka_unit_test(malformed_attributes),   cmocka_unit_test(while_loop_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
