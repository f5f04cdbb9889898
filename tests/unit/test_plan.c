/* test_plan.c - the precision planner and the graph edits, on small graphs built in code:
 * cast placement (one per tensor, never chained, folded into constants), shared constants,
 * deny propagation, FusedBatchNorm V1 -> V3, loops and TensorArrays, fixed float32 ports,
 * range pins, half_val repacking, broadcast constants, --keep-fp32, --outputs, --io fp16,
 * storage-only, determinism. Every converted graph must pass check (hc_convert enforces it). */
#include "common/gb.h"

#include "base/fp16.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void conv_attrs(hc_graph *g, int32_t n) {
    hc_gb_type(g, n, "T", HC_DT_FLOAT);
    const int64_t strides[4] = {1, 1, 1, 1};
    hc_gb_ints(g, n, "strides", strides, 4);
    hc_gb_str(g, n, "padding", "SAME");
    hc_gb_str(g, n, "data_format", "NHWC");
}

/* A 1x1 convolution with deterministic weights named <name>/w. */
static int32_t conv(hc_graph *g, const char *name, const char *in, int cin, int cout) {
    char wname[128];
    snprintf(wname, sizeof wname, "%s/w", name);
    float w[64 * 64];
    for (int i = 0; i < cin * cout; i++)
        w[i] = (float)((i * 37 % 17) - 8) / 16.0f;
    const int64_t dims[4] = {1, 1, cin, cout};
    hc_gb_const_f32(g, wname, 4, dims, w);
    int32_t n = HC_GB_NODE(g, "Conv2D", name, in, wname);
    conv_attrs(g, n);
    return n;
}

static int32_t binary(hc_graph *g, const char *op, const char *name, const char *a, const char *b) {
    int32_t n = HC_GB_NODE(g, op, name, a, b);
    hc_gb_type(g, n, "T", HC_DT_FLOAT);
    return n;
}

static int32_t unary(hc_graph *g, const char *op, const char *name, const char *a) {
    int32_t n = HC_GB_NODE(g, op, name, a);
    hc_gb_type(g, n, "T", HC_DT_FLOAT);
    return n;
}

static const int64_t IMG[4] = {1, 8, 8, 4};

/* input -> conv1 -> bias -> relu -> conv2 -> out (Identity) */
static void build_chain(tg *t) {
    hc_graph *g = &t->g;
    hc_gb_placeholder(g, "input", HC_DT_FLOAT, 4, IMG);
    conv(g, "conv1", "input", 4, 8);
    const float bias[8] = {0.1f, -0.2f, 0.3f, 0, 0, 0, 0, 1};
    const int64_t bd[1] = {8};
    hc_gb_const_f32(g, "bias", 1, bd, bias);
    binary(g, "BiasAdd", "bias_add", "conv1", "bias");
    unary(g, "Relu", "relu", "bias_add");
    conv(g, "conv2", "relu", 8, 4);
    unary(g, "Identity", "out", "conv2");
}

static void chain_converts_with_boundary_casts(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_chain(&t);
    tg_open(&t);
    hc_status s = tg_convert(&t, NULL);
    if (s) fail_msg("%s", hc_ctx_message(t.ctx));
    /* input and output keep float; everything between is half; two casts, one each side */
    assert_int_equal(tg_type(&t, "input", "dtype"), HC_DT_FLOAT);
    assert_int_equal(tg_type(&t, "out", "T"), HC_DT_FLOAT);
    assert_int_equal(tg_type(&t, "conv1", "T"), HC_DT_HALF);
    assert_int_equal(tg_type(&t, "bias_add", "T"), HC_DT_HALF);
    assert_int_equal(tg_type(&t, "relu", "T"), HC_DT_HALF);
    assert_int_equal(tg_type(&t, "conv2", "T"), HC_DT_HALF);
    assert_int_equal(tg_count_op(&t, "Cast"), 2);
    assert_int_equal(t.st.casts_added, 2);
    /* weights are fp16, packed */
    const hc_attr *v = hc_node_attr(tg_node(&t, "conv1/w"), "value");
    assert_int_equal(v->u.tensor->dtype, HC_DT_HALF);
    assert_int_equal(v->u.tensor->enc, HC_ENC_CONTENT);
    assert_int_equal(v->u.tensor->content.n, 2 * 4 * 8);
    assert_int_equal(hc_ld_u16(v->u.tensor->content.p), hc_f32_to_f16(-8.0f / 16.0f));
    /* the same names, dtypes and count of inputs/outputs */
    assert_int_equal(hc_model_input_count(t.out), 1);
    assert_int_equal(hc_model_output_count(t.out), 1);
    hc_io_info io;
    hc_model_output(t.out, 0, &io);
    assert_string_equal(io.name, "out");
    assert_int_equal(io.dtype, HC_DT_FLOAT);
    tg_fini(&t);
}

