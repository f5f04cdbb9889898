/* test_convert_models.c - every shared TensorFlow model converts; the output passes check, has
 * the same input/output names, dtypes and shapes, stores its float weights as packed fp16 and,
 * for the weight-dominated models, is at most 0.55x the input. Detection-specific hazards
 * on the TF2 OD API FPN model and MTCNN: NMS, loops, TensorLists/TensorArrays, CropAndResize,
 * scalar float inputs. And the seed's mistake: weights written as half_val are repacked. */
#include "common/models.h"
#include "common/testlib.h"

#include "base/fp16.h"
#include "fmt/graphdef/graphdef.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hc_model *open_model(hc_ctx *ctx, const char *rel) {
    hc_model *m = NULL;
    if (hc_model_open(ctx, hc_test_shared(rel), &m)) fail_msg("%s", hc_ctx_message(ctx));
    return m;
}

static hc_model *convert(hc_ctx *ctx, const hc_model *in, hc_convert_stats *st) {
    hc_model *out = NULL;
    if (hc_convert(ctx, in, NULL, &out, st)) fail_msg("%s", hc_ctx_message(ctx));
    return out;
}

static void same_io(const hc_model *a, const hc_model *b) {
    assert_int_equal(hc_model_input_count(a), hc_model_input_count(b));
    assert_int_equal(hc_model_output_count(a), hc_model_output_count(b));
    for (int side = 0; side < 2; side++) {
        size_t n = side ? hc_model_output_count(a) : hc_model_input_count(a);
        for (size_t i = 0; i < n; i++) {
            hc_io_info x, y;
            (side ? hc_model_output : hc_model_input)(a, i, &x);
            (side ? hc_model_output : hc_model_input)(b, i, &y);
            assert_string_equal(x.name, y.name);
            assert_int_equal(x.dtype, y.dtype);
            assert_int_equal(x.rank, y.rank);
            for (int d = 0; d < x.rank; d++)
                assert_int_equal(x.dims[d], y.dims[d]);
        }
    }
}

/* Weights of fp16 compute are fp16 and packed; no half_val lists. Float constants that stay
 * fp32 feed only fp32 nodes (box decoding, NMS bookkeeping) and are a small share. */
static bool feeds_compute(const hc_model *m, uint32_t c) {
    for (uint32_t i = 0; i < m->g.n_nodes; i++) {
        const hc_node *n = &m->g.nodes[i];
        bool compute = hc_span_eq_str(n->op, "Conv2D") ||
                       hc_span_eq_str(n->op, "DepthwiseConv2dNative") ||
                       hc_span_eq_str(n->op, "MatMul");
        for (uint32_t k = 0; compute && k < n->n_in; k++)
            if ((uint32_t)n->in[k].node == c) return true;
    }
    return false;
}

static void weights_are_packed_fp16(const hc_model *m, const char *name) {
    uint64_t b32 = 0, b16 = 0;
    for (uint32_t i = 0; i < m->g.n_nodes; i++) {
        const hc_node *n = &m->g.nodes[i];
        if (!hc_span_eq_str(n->op, "Const")) continue;
        const hc_tensor_proto *t = hc_node_attr(n, "value")->u.tensor;
        int64_t elems = hc_shape_elems(&t->shape);
        if (t->dtype == HC_DT_HALF) {
            b16 += t->content.n;
            if (t->enc == HC_ENC_VALUES && (int64_t)t->n_vals == elems && elems > 1)
                fail_msg("%s: '%.*s' keeps %lld fp16 values one varint each", name,
                         HC_SPAN_ARG(n->name), (long long)elems);
        }
        if (t->dtype != HC_DT_FLOAT) continue;
        b32 += t->content.n;
        if (elems >= 64 && feeds_compute(m, i))
            fail_msg("%s: weights '%.*s' of a conv/matmul left fp32", name, HC_SPAN_ARG(n->name));
    }
    printf("  %s: fp16 weights %llu bytes, float constants left fp32 %llu bytes\n", name,
           (unsigned long long)b16, (unsigned long long)b32);
    assert_true(b16 > 0);
    assert_true(b32 * 10 < b16);
}

static void every_model_converts(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    for (size_t i = 0; i < HC_N_TF_MODELS; i++) {
        hc_model *in = open_model(ctx, HC_TF_MODELS[i]);
        hc_convert_stats st;
        hc_model *out = convert(ctx, in, &st);
        hc_check_report *r;
        assert_int_equal(hc_check(ctx, out, &r), HC_OK);
        assert_int_equal(hc_check_report_count(r), 0);
        hc_check_report_free(r);
        same_io(in, out);
        double ratio = (double)st.bytes_out / (double)st.bytes_in;
        printf("%s: %.3fx, %zu casts, %zu fp16 constants\n", HC_TF_MODELS[i], ratio, st.casts_added,
               st.consts_fp16);
        /* The OpenCV face model stores its weights as uint8 (Dequantize): not float-dominated. */
        if (!strstr(HC_TF_MODELS[i], "uint8")) {
            assert_true(ratio <= 0.55);
            weights_are_packed_fp16(out, HC_TF_MODELS[i]);
        }
        hc_model_free(out);
        hc_model_free(in);
    }
    hc_ctx_free(ctx);
}

