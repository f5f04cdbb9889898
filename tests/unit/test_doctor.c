/* test_doctor.c - `doctor` on small graphs built in code: each finding kind (value lists,
 * broadcast constants, duplicates, unused nodes) is found where it should be and only there,
 * and each fix keeps every constant's dtype, shape and values, the graph inputs and outputs and
 * the check, and is stable (a second fix gives the same bytes). Also: the kinds mask, one fix
 * per report, never writing over the input, the measured cost, and allocation failures. */
#include "common/gb.h"

#include "doctor/doctor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hc_doctor_report *analyze_kinds(tg *t, uint32_t kinds, bool timing) {
    hc_doctor_options o;
    hc_doctor_options_init(&o);
    o.kinds = kinds;
    o.no_timing = !timing;
    hc_doctor_report *r = NULL;
    if (hc_doctor_analyze(t->ctx, t->m, &o, &r)) fail_msg("%s", hc_ctx_message(t->ctx));
    return r;
}

static hc_doctor_report *analyze(tg *t) {
    return analyze_kinds(t, 0, false);
}

static const hc_doctor_finding *finding(const hc_doctor_report *r, hc_doctor_kind k,
                                        const char *name) {
    for (size_t i = 0; i < r->n_items; i++)
        if (r->items[i].kind == k && !strcmp(r->items[i].name, name)) return &r->items[i];
    return NULL;
}

static const hc_tensor_proto *value_of(const hc_model *m, const char *name) {
    int32_t i = hc_graph_find(&m->g, hc_span_str(name));
    if (i < 0) fail_msg("no node '%s'", name);
    return hc_node_attr(&m->g.nodes[i], "value")->u.tensor;
}

static bool has_node(const hc_model *m, const char *name) {
    return hc_graph_find(&m->g, hc_span_str(name)) >= 0;
}

/* The same dtype, shape and dense values. */
static void same_tensor(hc_ctx *ctx, const hc_tensor_proto *x, const hc_tensor_proto *y) {
    hc_arena a;
    hc_arena_init(&a, ctx);
    const void *dx, *dy;
    size_t cx, cy;
    assert_int_equal(hc_tensor_values(ctx, &a, x, &dx, &cx), HC_OK);
    assert_int_equal(hc_tensor_values(ctx, &a, y, &dy, &cy), HC_OK);
    assert_int_equal(x->dtype, y->dtype);
    assert_int_equal(x->shape.rank, y->shape.rank);
    for (int32_t d = 0; d < x->shape.rank; d++)
        assert_int_equal(x->shape.dims[d], y->shape.dims[d]);
    assert_int_equal(cx, cy);
    assert_memory_equal(dx, dy, cx * hc_dtype_size(x->dtype));
    hc_arena_fini(&a);
}

/* Fix, then check what every fix must keep; returns the fixed model (caller frees). */
static hc_model *fix_checked(tg *t, hc_doctor_report *r, hc_doctor_fix_stats *st) {
    hc_model *out = NULL;
    if (hc_doctor_fix(r, &out, st)) fail_msg("%s", hc_ctx_message(t->ctx));
    hc_check_report *cr;
    hc_status cs = hc_check(t->ctx, out, &cr);
    if (cs) fail_msg("check: %s", hc_check_report_item(cr, 0));
    hc_check_report_free(cr);
    assert_int_equal(hc_model_output_count(out), hc_model_output_count(t->m));
    assert_int_equal(hc_model_input_count(out), hc_model_input_count(t->m));
    /* Fixing again finds nothing to fix and gives the same bytes. */
    hc_doctor_options o;
    hc_doctor_options_init(&o);
    o.no_timing = true;
    hc_doctor_report *again;
    assert_int_equal(hc_doctor_analyze(t->ctx, out, &o, &again), HC_OK);
    for (int k = 0; k < HC_DOC_KIND_COUNT; k++)
        assert_int_equal(again->total[k].fixable, 0);
    hc_model *twice;
    assert_int_equal(hc_doctor_fix(again, &twice, NULL), HC_OK);
    assert_int_equal(twice->bytes.n, out->bytes.n);
    assert_memory_equal(twice->bytes.p, out->bytes.p, out->bytes.n);
    hc_model_free(twice);
    hc_doctor_report_free(again);
    return out;
}

