/* run.c - the scheduler: TF1 dataflow semantics on one thread (kernels use the pool inside).
 * A ready node becomes a task (frame instance, iteration, node). Running it consumes its input
 * slots and delivers each output to its consumers' slots in the right frame and iteration:
 * Enter -> the child frame (iteration 0; constant Enters reach every iteration),
 * NextIteration -> the next iteration, Exit -> the parent frame. A node with a dead input is
 * dead (not run) and makes dead outputs; Switch kills its untaken port; Merge runs on its
 * first live input. A frame instance ends when all its Enters arrived and no work is left in
 * it; Exits that never saw a live value then send dead values out. */
#include "exec/exec.h"

#include "base/util.h"

#define MAX_OUT_STACK 16

static void frame_free(hc_session *s, hc_frame *f);

static hc_status push(hc_session *s, hc_frame *f, uint32_t iter, uint32_t node) {
    if (s->n_queue == s->cap_queue) {
        size_t cap = s->cap_queue ? s->cap_queue * 2 : 256;
        hc_task *q = hc_realloc(s->ctx, s->queue, s->n_queue * sizeof *q, cap * sizeof *q);
        if (!q) return HC_NOMEM;
        s->queue = q;
        s->cap_queue = cap;
    }
    s->queue[s->n_queue++] = (hc_task){f, iter, node};
    f->iters[iter]->outstanding++;
    f->outstanding++;
    return HC_OK;
}

/* Iterations a frame keeps for reuse: the root frame's arrays of a large graph are a few
 * hundred KiB, and fresh memory each run is a page fault per 4 KiB. */
#define MAX_SPARE 16

/* An iteration is one block: the hc_iter, then its arrays (the hc_val slots first and the
 * byte arrays last, so every array is aligned). */
static size_t iter_bytes(const hc_sframe *sf) {
    size_t ns = sf->n_slots + 1u, nn = sf->n_nodes + 1u;
    return sizeof(hc_iter) + ns * (sizeof(hc_val) + 1) + nn * (3 * sizeof(int32_t) + 1);
}

/* Point the arrays into the zeroed block p of iter_bytes(sf) bytes. */
static hc_iter *iter_carve(void *p, const hc_sframe *sf) {
    size_t ns = sf->n_slots + 1u, nn = sf->n_nodes + 1u;
    hc_iter *it = p;
    uint8_t *q = (uint8_t *)(it + 1);
    it->slots = (hc_val *)(void *)q;
    q += ns * sizeof(hc_val);
    it->pending = (int32_t *)(void *)q;
    it->dead = it->pending + nn;
    it->merge = it->dead + nn;
    q += nn * 3 * sizeof(int32_t);
    it->slot_dead = q;
    it->fired = q + ns;
    return it;
}

/* Ready an iteration to run: counts from the static frame, nothing dead or fired yet. Its
 * slots are empty (zero when new, released when it was retired). */
static void iter_start(hc_session *s, const hc_sframe *sf, hc_iter *it) {
    memset(it->slot_dead, 0, sf->n_slots + 1u);
    memset(it->dead, 0, (sf->n_nodes + 1u) * sizeof *it->dead);
    memset(it->fired, 0, sf->n_nodes + 1u);
    for (uint32_t l = 0; l < sf->n_nodes; l++) {
        it->pending[l] = (int32_t)s->kn[sf->nodes[l]].pending_init;
        it->merge[l] = -1;
    }
    it->outstanding = 0;
    it->children = NULL;
    it->next_spare = NULL;
}

/* A spare iteration of the frame, or a new one. */
static hc_iter *iter_alloc(hc_session *s, hc_sframe *sf) {
    hc_iter *it = sf->spare;
    if (it) {
        sf->spare = it->next_spare;
        sf->n_spare--;
    } else {
        void *p = hc_calloc(s->ctx, 1, iter_bytes(sf));
        if (!p) return NULL;
        it = iter_carve(p, sf);
    }
    iter_start(s, sf, it);
    return it;
}

