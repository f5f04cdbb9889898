/* plan.c - planner set-up: the private graph copy, pruning to --outputs, float classes,
 * the pins that keep classes fp32 (each with its reason), and the class graph. */
#include "plan/plan.h"
#include "fmt/graphdef/graphdef.h"

#include <math.h>
#include <stdio.h>

uint32_t hc_plan_class_of(const hc_plan *p, int32_t elem) {
    return elem >= 0 ? p->class_of[elem] : UINT32_MAX;
}

void hc_plan_pin(hc_plan *p, uint32_t c, bool deny_src, const char *reason) {
    if (c == UINT32_MAX) return;
    hc_class *k = &p->cls[c];
    if (!k->reason) k->reason = reason; /* the first reason wins: it is the root cause */
    k->pinned = true;
    k->deny_src |= deny_src;
}

static const char *node_name(hc_plan *p, int32_t i) {
    return hc_node_cname(&p->g, &p->g.nodes[i]);
}

/* --outputs: keep only what the named outputs need (data and control inputs). */
static hc_status prune(hc_plan *p) {
    hc_graph *g = &p->g;
    uint8_t *keep = hc_arena_array(&p->arena, g->n_nodes + 1u, 1);
    int32_t *stack = hc_arena_array(&p->arena, g->n_nodes + 1u, sizeof(int32_t));
    if (!keep || !stack) return HC_NOMEM;
    size_t top = 0;
    for (size_t i = 0; i < p->opts.n_outputs; i++) {
        const char *name = p->opts.outputs[i];
        const char *colon = strrchr(name, ':');
        size_t len = colon ? (size_t)(colon - name) : strlen(name);
        int32_t n = hc_graph_find(g, hc_span_of(name, len));
        if (n < 0) return hc_fail(p->ctx, HC_NOT_FOUND, name, "--outputs names no node");
        if (!keep[n]) stack[top++] = n;
        keep[n] = 1;
        p->is_output[n] = 1;
    }
    while (top) {
        const hc_node *n = &g->nodes[stack[--top]];
        for (uint32_t k = 0; k < n->n_in; k++)
            if (!keep[n->in[k].node]) {
                keep[n->in[k].node] = 1;
                stack[top++] = n->in[k].node;
            }
    }
    for (uint32_t i = 0; i < g->n_nodes; i++)
        g->nodes[i].removed = !keep[i];
    return HC_OK;
}

static hc_opcls stricter(hc_opcls a, hc_opcls b) {
    static const int rank[] = {[HC_OPCLS_NONE] = 0,
                               [HC_OPCLS_ALLOW] = 1,
                               [HC_OPCLS_CLEAR] = 2,
                               [HC_OPCLS_INFER] = 3,
                               [HC_OPCLS_DENY] = 4};
    return rank[a] >= rank[b] ? a : b;
}

static hc_status make_classes(hc_plan *p) {
    hc_typed *t = &p->t;
    p->class_of = hc_arena_array(&p->arena, t->n_elems + 1u, sizeof(uint32_t));
    uint32_t *dense = hc_arena_array(&p->arena, t->n_elems + 1u, sizeof(uint32_t));
    if (!p->class_of || !dense) return HC_NOMEM;
    for (uint32_t e = 0; e <= t->n_elems; e++)
        dense[e] = p->class_of[e] = UINT32_MAX;
    uint32_t n = 0;
    for (uint32_t e = 0; e < t->n_elems; e++) {
        if (t->elem_dtype[e] != HC_DT_FLOAT) continue;
        uint32_t r = hc_typed_class(t, e);
        if (r >= t->n_elems) continue; /* joined only to a handle: cannot happen for floats */
        if (dense[r] == UINT32_MAX) dense[r] = n++;
        p->class_of[e] = dense[r];
    }
    p->n_classes = n;
    p->cls = hc_arena_array(&p->arena, n + 1u, sizeof(hc_class));
    if (!p->cls) return HC_NOMEM;
    for (uint32_t e = 0; e < t->n_elems; e++) {
        uint32_t c = p->class_of[e];
        if (c == UINT32_MAX) continue;
        hc_class *k = &p->cls[c];
        const hc_node *node = &p->g.nodes[t->elem_node[e]];
        if (k->kind == HC_OPCLS_NONE) {
            k->root = e;
            k->first_node = t->elem_node[e];
        }
        hc_opcls cls = node->def->cls == HC_OPCLS_NONE ? HC_OPCLS_CLEAR : node->def->cls;
        k->kind = stricter(k->kind, cls);
    }
    return HC_OK;
}

