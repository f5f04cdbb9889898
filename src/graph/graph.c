/* graph.c - node storage, the name index, input resolution, attributes and port dtypes. */
#include "graph/graph.h"

#include <stdio.h>

void hc_graph_init(hc_graph *g, hc_ctx *ctx) {
    memset(g, 0, sizeof *g);
    g->ctx = ctx;
    hc_arena_init(&g->arena, ctx);
}

void hc_graph_fini(hc_graph *g) {
    if (!g->nodes_in_arena) hc_dealloc(g->ctx, g->nodes);
    hc_dealloc(g->ctx, g->index);
    hc_arena_fini(&g->arena);
    memset(g, 0, sizeof *g);
}

/* Node storage for cap nodes, the n_nodes already there moved over. The first array (a
 * reader reserves the exact count) lives in the arena, whose memory is cheap to fault in;
 * a later growth (a converter adding casts) moves to the allocator. */
static hc_status nodes_resize(hc_graph *g, uint32_t cap) {
    size_t bytes = (size_t)cap * sizeof(hc_node);
    if (!g->nodes) {
        g->nodes = hc_arena_alloc_raw(&g->arena, bytes);
        if (!g->nodes) return HC_NOMEM;
        g->nodes_in_arena = true;
        g->cap_nodes = cap;
        return HC_OK;
    }
    hc_node *p = hc_alloc(g->ctx, bytes);
    if (!p) return HC_NOMEM;
    memcpy(p, g->nodes, (size_t)g->n_nodes * sizeof *p);
    if (!g->nodes_in_arena) hc_dealloc(g->ctx, g->nodes);
    g->nodes = p;
    g->nodes_in_arena = false;
    g->cap_nodes = cap;
    return HC_OK;
}

hc_status hc_graph_reserve(hc_graph *g, uint32_t n) {
    if (n <= g->cap_nodes) return HC_OK;
    if (n > HC_MAX_NODES)
        return hc_fail(g->ctx, HC_LIMIT, NULL, "more than %u nodes", HC_MAX_NODES);
    return nodes_resize(g, n);
}

int32_t hc_graph_add_node(hc_graph *g) {
    if (g->n_nodes >= HC_MAX_NODES) {
        hc_fail(g->ctx, HC_LIMIT, NULL, "more than %u nodes", HC_MAX_NODES);
        return -1;
    }
    if (g->n_nodes == g->cap_nodes && nodes_resize(g, g->cap_nodes ? g->cap_nodes * 2 : 256))
        return -1;
    hc_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->follow_head = n->follow_next = -1;
    n->n_out = -1;
    return (int32_t)g->n_nodes++;
}

static uint32_t slot_of(const hc_graph *g, hc_span name) {
    return (uint32_t)(hc_hash(name.p, name.n) & (g->index_cap - 1));
}

int32_t hc_graph_find(const hc_graph *g, hc_span name) {
    if (!g->index_cap) return -1;
    for (uint32_t s = slot_of(g, name);; s = (s + 1) & (g->index_cap - 1)) {
        uint32_t v = g->index[s];
        if (!v) return -1;
        if (hc_span_eq(g->nodes[v - 1].name, name)) return (int32_t)(v - 1);
    }
}

static hc_status build_index(hc_graph *g) {
    uint32_t cap = 16;
    while (cap < g->n_nodes * 2u + 2u)
        cap *= 2;
    hc_dealloc(g->ctx, g->index);
    g->index = hc_calloc(g->ctx, cap, sizeof *g->index);
    g->index_cap = g->index ? cap : 0;
    if (!g->index) return HC_NOMEM;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        hc_node *n = &g->nodes[i];
        if (n->removed) continue;
        if (n->name.n == 0) return hc_fail(g->ctx, HC_MALFORMED, NULL, "node %u has no name", i);
        uint32_t s = slot_of(g, n->name);
        for (; g->index[s]; s = (s + 1) & (cap - 1))
            if (hc_span_eq(g->nodes[g->index[s] - 1].name, n->name))
                return hc_fail_n(g->ctx, HC_MALFORMED, n->name.p, n->name.n, "duplicate node name");
        g->index[s] = i + 1;
    }
    return HC_OK;
}

/* Split "^name", "name", "name:3" into the producer's name and port (-1 for control). */
static bool parse_input(hc_span s, hc_span *name, int32_t *port) {
    if (s.n && s.p[0] == '^') {
        *name = hc_span_of(s.p + 1, s.n - 1);
        *port = -1;
        return name->n > 0;
    }
    *port = 0;
    *name = s;
    size_t i = s.n;
    while (i > 0 && s.p[i - 1] >= '0' && s.p[i - 1] <= '9')
        i--;
    if (i > 0 && i < s.n && s.p[i - 1] == ':') {
        int64_t v = 0;
        for (size_t k = i; k < s.n; k++) {
            v = v * 10 + (s.p[k] - '0');
            if (v > 0x7fffffff) return false;
        }
        *port = (int32_t)v;
        *name = hc_span_of(s.p, i - 1);
    }
    return name->n > 0;
}

