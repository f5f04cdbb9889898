/* check.c - `check`: re-type every node from the op tables and report each problem:
 * a type attribute missing or outside its allowed dtypes, a data input whose dtype differs
 * from what the consumer's signature expects, a wrong number of data inputs, a constant whose
 * value does not match its dtype or shape, and a cycle that does not pass through a loop's
 * NextIteration. The converter runs it on its own output and refuses to write a failure. */
#include "graph/graph.h"
#include "model/model.h"

#include <stdarg.h>
#include <stdio.h>

#define MAX_ITEMS 10000

struct hc_check_report {
    hc_ctx *ctx;
    hc_arena arena;
    const char **items;
    size_t n, cap;
    size_t unchecked;
};

static void add(hc_check_report *r, const hc_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add(hc_check_report *r, const hc_node *n, const char *fmt, ...) {
    if (r->n >= MAX_ITEMS) return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        const char **p = hc_arena_array(&r->arena, cap, sizeof *p);
        if (!p) return;
        if (r->n) memcpy(p, r->items, r->n * sizeof *p);
        r->items = p;
        r->cap = cap;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *s = hc_arena_printf(&r->arena, "node '" HC_SPAN_FMT "' (" HC_SPAN_FMT "): %s",
                                    HC_SPAN_ARG(n->name), HC_SPAN_ARG(n->op), msg);
    if (s) r->items[r->n++] = s;
}

static void check_attrs(hc_check_report *r, const hc_node *n) {
    for (int k = 0; k < HC_OP_MAX_TATTRS && n->def->tattrs[k].name; k++) {
        const hc_op_tattr *ta = &n->def->tattrs[k];
        const hc_attr *a = hc_node_attr(n, ta->name);
        if (!a) {
            if (ta->def == HC_DT_INVALID && !ta->is_list)
                add(r, n, "missing type attribute '%s'", ta->name);
            continue;
        }
        if (ta->is_list) {
            if (a->kind == HC_ATTR_LIST && a->u.list->kind == HC_ATTR_TYPE)
                for (size_t i = 0; i < a->u.list->n; i++)
                    if (ta->allowed && !(ta->allowed & HC_DTM(a->u.list->u.type[i] & 31)))
                        add(r, n, "attribute %s[%zu] = %s is not allowed", ta->name, i,
                            hc_dtype_name(a->u.list->u.type[i]));
            continue;
        }
        if (a->kind != HC_ATTR_TYPE) {
            add(r, n, "attribute '%s' is not a type", ta->name);
        } else if ((unsigned)a->u.type >= HC_DT_COUNT ||
                   (ta->allowed && !(ta->allowed & HC_DTM(a->u.type)))) {
            add(r, n, "attribute %s = %s is not allowed for %s", ta->name, hc_dtype_name(a->u.type),
                n->def->name);
        }
    }
}

static int64_t expected_inputs(const hc_node *n) {
    int64_t total = 0;
    for (int a = 0; a < HC_OP_MAX_ARGS && n->def->in[a].name; a++) {
        hc_port_spec ps;
        if (!hc_op_port_spec(n->def, &n->def->in[a], &ps)) return -1;
        if (ps.count_attr.n) {
            char key[64];
            snprintf(key, sizeof key, HC_SPAN_FMT, HC_SPAN_ARG(ps.count_attr));
            int64_t c;
            if (!hc_node_attr_int(n, key, &c)) return -1;
            total += c;
        } else if (ps.is_list) {
            const hc_attr *at = hc_node_attr(n, ps.tattr->name);
            total += at && at->kind == HC_ATTR_LIST ? (int64_t)at->u.list->n : 0;
        } else {
            total++;
        }
    }
    return total;
}

static void check_inputs(hc_check_report *r, const hc_graph *g, const hc_node *n) {
    int64_t want = expected_inputs(n);
    uint32_t have = hc_node_data_inputs(n);
    if (want >= 0 && want != (int64_t)have)
        add(r, n, "has %u data inputs, %s takes %lld", have, n->def->name, (long long)want);
    uint32_t data = 0;
    for (uint32_t k = 0; k < n->n_in; k++) {
        if (n->in[k].port < 0) continue;
        /* Control inputs may come before data inputs only in broken graphs. */
        if (data != k) add(r, n, "data input %u comes after a control input", k);
        data++;
        const hc_node *p = &g->nodes[n->in[k].node];
        hc_dtype want_dt, have_dt;
        const char *why;
        if (!p->def || (want >= 0 && (int64_t)k >= want)) continue;
        if (!hc_node_in_dtype(g, n, k, &want_dt, &why)) continue; /* reported by attrs */
        if (!hc_node_out_dtype(g, p, n->in[k].port, &have_dt, &why)) continue;
        if (want_dt != have_dt)
            add(r, n, "input %u '" HC_SPAN_FMT "' is %s but %s expects %s here", k,
                HC_SPAN_ARG(n->in_names[k]), hc_dtype_name(have_dt), n->def->name,
                hc_dtype_name(want_dt));
    }
}

static void check_const(hc_check_report *r, const hc_node *n) {
    hc_dtype dt;
    const hc_attr *v = hc_node_attr(n, "value");
    if (!hc_node_attr_type(n, "dtype", &dt)) return; /* reported by attrs */
    if (!v || v->kind != HC_ATTR_TENSOR) {
        add(r, n, "has no tensor 'value'");
        return;
    }
    const hc_tensor_proto *t = v->u.tensor;
    if (t->dtype != dt)
        add(r, n, "value is %s but dtype is %s", hc_dtype_name(t->dtype), hc_dtype_name(dt));
    int64_t elems = hc_shape_elems(&t->shape);
    size_t sz = hc_dtype_size(t->dtype);
    if (elems < 0) {
        add(r, n, "value has an unknown or invalid shape");
    } else if (t->enc == HC_ENC_CONTENT && sz && t->content.n != (uint64_t)elems * sz) {
        add(r, n, "tensor_content has %zu bytes, shape and dtype need %llu", t->content.n,
            (unsigned long long)elems * sz);
    } else if (t->enc == HC_ENC_VALUES && t->val_field != 8 &&
               t->val_field != hc_tensor_val_field(t->dtype)) {
        add(r, n, "values of dtype %s are stored in TensorProto field %u", hc_dtype_name(t->dtype),
            t->val_field);
    } else if (t->enc == HC_ENC_VALUES && t->n_vals > (uint64_t)elems) {
        add(r, n, "value has %zu values for %lld elements", t->n_vals, (long long)elems);
    }
}

/* The node that made the TensorArray / TensorList a handle input comes from: follow input 0
 * back through identity-like ops (Enter, Switch, Merge, Identity ...) and list updates
 * (TensorListSetItem gives a new handle of the same list). -1 when not found. */
static int32_t handle_source(const hc_graph *g, int32_t n) {
    for (int steps = 0; steps < 10000 && n >= 0; steps++) {
        const hc_node *nd = &g->nodes[n];
        if (!nd->def) return -1;
        uint32_t f = nd->def->flags;
        bool passes = (f & HC_OPF_IDENTITY) || ((f & HC_OPF_HANDLE_IN) && (f & HC_OPF_HANDLE_OUT));
        if (!passes) return (f & HC_OPF_HANDLE_OUT) ? n : -1;
        if (!nd->n_in || nd->in[0].port < 0) return -1;
        /* A loop Merge: take the input from outside the loop, not the NextIteration. */
        uint32_t k = 0;
        while (k + 1 < nd->n_in && nd->in[k].port >= 0 &&
               hc_span_eq_str(g->nodes[nd->in[k].node].op, "NextIteration"))
            k++;
        n = nd->in[k].node;
    }
    return -1;
}

/* TensorArray / TensorList ops agree with the element type of the array or list they use. */
static void check_handles(hc_check_report *r, const hc_graph *g, const hc_node *n) {
    if (!(n->def->flags & HC_OPF_HANDLE_IN) || !n->def->elem_attr || !n->n_in) return;
    int32_t src = handle_source(g, n->in[0].node);
    if (src < 0) return;
    const hc_node *s = &g->nodes[src];
    hc_dtype mine, theirs;
    if (!s->def || !s->def->elem_attr || !hc_node_attr_type(n, n->def->elem_attr, &mine) ||
        !hc_node_attr_type(s, s->def->elem_attr, &theirs))
        return;
    if (mine != theirs)
        add(r, n, "%s = %s but the %s it uses ('" HC_SPAN_FMT "') holds %s", n->def->elem_attr,
            hc_dtype_name(mine), hc_span_eq_str(s->op, "TensorArrayV3") ? "TensorArray" : "list",
            HC_SPAN_ARG(s->name), hc_dtype_name(theirs));
}

/* Kahn's algorithm with NextIteration -> Merge back edges left out: whatever remains is on a
 * cycle no TensorFlow executor can run. Returns a node on such a cycle, -1 when none, -2 when
 * out of memory. */
int32_t hc_graph_find_cycle(const hc_graph *g, hc_arena *arena) {
    uint32_t nn = g->n_nodes;
    uint32_t *pending = hc_arena_array(arena, nn + 1u, sizeof(uint32_t));
    uint32_t *start = hc_arena_array(arena, nn + 2u, sizeof(uint32_t));
    uint32_t *queue = hc_arena_array(arena, nn + 1u, sizeof(uint32_t));
    if (!pending || !start || !queue) return -2;
    size_t edges = 0;
    for (uint32_t i = 0; i < nn; i++)
        edges += g->nodes[i].n_in;
    uint32_t *out = hc_arena_array(arena, edges + 1, sizeof(uint32_t));
    uint32_t *fill = hc_arena_array(arena, nn + 1u, sizeof(uint32_t));
    if (!out || !fill) return -2;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < nn; i++) {
            const hc_node *n = &g->nodes[i];
            if (n->removed) continue;
            for (uint32_t k = 0; k < n->n_in; k++) {
                uint32_t src = (uint32_t)n->in[k].node;
                if (hc_span_eq_str(g->nodes[src].op, "NextIteration")) continue;
                if (!pass) {
                    start[src + 1]++;
                    pending[i]++;
                } else {
                    out[start[src] + fill[src]++] = i;
                }
            }
        }
        if (!pass)
            for (uint32_t i = 0; i < nn; i++)
                start[i + 1] += start[i];
    }
    size_t head = 0, tail = 0, done = 0;
    for (uint32_t i = 0; i < nn; i++)
        if (!g->nodes[i].removed && !pending[i]) queue[tail++] = i;
    while (head < tail) {
        uint32_t i = queue[head++];
        done++;
        for (uint32_t k = start[i]; k < start[i + 1]; k++)
            if (--pending[out[k]] == 0) queue[tail++] = out[k];
    }
    for (uint32_t i = 0; i < nn && done < nn; i++)
        if (!g->nodes[i].removed && pending[i]) return (int32_t)i;
    return -1;
}