static void mask_names(uint32_t mask, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
    for (int dt = 1; dt < HC_DT_COUNT && n + 1 < cap; dt++) {
        if (!(mask & HC_DTM(dt))) continue;
        int k = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", hc_dtype_name((hc_dtype)dt));
        n += k > 0 ? (size_t)k : 0;
    }
}

/* Pins that come from the op table: no fp16 variant, or a deny-list op. */
static void pin_from_ops(hc_plan *p) {
    hc_typed *t = &p->t;
    for (uint32_t e = 0; e < t->n_elems; e++) {
        uint32_t c = p->class_of[e];
        if (c == UINT32_MAX) continue;
        const hc_node *n = &p->g.nodes[t->elem_node[e]];
        const hc_op_tattr *ta = hc_typed_elem_tattr(t, e);
        if (!hc_typed_elem_allows_half(t, e)) {
            char allowed[160];
            mask_names(ta->allowed, allowed, sizeof allowed);
            hc_plan_pin(p, c, false,
                        hc_arena_printf(&p->arena, "%s has no fp16 variant (%s allows %s)",
                                        n->def->name, ta->name, allowed));
        }
        if (n->def->cls == HC_OPCLS_DENY) {
            hc_class *k = &p->cls[c];
            k->deny_src = true;
            if (!k->reason)
                k->reason =
                    n->def->reason
                        ? hc_arena_printf(&p->arena, "%s: %s", n->def->name, n->def->reason)
                        : hc_arena_printf(&p->arena, "%s is on the fp32 list", n->def->name);
        }
    }
}

static const char *keep_match(const hc_plan *p, const hc_node *n) {
    for (size_t i = 0; i < p->opts.n_keep_fp32; i++) {
        const char *pat = p->opts.keep_fp32[i];
        if (hc_span_eq_str(n->op, pat) || hc_span_eq_str(n->name, pat) ||
            hc_glob_match(pat, (const char *)n->name.p, n->name.n))
            return pat;
    }
    return NULL;
}

static void pin_node(hc_plan *p, int32_t i, bool deny_src, const char *reason) {
    const hc_node *n = &p->g.nodes[i];
    int k = 0;
    while (n->def && k < HC_OP_MAX_TATTRS && n->def->tattrs[k].name) {
        hc_plan_pin(p, hc_plan_class_of(p, (int32_t)(p->t.elem_base[i] + (uint32_t)k)), deny_src,
                    reason);
        k++;
    }
}

/* --keep-fp32, graph inputs and graph outputs. */
static void pin_user_and_io(hc_plan *p) {
    for (uint32_t i = 0; i < p->g.n_nodes; i++) {
        const hc_node *n = &p->g.nodes[i];
        if (n->removed || !n->def) continue;
        const char *pat = keep_match(p, n);
        if (pat)
            pin_node(p, (int32_t)i, true,
                     hc_arena_printf(&p->arena, "kept fp32 by --keep-fp32 '%s'", pat));
        if (p->opts.io_fp16) continue;
        if (hc_span_eq_str(n->op, "Placeholder"))
            pin_node(p, (int32_t)i, false, "graph input keeps its dtype (use --io fp16 to change)");
        if (p->is_output[i]) {
            hc_port_type pt = p->t.out_type[i][0];
            hc_plan_pin(p, hc_plan_class_of(p, pt.elem), false,
                        "graph output keeps its dtype (use --io fp16 to change)");
        }
    }
}

