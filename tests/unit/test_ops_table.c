/* test_ops_table.c - the TensorFlow op table: strict name order, port specs that resolve,
 * reasons on deny entries, coverage of the ops the shared models use, and (the strongest
 * check) every edge of the six shared TensorFlow models type-checked against the table: the
 * original graphs are valid TensorFlow, so any mismatch means the table is wrong. */
#include "common/testlib.h"
#include "common/models.h"
#include "model/model.h"
#include "ops/ops.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every op the shared models use. */
/* clang-format off */
static const char *const MODEL_OPS[] = {
    "AddV2", "BiasAdd", "Cast", "ConcatV2", "Const", "Conv2D", "DepthwiseConv2dNative", "Enter",
    "Exit", "Exp", "ExpandDims", "Fill", "GatherV2", "Greater", "GreaterEqual", "Identity", "Less",
    "LogicalAnd", "LoopCond", "Maximum", "Merge", "Minimum", "Mul", "NextIteration", "NoOp",
    "NonMaxSuppressionV5", "Pack", "Pad", "Placeholder", "Range", "Reciprocal", "Relu6", "Reshape",
    "ResizeBilinear", "Select", "Shape", "Sigmoid", "Slice", "Split", "Squeeze", "StridedSlice",
    "Sub", "Sum", "Switch", "TensorListFromTensor", "TensorListGetItem", "TensorListReserve",
    "TensorListSetItem", "TensorListStack", "TopKV2", "Transpose", "Unpack", "Where", "Add",
    "AddN", "TensorArrayGatherV3", "TensorArrayReadV3", "TensorArrayScatterV3",
    "TensorArraySizeV3", "TensorArrayV3", "TensorArrayWriteV3", "Tile", "MaxPool", "Relu",
    "BroadcastTo", "Ceil", "Neg", "NonMaxSuppressionV3", "RealDiv", "Size", "Softmax",
    "CropAndResize", "Max", "Prod", "TensorArrayConcatV3", "BatchToSpaceND", "Dequantize",
    "FusedBatchNorm", "Rsqrt", "SpaceToBatchND", "Square",
};
/* clang-format on */

/* The int attributes TensorFlow uses as number_attr on the ops in the table. */
static const char *const COUNT_ATTRS[] = {"N", "num", "num_split", "num_args", "num_host_args"};

static void test_sorted_unique(void **state) {
    (void)state;
    size_t n;
    const hc_opdef *t = hc_op_table(&n);
    assert_true(n > 0);
    for (size_t i = 0; i + 1 < n; i++) {
        if (strcmp(t[i].name, t[i + 1].name) >= 0)
            fail_msg("op table out of order or duplicated: '%s' then '%s'", t[i].name,
                     t[i + 1].name);
    }
    for (size_t i = 0; i < n; i++) {
        const hc_opdef *d = hc_op_find_str(t[i].name);
        if (d != &t[i]) fail_msg("hc_op_find_str('%s') does not find its entry", t[i].name);
    }
    assert_null(hc_op_find_str("NoSuchOp"));
    assert_null(hc_op_find_str(""));
}

static bool plausible_count_attr(const hc_opdef *d, hc_span s) {
    bool known = false;
    for (size_t i = 0; i < sizeof COUNT_ATTRS / sizeof COUNT_ATTRS[0]; i++)
        known = known || hc_span_eq_str(s, COUNT_ATTRS[i]);
    return known && !hc_op_tattr_find(d, s);
}

static void check_args(const hc_opdef *d, const hc_op_arg *args, const char *side) {
    bool ended = false;
    for (int a = 0; a < HC_OP_MAX_ARGS; a++) {
        if (!args[a].name) {
            ended = true;
            continue;
        }
        if (ended) fail_msg("%s: %s arg %d follows an empty slot", d->name, side, a);
        hc_port_spec ps;
        if (!args[a].type || !hc_op_port_spec(d, &args[a], &ps)) {
            fail_msg("%s: %s arg '%s' type '%s' does not resolve", d->name, side, args[a].name,
                     args[a].type ? args[a].type : "(null)");
            return;
        }
        if (ps.count_attr.n && !plausible_count_attr(d, ps.count_attr))
            fail_msg("%s: %s arg '%s' has an implausible count attribute in '%s'", d->name, side,
                     args[a].name, args[a].type);
        if (ps.tattr && ps.tattr->is_list != ps.is_list)
            fail_msg("%s: %s arg '%s': list form and list(type) attribute disagree", d->name, side,
                     args[a].name);
    }
}