static void io_fp16_has_no_casts(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_chain(&t);
    tg_open(&t);
    hc_convert_options o;
    hc_convert_options_init(&o);
    o.io_fp16 = true;
    assert_int_equal(tg_convert(&t, &o), HC_OK);
    assert_int_equal(tg_count_op(&t, "Cast"), 0);
    assert_int_equal(tg_type(&t, "input", "dtype"), HC_DT_HALF);
    assert_int_equal(tg_type(&t, "out", "T"), HC_DT_HALF);
    tg_fini(&t);
}

static void conversion_is_deterministic(void **state) {
    (void)state;
    void *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    for (int k = 0; k < 2; k++) {
        tg t;
        tg_init(&t);
        build_chain(&t);
        tg_open(&t);
        assert_int_equal(tg_convert(&t, NULL), HC_OK);
        void *d;
        size_t n;
        assert_int_equal(hc_model_serialize(t.ctx, t.out, HC_FORMAT_PB, &d, &n), HC_OK);
        void *copy = malloc(n);
        memcpy(copy, d, n);
        hc_free(t.ctx, d);
        if (k)
            b = copy, nb = n;
        else
            a = copy, na = n;
        tg_fini(&t);
    }
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

/* A constant read by an fp16 conv and by an fp32 Exp path is split: no Cast after it. */
static void shared_constant_is_split(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "input", HC_DT_FLOAT, 4, IMG);
    const int64_t wd[4] = {1, 1, 4, 4};
    float w[16];
    for (int i = 0; i < 16; i++)
        w[i] = 0.25f * (float)(i % 5);
    hc_gb_const_f32(g, "w", 4, wd, w);
    int32_t c = HC_GB_NODE(g, "Conv2D", "conv", "input", "w");
    conv_attrs(g, c);
    unary(g, "Relu", "relu", "conv");
    int32_t c2 = HC_GB_NODE(g, "Conv2D", "conv2", "relu", "w");
    conv_attrs(g, c2);
    binary(g, "Mul", "scaled", "conv2", "w"); /* w broadcast against conv2: fp32 path */
    unary(g, "Exp", "exp", "scaled");
    unary(g, "Identity", "out", "exp");
    tg_open(&t);
    hc_status s = tg_convert(&t, NULL);
    if (s) fail_msg("%s", hc_ctx_message(t.ctx));
    assert_int_equal(t.st.consts_duplicated, 1);
    /* the Mul is fp32 (it feeds Exp) and reads a float copy of w; conv reads half w */
    assert_int_equal(tg_type(&t, "scaled", "T"), HC_DT_FLOAT);
    assert_int_equal(tg_type(&t, "exp", "T"), HC_DT_FLOAT);
    const hc_node *mul = tg_node(&t, "scaled");
    assert_true(hc_span_eq_str(mul->in_names[1], "w/_hc_float"));
    assert_int_equal(tg_type(&t, "w", "dtype"), HC_DT_HALF);
    assert_int_equal(tg_type(&t, "w/_hc_float", "dtype"), HC_DT_FLOAT);
    /* no Cast reads a Const */
    for (uint32_t i = 0; i < t.out->g.n_nodes; i++) {
        const hc_node *n = &t.out->g.nodes[i];
        if (!hc_span_eq_str(n->op, "Cast")) continue;
        assert_false(hc_span_eq_str(t.out->g.nodes[n->in[0].node].op, "Const"));
    }
    tg_fini(&t);
}

