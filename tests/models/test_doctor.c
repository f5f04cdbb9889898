/* test_doctor.c - the seed's file, reproduced: the FPN detector converted to fp16 by halfcast,
 * then every fp16 weight written as half_val (one varint per value) the way the seed's script
 * wrote it. `doctor` must find the half_val constants and its fix must give back halfcast's
 * own packed conversion byte for byte (single-element constants aside: see
 * seed_fix_is_the_packed_conversion), keep every constant's values, pass the check, and be
 * stable (fixing a fixed file changes nothing). The other shared models: the fix keeps values
 * and the check, and is stable. */
#include "common/models.h"
#include "common/testlib.h"

#include "doctor/doctor.h"
#include "fmt/graphdef/graphdef.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hc_model *open_model(hc_ctx *ctx, const char *rel) {
    hc_model *m = NULL;
    if (hc_model_open(ctx, hc_test_shared(rel), &m)) fail_msg("%s", hc_ctx_message(ctx));
    return m;
}

/* Rewrite packed fp16 constants of g as half_val, one varint per value: all of them (the
 * seed's script), or only those of one element (what TensorFlow itself writes as half_val). */
static size_t to_half_val(hc_graph *g, bool only_single) {
    size_t n = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        hc_node *nd = &g->nodes[i];
        const hc_attr *a = hc_node_attr(nd, "value");
        if (!hc_span_eq_str(nd->op, "Const") || !a || a->u.tensor->dtype != HC_DT_HALF ||
            a->u.tensor->enc != HC_ENC_CONTENT)
            continue;
        const hc_tensor_proto *t = a->u.tensor;
        size_t count = t->content.n / 2;
        if (only_single && count != 1) continue;
        uint8_t *v = hc_arena_alloc(&g->arena, 3 * count + 1);
        assert_non_null(v);
        size_t k = 0;
        for (size_t j = 0; j < count; j++) {
            uint32_t x = hc_ld_u16(t->content.p + 2 * j);
            while (x >= 0x80)
                v[k++] = (uint8_t)(x | 0x80), x >>= 7;
            v[k++] = (uint8_t)x;
        }
        hc_tensor_proto *nt = hc_arena_alloc(&g->arena, sizeof *nt);
        assert_non_null(nt);
        *nt = (hc_tensor_proto){.dtype = HC_DT_HALF,
                                .shape = t->shape,
                                .enc = HC_ENC_VALUES,
                                .val_field = 13,
                                .val_wt = 0,
                                .vals = hc_span_of(v, k),
                                .n_vals = count};
        hc_attr *na = hc_node_set_attr(g, (int32_t)i, "value");
        assert_non_null(na);
        na->kind = HC_ATTR_TENSOR;
        na->u.tensor = nt;
        n++;
    }
    return n;
}

/* m's bytes rewritten by to_half_val, opened as a model (bytes in *keep, freed by caller). */
static hc_model *rewrite_half_val(hc_ctx *ctx, const hc_model *m, bool only_single, hc_buf *keep,
                                  size_t *changed) {
    hc_graph g;
    hc_graph_init(&g, ctx);
    assert_int_equal(hc_graphdef_read(&g, m->bytes), HC_OK);
    *changed = to_half_val(&g, only_single);
    hc_buf_init(keep, ctx);
    assert_int_equal(hc_graphdef_write(&g, keep), HC_OK);
    hc_graph_fini(&g);
    hc_model *out;
    if (hc_model_open_memory(ctx, keep->p, keep->n, "seed", &out))
        fail_msg("%s", hc_ctx_message(ctx));
    return out;
}

static hc_doctor_report *analyze(hc_ctx *ctx, const hc_model *m, uint32_t kinds) {
    hc_doctor_options o;
    hc_doctor_options_init(&o);
    o.kinds = kinds;
    hc_doctor_report *r;
    if (hc_doctor_analyze(ctx, m, &o, &r)) fail_msg("%s", hc_ctx_message(ctx));
    return r;
}

static hc_model *fix(hc_ctx *ctx, const hc_model *m, uint32_t kinds, hc_doctor_fix_stats *st) {
    hc_doctor_report *r = analyze(ctx, m, kinds);
    hc_model *out;
    if (hc_doctor_fix(r, &out, st)) fail_msg("%s", hc_ctx_message(ctx));
    hc_doctor_report_free(r);
    return out;
}

static void same_bytes(const hc_model *a, const hc_model *b, const char *what) {
    if (a->bytes.n != b->bytes.n || memcmp(a->bytes.p, b->bytes.p, a->bytes.n))
        fail_msg("%s: %zu bytes vs %zu bytes, not identical", what, a->bytes.n, b->bytes.n);
}