static bool is_handle_type(const hc_opdef *d, const hc_op_arg *arg) {
    hc_port_spec ps;
    return arg->name && hc_op_port_spec(d, arg, &ps) && !ps.tattr &&
           (ps.fixed == HC_DT_RESOURCE || ps.fixed == HC_DT_VARIANT);
}

static void check_tattrs(const hc_opdef *d) {
    for (int i = 0; i < HC_OP_MAX_TATTRS && d->tattrs[i].name; i++) {
        const hc_op_tattr *ta = &d->tattrs[i];
        for (const char *c = ta->name; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                fail_msg("%s: type attribute '%s' is not an identifier", d->name, ta->name);
        if (hc_op_tattr_find(d, hc_span_str(ta->name)) != ta)
            fail_msg("%s: type attribute '%s' is listed twice", d->name, ta->name);
        if (ta->allowed & ~(HC_DTM(HC_DT_COUNT) - 1u) & ~1u)
            fail_msg("%s: %s allows dtypes beyond the known ones", d->name, ta->name);
        if (ta->allowed & 1u) fail_msg("%s: %s allows DT_INVALID", d->name, ta->name);
        if (ta->def != HC_DT_INVALID && ta->allowed && !(ta->allowed & HC_DTM(ta->def)))
            fail_msg("%s: the default of %s is not in its allowed set", d->name, ta->name);
        if (ta->is_list && ta->def != HC_DT_INVALID)
            fail_msg("%s: list attribute %s has a default dtype", d->name, ta->name);
    }
}

static void check_structure(const hc_opdef *d) {
    if ((d->flags & HC_OPF_HANDLE_IN) && !is_handle_type(d, &d->in[0]))
        fail_msg("%s: HANDLE_IN but input 0 is not a resource/variant", d->name);
    if ((d->flags & HC_OPF_HANDLE_OUT) && !is_handle_type(d, &d->out[0]))
        fail_msg("%s: HANDLE_OUT but output 0 is not a resource/variant", d->name);
    if ((d->flags & HC_OPF_SOURCE) && d->in[0].name) fail_msg("%s: SOURCE but has inputs", d->name);
    if (d->flags & HC_OPF_IDENTITY) {
        hc_port_spec pi, po;
        if (!d->in[0].name || !d->out[0].name || !hc_op_port_spec(d, &d->in[0], &pi) ||
            !hc_op_port_spec(d, &d->out[0], &po) || !pi.tattr || pi.tattr != po.tattr)
            fail_msg("%s: IDENTITY but output 0 does not forward input 0's type", d->name);
    }
    if ((d->flags & HC_OPF_ANY_INPUT) && !(d->flags & HC_OPF_CF))
        fail_msg("%s: ANY_INPUT outside TF1 control flow", d->name);
    if (d->elem_attr) {
        const hc_op_tattr *ta = hc_op_tattr_find(d, hc_span_str(d->elem_attr));
        if (!ta || ta->is_list) fail_msg("%s: ELEM names no scalar type attribute", d->name);
        if (!(d->flags & (HC_OPF_HANDLE_IN | HC_OPF_HANDLE_OUT)))
            fail_msg("%s: ELEM without a handle port", d->name);
    }
    if (d->fp16_as) {
        const hc_opdef *as = hc_op_find_str(d->fp16_as);
        if (!as || as == d) fail_msg("%s: fp16_as names no other op", d->name);
    }
}

static void test_port_specs(void **state) {
    (void)state;
    size_t n;
    const hc_opdef *t = hc_op_table(&n);
    for (size_t i = 0; i < n; i++) {
        const hc_opdef *d = &t[i];
        if ((int)d->cls < HC_OPCLS_NONE || d->cls > HC_OPCLS_DENY)
            fail_msg("%s: bad class", d->name);
        check_args(d, d->in, "input");
        check_args(d, d->out, "output");
        check_tattrs(d);
        check_structure(d);
    }
}

static void test_deny_reasons(void **state) {
    (void)state;
    size_t n;
    const hc_opdef *t = hc_op_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (t[i].cls == HC_OPCLS_DENY && (!t[i].reason || strlen(t[i].reason) < 10))
            fail_msg("%s is DENY without a reason", t[i].name);
        if (t[i].reason && strlen(t[i].reason) < 5) fail_msg("%s has an empty reason", t[i].name);
    }
}