/* Output count from the op table: sum over output args of 1, N or len(list). */
static int32_t count_outputs(const hc_node *n) {
    const hc_opdef *d = n->def;
    if (!d) return -1;
    int64_t total = 0;
    for (int a = 0; a < HC_OP_MAX_ARGS && d->out[a].name; a++) {
        hc_port_spec ps;
        if (!hc_op_port_spec(d, &d->out[a], &ps)) return -1;
        if (ps.count_attr.n) {
            char key[64];
            snprintf(key, sizeof key, HC_SPAN_FMT, HC_SPAN_ARG(ps.count_attr));
            int64_t k;
            if (!hc_node_attr_int(n, key, &k) || k < 0 || k > 100000) return -1;
            total += k;
        } else if (ps.is_list) {
            const hc_attr *at = hc_node_attr(n, ps.tattr->name);
            if (!at) return -1;
            total += at->kind == HC_ATTR_LIST ? (int64_t)at->u.list->n : 0;
        } else {
            total += 1;
        }
    }
    return (int32_t)total;
}

hc_status hc_graph_link(hc_graph *g) {
    hc_status s = build_index(g);
    if (s) return s;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        hc_node *n = &g->nodes[i];
        if (n->removed) continue;
        n->def = hc_op_find(n->op);
        n->n_out = count_outputs(n);
        if (!n->in && n->n_in) {
            n->in = hc_arena_array(&g->arena, n->n_in, sizeof *n->in);
            if (!n->in) return HC_NOMEM;
        }
        for (uint32_t k = 0; k < n->n_in; k++) {
            hc_span name;
            int32_t port;
            if (!parse_input(n->in_names[k], &name, &port))
                return hc_fail_n(g->ctx, HC_MALFORMED, n->name.p, n->name.n,
                                 "input %u '" HC_SPAN_FMT "' is not a valid input name", k,
                                 HC_SPAN_ARG(n->in_names[k]));
            int32_t src = hc_graph_find(g, name);
            if (src < 0)
                return hc_fail_n(g->ctx, HC_MALFORMED, n->name.p, n->name.n,
                                 "input %u '" HC_SPAN_FMT "' names a node that does not exist", k,
                                 HC_SPAN_ARG(n->in_names[k]));
            n->in[k].node = src;
            n->in[k].port = port;
        }
    }
    /* Ports are checked once every node knows its output count. */
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        hc_node *n = &g->nodes[i];
        if (n->removed) continue;
        for (uint32_t k = 0; k < n->n_in; k++) {
            const hc_node *p = &g->nodes[n->in[k].node];
            if (p->removed)
                return hc_fail_n(g->ctx, HC_MALFORMED, n->name.p, n->name.n,
                                 "input %u reads a removed node", k);
            if (n->in[k].port >= 0 && p->n_out >= 0 && n->in[k].port >= p->n_out)
                return hc_fail_n(g->ctx, HC_MALFORMED, n->name.p, n->name.n,
                                 "input %u '" HC_SPAN_FMT "' reads output %d of a node with %d", k,
                                 HC_SPAN_ARG(n->in_names[k]), n->in[k].port, p->n_out);
        }
    }
    return HC_OK;
}

void hc_graph_follow(hc_graph *g, int32_t anchor, int32_t follower) {
    hc_node *a = &g->nodes[anchor];
    g->nodes[follower].follower = true;
    /* Append at the end of the anchor's list to keep insertion order. */
    if (a->follow_head < 0) {
        a->follow_head = follower;
        return;
    }
    int32_t k = a->follow_head;
    while (g->nodes[k].follow_next >= 0)
        k = g->nodes[k].follow_next;
    g->nodes[k].follow_next = follower;
}