static void same_values(tg *t, const hc_model *out, const char *name, const char *as) {
    same_tensor(t->ctx, value_of(t->m, name), value_of(out, as ? as : name));
}

static const int64_t D100[1] = {100};

static int32_t ident(hc_graph *g, const char *name, const char *in, hc_dtype dt) {
    int32_t n = HC_GB_NODE(g, "Identity", name, in);
    hc_gb_type(g, n, "T", dt);
    return n;
}

static int32_t list_const(hc_graph *g, const char *name, hc_dtype dt, int rank, const int64_t *dims,
                          const void *vals, size_t n) {
    int32_t c = HC_GB_SOURCE(g, "Const", name);
    hc_gb_type(g, c, "dtype", dt);
    hc_gb_tensor_vals(g, c, "value", dt, rank, dims, vals, n);
    return c;
}

/* ---- value lists -------------------------------------------------------------------------- */

static void build_lists(tg *t) {
    hc_graph *g = &t->g;
    float f[100];
    int32_t iv[100];
    uint16_t h[10];
    for (int i = 0; i < 100; i++)
        f[i] = (float)i * 0.25f - 3.0f, iv[i] = i % 7;
    for (int i = 0; i < 10; i++)
        h[i] = (uint16_t)(0xC000 + i); /* negative: 3-byte varints */
    const int64_t d10[1] = {10};
    list_const(g, "w_f", HC_DT_FLOAT, 1, D100, f, 100);
    list_const(g, "w_h", HC_DT_HALF, 1, d10, h, 10);
    list_const(g, "w_i", HC_DT_INT32, 1, D100, iv, 100);
    list_const(g, "short_f", HC_DT_FLOAT, 1, d10, f, 10);   /* shorter than 64: fine */
    list_const(g, "partial_f", HC_DT_FLOAT, 1, D100, f, 3); /* 3 values broadcast: fine */
    list_const(g, "scalar_h", HC_DT_HALF, 0, NULL, h, 1);   /* TensorFlow's own scalar form */
    const char *names[] = {"w_f", "w_h", "w_i", "short_f", "partial_f", "scalar_h"};
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_HALF,  HC_DT_INT32,
                            HC_DT_FLOAT, HC_DT_FLOAT, HC_DT_HALF};
    for (int i = 0; i < 6; i++) {
        char out[32];
        snprintf(out, sizeof out, "out_%s", names[i]);
        ident(g, out, names[i], dts[i]);
    }
    tg_open(t);
}