/* conv -> Mul -> Exp -> Add: Mul is not between fp16 ops; Add is downstream of Exp. */
static void deny_propagates_and_reasons_are_given(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "input", HC_DT_FLOAT, 4, IMG);
    conv(g, "conv", "input", 4, 4);
    hc_gb_scalar_f32(g, "half", 0.5f);
    binary(g, "Mul", "mul", "conv", "half");
    unary(g, "Exp", "exp", "mul");
    hc_gb_scalar_f32(g, "one", 1.0f);
    binary(g, "AddV2", "add", "exp", "one");
    unary(g, "Identity", "out", "add");
    tg_open(&t);
    const char *why = NULL;
    assert_int_equal(tg_plan_prec(&t, NULL, "conv", &why), HC_PREC_FP16);
    assert_int_equal(tg_plan_prec(&t, NULL, "mul", &why), HC_PREC_FP32);
    assert_non_null(strstr(why, "not between fp16"));
    assert_int_equal(tg_plan_prec(&t, NULL, "exp", &why), HC_PREC_FP32);
    assert_non_null(strstr(why, "Exp"));
    assert_int_equal(tg_plan_prec(&t, NULL, "add", &why), HC_PREC_FP32);
    assert_non_null(strstr(why, "downstream of 'exp'"));
    assert_int_equal(tg_convert(&t, NULL), HC_OK);
    tg_fini(&t);
}

static void keep_fp32_by_op_name_and_glob(void **state) {
    (void)state;
    const char *pats[][1] = {{"Relu"}, {"relu"}, {"re*"}};
    for (int k = 0; k < 3; k++) {
        tg t;
        tg_init(&t);
        build_chain(&t);
        tg_open(&t);
        hc_convert_options o;
        hc_convert_options_init(&o);
        o.keep_fp32 = pats[k];
        o.n_keep_fp32 = 1;
        const char *why;
        assert_int_equal(tg_plan_prec(&t, &o, "relu", &why), HC_PREC_FP32);
        assert_non_null(strstr(why, "--keep-fp32"));
        assert_int_equal(tg_convert(&t, &o), HC_OK);
        assert_int_equal(tg_type(&t, "relu", "T"), HC_DT_FLOAT);
        tg_fini(&t);
    }
}

/* An existing Cast(int32 -> float) feeding a conv is retargeted to half: no Cast -> Cast. */
static void cast_is_retargeted_not_chained(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "input", HC_DT_INT32, 4, IMG);
    int32_t c = HC_GB_NODE(g, "Cast", "tofloat", "input");
    hc_gb_type(g, c, "SrcT", HC_DT_INT32);
    hc_gb_type(g, c, "DstT", HC_DT_FLOAT);
    conv(g, "conv", "tofloat", 4, 4);
    unary(g, "Relu", "relu", "conv");
    conv(g, "conv2", "relu", 4, 4);
    unary(g, "Sigmoid", "out", "conv2");
    tg_open(&t);
    assert_int_equal(tg_convert(&t, NULL), HC_OK);
    assert_int_equal(tg_type(&t, "tofloat", "DstT"), HC_DT_HALF);
    for (uint32_t i = 0; i < t.out->g.n_nodes; i++) {
        const hc_node *n = &t.out->g.nodes[i];
        if (!hc_span_eq_str(n->op, "Cast")) continue;
        assert_false(hc_span_eq_str(t.out->g.nodes[n->in[0].node].op, "Cast"));
    }
    tg_fini(&t);
}

