/* model.c - the built-in SSD-style detection graph (see demo.h). Node names follow the TF
 * Object Detection API's layout (Preprocessor/, FeatureExtractor/, BoxPredictor/,
 * Postprocessor/) so that reports read like they do on real models. */
#include "demo/demo.h"
#include "graph/build.h"

#include <math.h>
#include <stdio.h>

#define S         HC_DEMO_SIZE
#define CELLS     8 /* feature map is CELLS x CELLS */
#define ANCHORS   (CELLS * CELLS)
#define CLASSES   2
#define PER_CLASS 10

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

static int32_t ints_const(hc_graph *g, const char *name, int n, const int32_t *v) {
    const int64_t d[1] = {n};
    return hc_gb_const_i32(g, name, 1, d, v);
}

/* A scalar constant placed in a loop frame through a control input from the frame's pivot. */
static int32_t frame_scalar_f32(hc_graph *g, const char *name, float v, const char *pivot) {
    int32_t n = HC_GB_NODE(g, "Const", name, pivot);
    hc_gb_type(g, n, "dtype", HC_DT_FLOAT);
    hc_gb_tensor_vals(g, n, "value", HC_DT_FLOAT, 0, NULL, &v, 1);
    return n;
}

static int32_t frame_ints(hc_graph *g, const char *name, int count, const int32_t *v,
                          const char *pivot) {
    int32_t n = HC_GB_NODE(g, "Const", name, pivot);
    const int64_t d[1] = {count};
    hc_gb_type(g, n, "dtype", HC_DT_INT32);
    hc_gb_tensor(g, n, "value", HC_DT_INT32, 1, d, v);
    return n;
}

static int32_t enter(hc_graph *g, const char *name, const char *in, hc_dtype t, const char *frame,
                     bool constant) {
    int32_t n = op1(g, "Enter", name, t, in);
    hc_gb_str(g, n, "frame_name", frame);
    hc_gb_bool(g, n, "is_constant", constant);
    hc_gb_int(g, n, "parallel_iterations", 10);
    return n;
}

static int32_t tensor_array(hc_graph *g, const char *name, const char *size, hc_dtype dt, int rank,
                            const int64_t *elem) {
    int32_t n = HC_GB_NODE(g, "TensorArrayV3", name, size);
    hc_gb_type(g, n, "dtype", dt);
    hc_gb_shape(g, n, "element_shape", rank, elem);
    hc_gb_bool(g, n, "dynamic_size", false);
    hc_gb_bool(g, n, "clear_after_read", true);
    hc_gb_bool(g, n, "identical_element_shapes", true);
    hc_gb_str(g, n, "tensor_array_name", "");
    return n;
}

/* The loop skeleton: counter i from 0 while i < limit, one float flow variable.
 * Names: <p>/Enter_i, Merge_i, Switch_i, Identity_i (pivot), Enter_flow ... Exit_flow. */
static void loop_head(hc_graph *g, const char *p, const char *limit, const char *flow0) {
    char a[160], b[160], c[160];
    snprintf(a, sizeof a, "%s/zero", p);
    hc_gb_scalar_i32(g, a, 0);
    snprintf(b, sizeof b, "%s/Enter_i", p);
    enter(g, b, a, HC_DT_INT32, p, false);
    snprintf(a, sizeof a, "%s/Enter_flow", p);
    enter(g, a, flow0, HC_DT_FLOAT, p, false);
    snprintf(a, sizeof a, "%s/Enter_limit", p);
    enter(g, a, limit, HC_DT_INT32, p, true);
    const char *vars[2][2] = {{"i", "int32"}, {"flow", "float"}};
    for (int v = 0; v < 2; v++) {
        hc_dtype t = v ? HC_DT_FLOAT : HC_DT_INT32;
        snprintf(a, sizeof a, "%s/Merge_%s", p, vars[v][0]);
        snprintf(b, sizeof b, "%s/Enter_%s", p, vars[v][0]);
        snprintf(c, sizeof c, "%s/NextIteration_%s", p, vars[v][0]);
        int32_t m = HC_GB_NODE(g, "Merge", a, b, c);
        hc_gb_type(g, m, "T", t);
        hc_gb_int(g, m, "N", 2);
    }
    snprintf(a, sizeof a, "%s/Less", p);
    snprintf(b, sizeof b, "%s/Merge_i", p);
    snprintf(c, sizeof c, "%s/Enter_limit", p);
    op2(g, "Less", a, HC_DT_INT32, b, c);
    snprintf(b, sizeof b, "%s/LoopCond", p);
    HC_GB_NODE(g, "LoopCond", b, a);
    for (int v = 0; v < 2; v++) {
        hc_dtype t = v ? HC_DT_FLOAT : HC_DT_INT32;
        snprintf(a, sizeof a, "%s/Switch_%s", p, vars[v][0]);
        snprintf(b, sizeof b, "%s/Merge_%s", p, vars[v][0]);
        snprintf(c, sizeof c, "%s/LoopCond", p);
        op2(g, "Switch", a, t, b, c);
        snprintf(b, sizeof b, "%s/Identity_%s", p, vars[v][0]);
        snprintf(c, sizeof c, "%s/Switch_%s:1", p, vars[v][0]);
        op1(g, "Identity", b, t, c);
        if (!v) continue; /* the counter's final value is not used: no Exit for it */
        snprintf(b, sizeof b, "%s/Exit_%s", p, vars[v][0]);
        snprintf(c, sizeof c, "%s/Switch_%s", p, vars[v][0]);
        op1(g, "Exit", b, t, c);
    }
}