static void check_passes(hc_ctx *ctx, const hc_model *m) {
    hc_check_report *r;
    hc_status s = hc_check(ctx, m, &r);
    if (s) fail_msg("check: %s", hc_check_report_item(r, 0));
    hc_check_report_free(r);
}

/* Every Const of `in` has the same dtype, shape and values in `out`: under its own name, or
 * (removed as a duplicate) under the name of the copy kept. Removed unused constants are
 * listed in the report and skipped. */
static void consts_unchanged(hc_ctx *ctx, const hc_model *in, const hc_model *out,
                             const hc_doctor_report *r) {
    hc_arena tmp;
    hc_arena_init(&tmp, ctx);
    size_t compared = 0;
    for (uint32_t i = 0; i < in->g.n_nodes; i++) {
        const hc_node *n = &in->g.nodes[i];
        const hc_attr *a = hc_node_attr(n, "value");
        if (!hc_span_eq_str(n->op, "Const") || !a || !hc_dtype_size(a->u.tensor->dtype)) continue;
        hc_span name = n->name;
        bool unused = false;
        for (size_t k = 0; k < r->n_items; k++) {
            const hc_doctor_finding *f = &r->items[k];
            if (f->node != (int32_t)i || !f->fixable) continue;
            if (f->kind == HC_DOC_DUPLICATE) name = r->g.nodes[f->same_as].name;
            unused = unused || f->kind == HC_DOC_UNUSED;
        }
        if (unused) continue;
        int32_t o = hc_graph_find(&out->g, name);
        if (o < 0) fail_msg("constant '%.*s' is gone", HC_SPAN_ARG(name));
        const hc_tensor_proto *x = a->u.tensor;
        const hc_tensor_proto *y = hc_node_attr(&out->g.nodes[o], "value")->u.tensor;
        const void *dx, *dy;
        size_t cx, cy;
        assert_int_equal(hc_tensor_values(ctx, &tmp, x, &dx, &cx), HC_OK);
        assert_int_equal(hc_tensor_values(ctx, &tmp, y, &dy, &cy), HC_OK);
        assert_int_equal(x->dtype, y->dtype);
        assert_int_equal(x->shape.rank, y->shape.rank);
        assert_int_equal(cx, cy);
        if (memcmp(dx, dy, cx * hc_dtype_size(x->dtype)))
            fail_msg("constant '%.*s' changed its values", HC_SPAN_ARG(n->name));
        compared++;
    }
    assert_true(compared > 0);
    hc_arena_fini(&tmp);
}

/* Fixing a fixed model changes nothing, and finds nothing fixable left. */
static void fix_is_stable(hc_ctx *ctx, const hc_model *fixed) {
    hc_doctor_report *r = analyze(ctx, fixed, 0);
    for (int k = 0; k < HC_DOC_KIND_COUNT; k++)
        assert_int_equal(r->total[k].fixable, 0);
    hc_doctor_report_free(r);
    hc_model *again = fix(ctx, fixed, 0, NULL);
    same_bytes(again, fixed, "fixing twice");
    hc_model_free(again);
}

typedef struct seed {
    hc_ctx *ctx;
    hc_model *in, *packed, *hv;
    hc_buf hv_bytes;
    size_t n_half_val;
} seed;

static void seed_make(seed *s) {
    memset(s, 0, sizeof *s);
    assert_int_equal(hc_ctx_new(&s->ctx), HC_OK);
    s->in = open_model(s->ctx, HC_TF_MODELS[0]);
    if (hc_convert(s->ctx, s->in, NULL, &s->packed, NULL)) fail_msg("%s", hc_ctx_message(s->ctx));
    s->hv = rewrite_half_val(s->ctx, s->packed, false, &s->hv_bytes, &s->n_half_val);
    assert_true(s->hv_bytes.n > s->packed->bytes.n);
}

static void seed_free(seed *s) {
    hc_model_free(s->hv);
    hc_buf_fini(&s->hv_bytes);
    hc_model_free(s->packed);
    hc_model_free(s->in);
    hc_ctx_free(s->ctx);
}

static void seed_is_diagnosed(void **state) {
    (void)state;
    seed s;
    seed_make(&s);
    hc_doctor_report *r = analyze(s.ctx, s.hv, 0);
    const hc_doctor_total *v = &r->total[HC_DOC_VALUE_LIST];
    printf("  seed file: %zu bytes, %zu fp16 constants written as half_val; doctor: %zu half_val "
           "lists, %llu values, %llu bytes, fix saves %lld bytes, est. %.2f ms "
           "(%.2f ns/value measured on '%s')\n",
           s.hv_bytes.n, s.n_half_val, v->by_field[13], (unsigned long long)v->values,
           (unsigned long long)v->bytes, (long long)v->saved, v->est_ms, r->cost.ns_per_value[0],
           r->cost.sample[0]);
    assert_true(v->by_field[13] >= 200);
    assert_int_equal(v->fixable, v->findings);
    assert_true(v->saved > 0);
    assert_true(v->est_ms > 0.0);
    assert_non_null(r->cost.sample[0]);
    /* The packed conversion has no value lists left to report. */
    hc_doctor_report *p = analyze(s.ctx, s.packed, 0);
    assert_int_equal(p->total[HC_DOC_VALUE_LIST].findings, 0);
    hc_doctor_report_free(p);
    hc_doctor_report_free(r);
    seed_free(&s);
}