static void value_lists_are_found_and_packed(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_lists(&t);
    hc_doctor_report *r = analyze(&t);
    const hc_doctor_finding *ff = finding(r, HC_DOC_VALUE_LIST, "w_f");
    const hc_doctor_finding *fh = finding(r, HC_DOC_VALUE_LIST, "w_h");
    const hc_doctor_finding *fi = finding(r, HC_DOC_VALUE_LIST, "w_i");
    assert_non_null(ff);
    assert_non_null(fh);
    assert_non_null(fi);
    assert_string_equal(ff->storage, "float_val");
    assert_string_equal(fh->storage, "half_val");
    assert_string_equal(fi->storage, "int_val");
    assert_int_equal(fh->values, 10);
    assert_int_equal(fh->bytes, 30);
    assert_true(fh->saved > 0); /* 3-byte varints become 2-byte halves */
    assert_true(fi->saved < 0); /* 1-byte varints become 4-byte ints: said, not hidden */
    assert_int_equal(r->total[HC_DOC_VALUE_LIST].findings, 3);
    assert_int_equal(r->total[HC_DOC_VALUE_LIST].by_field[13], 1);
    assert_int_equal(r->total[HC_DOC_VALUE_LIST].values, 210);
    assert_int_equal(r->n_items, 3);
    hc_doctor_fix_stats st;
    hc_model *out = fix_checked(&t, r, &st);
    assert_int_equal(st.fixed[HC_DOC_VALUE_LIST], 3);
    const char *all[] = {"w_f", "w_h", "w_i", "short_f", "partial_f", "scalar_h"};
    for (int i = 0; i < 6; i++)
        same_values(&t, out, all[i], NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(value_of(out, all[i])->enc, HC_ENC_CONTENT);
    for (int i = 3; i < 6; i++)
        assert_int_equal(value_of(out, all[i])->enc, HC_ENC_VALUES);
    hc_model_free(out);
    hc_doctor_report_free(r);
    tg_fini(&t);
}

/* ---- broadcast constants ------------------------------------------------------------------ */

static void build_broadcast(tg *t) {
    hc_graph *g = &t->g;
    float f[100], mixed[32];
    int32_t iv[64];
    uint16_t h[64];
    uint8_t b[100];
    for (int i = 0; i < 100; i++)
        f[i] = 1.5f, b[i] = 1;
    for (int i = 0; i < 64; i++)
        iv[i] = -3, h[i] = 0x3C00;
    for (int i = 0; i < 32; i++)
        mixed[i] = (float)i;
    const int64_t d32[1] = {32}, d64[2] = {8, 8}, d8[1] = {8};
    hc_gb_const_f32(g, "c_f", 1, d32, f);
    hc_gb_const_i32(g, "c_i", 2, d64, iv);
    hc_gb_const(g, "c_h", HC_DT_HALF, 2, d64, h);
    hc_gb_const(g, "c_b", HC_DT_BOOL, 1, D100, b);
    hc_gb_const_f32(g, "c_small", 1, d8, f); /* 32 bytes: not worth it */
    hc_gb_const_f32(g, "c_mixed", 1, d32, mixed);
    list_const(g, "c_list", HC_DT_FLOAT, 1, D100, f, 100); /* broadcast, not a value list */
    const char *names[] = {"c_f", "c_i", "c_h", "c_b", "c_small", "c_mixed", "c_list"};
    const hc_dtype dts[] = {HC_DT_FLOAT, HC_DT_INT32, HC_DT_HALF, HC_DT_BOOL,
                            HC_DT_FLOAT, HC_DT_FLOAT, HC_DT_FLOAT};
    for (int i = 0; i < 7; i++) {
        char out[32];
        snprintf(out, sizeof out, "out_%s", names[i]);
        ident(g, out, names[i], dts[i]);
    }
    tg_open(t);
}

static void broadcast_constants_keep_one_value(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_broadcast(&t);
    hc_doctor_report *r = analyze(&t);
    const char *yes[] = {"c_f", "c_i", "c_h", "c_b", "c_list"};
    for (int i = 0; i < 5; i++) {
        const hc_doctor_finding *f = finding(r, HC_DOC_BROADCAST, yes[i]);
        if (!f) fail_msg("'%s' not reported as broadcast", yes[i]);
        assert_true(f->fixable && f->saved > 0);
    }
    assert_null(finding(r, HC_DOC_BROADCAST, "c_small"));
    assert_null(finding(r, HC_DOC_BROADCAST, "c_mixed"));
    assert_null(finding(r, HC_DOC_VALUE_LIST, "c_list"));
    assert_int_equal(r->total[HC_DOC_BROADCAST].findings, 5);
    hc_model *out = fix_checked(&t, r, NULL);
    const uint32_t fields[] = {5, 7, 13, 11, 5};
    for (int i = 0; i < 5; i++) {
        const hc_tensor_proto *v = value_of(out, yes[i]);
        assert_int_equal(v->enc, HC_ENC_VALUES);
        assert_int_equal(v->n_vals, 1);
        assert_int_equal(v->val_field, fields[i]);
        same_values(&t, out, yes[i], NULL);
    }
    assert_int_equal(value_of(out, "c_i")->vals.n, 10); /* int_val -3: sign-extended varint */
    same_values(&t, out, "c_small", NULL);
    same_values(&t, out, "c_mixed", NULL);
    hc_model_free(out);
    hc_doctor_report_free(r);
    tg_fini(&t);
}

/* ---- duplicates --------------------------------------------------------------------------- */

static const int64_t D32[1] = {32};

static int32_t dup_const(hc_graph *g, const char *name, const int64_t *dims, int rank) {
    float w[32];
    for (int i = 0; i < 32; i++)
        w[i] = (float)i * 0.5f;
    return hc_gb_const_f32(g, name, rank, dims, w);
}

static int32_t add(hc_graph *g, const char *name, const char *a, const char *b) {
    int32_t n = HC_GB_NODE(g, "Add", name, a, b);
    hc_gb_type(g, n, "T", HC_DT_FLOAT);
    return n;
}

static void build_duplicates(tg *t, bool colocate) {
    hc_graph *g = &t->g;
    const int64_t d48[2] = {4, 8};
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 1, D32);
    dup_const(g, "a", D32, 1);
    dup_const(g, "b", D32, 1);                     /* duplicate of a */
    dup_const(g, "f", D32, 1);                     /* duplicate of a */
    dup_const(g, "e", d48, 2);                     /* other shape */
    int32_t c = HC_GB_NODE(g, "Const", "c", "^x"); /* other control inputs */
    hc_gb_type(g, c, "dtype", HC_DT_FLOAT);
    float w[32];
    for (int i = 0; i < 32; i++)
        w[i] = (float)i * 0.5f;
    hc_gb_tensor(g, c, "value", HC_DT_FLOAT, 1, D32, w);
    int32_t d = dup_const(g, "d", D32, 1); /* other device */
    g->nodes[d].device = hc_span_str("/device:CPU:1");
    add(g, "add_a", "x", "a");
    add(g, "add_b", "x", "b:0");
    add(g, "add_c", "x", "c");
    add(g, "add_d", "x", "d");
    ident(g, "id_e", "e", HC_DT_FLOAT);
    int32_t h = HC_GB_NODE(g, "Identity", "h", "f", "^a", "^b");
    hc_gb_type(g, h, "T", HC_DT_FLOAT);
    if (colocate) {
        /* id_f names f in its colocation attribute: f must stay */
        int32_t q = ident(g, "id_f", "a", HC_DT_FLOAT);
        hc_attr *at = hc_node_set_attr(g, q, "_class");
        hc_attr_list *l = hc_arena_alloc(&g->arena, sizeof *l);
        hc_span *s = hc_arena_alloc(&g->arena, sizeof *s);
        assert_true(at && l && s);
        *s = hc_span_str("loc:@f");
        *l = (hc_attr_list){.kind = HC_ATTR_S, .n = 1, .u.s = s};
        at->kind = HC_ATTR_LIST;
        at->u.list = l;
    }
    tg_open(t);
}

