/* paint.c - colour the class graph as TensorFlow's auto-mixed-precision pass colours nodes:
 *  1. allow-list classes are fp16;
 *  2. deny-list classes (and --keep-fp32 ones) make fp32 everything on a forward path from
 *     them through infer/clear classes that ends at an infer or deny class;
 *  3. infer/clear classes both downstream and upstream of fp16 classes become fp16 (no casts
 *     between two fp16 ops);
 *  4. clear classes joined to fp16 classes through clear classes become fp16.
 * Pinned classes never become fp16. Every class ends with a reason. */
#include "plan/plan.h"

typedef bool (*enter_fn)(hc_plan *p, uint32_t c, const void *arg);

/* Iterative DFS from root over forward (dir 1), backward (dir 2) or both (3) edges, visiting
 * classes for which enter() holds; visited classes get mark = true. */
static void dfs(hc_plan *p, uint32_t *stack, uint32_t root, int dir, enter_fn enter,
                const void *arg, void (*visit)(hc_plan *, uint32_t, uint32_t)) {
    size_t top = 0;
    stack[top++] = root;
    while (top) {
        uint32_t c = stack[--top];
        for (int d = 1; d <= 2; d++) {
            if (!(dir & d)) continue;
            const uint32_t *start = d == 1 ? p->fwd_start : p->bwd_start;
            const uint32_t *adj = d == 1 ? p->fwd : p->bwd;
            for (uint32_t k = start[c]; k < start[c + 1]; k++) {
                uint32_t n = adj[k];
                if (p->cls[n].mark || !enter(p, n, arg)) continue;
                p->cls[n].mark = true;
                if (visit) visit(p, c, n);
                stack[top++] = n;
            }
        }
    }
}

static void clear_marks(hc_plan *p) {
    for (uint32_t c = 0; c < p->n_classes; c++)
        p->cls[c].mark = false;
}

static bool is_infer_or_clear(const hc_class *k) {
    return k->kind == HC_OPCLS_INFER || k->kind == HC_OPCLS_CLEAR;
}

/* Step 2. U = infer/deny classes plus clear classes upstream of them through clear classes. */
static bool enter_clear_up(hc_plan *p, uint32_t c, const void *arg) {
    (void)arg;
    return p->cls[c].kind == HC_OPCLS_CLEAR;
}

static bool enter_in_set(hc_plan *p, uint32_t c, const void *set) {
    return ((const uint8_t *)set)[c] && !p->cls[c].in_deny;
}

static void visit_deny(hc_plan *p, uint32_t from, uint32_t c) {
    hc_class *k = &p->cls[c];
    k->in_deny = true;
    k->origin = p->cls[from].origin;
    if (!k->pinned && !k->deny_src) { /* a deny op keeps its own, more telling reason */
        const hc_class *src = &p->cls[k->origin];
        k->reason = hc_arena_printf(&p->arena, "downstream of '%s', which is fp32 (%s)",
                                    hc_node_cname(&p->g, &p->g.nodes[src->first_node]),
                                    src->reason ? src->reason : "deny list");
    }
}

static void paint_deny(hc_plan *p, uint32_t *stack) {
    uint8_t *u = hc_arena_array(&p->arena, p->n_classes + 1u, 1);
    if (!u) return;
    /* One search from all infer/deny classes at once: U is the union of what each reaches. */
    clear_marks(p);
    for (uint32_t c = 0; c < p->n_classes; c++) {
        hc_opcls kd = p->cls[c].kind;
        p->cls[c].mark = kd == HC_OPCLS_INFER || kd == HC_OPCLS_DENY || p->cls[c].deny_src;
    }
    for (uint32_t c = 0; c < p->n_classes; c++) {
        hc_opcls kd = p->cls[c].kind;
        if (kd == HC_OPCLS_INFER || kd == HC_OPCLS_DENY || p->cls[c].deny_src)
            dfs(p, stack, c, 2, enter_clear_up, NULL, NULL);
    }
    for (uint32_t k = 0; k < p->n_classes; k++)
        u[k] = p->cls[k].mark;
    clear_marks(p);
    for (uint32_t c = 0; c < p->n_classes; c++) {
        if (!p->cls[c].deny_src) continue;
        p->cls[c].in_deny = true;
        p->cls[c].origin = c;
        dfs(p, stack, c, 1, enter_in_set, u, visit_deny);
    }
}

/* Step 3. */
static bool enter_down_of_allow(hc_plan *p, uint32_t c, const void *arg) {
    (void)arg;
    const hc_class *k = &p->cls[c];
    return is_infer_or_clear(k) && !k->in_deny && !k->pinned;
}

static bool enter_between(hc_plan *p, uint32_t c, const void *down) {
    const hc_class *k = &p->cls[c];
    return ((const uint8_t *)down)[c] && !k->in_deny && !k->in_allow && !k->pinned;
}

