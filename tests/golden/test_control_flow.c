/* test_control_flow.c - TF1 control flow through the executor, on graphs built in code:
 * while loops (counter, float state, loop invariants), cond (Switch/Merge, both ways), dead
 * values reaching ordinary nodes, nested loops, a loop inside a branch not taken (its Exits
 * come out dead), and converting a loop to fp16 (loop variables keep one dtype). */
#include "common/gb.h"

#include "base/fp16.h"

#include <stdio.h>
#include <string.h>

static int32_t op1(hc_graph *g, const char *op, const char *name, hc_dtype t, const char *a) {
    int32_t n = HC_GB_NODE(g, op, name, a);
    hc_gb_type(g, n, "T", t);
    return n;
}

static int32_t op2(hc_graph *g, const char *op, const char *name, hc_dtype t, const char *a,
                   const char *b) {
    int32_t n = HC_GB_NODE(g, op, name, a, b);
    hc_gb_type(g, n, "T", t);
    return n;
}

static void enter(hc_graph *g, const char *name, const char *in, hc_dtype t, const char *frame,
                  bool constant) {
    int32_t n = op1(g, "Enter", name, t, in);
    hc_gb_str(g, n, "frame_name", frame);
    hc_gb_bool(g, n, "is_constant", constant);
}

static void merge(hc_graph *g, const char *name, hc_dtype t, const char *a, const char *b) {
    int32_t n = op2(g, "Merge", name, t, a, b);
    hc_gb_int(g, n, "N", 2);
}

/* while (i < limit) { i += 1; acc = acc * 2 + c }  in frame `f`, names prefixed by p.
 * limit and c are loop invariants. Outputs: p/exit_i, p/exit_acc. */