static void duplicates_are_merged(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_duplicates(&t, false);
    hc_doctor_report *r = analyze(&t);
    const hc_doctor_finding *fb = finding(r, HC_DOC_DUPLICATE, "b");
    const hc_doctor_finding *ff = finding(r, HC_DOC_DUPLICATE, "f");
    assert_non_null(fb);
    assert_non_null(ff);
    assert_string_equal(fb->same_name, "a");
    assert_string_equal(ff->same_name, "a");
    assert_int_equal(r->total[HC_DOC_DUPLICATE].findings, 2);
    assert_true(r->total[HC_DOC_DUPLICATE].saved > 2 * 128);
    hc_doctor_fix_stats st;
    hc_model *out = fix_checked(&t, r, &st);
    assert_int_equal(st.fixed[HC_DOC_DUPLICATE], 2);
    assert_int_equal(st.nodes_removed, 2);
    assert_false(has_node(out, "b"));
    assert_false(has_node(out, "f"));
    const char *kept[] = {"a", "c", "d", "e"};
    for (int i = 0; i < 4; i++)
        same_values(&t, out, kept[i], NULL);
    same_values(&t, out, "b", "a");
    same_values(&t, out, "f", "a");
    const hc_node *ab = &out->g.nodes[hc_graph_find(&out->g, hc_span_str("add_b"))];
    assert_true(hc_span_eq_str(ab->in_names[1], "a"));
    const hc_node *h = &out->g.nodes[hc_graph_find(&out->g, hc_span_str("h"))];
    assert_int_equal(h->n_in, 2); /* "^a" once, not twice */
    assert_true(hc_span_eq_str(h->in_names[0], "a"));
    assert_true(hc_span_eq_str(h->in_names[1], "^a"));
    hc_model_free(out);
    hc_doctor_report_free(r);
    tg_fini(&t);
}