/* Close the loop: i + 1 and the body's new flow go to NextIteration. */
static void loop_tail(hc_graph *g, const char *p, const char *flow_next) {
    char a[160], b[160];
    snprintf(a, sizeof a, "%s/one", p);
    snprintf(b, sizeof b, "^%s/Identity_i", p);
    int32_t one = HC_GB_NODE(g, "Const", a, b);
    int32_t v1 = 1;
    hc_gb_type(g, one, "dtype", HC_DT_INT32);
    hc_gb_tensor_vals(g, one, "value", HC_DT_INT32, 0, NULL, &v1, 1);
    snprintf(b, sizeof b, "%s/next_i", p);
    char idn[160];
    snprintf(idn, sizeof idn, "%s/Identity_i", p);
    op2(g, "AddV2", b, HC_DT_INT32, idn, a);
    snprintf(a, sizeof a, "%s/NextIteration_i", p);
    op1(g, "NextIteration", a, HC_DT_INT32, b);
    snprintf(a, sizeof a, "%s/NextIteration_flow", p);
    op1(g, "NextIteration", a, HC_DT_FLOAT, flow_next);
}

/* uint8 image -> TensorArray -> per image: float, ResizeBilinear, [-1, 1] -> gathered batch. */
static void preprocessor(hc_graph *g) {
    const int64_t img[4] = {1, S, S, 3}, elem[3] = {S, S, 3};
    hc_gb_placeholder(g, "image_tensor", HC_DT_UINT8, 4, img);
    hc_gb_scalar_i32(g, "Preprocessor/batch", 1);
    hc_gb_scalar_i32(g, "Preprocessor/start", 0);
    hc_gb_scalar_i32(g, "Preprocessor/delta", 1);
    int32_t r = HC_GB_NODE(g, "Range", "Preprocessor/range", "Preprocessor/start",
                           "Preprocessor/batch", "Preprocessor/delta");
    hc_gb_type(g, r, "Tidx", HC_DT_INT32);
    tensor_array(g, "Preprocessor/TensorArray", "Preprocessor/batch", HC_DT_UINT8, 3, elem);
    tensor_array(g, "Preprocessor/TensorArray_1", "Preprocessor/batch", HC_DT_FLOAT, 3, elem);
    int32_t sc =
        HC_GB_NODE(g, "TensorArrayScatterV3", "Preprocessor/scatter", "Preprocessor/TensorArray",
                   "Preprocessor/range", "image_tensor", "Preprocessor/TensorArray:1");
    hc_gb_type(g, sc, "T", HC_DT_UINT8);
    const char *p = "Preprocessor/map/while";
    loop_head(g, p, "Preprocessor/batch", "Preprocessor/TensorArray_1:1");
    enter(g, "Preprocessor/map/while/Enter_in", "Preprocessor/TensorArray", HC_DT_RESOURCE, p,
          true);
    enter(g, "Preprocessor/map/while/Enter_scatter", "Preprocessor/scatter", HC_DT_FLOAT, p, true);
    enter(g, "Preprocessor/map/while/Enter_out", "Preprocessor/TensorArray_1", HC_DT_RESOURCE, p,
          true);
    int32_t rd = HC_GB_NODE(g, "TensorArrayReadV3", "Preprocessor/map/while/read",
                            "Preprocessor/map/while/Enter_in", "Preprocessor/map/while/Identity_i",
                            "Preprocessor/map/while/Enter_scatter");
    hc_gb_type(g, rd, "dtype", HC_DT_UINT8);
    int32_t c =
        HC_GB_NODE(g, "Cast", "Preprocessor/map/while/ToFloat", "Preprocessor/map/while/read");
    hc_gb_type(g, c, "SrcT", HC_DT_UINT8);
    hc_gb_type(g, c, "DstT", HC_DT_FLOAT);
    const char *piv = "^Preprocessor/map/while/Identity_i";
    const int32_t zero = 0, size[2] = {S, S};
    frame_ints(g, "Preprocessor/map/while/ResizeImage/dim", 1, &zero, piv);
    int32_t e =
        HC_GB_NODE(g, "ExpandDims", "Preprocessor/map/while/ResizeImage/ExpandDims",
                   "Preprocessor/map/while/ToFloat", "Preprocessor/map/while/ResizeImage/dim");
    hc_gb_type(g, e, "T", HC_DT_FLOAT);
    hc_gb_type(g, e, "Tdim", HC_DT_INT32);
    frame_ints(g, "Preprocessor/map/while/ResizeImage/size", 2, size, piv);
    int32_t rs = op2(g, "ResizeBilinear", "Preprocessor/map/while/ResizeImage/ResizeBilinear",
                     HC_DT_FLOAT, "Preprocessor/map/while/ResizeImage/ExpandDims",
                     "Preprocessor/map/while/ResizeImage/size");
    hc_gb_bool(g, rs, "align_corners", false);
    hc_gb_bool(g, rs, "half_pixel_centers", true);
    int32_t sq = op1(g, "Squeeze", "Preprocessor/map/while/ResizeImage/Squeeze", HC_DT_FLOAT,
                     "Preprocessor/map/while/ResizeImage/ResizeBilinear");
    const int64_t axis0 = 0;
    hc_gb_ints(g, sq, "squeeze_dims", &axis0, 1);
    frame_scalar_f32(g, "Preprocessor/map/while/scale", 2.0f / 255.0f, piv);
    frame_scalar_f32(g, "Preprocessor/map/while/one_f", 1.0f, piv);
    op2(g, "Mul", "Preprocessor/map/while/mul", HC_DT_FLOAT,
        "Preprocessor/map/while/ResizeImage/Squeeze", "Preprocessor/map/while/scale");
    op2(g, "Sub", "Preprocessor/map/while/sub", HC_DT_FLOAT, "Preprocessor/map/while/mul",
        "Preprocessor/map/while/one_f");
    int32_t w = HC_GB_NODE(g, "TensorArrayWriteV3", "Preprocessor/map/while/write",
                           "Preprocessor/map/while/Enter_out", "Preprocessor/map/while/Identity_i",
                           "Preprocessor/map/while/sub", "Preprocessor/map/while/Identity_flow");
    hc_gb_type(g, w, "T", HC_DT_FLOAT);
    loop_tail(g, p, "Preprocessor/map/while/write");
    int32_t ga = HC_GB_NODE(g, "TensorArrayGatherV3", "Preprocessor/map/TensorArrayStack",
                            "Preprocessor/TensorArray_1", "Preprocessor/range",
                            "Preprocessor/map/while/Exit_flow");
    hc_gb_type(g, ga, "dtype", HC_DT_FLOAT);
    hc_gb_shape(g, ga, "element_shape", 3, elem);
}