static void counting_loop(hc_graph *g, const char *p, const char *f, const char *i0,
                          const char *acc0, const char *limit, const char *c) {
    char n[32][96];
    const char *names[] = {
        "enter_i", "enter_acc", "enter_limit", "enter_c", "merge_i",   "merge_acc", "less",
        "cond",    "switch_i",  "switch_acc",  "ident_i", "ident_acc", "one",       "add_i",
        "two",     "mul",       "add_acc",     "next_i",  "next_acc",  "exit_i",    "exit_acc"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        snprintf(n[k], sizeof n[k], "%s/%s", p, names[k]);
    enter(g, n[0], i0, HC_DT_INT32, f, false);
    enter(g, n[1], acc0, HC_DT_FLOAT, f, false);
    enter(g, n[2], limit, HC_DT_INT32, f, true);
    enter(g, n[3], c, HC_DT_FLOAT, f, true);
    merge(g, n[4], HC_DT_INT32, n[0], n[17]);
    merge(g, n[5], HC_DT_FLOAT, n[1], n[18]);
    op2(g, "Less", n[6], HC_DT_INT32, n[4], n[2]);
    HC_GB_NODE(g, "LoopCond", n[7], n[6]);
    op2(g, "Switch", n[8], HC_DT_INT32, n[4], n[7]);
    op2(g, "Switch", n[9], HC_DT_FLOAT, n[5], n[7]);
    char t1[100], t2[100], ctl[100];
    snprintf(t1, sizeof t1, "%s:1", n[8]);
    snprintf(t2, sizeof t2, "%s:1", n[9]);
    op1(g, "Identity", n[10], HC_DT_INT32, t1);
    op1(g, "Identity", n[11], HC_DT_FLOAT, t2);
    snprintf(ctl, sizeof ctl, "^%s", n[10]);
    int32_t one = HC_GB_NODE(g, "Const", n[12], ctl);
    const int32_t v1 = 1;
    hc_gb_type(g, one, "dtype", HC_DT_INT32);
    hc_gb_tensor_vals(g, one, "value", HC_DT_INT32, 0, NULL, &v1, 1);
    op2(g, "AddV2", n[13], HC_DT_INT32, n[10], n[12]);
    int32_t two = HC_GB_NODE(g, "Const", n[14], ctl);
    const float v2 = 2.0f;
    hc_gb_type(g, two, "dtype", HC_DT_FLOAT);
    hc_gb_tensor_vals(g, two, "value", HC_DT_FLOAT, 0, NULL, &v2, 1);
    op2(g, "Mul", n[15], HC_DT_FLOAT, n[11], n[14]);
    op2(g, "AddV2", n[16], HC_DT_FLOAT, n[15], n[3]);
    op1(g, "NextIteration", n[17], HC_DT_INT32, n[13]);
    op1(g, "NextIteration", n[18], HC_DT_FLOAT, n[16]);
    op1(g, "Exit", n[19], HC_DT_INT32, n[8]);
    op1(g, "Exit", n[20], HC_DT_FLOAT, n[9]);
}

static hc_session *open_run(tg *t, const char *const *outs, size_t n_outs) {
    tg_open(t);
    hc_session *s;
    hc_session_options o = {outs, n_outs};
    if (hc_session_new(t->ctx, t->m, &o, &s)) fail_msg("%s", hc_ctx_message(t->ctx));
    return s;
}

static void run_ok(tg *t, hc_session *s) {
    if (hc_session_run(s)) fail_msg("%s", hc_ctx_message(t->ctx));
}

static float out_f(hc_session *s, size_t i) {
    hc_tensor o;
    assert_int_equal(hc_session_output(s, i, &o), HC_OK);
    assert_int_equal(o.dtype, HC_DT_FLOAT);
    float v;
    memcpy(&v, o.data, 4);
    return v;
}

static int32_t out_i(hc_session *s, size_t i) {
    hc_tensor o;
    assert_int_equal(hc_session_output(s, i, &o), HC_OK);
    assert_int_equal(o.dtype, HC_DT_INT32);
    int32_t v;
    memcpy(&v, o.data, 4);
    return v;
}

static void while_loop_counts(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_gb_scalar_i32(&t.g, "i0", 0);
    hc_gb_scalar_f32(&t.g, "acc0", 1.0f);
    hc_gb_placeholder(&t.g, "limit", HC_DT_INT32, 0, NULL);
    hc_gb_scalar_f32(&t.g, "c", 0.5f);
    counting_loop(&t.g, "w", "w", "i0", "acc0", "limit", "c");
    const char *outs[] = {"w/exit_i", "w/exit_acc"};
    hc_session *s = open_run(&t, outs, 2);
    for (int32_t limit = 0; limit <= 6; limit++) {
        hc_tensor in = {HC_DT_INT32, 0, {0}, &limit};
        assert_int_equal(hc_session_set_input(s, "limit", &in), HC_OK);
        run_ok(&t, s);
        float acc = 1.0f;
        for (int k = 0; k < limit; k++)
            acc = acc * 2.0f + 0.5f;
        assert_int_equal(out_i(s, 0), limit);
        assert_true(out_f(s, 1) == acc);
    }
    hc_session_free(s);
    tg_fini(&t);
}

/* cond: pred ? x * 3 : x + 10, through Switch and Merge. */
static void cond_takes_one_branch(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 0, NULL);
    hc_gb_placeholder(g, "pred", HC_DT_BOOL, 0, NULL);
    op2(g, "Switch", "sw", HC_DT_FLOAT, "x", "pred");
    op1(g, "Identity", "t", HC_DT_FLOAT, "sw:1");
    op1(g, "Identity", "f", HC_DT_FLOAT, "sw");
    int32_t c3 = HC_GB_NODE(g, "Const", "three", "^t");
    const float three = 3.0f, ten = 10.0f;
    hc_gb_type(g, c3, "dtype", HC_DT_FLOAT);
    hc_gb_tensor_vals(g, c3, "value", HC_DT_FLOAT, 0, NULL, &three, 1);
    int32_t c10 = HC_GB_NODE(g, "Const", "ten", "^f");
    hc_gb_type(g, c10, "dtype", HC_DT_FLOAT);
    hc_gb_tensor_vals(g, c10, "value", HC_DT_FLOAT, 0, NULL, &ten, 1);
    op2(g, "Mul", "times", HC_DT_FLOAT, "t", "three");
    op2(g, "AddV2", "plus", HC_DT_FLOAT, "f", "ten");
    merge(g, "m", HC_DT_FLOAT, "times", "plus");
    const char *outs[] = {"m", "m:1"};
    hc_session *s = open_run(&t, outs, 2);
    for (int p = 0; p < 2; p++) {
        float x = 4.0f;
        uint8_t pred = (uint8_t)p;
        hc_tensor tx = {HC_DT_FLOAT, 0, {0}, &x}, tp = {HC_DT_BOOL, 0, {0}, &pred};
        hc_session_set_input(s, "x", &tx);
        hc_session_set_input(s, "pred", &tp);
        run_ok(&t, s);
        assert_true(out_f(s, 0) == (p ? 12.0f : 14.0f));
        assert_int_equal(out_i(s, 1), p ? 0 : 1); /* value_index: which Merge input was live */
    }
    hc_session_free(s);
    tg_fini(&t);
}