static void colocated_duplicate_stays(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_duplicates(&t, true);
    hc_doctor_report *r = analyze(&t);
    const hc_doctor_finding *ff = finding(r, HC_DOC_DUPLICATE, "f");
    assert_non_null(ff);
    assert_false(ff->fixable);
    assert_non_null(strstr(ff->fix, "colocation"));
    hc_model *out = fix_checked(&t, r, NULL);
    assert_true(has_node(out, "f"));
    assert_false(has_node(out, "b"));
    hc_model_free(out);
    hc_doctor_report_free(r);
    tg_fini(&t);
}

/* ---- unused nodes ------------------------------------------------------------------------- */

static void build_unused(tg *t) {
    hc_graph *g = &t->g;
    const int64_t d4[1] = {4};
    const float f[4] = {1, 2, 3, 4};
    hc_gb_placeholder(g, "x", HC_DT_FLOAT, 1, d4);
    hc_gb_placeholder(g, "unfed", HC_DT_FLOAT, 1, d4); /* a graph input: never reported */
    ident(g, "y", "x", HC_DT_FLOAT);                   /* the output */
    hc_gb_const_f32(g, "dangling", 1, d4, f);
    HC_GB_NODE(g, "NoOp", "noop", "^x");
    /* An Assert nothing depends on, and what only it reads. */
    hc_gb_const_f32(g, "k", 1, d4, f);
    int32_t lt = HC_GB_NODE(g, "Less", "lt", "x", "k");
    hc_gb_type(g, lt, "T", HC_DT_FLOAT);
    int32_t all = HC_GB_NODE(g, "All", "all", "lt", "axis");
    hc_gb_bool(g, all, "keep_dims", false);
    hc_gb_type(g, all, "Tidx", HC_DT_INT32);
    hc_gb_scalar_i32(g, "axis", 0);
    int32_t as = HC_GB_NODE(g, "Assert", "assert", "all", "x");
    const hc_dtype tl[1] = {HC_DT_FLOAT};
    hc_gb_types(g, as, "T", tl, 1);
    /* A stateful op (CheckNumerics) read only by an Assert: both stay, with its input. */
    hc_gb_const_f32(g, "k2", 1, d4, f);
    int32_t chk = HC_GB_NODE(g, "CheckNumerics", "chk", "k2");
    hc_gb_type(g, chk, "T", HC_DT_FLOAT);
    hc_gb_str(g, chk, "message", "bad");
    hc_gb_scalar_i32(g, "yes_i", 1);
    int32_t as2 = HC_GB_NODE(g, "Assert", "assert2", "all2", "chk");
    hc_gb_types(g, as2, "T", tl, 1);
    int32_t all2 = HC_GB_NODE(g, "All", "all2", "lt2", "axis2");
    hc_gb_bool(g, all2, "keep_dims", false);
    hc_gb_type(g, all2, "Tidx", HC_DT_INT32);
    hc_gb_scalar_i32(g, "axis2", 0);
    int32_t lt2 = HC_GB_NODE(g, "Less", "lt2", "chk", "k2");
    hc_gb_type(g, lt2, "T", HC_DT_FLOAT);
    tg_open(t);
}