/* Weights: colour channels (0..2) are carried through by averaging filters; the other
 * channels get small deterministic patterns. */
static float pattern(int i) {
    return (float)((i * 7919) % 61 - 30) / 400.0f;
}

static void conv(hc_graph *g, const char *name, const char *in, int k, int cin, int cout,
                 int stride, bool depthwise) {
    char wn[160];
    snprintf(wn, sizeof wn, "%s/weights", name);
    int mult = depthwise ? 1 : cout;
    size_t n = (size_t)k * (size_t)k * (size_t)cin * (size_t)mult;
    float w[3 * 3 * 16 * 16];
    for (size_t i = 0; i < n; i++) {
        int co = (int)(i % (size_t)mult), ci = (int)(i / (size_t)mult % (size_t)cin);
        bool carry = depthwise ? ci < 3 : co < 3;
        w[i] = carry ? (depthwise || ci == co ? 1.0f / (float)(k * k) : 0.0f) : pattern((int)i);
    }
    const int64_t d[4] = {k, k, cin, mult};
    hc_gb_const_f32(g, wn, 4, d, w);
    int32_t c = op2(g, depthwise ? "DepthwiseConv2dNative" : "Conv2D", name, HC_DT_FLOAT, in, wn);
    const int64_t strides[4] = {1, stride, stride, 1}, dil[4] = {1, 1, 1, 1};
    hc_gb_ints(g, c, "strides", strides, 4);
    hc_gb_ints(g, c, "dilations", dil, 4);
    hc_gb_str(g, c, "padding", "SAME");
    hc_gb_str(g, c, "data_format", "NHWC");
}

/* FusedBatchNorm (V1, inference): identity-like on the colour channels, shifted by `shift`
 * (the first one moves [-1, 1] to [0, 2] so that Relu6 keeps them); other channels scaled. */