hc_status hc_exec_make_root_iter(hc_session *s) {
    hc_sframe *sf = &s->frames[0];
    void *p = hc_arena_alloc(&s->arena, iter_bytes(sf));
    if (!p) return HC_NOMEM;
    hc_iter *it = iter_carve(p, sf);
    it->in_arena = true;
    it->next_spare = sf->spare;
    sf->spare = it;
    sf->n_spare++;
    return HC_OK;
}

static void iter_dealloc(hc_session *s, hc_iter *it) {
    if (!it->in_arena) hc_dealloc(s->ctx, it);
}

/* Retire an iteration: its values are released and it is kept for the frame's next one. */
static void iter_free(hc_session *s, hc_sframe *sf, hc_iter *it) {
    if (!it) return;
    for (uint32_t k = 0; k < sf->n_slots; k++)
        hc_val_release(s, &it->slots[k]);
    if (sf->n_spare >= MAX_SPARE && !it->in_arena) {
        iter_dealloc(s, it);
        return;
    }
    it->next_spare = sf->spare;
    sf->spare = it;
    sf->n_spare++;
}

void hc_exec_free_spares(hc_session *s) {
    for (uint32_t f = 0; s->frames && f < s->n_frames; f++) {
        hc_sframe *sf = &s->frames[f];
        while (sf->spare) {
            hc_iter *it = sf->spare;
            sf->spare = it->next_spare;
            iter_dealloc(s, it);
        }
        sf->n_spare = 0;
    }
}

static hc_status deliver(hc_session *s, hc_frame *f, uint32_t iter, uint32_t dst, uint32_t input,
                         bool ctrl, hc_val *v, bool dead);

/* Give iteration `iter` the loop-invariant values that already reached the frame. */
static hc_status feed_invariants(hc_session *s, hc_frame *f, uint32_t iter, uint32_t from) {
    for (uint32_t j = from; j < f->n_inv; j++) {
        const hc_knode *k = &s->kn[f->inv_nodes[j]];
        for (uint32_t e = k->out_start; e < k->out_end; e++) {
            hc_val v = f->inv_vals[j];
            hc_val_retain(&v);
            const hc_oedge *oe = &s->oedges[e];
            hc_status st = deliver(s, f, iter, oe->dst, oe->input, oe->port < 0, &v, false);
            if (st) return st;
        }
    }
    return HC_OK;
}

static hc_status get_iter(hc_session *s, hc_frame *f, uint32_t iter, hc_iter **out) {
    hc_sframe *sf = &s->frames[f->sframe];
    while (f->n_iters <= iter) {
        if (f->n_iters == f->cap_iters) {
            uint32_t cap = f->cap_iters ? f->cap_iters * 2 : 4;
            hc_iter **p = hc_realloc(s->ctx, f->iters, f->n_iters * sizeof(hc_iter *),
                                     cap * sizeof(hc_iter *));
            if (!p) return HC_NOMEM;
            f->iters = p;
            f->cap_iters = cap;
        }
        hc_iter *it = iter_alloc(s, sf);
        if (!it) return s->ctx->status ? s->ctx->status : HC_NOMEM;
        uint32_t k = f->n_iters++;
        f->iters[k] = it;
        if (k > 0) {
            hc_status st = feed_invariants(s, f, k, 0);
            if (st) return st;
        }
    }
    *out = f->iters[iter];
    return HC_OK;
}