/* A node fed by a dead Switch output is dead: fetching it is an error that names it. */
static void dead_value_is_reported(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 0, NULL);
    hc_gb_placeholder(g, "pred", HC_DT_BOOL, 0, NULL);
    op2(g, "Switch", "sw", HC_DT_FLOAT, "x", "pred");
    op2(g, "AddV2", "y", HC_DT_FLOAT, "sw:1", "x");
    const char *outs[] = {"y"};
    hc_session *s = open_run(&t, outs, 1);
    float x = 1.0f;
    uint8_t pred = 0;
    hc_tensor tx = {HC_DT_FLOAT, 0, {0}, &x}, tp = {HC_DT_BOOL, 0, {0}, &pred};
    hc_session_set_input(s, "x", &tx);
    hc_session_set_input(s, "pred", &tp);
    assert_int_not_equal(hc_session_run(s), HC_OK);
    assert_non_null(strstr(hc_ctx_message(t.ctx), "'y'"));
    hc_ctx_clear(t.ctx);
    pred = 1;
    run_ok(&t, s);
    assert_true(out_f(s, 0) == 2.0f);
    hc_session_free(s);
    tg_fini(&t);
}

/* for i in 0..3: for j in 0..i: count += 1  (inner loop's limit is the outer counter). */
static void nested_loops(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_scalar_i32(g, "i0", 0);
    hc_gb_scalar_f32(g, "acc0", 0.0f);
    hc_gb_placeholder(g, "n", HC_DT_INT32, 0, NULL);
    hc_gb_scalar_f32(g, "c", 1.0f);
    counting_loop(g, "outer", "outer", "i0", "acc0", "n", "c");
    /* inner loop inside the outer body: runs outer/ident_i times from 0 */
    int32_t z = HC_GB_NODE(g, "Const", "outer/zero", "^outer/ident_i");
    const int32_t zero = 0;
    hc_gb_type(g, z, "dtype", HC_DT_INT32);
    hc_gb_tensor_vals(g, z, "value", HC_DT_INT32, 0, NULL, &zero, 1);
    int32_t zf = HC_GB_NODE(g, "Const", "outer/zerof", "^outer/ident_i");
    const float fz = 0.0f;
    hc_gb_type(g, zf, "dtype", HC_DT_FLOAT);
    hc_gb_tensor_vals(g, zf, "value", HC_DT_FLOAT, 0, NULL, &fz, 1);
    counting_loop(g, "inner", "outer/inner", "outer/zero", "outer/zerof", "outer/ident_i",
                  "outer/enter_c");
    /* the inner count feeds a running total carried by the outer loop's float variable:
     * replace outer acc update with acc + inner exit_i */
    int32_t cast = HC_GB_NODE(g, "Cast", "outer/inner_count", "inner/exit_i");
    hc_gb_type(g, cast, "SrcT", HC_DT_INT32);
    hc_gb_type(g, cast, "DstT", HC_DT_FLOAT);
    op2(g, "AddV2", "outer/total", HC_DT_FLOAT, "outer/ident_acc", "outer/inner_count");
    for (uint32_t i = 0; i < g->n_nodes; i++) /* not linked yet: no name index */
        if (hc_span_eq_str(g->nodes[i].name, "outer/next_acc"))
            g->nodes[i].in_names[0] = hc_span_str("outer/total");
    const char *outs[] = {"outer/exit_acc", "outer/exit_i"};
    hc_session *s = open_run(&t, outs, 2);
    for (int32_t n = 0; n <= 4; n++) {
        hc_tensor tn = {HC_DT_INT32, 0, {0}, &n};
        hc_session_set_input(s, "n", &tn);
        run_ok(&t, s);
        assert_int_equal(out_i(s, 1), n);
        assert_true(out_f(s, 0) == (float)(n * (n - 1) / 2));
    }
    hc_session_free(s);
    tg_fini(&t);
}