static void unused_nodes_are_removed(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_unused(&t);
    hc_doctor_report *r = analyze(&t);
    const char *gone[] = {"dangling", "noop", "k", "lt", "all", "axis", "assert", "yes_i"};
    for (int i = 0; i < 8; i++) {
        const hc_doctor_finding *f = finding(r, HC_DOC_UNUSED, gone[i]);
        if (!f || !f->fixable) fail_msg("'%s' not reported as removable", gone[i]);
    }
    const char *stay[] = {"chk", "k2", "assert2", "all2", "lt2", "axis2"};
    for (int i = 0; i < 6; i++) {
        const hc_doctor_finding *f = finding(r, HC_DOC_UNUSED, stay[i]);
        if (!f || f->fixable) fail_msg("'%s' not reported as unused and kept", stay[i]);
    }
    assert_non_null(strstr(finding(r, HC_DOC_UNUSED, "chk")->fix, "stateful"));
    const char *used[] = {"x", "unfed", "y"};
    for (int i = 0; i < 3; i++)
        assert_null(finding(r, HC_DOC_UNUSED, used[i]));
    assert_int_equal(r->total[HC_DOC_UNUSED].findings, 14);
    hc_doctor_fix_stats st;
    hc_model *out = fix_checked(&t, r, &st);
    assert_int_equal(st.nodes_removed, 8);
    for (int i = 0; i < 8; i++)
        assert_false(has_node(out, gone[i]));
    for (int i = 0; i < 6; i++)
        assert_true(has_node(out, stay[i]));
    assert_true(has_node(out, "unfed"));
    hc_io_info io;
    assert_int_equal(hc_model_output(out, 0, &io), HC_OK);
    assert_string_equal(io.name, "y");
    hc_model_free(out);
    hc_doctor_report_free(r);
    tg_fini(&t);
}

/* ---- options, API rules, cost, faults ----------------------------------------------------- */

static void clean_graph_has_nothing(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    hc_gb_placeholder(&t.g, "x", HC_DT_FLOAT, 1, D32);
    dup_const(&t.g, "a", D32, 1);
    add(&t.g, "y", "x", "a");
    tg_open(&t);
    hc_doctor_report *r = analyze(&t);
    assert_int_equal(r->n_items, 0);
    hc_model *out;
    assert_int_equal(hc_doctor_fix(r, &out, NULL), HC_OK);
    assert_int_equal(out->bytes.n, t.m->bytes.n);
    assert_memory_equal(out->bytes.p, t.m->bytes.p, out->bytes.n);
    /* One fix per report. */
    hc_model *again = NULL;
    assert_int_equal(hc_doctor_fix(r, &again, NULL), HC_INVALID);
    assert_null(again);
    hc_model_free(out);
    hc_doctor_report_free(r);
    tg_fini(&t);
}

static void kinds_mask_limits_report_and_fix(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_duplicates(&t, false);
    hc_doctor_report *r = analyze_kinds(&t, 1u << HC_DOC_UNUSED, false);
    assert_int_equal(r->n_items, 0);
    hc_model *out;
    assert_int_equal(hc_doctor_fix(r, &out, NULL), HC_OK);
    assert_true(has_node(out, "b"));
    hc_model_free(out);
    hc_doctor_report_free(r);
    assert_int_equal(hc_doctor_kind_from_name("duplicates", 10), HC_DOC_DUPLICATE);
    assert_int_equal(hc_doctor_kind_from_name("dup", 3), -1);
    assert_string_equal(hc_doctor_kind_name(HC_DOC_VALUE_LIST), "value-lists");
    tg_fini(&t);
}