/* A port fixed to float32 cannot follow a class lowered to fp16: the entry must say so. */
static void test_fixed_float_reasons(void **state) {
    (void)state;
    size_t n;
    const hc_opdef *t = hc_op_table(&n);
    for (size_t i = 0; i < n; i++) {
        const hc_opdef *d = &t[i];
        bool fixed_float = false;
        const hc_op_arg *sides[2] = {d->in, d->out};
        for (int s = 0; s < 2; s++)
            for (int a = 0; a < HC_OP_MAX_ARGS && sides[s][a].name; a++) {
                hc_port_spec ps;
                if (hc_op_port_spec(d, &sides[s][a], &ps) && !ps.tattr && ps.fixed == HC_DT_FLOAT)
                    fixed_float = true;
            }
        if (fixed_float && !d->reason)
            fail_msg("%s has a fixed float32 port and no reason saying so", d->name);
    }
}

/* The precision classes and structure the brief and Grappler's lists fix. */
static const struct {
    const char *op;
    hc_opcls cls;
} CLASSES[] = {
    {"Conv2D", HC_OPCLS_ALLOW},
    {"DepthwiseConv2dNative", HC_OPCLS_ALLOW},
    {"MatMul", HC_OPCLS_ALLOW},
    {"BatchMatMulV2", HC_OPCLS_ALLOW},
    {"Einsum", HC_OPCLS_ALLOW},
    {"_FusedConv2D", HC_OPCLS_ALLOW},
    {"AddV2", HC_OPCLS_INFER},
    {"BiasAdd", HC_OPCLS_INFER},
    {"FusedBatchNorm", HC_OPCLS_INFER},
    {"FusedBatchNormV3", HC_OPCLS_INFER},
    {"Softmax", HC_OPCLS_INFER},
    {"Sigmoid", HC_OPCLS_INFER},
    {"Rsqrt", HC_OPCLS_INFER},
    {"Exp", HC_OPCLS_DENY},
    {"Mean", HC_OPCLS_DENY},
    {"Sum", HC_OPCLS_DENY},
    {"Prod", HC_OPCLS_DENY},
    {"Pow", HC_OPCLS_DENY},
    {"Range", HC_OPCLS_DENY},
    {"Cumsum", HC_OPCLS_DENY},
    {"TopK", HC_OPCLS_DENY},
    {"TopKV2", HC_OPCLS_DENY},
    {"NonMaxSuppression", HC_OPCLS_DENY},
    {"NonMaxSuppressionV2", HC_OPCLS_DENY},
    {"NonMaxSuppressionV3", HC_OPCLS_DENY},
    {"NonMaxSuppressionV4", HC_OPCLS_DENY},
    {"NonMaxSuppressionV5", HC_OPCLS_DENY},
    {"CombinedNonMaxSuppression", HC_OPCLS_DENY},
    {"ResizeBicubic", HC_OPCLS_DENY},
    {"ResizeArea", HC_OPCLS_DENY},
    {"Relu", HC_OPCLS_CLEAR},
    {"Relu6", HC_OPCLS_CLEAR},
    {"Reshape", HC_OPCLS_CLEAR},
    {"ConcatV2", HC_OPCLS_CLEAR},
    {"MaxPool", HC_OPCLS_CLEAR},
    {"Max", HC_OPCLS_CLEAR},
    {"Merge", HC_OPCLS_CLEAR},
    {"TensorArrayV3", HC_OPCLS_CLEAR},
    {"TensorListStack", HC_OPCLS_CLEAR},
    {"LogicalAnd", HC_OPCLS_NONE},
    {"LoopCond", HC_OPCLS_NONE},
};