/* FusedBatchNorm (V1) between convs becomes FusedBatchNormV3 with T=half, U=float. */
static void batchnorm_v1_becomes_v3(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "input", HC_DT_FLOAT, 4, IMG);
    conv(g, "conv", "input", 4, 4);
    const int64_t d[1] = {4};
    const float one[4] = {1, 1, 1, 1}, zero[4] = {0};
    hc_gb_const_f32(g, "scale", 1, d, one);
    hc_gb_const_f32(g, "offset", 1, d, zero);
    hc_gb_const_f32(g, "mean", 1, d, zero);
    hc_gb_const_f32(g, "var", 1, d, one);
    int32_t bn = HC_GB_NODE(g, "FusedBatchNorm", "bn", "conv", "scale", "offset", "mean", "var");
    hc_gb_type(g, bn, "T", HC_DT_FLOAT);
    hc_gb_float(g, bn, "epsilon", 0.001f);
    hc_gb_bool(g, bn, "is_training", false);
    conv(g, "conv2", "bn", 4, 4);
    unary(g, "Relu", "out", "conv2");
    tg_open(&t);
    hc_status s = tg_convert(&t, NULL);
    if (s) fail_msg("%s", hc_ctx_message(t.ctx));
    const hc_node *n = tg_node(&t, "bn");
    assert_true(hc_span_eq_str(n->op, "FusedBatchNormV3"));
    assert_int_equal(tg_type(&t, "bn", "T"), HC_DT_HALF);
    assert_int_equal(tg_type(&t, "bn", "U"), HC_DT_FLOAT);
    assert_int_equal(tg_type(&t, "scale", "dtype"), HC_DT_FLOAT);
    assert_int_equal(t.st.batchnorm_rewritten, 1);
    tg_fini(&t);
}

/* Constants fp16 cannot hold keep their consumers fp32, with the constant named. */
static void out_of_range_constant_pins_consumer(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "input", HC_DT_FLOAT, 4, IMG);
    conv(g, "conv", "input", 4, 4);
    hc_gb_scalar_f32(g, "big", 100000.0f);
    binary(g, "Mul", "mul", "conv", "big");
    conv(g, "conv2", "mul", 4, 4);
    unary(g, "Relu", "out", "conv2");
    tg_open(&t);
    const char *why;
    assert_int_equal(tg_plan_prec(&t, NULL, "mul", &why), HC_PREC_FP32);
    assert_non_null(strstr(why, "'big'"));
    assert_non_null(strstr(why, "65504"));
    assert_int_equal(tg_convert(&t, NULL), HC_OK);
    assert_int_equal(tg_type(&t, "big", "dtype"), HC_DT_FLOAT);
    assert_int_equal(t.st.values_overflow, 0);
    tg_fini(&t);
}

/* A half constant stored one varint per value (half_val) is repacked as bytes. */
static void half_val_is_repacked(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    uint16_t h[64];
    for (int i = 0; i < 64; i++)
        h[i] = hc_f32_to_f16((float)i / 8.0f);
    const int64_t d[2] = {8, 8};
    int32_t c = HC_GB_SOURCE(g, "Const", "hw");
    hc_gb_type(g, c, "dtype", HC_DT_HALF);
    hc_gb_tensor_vals(g, c, "value", HC_DT_HALF, 2, d, h, 64);
    hc_gb_placeholder(g, "input", HC_DT_HALF, 2, d);
    int32_t sum = binary(g, "AddV2", "sum", "input", "hw");
    hc_gb_type(g, sum, "T", HC_DT_HALF);
    tg_open(&t);
    assert_int_equal(tg_convert(&t, NULL), HC_OK);
    const hc_tensor_proto *v = hc_node_attr(tg_node(&t, "hw"), "value")->u.tensor;
    assert_int_equal(v->enc, HC_ENC_CONTENT);
    assert_int_equal(v->content.n, 128);
    for (int i = 0; i < 64; i++)
        assert_int_equal(hc_ld_u16(v->content.p + 2 * i), h[i]);
    assert_int_equal(t.st.consts_repacked, 1);
    tg_fini(&t);
}

