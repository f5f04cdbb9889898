/* typed.c - elements, port types, consumer lists and the union-find classes. */
#include "graph/typed.h"

static uint32_t uf_find(uint32_t *parent, uint32_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void uf_union(uint32_t *parent, uint32_t a, uint32_t b) {
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    /* The smaller id becomes the root, so classes are numbered deterministically. */
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

uint32_t hc_typed_class(hc_typed *t, uint32_t elem) {
    return uf_find(t->parent, elem);
}

const hc_op_tattr *hc_typed_elem_tattr(const hc_typed *t, uint32_t e) {
    const hc_node *n = &t->g->nodes[t->elem_node[e]];
    return &n->def->tattrs[t->elem_attr[e]];
}

bool hc_typed_elem_allows_half(const hc_typed *t, uint32_t e) {
    const hc_op_tattr *ta = hc_typed_elem_tattr(t, e);
    if (ta->allowed == 0 || (ta->allowed & HC_DTM(HC_DT_HALF))) return true;
    const hc_node *n = &t->g->nodes[t->elem_node[e]];
    const hc_opdef *as = n->def->fp16_as ? hc_op_find_str(n->def->fp16_as) : NULL;
    const hc_op_tattr *ta2 = as ? hc_op_tattr_find(as, hc_span_str(ta->name)) : NULL;
    return ta2 && (ta2->allowed == 0 || (ta2->allowed & HC_DTM(HC_DT_HALF)));
}

static int tattr_count(const hc_opdef *d) {
    int k = 0;
    while (d && k < HC_OP_MAX_TATTRS && d->tattrs[k].name)
        k++;
    return k;
}

static hc_status make_elements(hc_typed *t) {
    hc_graph *g = t->g;
    t->elem_base = hc_arena_array(&t->arena, g->n_nodes + 1u, sizeof(uint32_t));
    if (!t->elem_base) return HC_NOMEM;
    uint32_t e = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        t->elem_base[i] = e;
        if (!g->nodes[i].removed) e += (uint32_t)tattr_count(g->nodes[i].def);
    }
    t->elem_base[g->n_nodes] = e;
    t->n_elems = e;
    t->elem_node = hc_arena_array(&t->arena, e + 1u, sizeof(int32_t));
    t->elem_attr = hc_arena_array(&t->arena, e + 1u, 1);
    t->elem_dtype = hc_arena_array(&t->arena, e + 1u, sizeof(hc_dtype));
    t->parent = hc_arena_array(&t->arena, (size_t)e + g->n_nodes + 1u, sizeof(uint32_t));
    if (!t->elem_node || !t->elem_attr || !t->elem_dtype || !t->parent) return HC_NOMEM;
    for (uint32_t i = 0; i < e + g->n_nodes; i++)
        t->parent[i] = i;
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const hc_node *n = &g->nodes[i];
        int k = n->removed ? 0 : tattr_count(n->def);
        for (int a = 0; a < k; a++) {
            uint32_t id = t->elem_base[i] + (uint32_t)a;
            const hc_op_tattr *ta = &n->def->tattrs[a];
            t->elem_node[id] = (int32_t)i;
            t->elem_attr[id] = (uint8_t)a;
            hc_dtype dt = ta->def;
            if (!ta->is_list && !hc_node_attr_type(n, ta->name, &dt) && hc_node_attr(n, ta->name))
                dt = HC_DT_INVALID;
            t->elem_dtype[id] = ta->is_list ? HC_DT_INVALID : dt;
        }
    }
    return HC_OK;
}

/* Type one port of a known op: its element when the spec names a scalar type attribute. */
static hc_port_type port_type(hc_typed *t, const hc_node *n, uint32_t node, const hc_op_arg *args,
                              int arg, bool is_input, uint32_t port) {
    hc_port_type pt = {-1, HC_DT_INVALID};
    hc_port_spec ps;
    if (arg < 0 || !hc_op_port_spec(n->def, &args[arg], &ps)) return pt;
    if (ps.tattr && !ps.is_list) {
        pt.elem = (int32_t)(t->elem_base[node] + (uint32_t)(ps.tattr - n->def->tattrs));
        pt.dtype = t->elem_dtype[pt.elem];
        return pt;
    }
    const char *why;
    if (is_input)
        hc_node_in_dtype(t->g, n, port, &pt.dtype, &why);
    else
        hc_node_out_dtype(t->g, n, (int32_t)port, &pt.dtype, &why);
    return pt;
}

/* Output port count: from the op table, or (unknown ops) the highest port anyone reads. */
static uint32_t out_ports(const hc_graph *g, uint32_t i, const uint32_t *max_read) {
    int32_t n = g->nodes[i].n_out;
    uint32_t k = n > 0 ? (uint32_t)n : 0;
    return k > max_read[i] ? k : max_read[i];
}