static const hc_node *node_of(const hc_model *m, uint32_t i) {
    return &m->g.nodes[i];
}

static hc_dtype type_of(const hc_node *n, const char *attr) {
    hc_dtype dt = HC_DT_INVALID;
    hc_node_attr_type(n, attr, &dt);
    return dt;
}

/* Every plan entry of these ops is fp32 with a reason. */
static void plan_explains(hc_ctx *ctx, const hc_model *m, const char *const *ops, size_t n_ops) {
    hc_plan *p;
    assert_int_equal(hc_plan_new(ctx, m, NULL, &p), HC_OK);
    size_t seen = 0;
    for (size_t i = 0; i < hc_plan_node_count(p); i++) {
        hc_plan_node info;
        hc_plan_node_info(p, i, &info);
        for (size_t k = 0; k < n_ops; k++) {
            if (strcmp(info.op, ops[k])) continue;
            seen++;
            if (info.precision != HC_PREC_FP32 || !info.reason || !info.reason[0])
                fail_msg("%s (%s) is not fp32 with a reason", info.name, info.op);
        }
    }
    assert_true(seen > 0);
    hc_plan_free(p);
}

static void fpn_keeps_nms_and_loop_types(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_model *in = open_model(ctx, HC_TF_MODELS[0]);
    hc_convert_stats st;
    hc_model *out = convert(ctx, in, &st);
    size_t nms = 0, lists = 0;
    for (uint32_t i = 0; i < out->g.n_nodes; i++) {
        const hc_node *n = node_of(out, i);
        if (hc_span_eq_str(n->op, "NonMaxSuppressionV5")) {
            nms++;
            assert_int_equal(type_of(n, "T"), HC_DT_FLOAT);
            /* boxes, scores and thresholds all arrive as float32 */
            for (uint32_t k = 0; k < 6; k++) {
                hc_dtype want, have;
                const char *why;
                assert_true(hc_node_in_dtype(&out->g, n, k, &want, &why));
                assert_true(hc_node_out_dtype(&out->g, node_of(out, (uint32_t)n->in[k].node),
                                              n->in[k].port, &have, &why));
                assert_int_equal(want, have);
                if (k != 2) assert_int_equal(have, HC_DT_FLOAT);
            }
        }
        if (n->def && (n->def->flags & HC_OPF_HANDLE_IN) &&
            hc_span_eq_str(n->op, "TensorListSetItem"))
            lists++;
    }
    assert_int_equal(nms, 7);
    assert_int_equal(lists, 2);
    static const char *const ops[] = {"NonMaxSuppressionV5", "Exp", "TopKV2"};
    plan_explains(ctx, in, ops, 3);
    hc_model_free(out);
    hc_model_free(in);
    hc_ctx_free(ctx);
}

static void mtcnn_keeps_arrays_crops_and_scalars(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_model *in = open_model(ctx, "models/tf/mtcnn-blaueck/mtcnn_1.12.pb");
    hc_convert_stats st;
    hc_model *out = convert(ctx, in, &st);
    static const char *const scalars[] = {"min_size", "thresholds", "factor", "input"};
    for (size_t k = 0; k < 4; k++) {
        int32_t i = hc_graph_find(&out->g, hc_span_str(scalars[k]));
        assert_true(i >= 0);
        assert_int_equal(type_of(node_of(out, (uint32_t)i), "dtype"), HC_DT_FLOAT);
    }
    size_t crops = 0, arrays = 0;
    for (uint32_t i = 0; i < out->g.n_nodes; i++) {
        const hc_node *n = node_of(out, i);
        if (hc_span_eq_str(n->op, "CropAndResize")) {
            crops++;
            assert_int_equal(type_of(n, "T"), HC_DT_FLOAT);
        }
        if (hc_span_eq_str(n->op, "NonMaxSuppressionV3"))
            assert_int_equal(type_of(n, "T"), HC_DT_FLOAT);
        arrays += hc_span_eq_str(n->op, "TensorArrayV3");
    }
    assert_true(crops > 0 && arrays > 0);
    static const char *const ops[] = {"NonMaxSuppressionV3", "CropAndResize", "Placeholder"};
    plan_explains(ctx, in, ops, 3);
    hc_model_free(out);
    hc_model_free(in);
    hc_ctx_free(ctx);
}

/* Rewrite every packed fp16 constant of g as half_val: one varint per value, the way the
 * seed's script (and TensorFlow before 2020) wrote them. */