static hc_frame *child_frame(hc_session *s, hc_frame *f, uint32_t iter, uint32_t sframe) {
    hc_iter *it = f->iters[iter];
    for (hc_frame *c = it->children; c; c = c->next_sibling)
        if (c->sframe == sframe) return c;
    hc_frame *c = hc_calloc(s->ctx, 1, sizeof *c);
    if (!c) return NULL;
    const hc_sframe *sf = &s->frames[sframe];
    c->sframe = sframe;
    c->parent = f;
    c->parent_iter = iter;
    c->pending_enters = sf->n_enters;
    c->exit_live = hc_calloc(s->ctx, sf->n_exits + 1u, 1);
    if (!c->exit_live) {
        hc_dealloc(s->ctx, c);
        return NULL;
    }
    c->next_sibling = it->children;
    it->children = c;
    f->outstanding++; /* a live child keeps its parent open */
    return c;
}

static hc_status deliver_merge(hc_session *s, hc_frame *f, uint32_t iter, hc_iter *it, uint32_t dst,
                               uint32_t input, bool ctrl, hc_val *v, bool dead) {
    const hc_knode *k = &s->kn[dst];
    uint32_t l = k->local;
    if (it->fired[l]) {
        hc_val_release(s, v);
        return HC_OK;
    }
    if (ctrl)
        it->pending[l]--;
    else if (dead)
        it->dead[l]++;
    else if (it->merge[l] < 0) {
        it->merge[l] = (int32_t)input;
        it->slots[k->in_base + input] = *v;
        memset(v, 0, sizeof *v);
    }
    hc_val_release(s, v);
    if (it->pending[l] > 0) return HC_OK;
    if (it->merge[l] < 0 && it->dead[l] < (int32_t)k->n_data) return HC_OK;
    it->fired[l] = 1;
    return push(s, f, iter, dst);
}

/* Put a value (or a dead token) into input `input` of node dst in frame f, iteration iter. */
static hc_status deliver(hc_session *s, hc_frame *f, uint32_t iter, uint32_t dst, uint32_t input,
                         bool ctrl, hc_val *v, bool dead) {
    hc_iter *it;
    hc_status st = get_iter(s, f, iter, &it);
    if (st) {
        hc_val_release(s, v);
        return st;
    }
    const hc_knode *k = &s->kn[dst];
    if (k->kind == HC_K_MERGE) return deliver_merge(s, f, iter, it, dst, input, ctrl, v, dead);
    uint32_t l = k->local;
    if (dead) {
        it->dead[l]++;
        hc_val_release(s, v);
    } else if (!ctrl) {
        hc_val_release(s, &it->slots[k->in_base + input]);
        it->slots[k->in_base + input] = *v;
        memset(v, 0, sizeof *v);
    }
    if (--it->pending[l] == 0) {
        it->fired[l] = 1;
        return push(s, f, iter, dst);
    }
    return HC_OK;
}

/* Where a node's outputs go. NULL frame: drop (dead NextIteration or dead Exit). */
static hc_status target(hc_session *s, hc_frame *f, uint32_t iter, uint32_t node, bool dead,
                        hc_frame **tf, uint32_t *titer) {
    const hc_knode *k = &s->kn[node];
    *tf = f;
    *titer = iter;
    switch (k->kind) {
    case HC_K_ENTER:
        *tf = child_frame(s, f, iter, k->child);
        *titer = 0;
        return *tf ? HC_OK : HC_NOMEM;
    case HC_K_EXIT:
        if (dead) *tf = NULL;
        *titer = f->parent_iter;
        if (!dead) {
            hc_sframe *sf = &s->frames[f->sframe];
            for (uint32_t j = 0; j < sf->n_exits; j++)
                if (sf->exits[j] == node) f->exit_live[j] = 1;
            *tf = f->parent;
        }
        return HC_OK;
    case HC_K_NEXT:
        if (dead) *tf = NULL;
        *titer = iter + 1;
        return HC_OK;
    default:
        return HC_OK;
    }
}