static hc_status make_port_types(hc_typed *t) {
    hc_graph *g = t->g;
    uint32_t *max_read = hc_arena_array(&t->arena, g->n_nodes + 1u, sizeof(uint32_t));
    t->in_type = hc_arena_array(&t->arena, g->n_nodes + 1u, sizeof(hc_port_type *));
    t->out_type = hc_arena_array(&t->arena, g->n_nodes + 1u, sizeof(hc_port_type *));
    if (!max_read || !t->in_type || !t->out_type) return HC_NOMEM;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (uint32_t k = 0; !g->nodes[i].removed && k < g->nodes[i].n_in; k++) {
            hc_edge e = g->nodes[i].in[k];
            if (e.port >= 0 && (uint32_t)e.port + 1 > max_read[e.node])
                max_read[e.node] = (uint32_t)e.port + 1;
        }
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const hc_node *n = &g->nodes[i];
        if (n->removed) continue;
        uint32_t no = out_ports(g, i, max_read);
        t->in_type[i] = hc_arena_array(&t->arena, n->n_in + 1u, sizeof(hc_port_type));
        t->out_type[i] = hc_arena_array(&t->arena, no + 1u, sizeof(hc_port_type));
        if (!t->in_type[i] || !t->out_type[i]) return HC_NOMEM;
        for (uint32_t k = 0; k < n->n_in; k++) {
            t->in_type[i][k] = (hc_port_type){-1, HC_DT_INVALID};
            if (n->def && n->in[k].port >= 0)
                t->in_type[i][k] = port_type(t, n, i, n->def->in, hc_node_in_arg(n, k), true, k);
        }
        for (uint32_t p = 0; p < no; p++) {
            t->out_type[i][p] = (hc_port_type){-1, HC_DT_INVALID};
            if (n->def)
                t->out_type[i][p] =
                    port_type(t, n, i, n->def->out, hc_node_out_arg(n, (int32_t)p), false, p);
        }
    }
    /* Ports of unknown ops take the dtype of the known end of each edge. */
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const hc_node *n = &g->nodes[i];
        if (n->removed) continue;
        for (uint32_t k = 0; k < n->n_in; k++) {
            hc_edge e = n->in[k];
            if (e.port < 0) continue;
            hc_port_type *in = &t->in_type[i][k], *out = &t->out_type[e.node][e.port];
            if (!n->def) in->dtype = out->dtype;
            if (!g->nodes[e.node].def && out->dtype == HC_DT_INVALID) out->dtype = in->dtype;
        }
    }
    return HC_OK;
}

static hc_status make_uses(hc_typed *t) {
    hc_graph *g = t->g;
    t->use_start = hc_arena_array(&t->arena, g->n_nodes + 2u, sizeof(uint32_t));
    if (!t->use_start) return HC_NOMEM;
    size_t total = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (uint32_t k = 0; !g->nodes[i].removed && k < g->nodes[i].n_in; k++) {
            t->use_start[g->nodes[i].in[k].node + 1]++;
            total++;
        }
    for (uint32_t i = 0; i < g->n_nodes; i++)
        t->use_start[i + 1] += t->use_start[i];
    t->uses = hc_arena_array(&t->arena, total + 1, sizeof(hc_use));
    uint32_t *fill = hc_arena_array(&t->arena, g->n_nodes + 1u, sizeof(uint32_t));
    if (!t->uses || !fill) return HC_NOMEM;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        for (uint32_t k = 0; !g->nodes[i].removed && k < g->nodes[i].n_in; k++) {
            uint32_t src = (uint32_t)g->nodes[i].in[k].node;
            t->uses[t->use_start[src] + fill[src]++] = (hc_use){(int32_t)i, k};
        }
    return HC_OK;
}

static bool is_cf(const hc_node *n) {
    return n->def && (n->def->flags & HC_OPF_CF) && (n->def->flags & HC_OPF_IDENTITY);
}

static int32_t elem_of_attr(const hc_typed *t, uint32_t node, const char *attr) {
    const hc_node *n = &t->g->nodes[node];
    const hc_op_tattr *ta = attr ? hc_op_tattr_find(n->def, hc_span_str(attr)) : NULL;
    return ta ? (int32_t)(t->elem_base[node] + (uint32_t)(ta - n->def->tattrs)) : -1;
}

/* Loop variables and TensorArray/TensorList element types. */
static void make_classes(hc_typed *t) {
    hc_graph *g = t->g;
    uint32_t hv = t->n_elems; /* handle pseudo-element of node i is hv + i */
    for (uint32_t i = 0; i < g->n_nodes; i++) {
        const hc_node *n = &g->nodes[i];
        if (n->removed || !n->def) continue;
        uint32_t f = n->def->flags;
        int32_t el = elem_of_attr(t, i, n->def->elem_attr);
        if ((f & HC_OPF_HANDLE_OUT) && el >= 0) uf_union(t->parent, hv + i, (uint32_t)el);
        for (uint32_t k = 0; k < n->n_in; k++) {
            hc_edge e = n->in[k];
            if (e.port < 0) continue;
            const hc_node *p = &g->nodes[e.node];
            hc_port_type a = t->out_type[e.node][e.port], b = t->in_type[i][k];
            if (is_cf(n) && is_cf(p) && a.elem >= 0 && b.elem >= 0)
                uf_union(t->parent, (uint32_t)a.elem, (uint32_t)b.elem);
            if (k == 0 && (f & HC_OPF_HANDLE_IN) && el >= 0)
                uf_union(t->parent, hv + (uint32_t)e.node, (uint32_t)el);
            bool handle = b.dtype == HC_DT_RESOURCE || b.dtype == HC_DT_VARIANT;
            if ((f & HC_OPF_IDENTITY) && handle) uf_union(t->parent, hv + i, hv + (uint32_t)e.node);
            if ((f & HC_OPF_HANDLE_IN) && (f & HC_OPF_HANDLE_OUT) && k == 0)
                uf_union(t->parent, hv + i, hv + (uint32_t)e.node);
        }
    }
}

hc_status hc_typed_build(hc_typed *t, hc_graph *g) {
    memset(t, 0, sizeof *t);
    t->g = g;
    hc_arena_init(&t->arena, g->ctx);
    hc_status s = make_elements(t);
    if (!s) s = make_port_types(t);
    if (!s) s = make_uses(t);
    if (!s) make_classes(t);
    return s ? (g->ctx->status ? g->ctx->status : s) : HC_OK;
}

void hc_typed_fini(hc_typed *t) {
    hc_arena_fini(&t->arena);
}