static const struct {
    const char *op;
    const char *elem;
} ELEMS[] = {
    {"TensorArrayV3", "dtype"},
    {"TensorArrayWriteV3", "T"},
    {"TensorArrayReadV3", "dtype"},
    {"TensorArrayGatherV3", "dtype"},
    {"TensorArrayScatterV3", "T"},
    {"TensorArrayConcatV3", "dtype"},
    {"TensorArraySplitV3", "T"},
    {"TensorListReserve", "element_dtype"},
    {"TensorListFromTensor", "element_dtype"},
    {"TensorListGetItem", "element_dtype"},
    {"TensorListSetItem", "element_dtype"},
    {"TensorListStack", "element_dtype"},
    {"EmptyTensorList", "element_dtype"},
    {"TensorListPushBack", "element_dtype"},
};

static void test_classes_and_flags(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CLASSES / sizeof CLASSES[0]; i++) {
        const hc_opdef *d = hc_op_find_str(CLASSES[i].op);
        if (!d) {
            fail_msg("%s is missing", CLASSES[i].op);
            return;
        }
        if (d->cls != CLASSES[i].cls)
            fail_msg("%s is %s, expected %s", d->name, hc_opcls_name(d->cls),
                     hc_opcls_name(CLASSES[i].cls));
    }
    for (size_t i = 0; i < sizeof ELEMS / sizeof ELEMS[0]; i++) {
        const hc_opdef *d = hc_op_find_str(ELEMS[i].op);
        if (!d || !d->elem_attr || strcmp(d->elem_attr, ELEMS[i].elem) != 0)
            fail_msg("%s: element attribute should be %s", ELEMS[i].op, ELEMS[i].elem);
    }
    const char *cf[] = {"Enter", "Exit", "Merge", "Switch", "NextIteration", "LoopCond"};
    for (size_t i = 0; i < sizeof cf / sizeof cf[0]; i++) {
        const hc_opdef *d = hc_op_find_str(cf[i]);
        assert_non_null(d);
        if (!(d->flags & HC_OPF_CF)) fail_msg("%s lacks HC_OPF_CF", cf[i]);
        if (strcmp(cf[i], "LoopCond") != 0 && !(d->flags & HC_OPF_IDENTITY))
            fail_msg("%s lacks HC_OPF_IDENTITY", cf[i]);
    }
    const char *ident[] = {"Identity",        "Snapshot",      "StopGradient",
                           "PreventGradient", "CheckNumerics", "EnsureShape"};
    for (size_t i = 0; i < sizeof ident / sizeof ident[0]; i++) {
        const hc_opdef *d = hc_op_find_str(ident[i]);
        if (!d || !(d->flags & HC_OPF_IDENTITY)) fail_msg("%s lacks HC_OPF_IDENTITY", ident[i]);
    }
    assert_true(hc_op_find_str("Merge")->flags & HC_OPF_ANY_INPUT);
    assert_true(hc_op_find_str("Const")->flags & HC_OPF_CONST);
    assert_true(hc_op_find_str("Const")->flags & HC_OPF_SOURCE);
    assert_true(hc_op_find_str("Placeholder")->flags & HC_OPF_SOURCE);
    assert_true(hc_op_find_str("Assert")->flags & HC_OPF_STATEFUL);
    assert_string_equal(hc_op_find_str("FusedBatchNorm")->fp16_as, "FusedBatchNormV3");
}

