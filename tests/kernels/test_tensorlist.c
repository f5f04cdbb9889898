/* test_tensorlist.c - TensorList ops through real sessions on graphs built in code: reserve,
 * from-tensor, set/get, stack, gather, push/pop, scatter, resize, concat, length and element
 * shape; TensorFlow's rules (unset items read as zeros of a known element shape, dtype and
 * shape checks, full lists); copy-on-write (a list seen by several consumers never changes
 * under them); and a TF2-style while loop lowered to TF1 control flow, where every list is a
 * loop variable through Merge/Switch/NextIteration (the handtrack preprocessing pattern). */
#include "common/oprun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sess {
    tg t;
    hc_session *s;
    hc_status st;
    char msg[768];
} sess;

static int32_t typed(hc_graph *g, int32_t n, const char *attr, hc_dtype t) {
    hc_gb_type(g, n, attr, t);
    return n;
}

static int32_t elem(hc_graph *g, int32_t n) {
    return typed(g, n, "element_dtype", HC_DT_FLOAT);
}

static int32_t shape_const(hc_graph *g, const char *name, int rank, const int32_t *dims) {
    if (rank < 0) return hc_gb_scalar_i32(g, name, -1);
    const int64_t d[1] = {rank};
    return hc_gb_const_i32(g, name, 1, d, dims);
}

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

