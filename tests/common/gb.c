/* gb.c - see gb.h. */
#include "common/gb.h"

#include <stdio.h>
#include <string.h>

void tg_init(tg *t) {
    memset(t, 0, sizeof *t);
    assert_int_equal(hc_ctx_new(&t->ctx), HC_OK);
    hc_graph_init(&t->g, t->ctx);
    hc_buf_init(&t->bytes, t->ctx);
}

void tg_fini(tg *t) {
    hc_model_free(t->out);
    hc_model_free(t->m);
    hc_buf_fini(&t->bytes);
    hc_graph_fini(&t->g);
    hc_ctx_free(t->ctx);
}

void tg_open(tg *t) {
    hc_status s = hc_gb_finish(&t->g, &t->bytes);
    if (s) fail_msg("building the graph: %s", hc_ctx_message(t->ctx));
    s = hc_model_open_memory(t->ctx, t->bytes.p, t->bytes.n, "test", &t->m);
    if (s) fail_msg("opening the built graph: %s", hc_ctx_message(t->ctx));
}

hc_status tg_convert(tg *t, const hc_convert_options *opts) {
    hc_model_free(t->out);
    t->out = NULL;
    hc_convert_options o;
    hc_convert_options_init(&o);
    return hc_convert(t->ctx, t->m, opts ? opts : &o, &t->out, &t->st);
}

const hc_node *tg_node_or_null(const tg *t, const char *name) {
    int32_t i = hc_graph_find(&t->out->g, hc_span_str(name));
    return i < 0 ? NULL : &t->out->g.nodes[i];
}

const hc_node *tg_node(const tg *t, const char *name) {
    const hc_node *n = tg_node_or_null(t, name);
    if (!n) fail_msg("no node '%s' in the converted graph", name);
    return n;
}

hc_dtype tg_type(const tg *t, const char *node, const char *attr) {
    hc_dtype dt = HC_DT_INVALID;
    if (!hc_node_attr_type(tg_node(t, node), attr, &dt))
        fail_msg("node '%s' has no type attribute '%s'", node, attr);
    return dt;
}

size_t tg_count_op(const tg *t, const char *op) {
    size_t c = 0;
    for (uint32_t i = 0; i < t->out->g.n_nodes; i++)
        c += hc_span_eq_str(t->out->g.nodes[i].op, op);
    return c;
}

hc_precision tg_plan_prec(tg *t, const hc_convert_options *opts, const char *node,
                          const char **reason) {
    hc_convert_options o;
    hc_convert_options_init(&o);
    hc_plan *p;
    if (hc_plan_new(t->ctx, t->m, opts ? opts : &o, &p)) fail_msg("%s", hc_ctx_message(t->ctx));
    hc_precision prec = HC_PREC_NONE;
    static char keep[512];
    for (size_t i = 0; i < hc_plan_node_count(p); i++) {
        hc_plan_node info;
        hc_plan_node_info(p, i, &info);
        if (strcmp(info.name, node)) continue;
        prec = info.precision;
        snprintf(keep, sizeof keep, "%s", info.reason ? info.reason : "");
        if (reason) *reason = keep;
    }
    hc_plan_free(p);
    return prec;
}