static void test_model_ops_present(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof MODEL_OPS / sizeof MODEL_OPS[0]; i++)
        if (!hc_op_find_str(MODEL_OPS[i])) fail_msg("op %s is missing", MODEL_OPS[i]);
    /* The TF2 functional ops are kept as they are, with list type attributes. */
    const char *fn[] = {"If", "While", "StatelessIf", "StatelessWhile"};
    for (size_t i = 0; i < 4; i++) {
        const hc_opdef *d = hc_op_find_str(fn[i]);
        assert_non_null(d);
        assert_int_equal(d->cls, HC_OPCLS_NONE);
        assert_non_null(d->reason);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Graphs as TF 1.12 wrote them: attributes TF added later are absent and their defaults       */
/* must give the old fixed dtypes.                                                             */

typedef struct mini {
    hc_ctx *ctx;
    hc_graph g;
} mini;

/* Add a node; inputs is a NULL-terminated list of input names. */
static int32_t mini_node(mini *m, const char *name, const char *op, const char *const *inputs) {
    int32_t i = hc_graph_add_node(&m->g);
    assert_true(i >= 0);
    hc_node *n = &m->g.nodes[i];
    n->name = hc_span_str(name);
    n->op = hc_span_str(op);
    uint32_t k = 0;
    while (inputs && inputs[k])
        k++;
    n->n_in = k;
    if (k) {
        n->in_names = hc_arena_array(&m->g.arena, k, sizeof *n->in_names);
        assert_non_null(n->in_names);
        for (uint32_t j = 0; j < k; j++)
            n->in_names[j] = hc_span_str(inputs[j]);
    }
    return i;
}

static void mini_type(mini *m, int32_t node, const char *attr, hc_dtype dt) {
    hc_attr *a = hc_node_set_attr(&m->g, node, attr);
    assert_non_null(a);
    a->kind = HC_ATTR_TYPE;
    a->u.type = dt;
}

static void mini_int(mini *m, int32_t node, const char *attr, int64_t v) {
    hc_attr *a = hc_node_set_attr(&m->g, node, attr);
    assert_non_null(a);
    a->kind = HC_ATTR_I;
    a->u.i = v;
}

static void mini_types(mini *m, int32_t node, const char *attr, const hc_dtype *dts, size_t n) {
    hc_attr *a = hc_node_set_attr(&m->g, node, attr);
    assert_non_null(a);
    a->kind = HC_ATTR_LIST;
    a->u.list = hc_arena_array(&m->g.arena, 1, sizeof *a->u.list);
    assert_non_null(a->u.list);
    a->u.list->kind = HC_ATTR_TYPE;
    a->u.list->n = n;
    a->u.list->u.type = hc_arena_array(&m->g.arena, n, sizeof(hc_dtype));
    assert_non_null(a->u.list->u.type);
    memcpy(a->u.list->u.type, dts, n * sizeof(hc_dtype));
}

static hc_dtype in_dt(const mini *m, int32_t node, uint32_t port) {
    hc_dtype dt = HC_DT_INVALID;
    const char *why = "";
    if (!hc_node_in_dtype(&m->g, &m->g.nodes[node], port, &dt, &why))
        fail_msg("input %u of node %d: %s", port, node, why);
    return dt;
}

static hc_dtype out_dt(const mini *m, int32_t node, int32_t port) {
    hc_dtype dt = HC_DT_INVALID;
    const char *why = "";
    if (!hc_node_out_dtype(&m->g, &m->g.nodes[node], port, &dt, &why))
        fail_msg("output %d of node %d: %s", port, node, why);
    return dt;
}

static void test_old_graph_defaults(void **state) {
    (void)state;
    mini m;
    assert_int_equal(hc_ctx_new(&m.ctx), HC_OK);
    hc_graph_init(&m.g, m.ctx);
    const char *none[] = {NULL};
    int32_t x = mini_node(&m, "x", "Placeholder", none);
    mini_type(&m, x, "dtype", HC_DT_FLOAT);
    int32_t k = mini_node(&m, "k", "Placeholder", none);
    mini_type(&m, k, "dtype", HC_DT_INT32);
    int32_t q = mini_node(&m, "q", "Placeholder", none);
    mini_type(&m, q, "dtype", HC_DT_QUINT8);

    /* TopKV2 before Tk / index_type: k and indices are int32. */
    const char *topk_in[] = {"x", "k", NULL};
    int32_t topk = mini_node(&m, "topk", "TopKV2", topk_in);
    mini_type(&m, topk, "T", HC_DT_FLOAT);
    /* NonMaxSuppressionV3 before T_threshold: thresholds are float32. */
    const char *nms_in[] = {"x", "x", "k", "x", "x", NULL};
    int32_t nms = mini_node(&m, "nms", "NonMaxSuppressionV3", nms_in);
    mini_type(&m, nms, "T", HC_DT_FLOAT);
    /* NonMaxSuppressionV4 with no attributes at all (T defaults to float too). */
    int32_t nms4 = mini_node(&m, "nms4", "NonMaxSuppressionV4", nms_in);
    /* Dequantize before dtype: the output is float32. */
    const char *dq_in[] = {"q", "x", "x", NULL};
    int32_t dq = mini_node(&m, "dq", "Dequantize", dq_in);
    mini_type(&m, dq, "T", HC_DT_QUINT8);
    /* ConcatV2 / Reshape / Shape with their index attributes stripped as defaults. */
    const char *cat_in[] = {"x", "x", "k", NULL};
    int32_t cat = mini_node(&m, "cat", "ConcatV2", cat_in);
    mini_type(&m, cat, "T", HC_DT_FLOAT);
    mini_int(&m, cat, "N", 2);
    const char *one_in[] = {"x", NULL};
    int32_t shp = mini_node(&m, "shp", "Shape", one_in);
    mini_type(&m, shp, "T", HC_DT_FLOAT);
    const char *rs_in[] = {"x", "shp", NULL};
    int32_t rs = mini_node(&m, "rs", "Reshape", rs_in);
    mini_type(&m, rs, "T", HC_DT_FLOAT);
    /* Output counts from N, num_split, lists and fixed lists. */
    const char *split_in[] = {"k", "x", NULL};
    int32_t split = mini_node(&m, "split", "Split", split_in);
    mini_type(&m, split, "T", HC_DT_FLOAT);
    mini_int(&m, split, "num_split", 3);
    const char *idn_in[] = {"x", "k", NULL};
    int32_t idn = mini_node(&m, "idn", "IdentityN", idn_in);
    const hc_dtype idn_t[] = {HC_DT_FLOAT, HC_DT_INT32};
    mini_types(&m, idn, "T", idn_t, 2);
    const char *bn_in[] = {"x", "x", "x", "x", "x", NULL};
    int32_t bn = mini_node(&m, "bn", "FusedBatchNormV3", bn_in);
    mini_type(&m, bn, "T", HC_DT_HALF);
    mini_type(&m, bn, "U", HC_DT_FLOAT);
    const char *topk1_in[] = {"x", NULL};
    int32_t topk1 = mini_node(&m, "topk1", "TopK", topk1_in);
    mini_type(&m, topk1, "T", HC_DT_FLOAT);
    mini_int(&m, topk1, "k", 5);

    assert_int_equal(hc_graph_link(&m.g), HC_OK);
    const hc_node *nodes = m.g.nodes;

    assert_int_equal(in_dt(&m, topk, 1), HC_DT_INT32);
    assert_int_equal(out_dt(&m, topk, 1), HC_DT_INT32);
    assert_int_equal(nodes[topk].n_out, 2);
    assert_int_equal(in_dt(&m, nms, 3), HC_DT_FLOAT);
    assert_int_equal(in_dt(&m, nms, 4), HC_DT_FLOAT);
    assert_int_equal(in_dt(&m, nms4, 0), HC_DT_FLOAT);
    assert_int_equal(in_dt(&m, nms4, 2), HC_DT_INT32);
    assert_int_equal(nodes[nms4].n_out, 2);
    assert_int_equal(out_dt(&m, dq, 0), HC_DT_FLOAT);
    assert_int_equal(in_dt(&m, dq, 0), HC_DT_QUINT8);
    assert_int_equal(in_dt(&m, cat, 2), HC_DT_INT32);
    assert_int_equal(in_dt(&m, cat, 1), HC_DT_FLOAT);
    assert_int_equal(out_dt(&m, shp, 0), HC_DT_INT32);
    assert_int_equal(in_dt(&m, rs, 1), HC_DT_INT32);
    assert_int_equal(nodes[split].n_out, 3);
    assert_int_equal(out_dt(&m, split, 2), HC_DT_FLOAT);
    assert_int_equal(nodes[idn].n_out, 2);
    assert_int_equal(out_dt(&m, idn, 1), HC_DT_INT32);
    assert_int_equal(in_dt(&m, idn, 0), HC_DT_FLOAT);
    assert_int_equal(nodes[bn].n_out, 6);
    assert_int_equal(out_dt(&m, bn, 0), HC_DT_HALF);
    assert_int_equal(out_dt(&m, bn, 5), HC_DT_FLOAT);
    assert_int_equal(nodes[topk1].n_out, 2);
    assert_int_equal(out_dt(&m, topk1, 1), HC_DT_INT32);
    assert_int_equal(nodes[x].n_out, 1);

    hc_graph_fini(&m.g);
    hc_ctx_free(m.ctx);
}

/* ---------------------------------------------------------------------------------------- */
/* The shared models.                                                                         */

typedef struct report {
    char buf[8192];
    size_t len;
    unsigned count;
} report;

static void note(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(report *r, const char *fmt, ...) {
    r->count++;
    if (r->count > 40 || r->len + 2 >= sizeof r->buf) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(r->buf + r->len, sizeof r->buf - r->len - 1, fmt, ap);
    va_end(ap);
    if (k > 0) r->len += (size_t)k < sizeof r->buf - r->len - 1 ? (size_t)k : 0;
    r->buf[r->len++] = '\n';
    r->buf[r->len] = 0;
}

#define NODE_FMT "node '%.*s' (%.*s)"
#define NODE_ARG(nd)                                                                               \
    (int)(nd)->name.n, (const char *)(nd)->name.p, (int)(nd)->op.n, (const char *)(nd)->op.p

/* Data inputs the signature expects, or -1 when a count or list attribute is missing. */
static int64_t expected_inputs(const hc_node *n) {
    int64_t total = 0;
    for (int a = 0; a < HC_OP_MAX_ARGS && n->def->in[a].name; a++) {
        hc_port_spec ps;
        if (!hc_op_port_spec(n->def, &n->def->in[a], &ps)) return -1;
        if (ps.count_attr.n) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)ps.count_attr.n, (const char *)ps.count_attr.p);
            int64_t k;
            if (!hc_node_attr_int(n, key, &k)) return -1;
            total += k;
        } else if (ps.is_list) {
            const hc_attr *at = hc_node_attr(n, ps.tattr->name);
            total += at && at->kind == HC_ATTR_LIST ? (int64_t)at->u.list->n : 0;
        } else {
            total++;
        }
    }
    return total;
}