static hc_status remember_invariant(hc_session *s, hc_frame *c, uint32_t node, const hc_val *v) {
    if (c->n_inv == c->cap_inv) {
        uint32_t cap = c->cap_inv ? c->cap_inv * 2 : 8;
        uint32_t *nodes =
            hc_realloc(s->ctx, c->inv_nodes, c->n_inv * sizeof *nodes, cap * sizeof *nodes);
        if (!nodes) return HC_NOMEM;
        c->inv_nodes = nodes;
        hc_val *vals = hc_realloc(s->ctx, c->inv_vals, c->n_inv * sizeof *vals, cap * sizeof *vals);
        if (!vals) return HC_NOMEM;
        c->inv_vals = vals;
        c->cap_inv = cap;
    }
    c->inv_nodes[c->n_inv] = node;
    c->inv_vals[c->n_inv] = *v;
    hc_val_retain(v);
    c->n_inv++;
    /* Iterations that already exist get it too. */
    for (uint32_t k = 1; k < c->n_iters; k++) {
        const hc_knode *kn = &s->kn[node];
        for (uint32_t e = kn->out_start; e < kn->out_end; e++) {
            hc_val w = *v;
            hc_val_retain(&w);
            const hc_oedge *oe = &s->oedges[e];
            hc_status st = deliver(s, c, k, oe->dst, oe->input, oe->port < 0, &w, false);
            if (st) return st;
        }
    }
    return HC_OK;
}

/* Send a node's outputs along its out edges. out[] values are consumed. */
static hc_status propagate(hc_session *s, hc_frame *f, uint32_t iter, uint32_t node, hc_val *out,
                           const uint8_t *port_dead, bool dead) {
    const hc_knode *k = &s->kn[node];
    hc_frame *tf;
    uint32_t titer;
    hc_status st = target(s, f, iter, node, dead, &tf, &titer);
    if (st || !tf) return st;
    if (k->kind == HC_K_ENTER) {
        tf->pending_enters--;
        if (k->constant_enter && !dead && (st = remember_invariant(s, tf, node, &out[0])))
            return st;
    }
    for (uint32_t e = k->out_start; e < k->out_end; e++) {
        const hc_oedge *oe = &s->oedges[e];
        bool ctrl = oe->port < 0;
        bool d = dead || (!ctrl && port_dead && port_dead[oe->port]);
        hc_val v = {0};
        if (!ctrl && !d) {
            v = out[oe->port];
            hc_val_retain(&v);
        }
        if ((st = deliver(s, tf, titer, oe->dst, oe->input, ctrl, &v, d))) return st;
    }
    return HC_OK;
}

static void take_fetches(hc_session *s, hc_frame *f, uint32_t node, hc_val *out, bool dead) {
    /* An Exit runs in its loop's frame but its output lives in the parent's. */
    hc_frame *of = s->kn[node].kind == HC_K_EXIT ? f->parent : f;
    if (of != s->root || dead) return;
    for (size_t j = 0; j < s->n_outputs; j++) {
        hc_fetch *o = &s->outputs[j];
        if (o->node != (int32_t)node) continue;
        hc_val_release(s, &o->val);
        o->val = out[o->port];
        hc_val_retain(&o->val);
        o->got = true;
    }
}