/* One value broadcast over a large shape stays one value. */
static void broadcast_constant_is_not_expanded(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "input", HC_DT_FLOAT, 4, IMG);
    conv(g, "conv", "input", 4, 4);
    const int64_t d[4] = {1, 8, 8, 4};
    const float v = 0.5f;
    int32_t c = HC_GB_SOURCE(g, "Const", "fill");
    hc_gb_type(g, c, "dtype", HC_DT_FLOAT);
    hc_gb_tensor_vals(g, c, "value", HC_DT_FLOAT, 4, d, &v, 1);
    binary(g, "AddV2", "add", "conv", "fill");
    conv(g, "conv2", "add", 4, 4);
    unary(g, "Relu", "out", "conv2");
    tg_open(&t);
    assert_int_equal(tg_convert(&t, NULL), HC_OK);
    const hc_tensor_proto *tv = hc_node_attr(tg_node(&t, "fill"), "value")->u.tensor;
    assert_int_equal(tv->dtype, HC_DT_HALF);
    assert_int_equal(tv->enc, HC_ENC_VALUES);
    assert_int_equal(tv->n_vals, 1);
    tg_fini(&t);
}

/* --outputs drops what the named outputs do not need. */
static void outputs_prune(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_chain(&t);
    unary(&t.g, "Sigmoid", "side", "relu");
    tg_open(&t);
    assert_int_equal(hc_model_output_count(t.m), 2);
    hc_convert_options o;
    hc_convert_options_init(&o);
    const char *outs[] = {"out"};
    o.outputs = outs;
    o.n_outputs = 1;
    assert_int_equal(tg_convert(&t, &o), HC_OK);
    assert_null(tg_node_or_null(&t, "side"));
    assert_int_equal(hc_model_output_count(t.out), 1);
    tg_fini(&t);
}

/* Storage-only: weights fp16 with a Cast after each, compute fp32; a constant of fewer than 64
 * values (the bias) stays fp32, as rounding a scalar or a short vector saves nothing. */
static void storage_only(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_graph *g = &t.g;
    hc_gb_placeholder(g, "input", HC_DT_FLOAT, 4, IMG);
    conv(g, "conv1", "input", 4, 16); /* 64 weights: fp16 */
    const float bias[16] = {0.1f, -0.2f, 0.3f};
    const int64_t bd[1] = {16};
    hc_gb_const_f32(g, "bias", 1, bd, bias); /* 16 values: fp32 */
    binary(g, "BiasAdd", "bias_add", "conv1", "bias");
    conv(g, "conv2", "bias_add", 16, 4);
    unary(g, "Identity", "out", "conv2");
    tg_open(&t);
    hc_convert_options o;
    hc_convert_options_init(&o);
    o.storage_only = true;
    assert_int_equal(tg_convert(&t, &o), HC_OK);
    assert_int_equal(tg_type(&t, "conv1", "T"), HC_DT_FLOAT);
    assert_int_equal(tg_type(&t, "conv1/w", "dtype"), HC_DT_HALF);
    assert_int_equal(tg_type(&t, "bias", "dtype"), HC_DT_FLOAT);
    assert_int_equal(tg_type(&t, "conv2/w", "dtype"), HC_DT_HALF);
    assert_int_equal(tg_count_op(&t, "Cast"), 2); /* conv1/w, conv2/w */
    tg_fini(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_converts_with_boundary_casts),
        cmocka_unit_test(io_fp16_has_no_casts),
        cmocka_unit_test(conversion_is_deterministic),
        cmocka_unit_test(shared_constant_is_split),
        cmocka_unit_test(deny_propagates_and_reasons_are_given),
        cmocka_unit_test(keep_fp32_by_op_name_and_glob),
        cmocka_unit_test(cast_is_retargeted_not_chained),
        cmocka_unit_test(batchnorm_v1_becomes_v3),
        cmocka_unit_test(out_of_range_constant_pins_consumer),
        cmocka_unit_test(half_val_is_repacked),
        cmocka_unit_test(broadcast_constant_is_not_expanded),
        cmocka_unit_test(outputs_prune),
        cmocka_unit_test(storage_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