static void visit_allow(hc_plan *p, uint32_t from, uint32_t c) {
    (void)from;
    p->cls[c].in_allow = true;
}

static void paint_between(hc_plan *p, uint32_t *stack) {
    uint8_t *down = hc_arena_array(&p->arena, p->n_classes + 1u, 1);
    if (!down) return;
    clear_marks(p);
    for (uint32_t c = 0; c < p->n_classes; c++)
        if (p->cls[c].in_allow) dfs(p, stack, c, 1, enter_down_of_allow, NULL, NULL);
    for (uint32_t c = 0; c < p->n_classes; c++)
        down[c] = p->cls[c].mark;
    clear_marks(p);
    for (uint32_t c = 0; c < p->n_classes; c++) {
        if (p->cls[c].in_allow) dfs(p, stack, c, 2, enter_between, down, visit_allow);
    }
}

/* Step 4. */
static bool enter_clear(hc_plan *p, uint32_t c, const void *arg) {
    (void)arg;
    const hc_class *k = &p->cls[c];
    return k->kind == HC_OPCLS_CLEAR && !k->in_deny && !k->in_allow && !k->pinned;
}

static void paint_clear(hc_plan *p, uint32_t *stack) {
    clear_marks(p);
    for (uint32_t c = 0; c < p->n_classes; c++)
        if (p->cls[c].in_allow) dfs(p, stack, c, 3, enter_clear, NULL, visit_allow);
}

static const char *fp32_reason(const hc_class *k) {
    switch (k->kind) {
    case HC_OPCLS_INFER:
        return "not between fp16 compute (infer list: fp16 only when fed by fp16 compute and "
               "feeding it)";
    case HC_OPCLS_CLEAR:
        return "no fp16 neighbour (clear list: follows the ops around it)";
    default:
        return "kept fp32";
    }
}

static const char *fp16_reason(const hc_class *k) {
    switch (k->kind) {
    case HC_OPCLS_ALLOW:
        return "allow list: fp16 compute (conv, matmul)";
    case HC_OPCLS_INFER:
        return "between fp16 compute (infer list)";
    default:
        return "follows fp16 neighbours (clear list)";
    }
}

/* Storage-only: constants become fp16, everything that computes stays fp32. */
static void decide_storage_only(hc_plan *p) {
    for (uint32_t c = 0; c < p->n_classes; c++) {
        hc_class *k = &p->cls[c];
        const hc_node *n = &p->g.nodes[k->first_node];
        bool is_const = n->def && (n->def->flags & HC_OPF_CONST);
        k->decision = is_const && !k->pinned ? HC_CLS_FP16 : HC_CLS_FP32;
        if (!k->reason)
            k->reason =
                is_const ? "storage-only: weights stored fp16" : "storage-only: compute stays fp32";
    }
}

/* With --io fp16 the graph's inputs and outputs are fp16 endpoints: ops between them and fp16
 * compute become fp16 too (step 3), so no cast is left at the boundary unless an op needs
 * fp32 for a reason of its own. */
static void seed_io(hc_plan *p) {
    for (uint32_t i = 0; i < p->g.n_nodes; i++) {
        const hc_node *n = &p->g.nodes[i];
        if (n->removed || !n->def) continue;
        bool in = hc_span_eq_str(n->op, "Placeholder");
        if (!in && !p->is_output[i]) continue;
        uint32_t c = hc_plan_class_of(p, p->t.out_type[i][0].elem);
        if (c == UINT32_MAX || p->cls[c].pinned || p->cls[c].kind == HC_OPCLS_DENY) continue;
        p->cls[c].in_allow = true;
    }
}

void hc_plan_paint(hc_plan *p) {
    if (p->opts.storage_only) {
        decide_storage_only(p);
        return;
    }
    uint32_t *stack = hc_arena_array(&p->arena, p->n_classes + 1u, sizeof(uint32_t));
    if (!stack) return;
    for (uint32_t c = 0; c < p->n_classes; c++)
        p->cls[c].in_allow = p->cls[c].kind == HC_OPCLS_ALLOW && !p->cls[c].pinned;
    if (p->opts.io_fp16) seed_io(p);
    paint_deny(p, stack);
    for (uint32_t c = 0; c < p->n_classes; c++)
        if (p->cls[c].in_deny) p->cls[c].in_allow = false;
    paint_between(p, stack);
    paint_clear(p, stack);
    for (uint32_t c = 0; c < p->n_classes; c++) {
        hc_class *k = &p->cls[c];
        k->decision = k->in_allow && !k->pinned ? HC_CLS_FP16 : HC_CLS_FP32;
        if (k->decision == HC_CLS_FP16)
            k->reason = fp16_reason(k);
        else if (!k->reason)
            k->reason = fp32_reason(k);
    }
}