/* Run the node's work: control-flow kinds here, everything else through its kernel. */
static hc_status execute(hc_session *s, hc_task t, hc_iter *it, hc_val *in, hc_val *out,
                         uint8_t *port_dead) {
    const hc_knode *k = &s->kn[t.node];
    switch (k->kind) {
    case HC_K_CONST: /* a folded one owns a buffer: the run takes its own reference */
        out[0] = k->value;
        hc_val_retain(&out[0]);
        return HC_OK;
    case HC_K_PLACEHOLDER:
        out[0] = s->inputs[k->feed].val;
        return HC_OK;
    case HC_K_ENTER:
    case HC_K_EXIT:
    case HC_K_NEXT:
    case HC_K_FORWARD:
        out[0] = in[0];
        memset(&in[0], 0, sizeof in[0]);
        return HC_OK;
    case HC_K_SWITCH: {
        if (!in[1].data || hc_val_elems(&in[1]) != 1 || in[1].dtype != HC_DT_BOOL)
            return hc_fail_n(s->ctx, HC_INVALID, s->g->nodes[t.node].name.p,
                             s->g->nodes[t.node].name.n, "Switch predicate is not a bool scalar");
        int taken = *(const uint8_t *)in[1].data ? 1 : 0;
        out[taken] = in[0];
        memset(&in[0], 0, sizeof in[0]);
        port_dead[1 - taken] = 1;
        return HC_OK;
    }
    case HC_K_MERGE: {
        int32_t idx = it->merge[k->local];
        out[0] = in[idx];
        memset(&in[idx], 0, sizeof in[idx]);
        hc_rtbuf *b = hc_rtbuf_new(s, 4);
        if (!b) return s->ctx->status;
        out[1] = (hc_val){.dtype = HC_DT_INT32, .rank = 0, .buf = b, .data = hc_rtbuf_data(b)};
        memcpy(out[1].data, &idx, 4);
        return HC_OK;
    }
    case HC_K_NOOP:
        return HC_OK;
    default:
        break;
    }
    const hc_node *n = &s->g->nodes[t.node];
    hc_kernel_ctx kc = {s,
                        s->ctx,
                        n,
                        k->state,
                        k->n_data,
                        in,
                        (uint32_t)k->n_out,
                        out,
                        hc_ctx_pool(s->ctx),
                        &s->ctx->cpu,
                        k->epi};
    return k->k->run(&kc);
}

/* Merge reads its inputs by index, so its data inputs keep their positions. */
static void gather(hc_session *s, const hc_knode *k, hc_iter *it, const hc_node *n, hc_val *in) {
    uint32_t j = 0;
    for (uint32_t i = 0; i < k->n_in; i++) { /* a folded node has none left */
        if (n->in[i].port < 0) continue;
        in[j++] = it->slots[k->in_base + i];
        memset(&it->slots[k->in_base + i], 0, sizeof(hc_val));
    }
    (void)s;
}

static hc_status run_task(hc_session *s, hc_task t) {
    const hc_knode *k = &s->kn[t.node];
    const hc_node *n = &s->g->nodes[t.node];
    hc_iter *it = t.f->iters[t.iter];
    bool dead = k->kind == HC_K_MERGE ? it->merge[k->local] < 0 : it->dead[k->local] > 0;
    uint32_t n_out = k->n_out > 0 ? (uint32_t)k->n_out : 0;
    if (k->kind == HC_K_MERGE) n_out = 2;
    hc_val in_stack[MAX_OUT_STACK], out_stack[MAX_OUT_STACK];
    uint8_t dead_stack[MAX_OUT_STACK] = {0};
    hc_val *in = n->n_in <= MAX_OUT_STACK ? in_stack : hc_calloc(s->ctx, n->n_in, sizeof *in);
    hc_val *out = n_out <= MAX_OUT_STACK ? out_stack : hc_calloc(s->ctx, n_out, sizeof *out);
    uint8_t *pd = n_out <= MAX_OUT_STACK ? dead_stack : hc_calloc(s->ctx, n_out, 1);
    hc_status st = in && out && pd ? HC_OK : HC_NOMEM;
    if (!st) {
        memset(in, 0, (n->n_in ? n->n_in : 1) * sizeof *in);
        memset(out, 0, (n_out ? n_out : 1) * sizeof *out);
        gather(s, k, it, n, in);
        if (!dead) st = execute(s, t, it, in, out, pd);
        if (!dead && !st) s->nodes_run++;
    }
    if (!st) take_fetches(s, t.f, t.node, out, dead);
    if (!st) st = propagate(s, t.f, t.iter, t.node, out, pd, dead);
    for (uint32_t j = 0; in && j < k->n_data; j++)
        hc_val_release(s, &in[j]);
    for (uint32_t j = 0; out && j < n_out; j++)
        hc_val_release(s, &out[j]);
    if (in != in_stack) hc_dealloc(s->ctx, in);
    if (out != out_stack) hc_dealloc(s->ctx, out);
    if (pd != dead_stack) hc_dealloc(s->ctx, pd);
    return st;
}