/* Repacking the value lists alone gives halfcast's own conversion, byte for byte, once the
 * conversion's single-element fp16 constants are written as half_val too: doctor leaves a
 * one-value half_val alone (it is TensorFlow's own form for scalars, make_tensor_proto packs
 * only tensors of more than one element), while the converter packs everything it lowers. */
static void seed_fix_is_the_packed_conversion(void **state) {
    (void)state;
    seed s;
    seed_make(&s);
    hc_doctor_fix_stats st;
    hc_model *fixed = fix(s.ctx, s.hv, 1u << HC_DOC_VALUE_LIST, &st);
    hc_buf ref_bytes;
    size_t singles;
    hc_model *ref = rewrite_half_val(s.ctx, s.packed, true, &ref_bytes, &singles);
    printf("  packed %zu bytes, seed %zu, fixed %zu; %zu lists packed, %zu single-element fp16 "
           "constants left as half_val\n",
           s.packed->bytes.n, s.hv_bytes.n, fixed->bytes.n, st.fixed[HC_DOC_VALUE_LIST], singles);
    assert_int_equal(st.fixed[HC_DOC_VALUE_LIST] + singles, s.n_half_val);
    same_bytes(fixed, ref, "value lists repacked vs the packed conversion");
    if (!singles) same_bytes(fixed, s.packed, "value lists repacked vs the packed conversion");
    hc_model_free(ref);
    hc_buf_fini(&ref_bytes);
    hc_model_free(fixed);
    seed_free(&s);
}

/* The full fix (lists, broadcast, duplicates, unused) of the seed file and of the packed
 * conversion are the same bytes; values, check and stability hold. */
static void seed_full_fix(void **state) {
    (void)state;
    seed s;
    seed_make(&s);
    hc_doctor_report *r = analyze(s.ctx, s.hv, 0);
    hc_model *fixed;
    hc_doctor_fix_stats st;
    assert_int_equal(hc_doctor_fix(r, &fixed, &st), HC_OK);
    printf("  full fix: %zu lists, %zu broadcast, %zu duplicates, %zu unused; %llu -> %llu bytes\n",
           st.fixed[0], st.fixed[1], st.fixed[2], st.fixed[3], (unsigned long long)st.bytes_in,
           (unsigned long long)st.bytes_out);
    assert_true(st.fixed[HC_DOC_DUPLICATE] > 0); /* the shared box-predictor weights */
    check_passes(s.ctx, fixed);
    consts_unchanged(s.ctx, s.hv, fixed, r);
    fix_is_stable(s.ctx, fixed);
    hc_model *from_packed = fix(s.ctx, s.packed, 0, NULL);
    same_bytes(fixed, from_packed, "fix(seed) vs fix(packed conversion)");
    hc_model_free(from_packed);
    hc_model_free(fixed);
    hc_doctor_report_free(r);
    seed_free(&s);
}

/* Every shared model: the fix keeps values and the check, and is stable. */
static void every_model_fix_keeps_values(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    for (size_t i = 0; i < HC_N_TF_MODELS; i++) {
        hc_model *in = open_model(ctx, HC_TF_MODELS[i]);
        hc_doctor_report *r = analyze(ctx, in, 0);
        size_t n = 0;
        for (int k = 0; k < HC_DOC_KIND_COUNT; k++)
            n += r->total[k].findings;
        hc_model *fixed;
        hc_doctor_fix_stats st;
        if (hc_doctor_fix(r, &fixed, &st)) fail_msg("%s", hc_ctx_message(ctx));
        printf("  %s: %zu findings; %llu -> %llu bytes\n", HC_TF_MODELS[i], n,
               (unsigned long long)st.bytes_in, (unsigned long long)st.bytes_out);
        hc_check_report *cr;
        hc_status cs = hc_check(ctx, in, &cr);
        hc_check_report_free(cr);
        if (cs == HC_OK) check_passes(ctx, fixed);
        consts_unchanged(ctx, in, fixed, r);
        fix_is_stable(ctx, fixed);
        hc_model_free(fixed);
        hc_doctor_report_free(r);
        hc_model_free(in);
    }
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_is_diagnosed),
        cmocka_unit_test(seed_fix_is_the_packed_conversion),
        cmocka_unit_test(seed_full_fix),
        cmocka_unit_test(every_model_fix_keeps_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