static void check_type_attrs(report *r, const hc_node *n) {
    const hc_opdef *d = n->def;
    for (int i = 0; i < HC_OP_MAX_TATTRS && d->tattrs[i].name; i++) {
        const hc_op_tattr *ta = &d->tattrs[i];
        const hc_attr *at = hc_node_attr(n, ta->name);
        if (!at) {
            if (!ta->is_list && ta->def == HC_DT_INVALID)
                note(r, NODE_FMT ": required type attribute %s is missing", NODE_ARG(n), ta->name);
            continue;
        }
        if (ta->is_list) {
            if (at->kind == HC_ATTR_NONE) continue; /* an empty list */
            if (at->kind != HC_ATTR_LIST || (at->u.list->n && at->u.list->kind != HC_ATTR_TYPE)) {
                note(r, NODE_FMT ": %s is not a list(type)", NODE_ARG(n), ta->name);
                continue;
            }
            for (size_t k = 0; k < at->u.list->n; k++) {
                hc_dtype dt = at->u.list->u.type[k];
                if (ta->allowed && !(ta->allowed & HC_DTM(dt)))
                    note(r, NODE_FMT ": %s[%zu] = %s is not allowed", NODE_ARG(n), ta->name, k,
                         hc_dtype_name(dt));
            }
            continue;
        }
        if (at->kind != HC_ATTR_TYPE) {
            note(r, NODE_FMT ": %s is not a type", NODE_ARG(n), ta->name);
            continue;
        }
        if ((unsigned)at->u.type >= HC_DT_COUNT ||
            (ta->allowed && !(ta->allowed & HC_DTM(at->u.type))))
            note(r, NODE_FMT ": %s = %s is not allowed", NODE_ARG(n), ta->name,
                 hc_dtype_name(at->u.type));
    }
    /* Type attributes on the node that the table does not know. */
    for (uint32_t i = 0; i < n->n_attrs; i++) {
        const hc_attr *at = &n->attrs[i];
        bool typed = at->kind == HC_ATTR_TYPE ||
                     (at->kind == HC_ATTR_LIST && at->u.list->kind == HC_ATTR_TYPE);
        if (!typed || (at->name.n && at->name.p[0] == '_')) continue;
        if (!hc_op_tattr_find(d, at->name))
            note(r, NODE_FMT ": type attribute %.*s is not in the table", NODE_ARG(n),
                 (int)at->name.n, (const char *)at->name.p);
    }
}