/* A loop inside the branch not taken: its Enters get dead values, its Exits come out dead,
 * and the Merge takes the other branch. */
static void loop_in_dead_branch(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "pred", HC_DT_BOOL, 0, NULL);
    hc_gb_scalar_i32(g, "i0v", 0);
    hc_gb_scalar_f32(g, "acc0v", 1.0f);
    hc_gb_scalar_i32(g, "limit", 3);
    hc_gb_scalar_f32(g, "c", 1.0f);
    op2(g, "Switch", "sw_i", HC_DT_INT32, "i0v", "pred");
    op2(g, "Switch", "sw_acc", HC_DT_FLOAT, "acc0v", "pred");
    op1(g, "Identity", "i0", HC_DT_INT32, "sw_i:1"); /* live when pred */
    op1(g, "Identity", "acc0", HC_DT_FLOAT, "sw_acc:1");
    counting_loop(g, "w", "w", "i0", "acc0", "limit", "c");
    op1(g, "Identity", "other", HC_DT_FLOAT, "sw_acc"); /* live when !pred */
    merge(g, "m", HC_DT_FLOAT, "w/exit_acc", "other");
    const char *outs[] = {"m"};
    hc_session *s = open_run(&t, outs, 1);
    for (int p = 0; p < 2; p++) {
        uint8_t pred = (uint8_t)p;
        hc_tensor tp = {HC_DT_BOOL, 0, {0}, &pred};
        hc_session_set_input(s, "pred", &tp);
        run_ok(&t, s);
        assert_true(out_f(s, 0) == (p ? 15.0f : 1.0f)); /* 1 -> 3 -> 7 -> 15 */
    }
    hc_session_free(s);
    tg_fini(&t);
}

/* The loop converted to fp16: its float loop variable is one class, check passes, and the
 * converted graph runs to the same result (exact in fp16 here). */
static void loop_converts_and_runs(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_gb_scalar_i32(&t.g, "i0", 0);
    hc_gb_scalar_f32(&t.g, "acc0", 1.0f);
    hc_gb_placeholder(&t.g, "limit", HC_DT_INT32, 0, NULL);
    hc_gb_scalar_f32(&t.g, "c", 0.5f);
    counting_loop(&t.g, "w", "w", "i0", "acc0", "limit", "c");
    tg_open(&t);
    hc_convert_options o;
    hc_convert_options_init(&o);
    o.io_fp16 = true; /* let the loop's float state go fp16 */
    hc_status st = tg_convert(&t, &o);
    if (st) fail_msg("%s", hc_ctx_message(t.ctx));
    hc_session *s;
    const char *outs[] = {"w/exit_acc"};
    hc_session_options so = {outs, 1};
    assert_int_equal(hc_session_new(t.ctx, t.out, &so, &s), HC_OK);
    int32_t limit = 4;
    hc_tensor in = {HC_DT_INT32, 0, {0}, &limit};
    hc_session_set_input(s, "limit", &in);
    run_ok(&t, s);
    hc_tensor o2;
    hc_session_output(s, 0, &o2);
    float acc = 1.0f;
    for (int k = 0; k < limit; k++)
        acc = acc * 2.0f + 0.5f;
    float v;
    if (o2.dtype == HC_DT_HALF) {
        uint16_t h;
        memcpy(&h, o2.data, 2);
        v = hc_f16_to_f32(h);
    } else {
        assert_int_equal(o2.dtype, HC_DT_FLOAT);
        memcpy(&v, o2.data, 4);
    }
    assert_true(v == acc); /* 23.5: exact in fp16 too */
    hc_session_free(s);
    tg_fini(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(while_loop_counts),      cmocka_unit_test(cond_takes_one_branch),
        cmocka_unit_test(dead_value_is_reported), cmocka_unit_test(nested_loops),
        cmocka_unit_test(loop_in_dead_branch),    cmocka_unit_test(loop_converts_and_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