static void never_writes_over_the_input(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_lists(&t);
    const char *path = hc_test_tmp("lists.pb");
    assert_int_equal(hc_test_write(path, t.m->bytes.p, t.m->bytes.n), 0);
    hc_model *in;
    assert_int_equal(hc_model_open(t.ctx, path, &in), HC_OK);
    hc_doctor_report *r;
    assert_int_equal(hc_doctor_analyze(t.ctx, in, NULL, &r), HC_OK);
    hc_model *out;
    assert_int_equal(hc_doctor_fix(r, &out, NULL), HC_OK);
    assert_int_equal(hc_doctor_save(t.ctx, in, out, path, HC_FORMAT_AUTO), HC_INVALID);
    assert_non_null(strstr(hc_ctx_message(t.ctx), "refusing"));
    hc_ctx_clear(t.ctx);
    const char *txt = hc_test_tmp("lists.fixed.pbtxt");
    assert_int_equal(hc_doctor_save(t.ctx, in, out, txt, HC_FORMAT_PBTXT), HC_OK);
    hc_model *back;
    assert_int_equal(hc_model_open(t.ctx, txt, &back), HC_OK);
    assert_int_equal(hc_model_format(back), HC_FORMAT_PBTXT);
    assert_int_equal(back->bytes.n, out->bytes.n);
    assert_memory_equal(back->bytes.p, out->bytes.p, out->bytes.n);
    hc_model_free(back);
    hc_model_free(out);
    hc_doctor_report_free(r);
    hc_model_free(in);
    tg_fini(&t);
}

/* The cost is measured (not a constant): every list wire type present gets a rate, and each
 * value-list finding an estimate proportional to its values. */
static void cost_is_measured(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_lists(&t);
    hc_doctor_report *r = analyze_kinds(&t, 0, true);
    assert_true(r->cost.runs > 0);
    assert_true(r->cost.ns_per_value[0] > 0.0); /* half_val, int_val */
    assert_true(r->cost.ns_per_value[1] > 0.0); /* float_val */
    assert_non_null(r->cost.sample[0]);
    assert_string_equal(r->cost.sample[1], "w_f");
    const hc_doctor_finding *f = finding(r, HC_DOC_VALUE_LIST, "w_f");
    assert_true(f->est_ms > 0.0);
    assert_true(fabs(f->est_ms - 100 * r->cost.ns_per_value[1] * 1e-6) < 1e-9);
    hc_doctor_report_free(r);
    tg_fini(&t);
}

/* Fail the k-th allocation for every k: analysis and fix either succeed or report HC_NOMEM,
 * with nothing leaked (the suite also runs under ASan). */
static void allocation_failures(void **state) {
    (void)state;
    tg t;
    tg_init(&t);
    build_duplicates(&t, false);
    hc_ctx *ctx = t.ctx;
    for (uint64_t k = 1;; k++) {
        hc_ctx_clear(ctx);
        ctx->alloc_count = 0;
        ctx->fail_at = k;
        hc_doctor_options o;
        hc_doctor_options_init(&o);
        o.no_timing = true;
        hc_doctor_report *r = NULL;
        hc_model *out = NULL;
        hc_status s = hc_doctor_analyze(ctx, t.m, &o, &r);
        if (!s) s = hc_doctor_fix(r, &out, NULL);
        bool hit = ctx->alloc_count >= k;
        ctx->fail_at = 0;
        hc_model_free(out);
        hc_doctor_report_free(r);
        assert_int_equal(s, hit ? HC_NOMEM : HC_OK);
        if (!hit) break;
        assert_true(k < 2000);
    }
    tg_fini(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(value_lists_are_found_and_packed),
        cmocka_unit_test(broadcast_constants_keep_one_value),
        cmocka_unit_test(duplicates_are_merged),
        cmocka_unit_test(colocated_duplicate_stays),
        cmocka_unit_test(unused_nodes_are_removed),
        cmocka_unit_test(clean_graph_has_nothing),
        cmocka_unit_test(kinds_mask_limits_report_and_fix),
        cmocka_unit_test(never_writes_over_the_input),
        cmocka_unit_test(cost_is_measured),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