static void to_half_val(hc_graph *g) {
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        hc_node *n = &g->nodes[i];
        const hc_attr *a = hc_node_attr(n, "value");
        if (!hc_span_eq_str(n->op, "Const") || !a || a->u.tensor->dtype != HC_DT_HALF ||
            a->u.tensor->enc != HC_ENC_CONTENT)
            continue;
        const hc_tensor_proto *t = a->u.tensor;
        size_t count = t->content.n / 2;
        uint8_t *v = hc_arena_alloc(&g->arena, 3 * count + 1);
        size_t k = 0;
        for (size_t j = 0; j < count; j++) {
            uint32_t x = hc_ld_u16(t->content.p + 2 * j);
            while (x >= 0x80)
                v[k++] = (uint8_t)(x | 0x80), x >>= 7;
            v[k++] = (uint8_t)x;
        }
        hc_tensor_proto *nt = hc_arena_alloc(&g->arena, sizeof *nt);
        *nt = (hc_tensor_proto){.dtype = HC_DT_HALF,
                                .shape = t->shape,
                                .enc = HC_ENC_VALUES,
                                .val_field = 13,
                                .vals = hc_span_of(v, k),
                                .n_vals = count};
        hc_attr *na = hc_node_set_attr(g, (int32_t)i, "value");
        na->kind = HC_ATTR_TENSOR;
        na->u.tensor = nt;
    }
}

static void half_val_model_is_repacked(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_model *in = open_model(ctx, HC_TF_MODELS[0]);
    hc_convert_stats st;
    hc_model *f16 = convert(ctx, in, &st);
    to_half_val(&f16->g);
    hc_buf b;
    hc_buf_init(&b, ctx);
    assert_int_equal(hc_graphdef_write(&f16->g, &b), HC_OK);
    assert_true(b.n > st.bytes_out); /* one varint per value is bigger */
    hc_model *hv;
    assert_int_equal(hc_model_open_memory(ctx, b.p, b.n, "half_val", &hv), HC_OK);
    /* read -> write is the identity for the half_val file too */
    void *again;
    size_t n;
    assert_int_equal(hc_model_serialize(ctx, hv, HC_FORMAT_PB, &again, &n), HC_OK);
    assert_int_equal(n, b.n);
    assert_memory_equal(again, b.p, n);
    hc_free(ctx, again);
    hc_convert_stats st2;
    hc_model *re = convert(ctx, hv, &st2);
    assert_true(st2.consts_repacked >= 200);
    assert_int_equal(st2.bytes_out, st.bytes_out); /* the same bytes as the first conversion */
    weights_are_packed_fp16(re, "repacked");
    hc_model_free(re);
    hc_model_free(hv);
    hc_buf_fini(&b);
    hc_model_free(f16);
    hc_model_free(in);
    hc_ctx_free(ctx);
}

/* A .pbtxt input converts and can be written back as .pbtxt, which reads back the same. */
static void pbtxt_in_and_out(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_model *in = open_model(ctx, "models/tf/human-blazeface/blazeface_frozen_from_tfjs.pb");
    const char *txt = hc_test_tmp("blazeface.pbtxt");
    assert_int_equal(hc_model_save(ctx, in, txt, HC_FORMAT_PBTXT), HC_OK);
    hc_model *tin;
    assert_int_equal(hc_model_open(ctx, txt, &tin), HC_OK);
    assert_int_equal(hc_model_format(tin), HC_FORMAT_PBTXT);
    hc_convert_stats st;
    hc_model *out = convert(ctx, tin, &st);
    assert_int_equal(hc_model_format(out), HC_FORMAT_PBTXT);
    const char *otxt = hc_test_tmp("blazeface.f16.pbtxt");
    assert_int_equal(hc_model_save(ctx, out, otxt, HC_FORMAT_AUTO), HC_OK);
    hc_model *back;
    assert_int_equal(hc_model_open(ctx, otxt, &back), HC_OK);
    hc_check_report *r;
    assert_int_equal(hc_check(ctx, back, &r), HC_OK);
    hc_check_report_free(r);
    /* the same graph as converting the binary file */
    hc_model *bin = convert(ctx, in, &st);
    void *x, *y;
    size_t nx, ny;
    assert_int_equal(hc_model_serialize(ctx, back, HC_FORMAT_PB, &x, &nx), HC_OK);
    assert_int_equal(hc_model_serialize(ctx, bin, HC_FORMAT_PB, &y, &ny), HC_OK);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx);
    hc_free(ctx, x);
    hc_free(ctx, y);
    hc_model_free(bin);
    hc_model_free(back);
    hc_model_free(out);
    hc_model_free(tin);
    hc_model_free(in);
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_model_converts),
        cmocka_unit_test(fpn_keeps_nms_and_loop_types),
        cmocka_unit_test(mtcnn_keeps_arrays_crops_and_scalars),
        cmocka_unit_test(half_val_model_is_repacked),
        cmocka_unit_test(pbtxt_in_and_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