static void expect_error(const sess *x, const char *needle) {
    if (x->st != HC_INVALID) fail_msg("expected an error, got %d: %s", (int)x->st, x->msg);
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

static const float A[2] = {1, 2}, B[2] = {3, 4}, C[2] = {5, 6};
static const int64_t D2[1] = {2};
static const int32_t ES2[1] = {2};

static void consts(hc_graph *g) {
    hc_gb_const_f32(g, "a", 1, D2, A);
    hc_gb_const_f32(g, "b", 1, D2, B);
    hc_gb_const_f32(g, "c", 1, D2, C);
    hc_gb_scalar_i32(g, "i0", 0);
    hc_gb_scalar_i32(g, "i1", 1);
    hc_gb_scalar_i32(g, "i2", 2);
    hc_gb_scalar_i32(g, "n3", 3);
    shape_const(g, "es", 1, ES2);
    shape_const(g, "unk", -1, NULL);
}

static int32_t set_item(hc_graph *g, const char *name, const char *l, const char *i,
                        const char *v) {
    return elem(g, HC_GB_NODE(g, "TensorListSetItem", name, l, i, v));
}

static int32_t stack(hc_graph *g, const char *name, const char *l, const char *shape) {
    return elem(g, HC_GB_NODE(g, "TensorListStack", name, l, shape));
}

/* Reserve(3) -> set 2, set 0 -> stack: item 1 unset reads as zeros; get_item of the unset one;
 * length; gather [2, 1]. */
static void reserve_set_get_stack(void **state) {
    (void)state;
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    consts(g);
    typed(g, elem(g, HC_GB_NODE(g, "TensorListReserve", "l", "es", "n3")), "shape_type",
          HC_DT_INT32);
    set_item(g, "s2", "l", "i2", "c");
    set_item(g, "s0", "s2", "i0", "a");
    stack(g, "st", "s0", "unk");
    elem(g, HC_GB_NODE(g, "TensorListGetItem", "get1", "s0", "i1", "unk"));
    elem(g, HC_GB_NODE(g, "TensorListGetItem", "get2", "s0", "i2", "unk"));
    HC_GB_NODE(g, "TensorListLength", "len", "s0");
    const int32_t gi[2] = {2, 1};
    hc_gb_const_i32(g, "gi", 1, D2, gi);
    elem(g, HC_GB_NODE(g, "TensorListGather", "gat", "s0", "gi", "es"));
    typed(g, HC_GB_NODE(g, "TensorListElementShape", "shp", "s0"), "shape_type", HC_DT_INT64);
    const char *outs[] = {"st", "get1", "get2", "len", "gat", "shp"};
    sess_run(&x, outs, 6, NULL, NULL);
    expect_ok(&x);
    const float sw[6] = {1, 2, 0, 0, 5, 6}, gw[4] = {5, 6, 0, 0}, z[2] = {0, 0};
    const int64_t sd[2] = {3, 2};
    hc_tensor t = out_of(&x, 0);
    expect_f32(&t, 2, sd, sw);
    t = out_of(&x, 1);
    expect_f32(&t, 1, D2, z);
    t = out_of(&x, 2);
    expect_f32(&t, 1, D2, C);
    t = out_of(&x, 3);
    assert_int_equal(*(const int32_t *)t.data, 3);
    t = out_of(&x, 4);
    const int64_t gd[2] = {2, 2};
    expect_f32(&t, 2, gd, gw);
    t = out_of(&x, 5);
    assert_int_equal(t.dtype, HC_DT_INT64);
    assert_int_equal(t.rank, 1);
    assert_int_equal(((const int64_t *)t.data)[0], 2);
    sess_fini(&x);
}

/* One list, three consumers: two SetItems at the same index and a Stack. Each consumer sees
 * the list as it was; the SetItems work on copies. A chain of single-consumer SetItems works
 * in place and is still right. */
static void copy_on_write(void **state) {
    (void)state;
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    consts(g);
    typed(g, elem(g, HC_GB_NODE(g, "TensorListReserve", "l", "es", "n3")), "shape_type",
          HC_DT_INT32);
    set_item(g, "sa", "l", "i0", "a");
    set_item(g, "sb", "l", "i0", "b");
    stack(g, "st_l", "l", "es");
    stack(g, "st_a", "sa", "es");
    stack(g, "st_b", "sb", "es");
    set_item(g, "c1", "sa", "i1", "c");
    set_item(g, "c2", "c1", "i2", "b");
    stack(g, "st_c", "c2", "es");
    const char *outs[] = {"st_l", "st_a", "st_b", "st_c"};
    sess_run(&x, outs, 4, NULL, NULL);
    expect_ok(&x);
    const int64_t sd[2] = {3, 2};
    const float wl[6] = {0}, wa[6] = {1, 2, 0, 0, 0, 0}, wb[6] = {3, 4, 0, 0, 0, 0};
    const float wc[6] = {1, 2, 5, 6, 3, 4};
    hc_tensor t = out_of(&x, 0);
    expect_f32(&t, 2, sd, wl);
    t = out_of(&x, 1);
    expect_f32(&t, 2, sd, wa);
    t = out_of(&x, 2);
    expect_f32(&t, 2, sd, wb);
    t = out_of(&x, 3);
    expect_f32(&t, 2, sd, wc);
    /* Twice: nothing of the first run leaks into the second. */
    assert_int_equal(hc_session_run(x.s), HC_OK);
    t = out_of(&x, 3);
    expect_f32(&t, 2, sd, wc);
    sess_fini(&x);
}

/* Empty -> push a, b, c -> pop (gives c) -> scatter, resize, concat, from_tensor. */
static void push_pop_scatter_concat(void **state) {
    (void)state;
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    consts(g);
    hc_gb_scalar_i32(g, "max", -1);
    typed(g, elem(g, HC_GB_NODE(g, "EmptyTensorList", "e", "es", "max")), "shape_type",
          HC_DT_INT32);
    elem(g, HC_GB_NODE(g, "TensorListPushBack", "p1", "e", "a"));
    elem(g, HC_GB_NODE(g, "TensorListPushBack", "p2", "p1", "b"));
    elem(g, HC_GB_NODE(g, "TensorListPushBack", "p3", "p2", "c"));
    elem(g, HC_GB_NODE(g, "TensorListPopBack", "pop", "p3", "es"));
    stack(g, "st", "pop", "es");
    /* scatter rows [3,2] to indices 3, 0, 1 of the popped list (length 2 -> 4) */
    const float rows[6] = {10, 11, 20, 21, 30, 31};
    const int64_t rd[2] = {3, 2}, id[1] = {3};
    const int32_t idx[3] = {3, 0, 1};
    hc_gb_const_f32(g, "rows", 2, rd, rows);
    hc_gb_const_i32(g, "idx", 1, id, idx);
    elem(g, HC_GB_NODE(g, "TensorListScatterIntoExistingList", "sc", "pop", "rows", "idx"));
    stack(g, "st_sc", "sc", "es");
    HC_GB_NODE(g, "TensorListResize", "rs", "sc", "i1");
    stack(g, "st_rs", "rs", "es");
    /* from_tensor of [3,2] then concat: [6] with lengths [2,2,2] along the items' dim 0 */
    typed(g, elem(g, HC_GB_NODE(g, "TensorListFromTensor", "ft", "rows", "es")), "shape_type",
          HC_DT_INT32);
    const int64_t none[1] = {0};
    hc_gb_const(g, "lead", HC_DT_INT64, 1, none, NULL);
    typed(g, elem(g, HC_GB_NODE(g, "TensorListConcatV2", "cat", "ft", "es", "lead")), "shape_type",
          HC_DT_INT32);
    const char *outs[] = {"st", "pop:1", "st_sc", "st_rs", "cat", "cat:1"};
    sess_run(&x, outs, 6, NULL, NULL);
    expect_ok(&x);
    const int64_t d22[2] = {2, 2}, d42[2] = {4, 2}, d12[2] = {1, 2}, d6[1] = {6};
    const float w[4] = {1, 2, 3, 4}, wsc[8] = {20, 21, 30, 31, 0, 0, 10, 11};
    hc_tensor t = out_of(&x, 0);
    expect_f32(&t, 2, d22, w);
    t = out_of(&x, 1);
    expect_f32(&t, 1, D2, C);
    t = out_of(&x, 2);
    expect_f32(&t, 2, d42, wsc);
    t = out_of(&x, 3);
    expect_f32(&t, 2, d12, wsc);
    t = out_of(&x, 4);
    expect_f32(&t, 1, d6, rows);
    t = out_of(&x, 5);
    assert_int_equal(t.dtype, HC_DT_INT64);
    const int64_t lens[3] = {2, 2, 2};
    assert_memory_equal(t.data, lens, sizeof lens);
    sess_fini(&x);
}

/* Errors TensorFlow raises. Each graph is consts + one failing op named "bad". */
typedef void (*build_fn)(hc_graph *g);

static void run_bad(build_fn fn, const char *needle) {
    sess x = {0};
    tg_init(&x.t);
    consts(&x.t.g);
    typed(&x.t.g, elem(&x.t.g, HC_GB_NODE(&x.t.g, "TensorListReserve", "l", "es", "n3")),
          "shape_type", HC_DT_INT32);
    typed(&x.t.g, elem(&x.t.g, HC_GB_NODE(&x.t.g, "TensorListReserve", "lu", "unk", "n3")),
          "shape_type", HC_DT_INT32);
    fn(&x.t.g);
    const char *outs[] = {"bad"};
    sess_run(&x, outs, 1, NULL, NULL);
    expect_error(&x, needle);
    sess_fini(&x);
}

static void b_get_oob(hc_graph *g) {
    hc_gb_scalar_i32(g, "i9", 9);
    elem(g, HC_GB_NODE(g, "TensorListGetItem", "bad", "l", "i9", "unk"));
}
static void b_get_unknown(hc_graph *g) {
    elem(g, HC_GB_NODE(g, "TensorListGetItem", "bad", "lu", "i1", "unk"));
}
static void b_set_shape(hc_graph *g) {
    const float v[3] = {1, 2, 3};
    const int64_t d[1] = {3};
    hc_gb_const_f32(g, "v3", 1, d, v);
    set_item(g, "bad", "l", "i0", "v3");
}
static void b_dtype(hc_graph *g) {
    typed(g, HC_GB_NODE(g, "TensorListGetItem", "bad", "l", "i0", "es"), "element_dtype",
          HC_DT_INT32);
}
static void b_stack_count(hc_graph *g) {
    int32_t n = stack(g, "bad", "l", "es");
    hc_gb_int(g, n, "num_elements", 2);
}
static void b_stack_unknown(hc_graph *g) {
    stack(g, "bad", "lu", "unk");
}
static void b_pop_empty(hc_graph *g) {
    hc_gb_scalar_i32(g, "max", -1);
    typed(g, elem(g, HC_GB_NODE(g, "EmptyTensorList", "e", "es", "max")), "shape_type",
          HC_DT_INT32);
    elem(g, HC_GB_NODE(g, "TensorListPopBack", "bad", "e", "es"));
}
static void b_push_full(hc_graph *g) {
    typed(g, elem(g, HC_GB_NODE(g, "EmptyTensorList", "e", "es", "i1")), "shape_type", HC_DT_INT32);
    elem(g, HC_GB_NODE(g, "TensorListPushBack", "p1", "e", "a"));
    elem(g, HC_GB_NODE(g, "TensorListPushBack", "bad", "p1", "b"));
}
static void b_not_list(hc_graph *g) {
    HC_GB_NODE(g, "TensorListLength", "bad", "a");
}

static void rules_of_tensorflow(void **state) {
    (void)state;
    run_bad(b_get_oob, "element 9");
    run_bad(b_get_unknown, "not fully defined");
    run_bad(b_set_shape, "shape");
    run_bad(b_dtype, "data types");
    run_bad(b_stack_count, "2 elements");
    run_bad(b_stack_unknown, "non-fully-defined");
    run_bad(b_pop_empty, "empty list");
    run_bad(b_push_full, "full list");
    run_bad(b_not_list, "not a TensorList");
}

/* Unset items of an unknown element shape take the shape of the set ones; an empty list of a
 * known shape stacks to [0, ...]. */
static void unset_items_and_empty(void **state) {
    (void)state;
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    consts(g);
    typed(g, elem(g, HC_GB_NODE(g, "TensorListReserve", "lu", "unk", "n3")), "shape_type",
          HC_DT_INT32);
    set_item(g, "s1", "lu", "i1", "b");
    stack(g, "st", "s1", "unk");
    elem(g, HC_GB_NODE(g, "TensorListGetItem", "get0", "s1", "i0", "unk"));
    hc_gb_scalar_i32(g, "max", -1);
    typed(g, elem(g, HC_GB_NODE(g, "EmptyTensorList", "e", "es", "max")), "shape_type",
          HC_DT_INT32);
    stack(g, "st_e", "e", "unk");
    typed(g, HC_GB_NODE(g, "TensorListElementShape", "shp", "lu"), "shape_type", HC_DT_INT32);
    const char *outs[] = {"st", "get0", "st_e", "shp"};
    sess_run(&x, outs, 4, NULL, NULL);
    expect_ok(&x);
    const int64_t sd[2] = {3, 2}, ed[2] = {0, 2};
    const float w[6] = {0, 0, 3, 4, 0, 0}, z[2] = {0, 0};
    hc_tensor t = out_of(&x, 0);
    expect_f32(&t, 2, sd, w);
    t = out_of(&x, 1);
    expect_f32(&t, 1, D2, z);
    t = out_of(&x, 2);
    expect_f32(&t, 2, ed, NULL);
    t = out_of(&x, 3);
    assert_int_equal(t.rank, 0);
    assert_int_equal(*(const int32_t *)t.data, -1);
    sess_fini(&x);
}

/* ---------------------------------------------------------------------------------------- */
/* TF2 while loop lowered to TF1: loop variables i, the input list and the output list.     */

static void enter(hc_graph *g, const char *name, const char *in, hc_dtype t, bool constant) {
    int32_t n = typed(g, HC_GB_NODE(g, "Enter", name, in), "T", t);
    hc_gb_str(g, n, "frame_name", "map/while/while_body");
    hc_gb_bool(g, n, "is_constant", constant);
    hc_gb_int(g, n, "parallel_iterations", 10);
}

/* One loop variable: Enter -> Merge(NextIteration) -> Switch -> Exit / body value. */
static void loop_var(hc_graph *g, const char *v, const char *init, hc_dtype t) {
    char e[32], m[32], s[32], x[32], ni[32];
    snprintf(e, sizeof e, "e_%s", v);
    snprintf(m, sizeof m, "m_%s", v);
    snprintf(s, sizeof s, "s_%s", v);
    snprintf(x, sizeof x, "x_%s", v);
    snprintf(ni, sizeof ni, "ni_%s", v);
    enter(g, e, init, t, false);
    int32_t mn = typed(g, HC_GB_NODE(g, "Merge", m, e, ni), "T", t);
    hc_gb_int(g, mn, "N", 2);
    typed(g, HC_GB_NODE(g, "Switch", s, m, "lc"), "T", t);
    typed(g, HC_GB_NODE(g, "Exit", x, s), "T", t);
}

static void tensorlist_while_loop(int64_t rows) {
    sess x = {0};
    tg_init(&x.t);
    hc_graph *g = &x.t.g;
    const int64_t xd[2] = {rows, 3};
    const int32_t es3[1] = {3};
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 2, xd);
    shape_const(g, "es", 1, es3);
    hc_gb_scalar_i32(g, "n", (int32_t)rows);
    hc_gb_scalar_i32(g, "i0", 0);
    typed(g, elem(g, HC_GB_NODE(g, "TensorListFromTensor", "in", "x", "es")), "shape_type",
          HC_DT_INT32);
    typed(g, elem(g, HC_GB_NODE(g, "TensorListReserve", "res", "es", "n")), "shape_type",
          HC_DT_INT32);
    loop_var(g, "i", "i0", HC_DT_INT32);
    loop_var(g, "in", "in", HC_DT_VARIANT);
    loop_var(g, "out", "res", HC_DT_VARIANT);
    enter(g, "e_n", "n", HC_DT_INT32, true);
    enter(g, "e_es", "es", HC_DT_INT32, true);
    typed(g, HC_GB_NODE(g, "Less", "less", "m_i", "e_n"), "T", HC_DT_INT32);
    HC_GB_NODE(g, "LoopCond", "lc", "less");
    typed(g, HC_GB_NODE(g, "Identity", "id_i", "s_i:1"), "T", HC_DT_INT32);
    elem(g, HC_GB_NODE(g, "TensorListGetItem", "item", "s_in:1", "id_i", "e_es"));
    set_item(g, "set", "s_out:1", "id_i", "item");
    typed(g, HC_GB_NODE(g, "Identity", "id_in", "s_in:1"), "T", HC_DT_VARIANT);
    int32_t one = HC_GB_NODE(g, "Const", "one", "^id_i");
    int32_t v1 = 1;
    typed(g, one, "dtype", HC_DT_INT32);
    hc_gb_tensor(g, one, "value", HC_DT_INT32, 0, NULL, &v1);
    typed(g, HC_GB_NODE(g, "AddV2", "add", "id_i", "one"), "T", HC_DT_INT32);
    typed(g, HC_GB_NODE(g, "NextIteration", "ni_i", "add"), "T", HC_DT_INT32);
    typed(g, HC_GB_NODE(g, "NextIteration", "ni_in", "id_in"), "T", HC_DT_VARIANT);
    typed(g, HC_GB_NODE(g, "NextIteration", "ni_out", "set"), "T", HC_DT_VARIANT);
    hc_gb_int(g, stack(g, "st", "x_out", "es"), "num_elements", rows);
    HC_GB_NODE(g, "TensorListLength", "len", "x_in");
    float *xv = malloc(12 * (size_t)rows + 4);
    for (int64_t i = 0; i < 3 * rows; i++)
        xv[i] = (float)i - 7.5f;
    hc_tensor in = tensor_of(HC_DT_FLOAT, 2, xd, xv);
    const char *outs[] = {"st", "len"};
    sess_run(&x, outs, 2, "x", &in);
    expect_ok(&x);
    hc_tensor t = out_of(&x, 0);
    expect_f32(&t, 2, xd, xv);
    t = out_of(&x, 1);
    assert_int_equal(*(const int32_t *)t.data, (int32_t)rows);
    sess_fini(&x);
    free(xv);
}

static void while_loop_lowered(void **state) {
    (void)state;
    static const int64_t rows[] = {0, 1, 4, 33};
    for (size_t i = 0; i < 4; i++)
        tensorlist_while_loop(rows[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reserve_set_get_stack),   cmocka_unit_test(copy_on_write),
        cmocka_unit_test(push_pop_scatter_concat), cmocka_unit_test(rules_of_tensorflow),
        cmocka_unit_test(unset_items_and_empty),   cmocka_unit_test(while_loop_lowered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