/* Dead values for Exits that never saw a live one, then the frame goes. */
static hc_status finish_frames(hc_session *s, hc_frame *f) {
    while (f != s->root && f->outstanding == 0 && f->pending_enters == 0) {
        hc_sframe *sf = &s->frames[f->sframe];
        hc_frame *parent = f->parent;
        uint32_t piter = f->parent_iter;
        for (uint32_t j = 0; j < sf->n_exits; j++) {
            if (f->exit_live[j]) continue;
            const hc_knode *k = &s->kn[sf->exits[j]];
            for (uint32_t e = k->out_start; e < k->out_end; e++) {
                hc_val v = {0};
                const hc_oedge *oe = &s->oedges[e];
                hc_status st =
                    deliver(s, parent, piter, oe->dst, oe->input, oe->port < 0, &v, true);
                if (st) return st;
            }
        }
        hc_iter *pit = parent->iters[piter];
        for (hc_frame **pp = &pit->children; *pp; pp = &(*pp)->next_sibling)
            if (*pp == f) {
                *pp = f->next_sibling;
                break;
            }
        frame_free(s, f);
        parent->outstanding--;
        f = parent;
    }
    return HC_OK;
}

static void frame_free(hc_session *s, hc_frame *f) {
    hc_sframe *sf = &s->frames[f->sframe];
    for (uint32_t k = 0; k < f->n_iters; k++) {
        hc_frame *c = f->iters[k]->children;
        while (c) {
            hc_frame *next = c->next_sibling;
            frame_free(s, c);
            c = next;
        }
        iter_free(s, sf, f->iters[k]);
    }
    for (uint32_t j = 0; j < f->n_inv; j++)
        hc_val_release(s, &f->inv_vals[j]);
    hc_dealloc(s->ctx, f->inv_vals);
    hc_dealloc(s->ctx, f->inv_nodes);
    hc_dealloc(s->ctx, f->iters);
    hc_dealloc(s->ctx, f->exit_live);
    hc_dealloc(s->ctx, f);
}

void hc_exec_reset(hc_session *s) {
    if (s->root) frame_free(s, s->root);
    s->root = NULL;
    s->n_queue = 0;
}

static hc_status start(hc_session *s) {
    hc_exec_reset(s);
    s->root = hc_calloc(s->ctx, 1, sizeof *s->root);
    if (!s->root) return HC_NOMEM;
    s->root->exit_live = hc_calloc(s->ctx, 1, 1);
    hc_iter *it;
    hc_status st = s->root->exit_live ? get_iter(s, s->root, 0, &it) : HC_NOMEM;
    const hc_sframe *sf = &s->frames[0];
    for (uint32_t j = 0; !st && j < sf->n_sources; j++) {
        it->fired[s->kn[sf->sources[j]].local] = 1;
        st = push(s, s->root, 0, sf->sources[j]);
    }
    return st;
}

hc_status hc_exec_run(hc_session *s) {
    for (size_t j = 0; j < s->n_outputs; j++) {
        hc_val_release(s, &s->outputs[j].val);
        s->outputs[j].got = false;
    }
    hc_status st = start(s);
    while (!st && s->n_queue) {
        hc_task t = s->queue[--s->n_queue];
        st = run_task(s, t);
        t.f->iters[t.iter]->outstanding--;
        t.f->outstanding--;
        if (!st) st = finish_frames(s, t.f);
    }
    hc_exec_reset(s);
    if (st) return st;
    for (size_t j = 0; j < s->n_outputs; j++)
        if (!s->outputs[j].got)
            return hc_fail(s->ctx, HC_UNSUPPORTED, s->outputs[j].name,
                           "output was not computed (a dead branch, or an input never arrived)");
    return HC_OK;
}
