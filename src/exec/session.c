/* session.c - the public session API: prepare a model, set inputs, run, read outputs. */
#include "exec/exec.h"

#include <stdio.h>
#include <stdlib.h>

static hc_status add_outputs(hc_session *s, const hc_session_options *o) {
    const hc_model *m = s->m;
    size_t n = o && o->n_outputs ? o->n_outputs : m->n_outputs;
    s->outputs = hc_arena_array(&s->arena, n + 1, sizeof(hc_fetch));
    if (!s->outputs) return HC_NOMEM;
    s->n_outputs = n;
    for (size_t i = 0; i < n; i++) {
        hc_fetch *f = &s->outputs[i];
        if (!(o && o->n_outputs)) {
            f->node = m->outputs[i].node;
            f->port = m->outputs[i].port;
            f->name = m->outputs[i].name;
            continue;
        }
        const char *name = o->outputs[i];
        const char *colon = strrchr(name, ':');
        size_t len = colon ? (size_t)(colon - name) : strlen(name);
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (colon && (end == colon + 1 || *end || port > 65535)) port = -1;
        f->port = (int32_t)port;
        f->node = hc_graph_find(s->g, hc_span_of(name, len));
        f->name = hc_arena_strndup(&s->arena, name, strlen(name));
        if (f->node < 0) return hc_fail(s->ctx, HC_NOT_FOUND, name, "no such output node");
        if (f->port < 0 ||
            (s->g->nodes[f->node].n_out >= 0 && f->port >= s->g->nodes[f->node].n_out))
            return hc_fail(s->ctx, HC_NOT_FOUND, name, "no such output port");
    }
    return HC_OK;
}

static hc_status add_inputs(hc_session *s) {
    const hc_model *m = s->m;
    s->inputs = hc_arena_array(&s->arena, m->n_inputs + 1, sizeof(hc_feed));
    if (!s->inputs) return HC_NOMEM;
    s->n_inputs = m->n_inputs;
    for (size_t i = 0; i < m->n_inputs; i++) {
        s->inputs[i].node = m->inputs[i].node;
        s->inputs[i].name = m->inputs[i].name;
        s->inputs[i].dtype = m->inputs[i].dtype;
        s->inputs[i].shape = m->inputs[i].shape;
    }
    return HC_OK;
}

void hc_session_free(hc_session *s) {
    if (!s) return;
    hc_exec_reset(s);
    hc_exec_free_spares(s);
    for (size_t i = 0; i < s->n_outputs; i++)
        hc_val_release(s, &s->outputs[i].val);
    hc_exec_unfold(s);
    hc_exec_free_buffers(s);
    hc_dealloc(s->ctx, s->queue);
    hc_ctx *ctx = s->ctx;
    hc_arena_fini(&s->arena);
    hc_dealloc(ctx, s);
}

hc_status hc_session_new(hc_ctx *ctx, const hc_model *m, const hc_session_options *opts,
                         hc_session **out) {
    *out = NULL;
    hc_session *s = hc_calloc(ctx, 1, sizeof *s);
    if (!s) return HC_NOMEM;
    s->ctx = ctx;
    s->m = m;
    s->g = &m->g;
    hc_arena_init(&s->arena, ctx);
    const char *saved = ctx->file;
    if (m->path) ctx->file = m->path;
    hc_status st = add_inputs(s);
    if (!st) st = add_outputs(s, opts);
    if (!st) st = hc_exec_analyze(s);
    ctx->file = saved;
    if (st) {
        hc_session_free(s);
        return st;
    }
    *out = s;
    return HC_OK;
}

size_t hc_session_input_count(const hc_session *s) {
    return s->n_inputs;
}

size_t hc_session_output_count(const hc_session *s) {
    return s->n_outputs;
}

hc_status hc_session_input_info(const hc_session *s, size_t i, hc_io_info *info) {
    if (i >= s->n_inputs) return HC_INVALID;
    info->name = s->inputs[i].name;
    info->dtype = s->inputs[i].dtype;
    info->rank = s->inputs[i].shape.rank;
    info->dims = s->inputs[i].shape.dims;
    return HC_OK;
}

const char *hc_session_output_name(const hc_session *s, size_t i) {
    return i < s->n_outputs ? s->outputs[i].name : NULL;
}

hc_status hc_session_set_input(hc_session *s, const char *name, const hc_tensor *t) {
    for (size_t i = 0; i < s->n_inputs; i++) {
        hc_feed *f = &s->inputs[i];
        if (strcmp(f->name, name)) continue;
        if (t->dtype != f->dtype)
            return hc_fail(s->ctx, HC_INVALID, name, "input is %s, the model takes %s",
                           hc_dtype_name(t->dtype), hc_dtype_name(f->dtype));
        if (t->rank < 0 || t->rank > HC_MAX_RANK)
            return hc_fail(s->ctx, HC_INVALID, name, "input rank %d is not supported", t->rank);
        if (f->shape.rank >= 0 && f->shape.rank != t->rank)
            return hc_fail(s->ctx, HC_INVALID, name, "input has rank %d, the model takes rank %d",
                           t->rank, f->shape.rank);
        for (int d = 0; f->shape.rank >= 0 && d < t->rank; d++)
            if (f->shape.dims[d] >= 0 && f->shape.dims[d] != t->dims[d])
                return hc_fail(s->ctx, HC_INVALID, name,
                               "input dimension %d is %lld, the model takes %lld", d,
                               (long long)t->dims[d], (long long)f->shape.dims[d]);
        hc_val *v = &f->val;
        memset(v, 0, sizeof *v);
        v->dtype = t->dtype;
        v->rank = t->rank;
        for (int d = 0; d < t->rank; d++) {
            if (t->dims[d] < 0) return hc_fail(s->ctx, HC_INVALID, name, "negative dimension");
            v->dims[d] = t->dims[d];
        }
        v->data = (void *)t->data;
        f->set = true;
        return HC_OK;
    }
    return hc_fail(s->ctx, HC_NOT_FOUND, name, "the model has no input of this name");
}

hc_status hc_session_run(hc_session *s) {
    for (size_t i = 0; i < s->n_inputs; i++)
        if (!s->inputs[i].set && s->kn[s->inputs[i].node].feed >= 0 && s->needed[s->inputs[i].node])
            return hc_fail(s->ctx, HC_INVALID, s->inputs[i].name, "input not set");
    s->nodes_run = 0;
    const char *saved = s->ctx->file;
    if (s->m->path) s->ctx->file = s->m->path;
    hc_status st = hc_exec_run(s);
    s->ctx->file = saved;
    return st;
}

hc_status hc_session_output(const hc_session *s, size_t i, hc_tensor *t) {
    if (i >= s->n_outputs || !s->outputs[i].got) return HC_INVALID;
    const hc_val *v = &s->outputs[i].val;
    t->dtype = v->dtype;
    t->rank = v->rank;
    for (int d = 0; d < v->rank; d++)
        t->dims[d] = v->dims[d];
    t->data = v->data;
    return HC_OK;
}

size_t hc_session_peak_bytes(const hc_session *s) {
    return s->bytes_peak;
}

uint64_t hc_session_nodes_run(const hc_session *s) {
    return s->nodes_run;
}