static void check_edges(report *r, const hc_graph *g, const hc_node *n) {
    uint32_t data = 0;
    for (uint32_t k = 0; k < n->n_in; k++) {
        hc_edge e = n->in[k];
        if (e.port < 0) continue;
        uint32_t port = data++;
        const hc_node *p = &g->nodes[e.node];
        if (!p->def) continue; /* reported at the producer */
        hc_dtype out, in;
        const char *why = "";
        if (!hc_node_out_dtype(g, p, e.port, &out, &why)) {
            note(r, NODE_FMT " output %d: no dtype (%s)", NODE_ARG(p), e.port, why);
            continue;
        }
        if (!hc_node_in_dtype(g, n, port, &in, &why)) {
            note(r, NODE_FMT " input %u: no dtype (%s)", NODE_ARG(n), port, why);
            continue;
        }
        if (in != out) {
            int arg = hc_node_in_arg(n, port);
            note(r, NODE_FMT " input %u ('%s') expects %s but " NODE_FMT " output %d gives %s",
                 NODE_ARG(n), port, arg >= 0 ? n->def->in[arg].name : "?", hc_dtype_name(in),
                 NODE_ARG(p), e.port, hc_dtype_name(out));
        }
    }
}

static void check_model(const char *rel) {
    if (!hc_test_has_shared(rel)) {
        const char *ci = getenv("CI");
        if (!ci || strcmp(ci, "true") != 0) {
            print_message("skipped: shared model not found: %s\n", rel);
            skip();
        }
    }
    const char *path = hc_test_shared(rel);
    hc_ctx *ctx = NULL;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_model *m = NULL;
    hc_status s = hc_model_open(ctx, path, &m);
    if (s != HC_OK) fail_msg("%s: %s", rel, hc_ctx_message(ctx));
    const hc_graph *g = &m->g;
    report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    size_t edges = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const hc_node *n = &g->nodes[i];
        if (n->removed) continue;
        if (!n->def) {
            note(r, NODE_FMT ": op is not in the table", NODE_ARG(n));
            continue;
        }
        if (n->n_out < 0) note(r, NODE_FMT ": output count unknown", NODE_ARG(n));
        check_type_attrs(r, n);
        int64_t want = expected_inputs(n);
        uint32_t have = hc_node_data_inputs(n);
        if (want != (int64_t)have)
            note(r, NODE_FMT ": %u data inputs, the signature takes %lld", NODE_ARG(n), have,
                 (long long)want);
        check_edges(r, g, n);
        edges += have;
    }
    print_message("%s: %u nodes, %zu data edges checked, %u problems\n", rel, g->n_nodes, edges,
                  r->count);
    if (r->count) {
        /* One line per call: cmocka's printers cut long messages. */
        for (char *line = r->buf, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            if (!nl) break;
            *nl = 0;
            print_error("%s\n", line);
        }
        if (r->count > 40) print_error("... and %u more\n", r->count - 40);
        unsigned count = r->count;
        free(r);
        hc_model_free(m);
        hc_ctx_free(ctx);
        fail_msg("%s: %u edge/attribute problems against the op table", rel, count);
        return;
    }
    free(r);
    hc_model_free(m);
    hc_ctx_free(ctx);
}

static void test_model(void **state) {
    check_model((const char *)*state);
}

int main(void) {
    struct CMUnitTest tests[8 + HC_N_TF_MODELS];
    size_t k = 0;
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_sorted_unique);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_port_specs);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_deny_reasons);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_fixed_float_reasons);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_model_ops_present);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_classes_and_flags);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_old_graph_defaults);
    for (size_t i = 0; i < HC_N_TF_MODELS; i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_model, (void *)HC_TF_MODELS[i]);
        t.name = HC_TF_MODELS[i];
        tests[k++] = t;
    }
    return _cmocka_run_group_tests("ops_table", tests, k, NULL, NULL);
}