const hc_attr *hc_node_attr(const hc_node *n, const char *name) {
    for (uint32_t i = 0; i < n->n_attrs; i++)
        if (hc_span_eq_str(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

hc_attr *hc_node_set_attr(hc_graph *g, int32_t node, const char *name) {
    hc_node *n = &g->nodes[node];
    n->dirty = true;
    for (uint32_t i = 0; i < n->n_attrs; i++) {
        if (hc_span_eq_str(n->attrs[i].name, name)) {
            hc_span keep = n->attrs[i].name;
            memset(&n->attrs[i], 0, sizeof n->attrs[i]);
            n->attrs[i].name = keep;
            return &n->attrs[i];
        }
    }
    if (n->n_attrs == n->cap_attrs) {
        uint32_t cap = n->cap_attrs ? n->cap_attrs * 2 : 4;
        hc_attr *p = hc_arena_array(&g->arena, cap, sizeof *p);
        if (!p) return NULL;
        if (n->n_attrs) memcpy(p, n->attrs, n->n_attrs * sizeof *p);
        n->attrs = p;
        n->cap_attrs = cap;
    }
    hc_attr *a = &n->attrs[n->n_attrs++];
    memset(a, 0, sizeof *a);
    a->name = hc_arena_span(&g->arena, name, strlen(name));
    return a->name.p ? a : NULL;
}

bool hc_node_attr_type(const hc_node *n, const char *name, hc_dtype *out) {
    const hc_attr *a = hc_node_attr(n, name);
    if (!a || a->kind != HC_ATTR_TYPE) return false;
    *out = a->u.type;
    return true;
}

bool hc_node_attr_int(const hc_node *n, const char *name, int64_t *out) {
    const hc_attr *a = hc_node_attr(n, name);
    if (!a || a->kind != HC_ATTR_I) return false;
    *out = a->u.i;
    return true;
}

uint32_t hc_node_data_inputs(const hc_node *n) {
    uint32_t c = 0;
    for (uint32_t k = 0; k < n->n_in; k++)
        c += n->in_names[k].n && n->in_names[k].p[0] != '^';
    return c;
}

/* Walk the args of one side; find which arg holds flat port `port` and the element index
 * within a list-valued arg. */
static int arg_of(const hc_node *n, const hc_op_arg *args, int64_t port, int64_t *elem) {
    const hc_opdef *d = n->def;
    int64_t at = 0;
    for (int a = 0; a < HC_OP_MAX_ARGS && args[a].name; a++) {
        hc_port_spec ps;
        if (!hc_op_port_spec(d, &args[a], &ps)) return -1;
        int64_t k = 1;
        if (ps.count_attr.n) {
            char key[64];
            snprintf(key, sizeof key, HC_SPAN_FMT, HC_SPAN_ARG(ps.count_attr));
            if (!hc_node_attr_int(n, key, &k)) return -1;
        } else if (ps.is_list) {
            const hc_attr *at_ = hc_node_attr(n, ps.tattr->name);
            k = at_ && at_->kind == HC_ATTR_LIST ? (int64_t)at_->u.list->n : 0;
        }
        if (port < at + k) {
            *elem = port - at;
            return a;
        }
        at += k;
    }
    return -1;
}

int hc_node_in_arg(const hc_node *n, uint32_t input) {
    int64_t e;
    return n->def ? arg_of(n, n->def->in, input, &e) : -1;
}

int hc_node_out_arg(const hc_node *n, int32_t port) {
    int64_t e;
    return n->def ? arg_of(n, n->def->out, port, &e) : -1;
}

static bool port_dtype(const hc_node *n, const hc_op_arg *args, int64_t port, hc_dtype *out,
                       const char **why) {
    if (!n->def) {
        *why = "unknown op";
        return false;
    }
    int64_t elem = 0;
    int a = arg_of(n, args, port, &elem);
    if (a < 0) {
        *why = "port out of range or count attribute missing";
        return false;
    }
    hc_port_spec ps;
    hc_op_port_spec(n->def, &args[a], &ps);
    if (!ps.tattr) {
        *out = ps.fixed;
        return true;
    }
    const hc_attr *at = hc_node_attr(n, ps.tattr->name);
    if (ps.is_list) {
        if (!at || at->kind != HC_ATTR_LIST || at->u.list->kind != HC_ATTR_TYPE ||
            (size_t)elem >= at->u.list->n) {
            *why = "missing list(type) attribute";
            return false;
        }
        *out = at->u.list->u.type[elem];
        return true;
    }
    if (at && at->kind == HC_ATTR_TYPE) {
        *out = at->u.type;
        return true;
    }
    if (!at && ps.tattr->def != HC_DT_INVALID) {
        *out = ps.tattr->def;
        return true;
    }
    *why = "missing type attribute";
    return false;
}

bool hc_node_out_dtype(const hc_graph *g, const hc_node *n, int32_t port, hc_dtype *out,
                       const char **why) {
    (void)g;
    return port_dtype(n, n->def ? n->def->out : NULL, port, out, why);
}

bool hc_node_in_dtype(const hc_graph *g, const hc_node *n, uint32_t input, hc_dtype *out,
                      const char **why) {
    (void)g;
    return port_dtype(n, n->def ? n->def->in : NULL, input, out, why);
}

int64_t hc_shape_elems(const hc_shape *s) {
    if (s->rank < 0) return -1;
    int64_t c = 1;
    for (int32_t i = 0; i < s->rank; i++) {
        if (s->dims[i] < 0 || !hc_mul_i64(c, s->dims[i], &c)) return -1;
    }
    return c;
}

const char *hc_node_cname(hc_graph *g, const hc_node *n) {
    const char *s = hc_arena_strndup(&g->arena, n->name.p, n->name.n);
    return s ? s : "?";
}