static void check_cycles(hc_check_report *r, const hc_graph *g) {
    int32_t i = hc_graph_find_cycle(g, &r->arena);
    if (i >= 0) add(r, &g->nodes[i], "is on a cycle that does not pass through a NextIteration");
}

hc_status hc_check(hc_ctx *ctx, const hc_model *m, hc_check_report **report) {
    *report = NULL;
    hc_check_report *r = hc_calloc(ctx, 1, sizeof *r);
    if (!r) return HC_NOMEM;
    r->ctx = ctx;
    hc_arena_init(&r->arena, ctx);
    const hc_graph *g = &m->g;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const hc_node *n = &g->nodes[i];
        if (n->removed) continue;
        if (!n->def) {
            r->unchecked++;
            continue;
        }
        check_attrs(r, n);
        check_inputs(r, g, n);
        check_handles(r, g, n);
        if (n->def->flags & HC_OPF_CONST) check_const(r, n);
    }
    check_cycles(r, g);
    *report = r;
    if (ctx->status) return ctx->status;
    return r->n ? HC_CHECK : HC_OK;
}

void hc_check_report_free(hc_check_report *r) {
    if (!r) return;
    hc_arena_fini(&r->arena);
    hc_dealloc(r->ctx, r);
}

size_t hc_check_report_count(const hc_check_report *r) {
    return r ? r->n : 0;
}

const char *hc_check_report_item(const hc_check_report *r, size_t i) {
    return r && i < r->n ? r->items[i] : "";
}

size_t hc_check_report_unchecked(const hc_check_report *r) {
    return r ? r->unchecked : 0;
}