static void batchnorm(hc_graph *g, const char *name, const char *in, int ch, float shift) {
    char a[4][160];
    const char *part[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    float v[4][16];
    for (int c = 0; c < ch; c++) {
        v[0][c] = c < 3 ? 1.0f : 0.5f + 0.05f * (float)c;
        v[1][c] = c < 3 ? shift : 0.1f;
        v[2][c] = 0.0f;
        v[3][c] = 1.0f;
    }
    const int64_t d[1] = {ch};
    for (int k = 0; k < 4; k++) {
        snprintf(a[k], sizeof a[k], "%s/%s", name, part[k]);
        hc_gb_const_f32(g, a[k], 1, d, v[k]);
    }
    int32_t b = HC_GB_NODE(g, "FusedBatchNorm", name, in, a[0], a[1], a[2], a[3]);
    hc_gb_type(g, b, "T", HC_DT_FLOAT);
    hc_gb_float(g, b, "epsilon", 0.001f);
    hc_gb_bool(g, b, "is_training", false);
    hc_gb_str(g, b, "data_format", "NHWC");
}

static void backbone(hc_graph *g) {
    const char *f = "FeatureExtractor";
    char a[160], b[160];
    conv(g, "FeatureExtractor/Conv", "Preprocessor/map/TensorArrayStack", 3, 3, 8, 2, false);
    batchnorm(g, "FeatureExtractor/Conv/BatchNorm", "FeatureExtractor/Conv", 8, 1.0f);
    op1(g, "Relu6", "FeatureExtractor/Conv/Relu6", HC_DT_FLOAT, "FeatureExtractor/Conv/BatchNorm");
    conv(g, "FeatureExtractor/dw", "FeatureExtractor/Conv/Relu6", 3, 8, 8, 2, true);
    batchnorm(g, "FeatureExtractor/dw/BatchNorm", "FeatureExtractor/dw", 8, 0.0f);
    op1(g, "Relu6", "FeatureExtractor/dw/Relu6", HC_DT_FLOAT, "FeatureExtractor/dw/BatchNorm");
    conv(g, "FeatureExtractor/project", "FeatureExtractor/dw/Relu6", 1, 8, 16, 1, false);
    float bias[16];
    for (int c = 0; c < 16; c++)
        bias[c] = c < 3 ? 0.0f : 0.05f;
    const int64_t d[1] = {16};
    hc_gb_const_f32(g, "FeatureExtractor/project/biases", 1, d, bias);
    op2(g, "BiasAdd", "FeatureExtractor/project/BiasAdd", HC_DT_FLOAT, "FeatureExtractor/project",
        "FeatureExtractor/project/biases");
    op1(g, "Relu6", "FeatureExtractor/project/Relu6", HC_DT_FLOAT,
        "FeatureExtractor/project/BiasAdd");
    conv(g, "FeatureExtractor/Conv_1", "FeatureExtractor/project/Relu6", 3, 16, 16, 2, false);
    snprintf(a, sizeof a, "%s/Conv_1/Relu6", f);
    snprintf(b, sizeof b, "%s/Conv_1", f);
    op1(g, "Relu6", a, HC_DT_FLOAT, b);
}

/* 1x1 heads on the 8x8 map: class logits from colours, small box refinements. */
static void heads(hc_graph *g) {
    const char *fm = "FeatureExtractor/Conv_1/Relu6";
    float wc[16 * CLASSES], wb[16 * 4];
    for (int ci = 0; ci < 16; ci++) {
        /* colours arrive as x+1 in [0, 2]: red = R - G - B, blue = B - R - G */
        wc[ci * CLASSES + 0] = ci == 0 ? 6.0f : ci < 3 ? -6.0f : 0.0f;
        wc[ci * CLASSES + 1] = ci == 2 ? 6.0f : ci < 2 ? -6.0f : 0.0f;
        for (int k = 0; k < 4; k++)
            wb[ci * 4 + k] = ci < 3 ? 0.0f : pattern(ci * 4 + k) * 0.5f;
    }
    const int64_t dc[4] = {1, 1, 16, CLASSES}, db[4] = {1, 1, 16, 4};
    const char *names[2] = {"BoxPredictor/ClassPredictor", "BoxPredictor/BoxEncodingPredictor"};
    hc_gb_const_f32(g, "BoxPredictor/ClassPredictor/weights", 4, dc, wc);
    hc_gb_const_f32(g, "BoxPredictor/BoxEncodingPredictor/weights", 4, db, wb);
    const float bc[CLASSES] = {-3.0f, -3.0f}, bb[4] = {0.01f, -0.01f, 0.02f, 0.0f};
    const int64_t nc[1] = {CLASSES}, nb[1] = {4};
    hc_gb_const_f32(g, "BoxPredictor/ClassPredictor/biases", 1, nc, bc);
    hc_gb_const_f32(g, "BoxPredictor/BoxEncodingPredictor/biases", 1, nb, bb);
    for (int h = 0; h < 2; h++) {
        char c[160], w[160], b[160], ba[160];
        snprintf(c, sizeof c, "%s/Conv2D", names[h]);
        snprintf(w, sizeof w, "%s/weights", names[h]);
        snprintf(b, sizeof b, "%s/biases", names[h]);
        snprintf(ba, sizeof ba, "%s/BiasAdd", names[h]);
        int32_t n = op2(g, "Conv2D", c, HC_DT_FLOAT, fm, w);
        const int64_t one[4] = {1, 1, 1, 1};
        hc_gb_ints(g, n, "strides", one, 4);
        hc_gb_str(g, n, "padding", "SAME");
        hc_gb_str(g, n, "data_format", "NHWC");
        op2(g, "BiasAdd", ba, HC_DT_FLOAT, c, b);
    }
    const int32_t sb[2] = {ANCHORS, 4}, sc[2] = {ANCHORS, CLASSES};
    ints_const(g, "BoxPredictor/box_shape", 2, sb);
    ints_const(g, "BoxPredictor/class_shape", 2, sc);
    int32_t r1 = op2(g, "Reshape", "BoxPredictor/box_encodings", HC_DT_FLOAT,
                     "BoxPredictor/BoxEncodingPredictor/BiasAdd", "BoxPredictor/box_shape");
    int32_t r2 = op2(g, "Reshape", "BoxPredictor/class_logits", HC_DT_FLOAT,
                     "BoxPredictor/ClassPredictor/BiasAdd", "BoxPredictor/class_shape");
    hc_gb_type(g, r1, "Tshape", HC_DT_INT32);
    hc_gb_type(g, r2, "Tshape", HC_DT_INT32);
    op1(g, "Sigmoid", "Postprocessor/scores", HC_DT_FLOAT, "BoxPredictor/class_logits");
}

/* Anchors on the 8x8 grid (ycenter, xcenter, height, width), TF OD API box decoding with
 * scales 10, 10, 5, 5 (Exp on the size terms). */
static void decoder(hc_graph *g) {
    float anchors[ANCHORS * 4];
    for (int r = 0; r < CELLS; r++)
        for (int c = 0; c < CELLS; c++) {
            float *a = &anchors[(r * CELLS + c) * 4];
            a[0] = ((float)r + 0.5f) / CELLS;
            a[1] = ((float)c + 0.5f) / CELLS;
            a[2] = a[3] = 2.0f / CELLS;
        }
    const int64_t da[2] = {ANCHORS, 4};
    hc_gb_const_f32(g, "Postprocessor/anchors", 2, da, anchors);
    const char *srcs[2] = {"BoxPredictor/box_encodings", "Postprocessor/anchors"};
    const char *outs[2] = {"Postprocessor/Decode/unstack", "Postprocessor/Decode/anchors"};
    for (int k = 0; k < 2; k++) {
        int32_t u = op1(g, "Unpack", outs[k], HC_DT_FLOAT, srcs[k]);
        hc_gb_int(g, u, "num", 4);
        hc_gb_int(g, u, "axis", 1);
    }
    hc_gb_scalar_f32(g, "Postprocessor/Decode/scale_yx", 10.0f);
    hc_gb_scalar_f32(g, "Postprocessor/Decode/scale_hw", 5.0f);
    hc_gb_scalar_f32(g, "Postprocessor/Decode/half", 0.5f);
    const char *E = "Postprocessor/Decode/unstack", *A = "Postprocessor/Decode/anchors";
    char e[4][96], a[4][96];
    for (int k = 0; k < 4; k++) {
        snprintf(e[k], sizeof e[k], k ? "%s:%d" : "%s", E, k);
        snprintf(a[k], sizeof a[k], k ? "%s:%d" : "%s", A, k);
    }
    /* centers: t / 10 * size + anchor center */
    op2(g, "RealDiv", "Postprocessor/Decode/ty", HC_DT_FLOAT, e[0],
        "Postprocessor/Decode/scale_yx");
    op2(g, "RealDiv", "Postprocessor/Decode/tx", HC_DT_FLOAT, e[1],
        "Postprocessor/Decode/scale_yx");
    op2(g, "Mul", "Postprocessor/Decode/dy", HC_DT_FLOAT, "Postprocessor/Decode/ty", a[2]);
    op2(g, "Mul", "Postprocessor/Decode/dx", HC_DT_FLOAT, "Postprocessor/Decode/tx", a[3]);
    op2(g, "AddV2", "Postprocessor/Decode/yc", HC_DT_FLOAT, "Postprocessor/Decode/dy", a[0]);
    op2(g, "AddV2", "Postprocessor/Decode/xc", HC_DT_FLOAT, "Postprocessor/Decode/dx", a[1]);
    /* sizes: exp(t / 5) * anchor size */
    op2(g, "RealDiv", "Postprocessor/Decode/th", HC_DT_FLOAT, e[2],
        "Postprocessor/Decode/scale_hw");
    op2(g, "RealDiv", "Postprocessor/Decode/tw", HC_DT_FLOAT, e[3],
        "Postprocessor/Decode/scale_hw");
    op1(g, "Exp", "Postprocessor/Decode/Exp", HC_DT_FLOAT, "Postprocessor/Decode/th");
    op1(g, "Exp", "Postprocessor/Decode/Exp_1", HC_DT_FLOAT, "Postprocessor/Decode/tw");
    op2(g, "Mul", "Postprocessor/Decode/h", HC_DT_FLOAT, "Postprocessor/Decode/Exp", a[2]);
    op2(g, "Mul", "Postprocessor/Decode/w", HC_DT_FLOAT, "Postprocessor/Decode/Exp_1", a[3]);
    op2(g, "Mul", "Postprocessor/Decode/h2", HC_DT_FLOAT, "Postprocessor/Decode/h",
        "Postprocessor/Decode/half");
    op2(g, "Mul", "Postprocessor/Decode/w2", HC_DT_FLOAT, "Postprocessor/Decode/w",
        "Postprocessor/Decode/half");
    op2(g, "Sub", "Postprocessor/Decode/ymin", HC_DT_FLOAT, "Postprocessor/Decode/yc",
        "Postprocessor/Decode/h2");
    op2(g, "Sub", "Postprocessor/Decode/xmin", HC_DT_FLOAT, "Postprocessor/Decode/xc",
        "Postprocessor/Decode/w2");
    op2(g, "AddV2", "Postprocessor/Decode/ymax", HC_DT_FLOAT, "Postprocessor/Decode/yc",
        "Postprocessor/Decode/h2");
    op2(g, "AddV2", "Postprocessor/Decode/xmax", HC_DT_FLOAT, "Postprocessor/Decode/xc",
        "Postprocessor/Decode/w2");
    int32_t p = HC_GB_NODE(g, "Pack", "Postprocessor/Decode/boxes", "Postprocessor/Decode/ymin",
                           "Postprocessor/Decode/xmin", "Postprocessor/Decode/ymax",
                           "Postprocessor/Decode/xmax");
    hc_gb_type(g, p, "T", HC_DT_FLOAT);
    hc_gb_int(g, p, "N", 4);
    hc_gb_int(g, p, "axis", 1);
}

#define NMS "Postprocessor/BatchMultiClassNonMaxSuppression"
#define NW  NMS "/map/while"

static int32_t gather(hc_graph *g, const char *name, const char *params, const char *idx,
                      const char *axis) {
    int32_t n = HC_GB_NODE(g, "GatherV2", name, params, idx, axis);
    hc_gb_type(g, n, "Tparams", HC_DT_FLOAT);
    hc_gb_type(g, n, "Tindices", HC_DT_INT32);
    hc_gb_type(g, n, "Taxis", HC_DT_INT32);
    hc_gb_int(g, n, "batch_dims", 0);
    return n;
}

/* Body of the per-class loop: NMS on one class, rows (box, score, class) padded to 10. */
static void nms_body(hc_graph *g) {
    const char *piv = "^" NW "/Identity_i";
    const int32_t zero = 0, one = 1, ten = PER_CLASS, dims10[1] = {PER_CLASS};
    frame_ints(g, NW "/axis1", 1, &one, piv);
    frame_ints(g, NW "/axis0", 1, &zero, piv);
    gather(g, NW "/class_scores", NW "/Enter_scores", NW "/Identity_i", NW "/axis1:0");
    int32_t mx = HC_GB_NODE(g, "Const", NW "/max_output_size", piv);
    hc_gb_type(g, mx, "dtype", HC_DT_INT32);
    hc_gb_tensor_vals(g, mx, "value", HC_DT_INT32, 0, NULL, &ten, 1);
    frame_scalar_f32(g, NW "/iou_threshold", 0.5f, piv);
    frame_scalar_f32(g, NW "/score_threshold", 0.3f, piv);
    int32_t n = HC_GB_NODE(g, "NonMaxSuppressionV4", NW "/NonMaxSuppressionV4", NW "/Enter_boxes",
                           NW "/class_scores", NW "/max_output_size", NW "/iou_threshold",
                           NW "/score_threshold");
    hc_gb_type(g, n, "T", HC_DT_FLOAT);
    hc_gb_type(g, n, "T_threshold", HC_DT_FLOAT);
    hc_gb_bool(g, n, "pad_to_max_output_size", true);
    gather(g, NW "/boxes", NW "/Enter_boxes", NW "/NonMaxSuppressionV4", NW "/axis0:0");
    gather(g, NW "/scores", NW "/class_scores", NW "/NonMaxSuppressionV4", NW "/axis0:0");
    int32_t r0 = HC_GB_NODE(g, "Const", NW "/r0", piv), r1 = HC_GB_NODE(g, "Const", NW "/r1", piv);
    hc_gb_type(g, r0, "dtype", HC_DT_INT32);
    hc_gb_tensor_vals(g, r0, "value", HC_DT_INT32, 0, NULL, &zero, 1);
    hc_gb_type(g, r1, "dtype", HC_DT_INT32);
    hc_gb_tensor_vals(g, r1, "value", HC_DT_INT32, 0, NULL, &one, 1);
    int32_t rg = HC_GB_NODE(g, "Range", NW "/slots", NW "/r0", NW "/max_output_size", NW "/r1");
    hc_gb_type(g, rg, "Tidx", HC_DT_INT32);
    op2(g, "Less", NW "/valid", HC_DT_INT32, NW "/slots", NW "/NonMaxSuppressionV4:1");
    frame_ints(g, NW "/dims10", 1, dims10, piv);
    const int32_t dims104[2] = {PER_CLASS, 4};
    frame_ints(g, NW "/dims104", 2, dims104, piv);
    frame_scalar_f32(g, NW "/zero_f", 0.0f, piv);
    int32_t f1 = HC_GB_NODE(g, "Fill", NW "/zeros", NW "/dims10", NW "/zero_f");
    int32_t f2 = HC_GB_NODE(g, "Fill", NW "/zeros4", NW "/dims104", NW "/zero_f");
    hc_gb_type(g, f1, "T", HC_DT_FLOAT);
    hc_gb_type(g, f2, "T", HC_DT_FLOAT);
    int32_t c1 = HC_GB_NODE(g, "AddV2", NW "/class_id", NW "/Identity_i", NW "/r1");
    hc_gb_type(g, c1, "T", HC_DT_INT32);
    int32_t cf = HC_GB_NODE(g, "Cast", NW "/class_f", NW "/class_id");
    hc_gb_type(g, cf, "SrcT", HC_DT_INT32);
    hc_gb_type(g, cf, "DstT", HC_DT_FLOAT);
    int32_t fc = HC_GB_NODE(g, "Fill", NW "/classes", NW "/dims10", NW "/class_f");
    hc_gb_type(g, fc, "T", HC_DT_FLOAT);
    const char *sel[3][3] = {{NW "/sel_boxes", NW "/boxes", NW "/zeros4"},
                             {NW "/sel_scores", NW "/scores", NW "/zeros"},
                             {NW "/sel_classes", NW "/classes", NW "/zeros"}};
    for (int k = 0; k < 3; k++) {
        int32_t s = HC_GB_NODE(g, "Select", sel[k][0], NW "/valid", sel[k][1], sel[k][2]);
        hc_gb_type(g, s, "T", HC_DT_FLOAT);
    }
    const int32_t minus1 = -1;
    int32_t m1 = HC_GB_NODE(g, "Const", NW "/last", piv);
    hc_gb_type(g, m1, "dtype", HC_DT_INT32);
    hc_gb_tensor_vals(g, m1, "value", HC_DT_INT32, 0, NULL, &minus1, 1);
    for (int k = 1; k < 3; k++) {
        char name[128];
        snprintf(name, sizeof name, "%s/col", sel[k][0]);
        int32_t e = HC_GB_NODE(g, "ExpandDims", name, sel[k][0], NW "/last");
        hc_gb_type(g, e, "T", HC_DT_FLOAT);
        hc_gb_type(g, e, "Tdim", HC_DT_INT32);
    }
    int32_t cc = HC_GB_NODE(g, "ConcatV2", NW "/rows", NW "/sel_boxes", NW "/sel_scores/col",
                            NW "/sel_classes/col", NW "/r1");
    hc_gb_type(g, cc, "T", HC_DT_FLOAT);
    hc_gb_type(g, cc, "Tidx", HC_DT_INT32);
    hc_gb_int(g, cc, "N", 3);
    int32_t w = HC_GB_NODE(g, "TensorArrayWriteV3", NW "/write", NW "/Enter_ta", NW "/Identity_i",
                           NW "/rows", NW "/Identity_flow");
    hc_gb_type(g, w, "T", HC_DT_FLOAT);
}

static void nms_loop(hc_graph *g) {
    const int64_t elem[2] = {PER_CLASS, 6};
    hc_gb_scalar_i32(g, NMS "/num_classes", CLASSES);
    tensor_array(g, NMS "/TensorArray", NMS "/num_classes", HC_DT_FLOAT, 2, elem);
    loop_head(g, NW, NMS "/num_classes", NMS "/TensorArray:1");
    enter(g, NW "/Enter_boxes", "Postprocessor/Decode/boxes", HC_DT_FLOAT, NW, true);
    enter(g, NW "/Enter_scores", "Postprocessor/scores", HC_DT_FLOAT, NW, true);
    enter(g, NW "/Enter_ta", NMS "/TensorArray", HC_DT_RESOURCE, NW, true);
    nms_body(g);
    loop_tail(g, NW, NW "/write");
    hc_gb_scalar_i32(g, NMS "/r0", 0);
    hc_gb_scalar_i32(g, NMS "/r1", 1);
    int32_t rg = HC_GB_NODE(g, "Range", NMS "/classes", NMS "/r0", NMS "/num_classes", NMS "/r1");
    hc_gb_type(g, rg, "Tidx", HC_DT_INT32);
    int32_t ga = HC_GB_NODE(g, "TensorArrayGatherV3", NMS "/stack", NMS "/TensorArray",
                            NMS "/classes", NW "/Exit_flow");
    hc_gb_type(g, ga, "dtype", HC_DT_FLOAT);
    hc_gb_shape(g, ga, "element_shape", 2, elem);
}

static void slice_out(hc_graph *g, const char *name, int col, int width, int rank,
                      const int32_t *shape, const char *out) {
    char b[128], s[128], r[128], sh[128];
    snprintf(b, sizeof b, "%s/begin", name);
    snprintf(s, sizeof s, "%s/size", name);
    snprintf(r, sizeof r, "%s/Slice", name);
    snprintf(sh, sizeof sh, "%s/shape", name);
    const int32_t begin[2] = {0, col}, size[2] = {HC_DEMO_MAX_DET, width};
    ints_const(g, b, 2, begin);
    ints_const(g, s, 2, size);
    int32_t n = HC_GB_NODE(g, "Slice", r, "Postprocessor/sorted", b, s);
    hc_gb_type(g, n, "T", HC_DT_FLOAT);
    hc_gb_type(g, n, "Index", HC_DT_INT32);
    ints_const(g, sh, rank, shape);
    int32_t rs = op2(g, "Reshape", name, HC_DT_FLOAT, r, sh);
    hc_gb_type(g, rs, "Tshape", HC_DT_INT32);
    op1(g, "Identity", out, HC_DT_FLOAT, name);
}

/* All classes' rows, sorted by score with TopKV2, split into the four OD API outputs. */
static void outputs(hc_graph *g) {
    const int32_t rows[2] = {CLASSES * PER_CLASS, 6}, flat[1] = {CLASSES * PER_CLASS};
    ints_const(g, "Postprocessor/rows_shape", 2, rows);
    int32_t r = op2(g, "Reshape", "Postprocessor/rows", HC_DT_FLOAT, NMS "/stack",
                    "Postprocessor/rows_shape");
    hc_gb_type(g, r, "Tshape", HC_DT_INT32);
    const int32_t b[2] = {0, 4}, s[2] = {CLASSES * PER_CLASS, 1};
    ints_const(g, "Postprocessor/score_begin", 2, b);
    ints_const(g, "Postprocessor/score_size", 2, s);
    int32_t sl = HC_GB_NODE(g, "Slice", "Postprocessor/score_col", "Postprocessor/rows",
                            "Postprocessor/score_begin", "Postprocessor/score_size");
    hc_gb_type(g, sl, "T", HC_DT_FLOAT);
    hc_gb_type(g, sl, "Index", HC_DT_INT32);
    ints_const(g, "Postprocessor/flat", 1, flat);
    int32_t rf = op2(g, "Reshape", "Postprocessor/all_scores", HC_DT_FLOAT,
                     "Postprocessor/score_col", "Postprocessor/flat");
    hc_gb_type(g, rf, "Tshape", HC_DT_INT32);
    hc_gb_scalar_i32(g, "Postprocessor/k", HC_DEMO_MAX_DET);
    int32_t tk = op2(g, "TopKV2", "Postprocessor/TopKV2", HC_DT_FLOAT, "Postprocessor/all_scores",
                     "Postprocessor/k");
    hc_gb_bool(g, tk, "sorted", true);
    hc_gb_scalar_i32(g, "Postprocessor/axis0", 0);
    gather(g, "Postprocessor/sorted", "Postprocessor/rows", "Postprocessor/TopKV2:1",
           "Postprocessor/axis0");
    const int32_t sb[3] = {1, HC_DEMO_MAX_DET, 4}, ss[2] = {1, HC_DEMO_MAX_DET};
    slice_out(g, "Postprocessor/boxes", 0, 4, 3, sb, "detection_boxes");
    slice_out(g, "Postprocessor/scores_out", 4, 1, 2, ss, "detection_scores");
    slice_out(g, "Postprocessor/classes_out", 5, 1, 2, ss, "detection_classes");
    hc_gb_scalar_f32(g, "Postprocessor/zero_f", 0.0f);
    op2(g, "Greater", "Postprocessor/found", HC_DT_FLOAT, "Postprocessor/TopKV2",
        "Postprocessor/zero_f");
    int32_t c = HC_GB_NODE(g, "Cast", "Postprocessor/found_f", "Postprocessor/found");
    hc_gb_type(g, c, "SrcT", HC_DT_BOOL);
    hc_gb_type(g, c, "DstT", HC_DT_FLOAT);
    const int32_t one[1] = {1};
    ints_const(g, "Postprocessor/sum_axis", 1, (const int32_t[]){0});
    int32_t sm = HC_GB_NODE(g, "Sum", "Postprocessor/count", "Postprocessor/found_f",
                            "Postprocessor/sum_axis");
    hc_gb_type(g, sm, "T", HC_DT_FLOAT);
    hc_gb_type(g, sm, "Tidx", HC_DT_INT32);
    hc_gb_bool(g, sm, "keep_dims", false);
    ints_const(g, "Postprocessor/one_shape", 1, one);
    int32_t rn = op2(g, "Reshape", "Postprocessor/num", HC_DT_FLOAT, "Postprocessor/count",
                     "Postprocessor/one_shape");
    hc_gb_type(g, rn, "Tshape", HC_DT_INT32);
    op1(g, "Identity", "num_detections", HC_DT_FLOAT, "Postprocessor/num");
}

hc_status hc_demo_model(hc_ctx *ctx, hc_buf *out) {
    hc_graph g;
    hc_graph_init(&g, ctx);
    preprocessor(&g);
    backbone(&g);
    heads(&g);
    decoder(&g);
    nms_loop(&g);
    outputs(&g);
    hc_status s = hc_gb_finish(&g, out);
    hc_graph_fini(&g);
    return s;
}

void hc_demo_pixels(uint8_t *rgb) {
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            uint8_t *p = &rgb[(y * S + x) * 3];
            p[0] = p[1] = p[2] = 128;
            if (y >= 8 && y < 24 && x >= 8 && x < 24) p[0] = 230, p[1] = p[2] = 20;
            if (y >= 32 && y < 56 && x >= 32 && x < 56) p[2] = 230, p[0] = p[1] = 20;
        }
}