typedef struct const_facts {
    float max_abs;
    bool integral;    /* every value a whole number */
    size_t underflow; /* nonzero values that become zero in fp16 */
    size_t count;
} const_facts;

static bool float_const_facts(hc_plan *p, const hc_node *n, const_facts *f) {
    const hc_attr *v = hc_node_attr(n, "value");
    if (!v || v->kind != HC_ATTR_TENSOR || v->u.tensor->dtype != HC_DT_FLOAT) return false;
    const void *data;
    size_t count;
    if (hc_tensor_values(p->ctx, &p->arena, v->u.tensor, &data, &count) != HC_OK) {
        hc_ctx_clear(p->ctx); /* a broken constant is reported by check, not here */
        return false;
    }
    memset(f, 0, sizeof *f);
    f->integral = true;
    f->count = count;
    size_t shown = v->u.tensor->enc == HC_ENC_VALUES ? HC_MIN(count, v->u.tensor->n_vals) : count;
    for (size_t i = 0; i < shown; i++) {
        float x = hc_ld_f32((const uint8_t *)data + 4 * i), a = fabsf(x);
        if (!isfinite(x)) continue;
        if (a > f->max_abs) f->max_abs = a;
        if (f->integral && x != floorf(x)) f->integral = false;
        if (a != 0.0f && a < HC_F16_MIN_SUBNORMAL * 0.5f) f->underflow++;
    }
    return true;
}

/* Storage-only stores constants of at least this many values in fp16. */
#define HC_STORAGE_MIN_VALUES 64

/* Constants fp16 cannot hold keep their consumers fp32. */
static void pin_constants(hc_plan *p) {
    hc_typed *t = &p->t;
    for (uint32_t i = 0; i < p->g.n_nodes; i++) {
        const hc_node *n = &p->g.nodes[i];
        const_facts f;
        if (n->removed || !n->def || !(n->def->flags & HC_OPF_CONST)) continue;
        if (!float_const_facts(p, n, &f)) continue;
        const char *why = NULL;
        if (f.max_abs > HC_F16_MAX)
            why = hc_arena_printf(&p->arena,
                                  "reads constant '%s' holding values up to %g, beyond "
                                  "fp16's largest 65504",
                                  node_name(p, (int32_t)i), f.max_abs);
        else if (f.integral && f.max_abs > 2048.0f)
            why = hc_arena_printf(&p->arena,
                                  "reads constant '%s' holding whole numbers up to %g;"
                                  " fp16 is exact only up to 2048",
                                  node_name(p, (int32_t)i), f.max_abs);
        else if (f.underflow && f.count <= 64)
            why = hc_arena_printf(&p->arena,
                                  "reads constant '%s' with %zu values below fp16's "
                                  "smallest (6e-8) that would become zero",
                                  node_name(p, (int32_t)i), f.underflow);
        if (!why && p->opts.storage_only && f.count < HC_STORAGE_MIN_VALUES) {
            pin_node(p, (int32_t)i, false,
                     "storage-only: small constant stays fp32 (nothing to save; a rounded "
                     "scalar such as a quantization range shifts every value made from it)");
            continue;
        }
        if (!why) continue;
        pin_node(p, (int32_t)i, false, why);
        for (uint32_t u = t->use_start[i]; u < t->use_start[i + 1]; u++) {
            hc_use use = t->uses[u];
            hc_plan_pin(p, hc_plan_class_of(p, t->in_type[use.node][use.input].elem), false, why);
        }
    }
}

/* Class graph: an edge A -> B for every data edge from a port of class A to one of B. */
static hc_status make_adjacency(hc_plan *p) {
    hc_graph *g = &p->g;
    uint32_t nc = p->n_classes;
    p->fwd_start = hc_arena_array(&p->arena, nc + 2u, sizeof(uint32_t));
    p->bwd_start = hc_arena_array(&p->arena, nc + 2u, sizeof(uint32_t));
    if (!p->fwd_start || !p->bwd_start) return HC_NOMEM;
    size_t m = 0;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t *fill_f = NULL, *fill_b = NULL;
        if (pass) {
            for (uint32_t c = 0; c < nc; c++) {
                p->fwd_start[c + 1] += p->fwd_start[c];
                p->bwd_start[c + 1] += p->bwd_start[c];
            }
            p->fwd = hc_arena_array(&p->arena, m + 1, sizeof(uint32_t));
            p->bwd = hc_arena_array(&p->arena, m + 1, sizeof(uint32_t));
            fill_f = hc_arena_array(&p->arena, nc + 1u, sizeof(uint32_t));
            fill_b = hc_arena_array(&p->arena, nc + 1u, sizeof(uint32_t));
            if (!p->fwd || !p->bwd || !fill_f || !fill_b) return HC_NOMEM;
        }
        for (uint32_t i = 0; i < g->n_nodes; i++) {
            const hc_node *n = &g->nodes[i];
            for (uint32_t k = 0; !n->removed && k < n->n_in; k++) {
                if (n->in[k].port < 0) continue;
                uint32_t a = hc_plan_class_of(p, p->t.out_type[n->in[k].node][n->in[k].port].elem);
                uint32_t b = hc_plan_class_of(p, p->t.in_type[i][k].elem);
                if (a == UINT32_MAX || b == UINT32_MAX || a == b) continue;
                if (!pass) {
                    p->fwd_start[a + 1]++;
                    p->bwd_start[b + 1]++;
                    m++;
                } else {
                    p->fwd[p->fwd_start[a] + fill_f[a]++] = b;
                    p->bwd[p->bwd_start[b] + fill_b[b]++] = a;
                }
            }
        }
    }
    return HC_OK;
}

hc_status hc_plan_build(hc_plan *p, const hc_model *m, const hc_convert_options *opts) {
    p->ctx = m->ctx;
    p->opts = *opts;
    hc_arena_init(&p->arena, p->ctx);
    hc_graph_init(&p->g, p->ctx);
    hc_status s = hc_graphdef_read(&p->g, m->bytes);
    if (s) return s;
    p->is_output = hc_arena_array(&p->arena, p->g.n_nodes + 1u, 1);
    if (!p->is_output) return HC_NOMEM;
    if (p->g.n_nodes == 0) return hc_fail(p->ctx, HC_MALFORMED, NULL, "the graph has no nodes");
    int32_t cyc = hc_graph_find_cycle(&p->g, &p->arena);
    if (cyc == -2) return HC_NOMEM;
    if (cyc >= 0)
        return hc_fail_n(p->ctx, HC_MALFORMED, p->g.nodes[cyc].name.p, p->g.nodes[cyc].name.n,
                         "is on a cycle that does not pass through a NextIteration");
    if (opts->n_outputs) {
        if ((s = prune(p))) return s;
    } else {
        for (size_t i = 0; i < m->n_outputs; i++)
            p->is_output[m->outputs[i].node] = 1;
    }
    if ((s = hc_typed_build(&p->t, &p->g))) return s;
    if ((s = make_classes(p))) return s;
    pin_from_ops(p);
    pin_user_and_io(p);
    pin_constants(p);
    if ((s = make_adjacency(p))) return s;
    return p->ctx->status;
}

hc_dtype hc_plan_port_dtype(const hc_plan *p, hc_port_type pt) {
    uint32_t c = hc_plan_class_of(p, pt.elem);
    if (c != UINT32_MAX && p->cls[c].decision == HC_CLS_FP16) return HC_DT_HALF;
    return pt.dtype;
}
