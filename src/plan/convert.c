/* convert.c - the public planning and conversion API: plan, report each node's precision
 * and reason, apply, serialize, re-read and check the result before handing it out. */
#include "plan/plan.h"
#include "fmt/graphdef/graphdef.h"

#include <stdio.h>

void hc_convert_options_init(hc_convert_options *o) {
    memset(o, 0, sizeof *o);
}

static void plan_release(hc_plan *p) {
    hc_ctx *ctx = p->ctx;
    hc_typed_fini(&p->t);
    hc_graph_fini(&p->g);
    hc_arena_fini(&p->arena);
    hc_dealloc(ctx, p);
}

void hc_plan_free(hc_plan *p) {
    if (p) plan_release(p);
}

/* One node's precision from the decisions on its float type attributes. */
static void node_info(hc_plan *p, uint32_t i, hc_plan_node *info) {
    const hc_node *n = &p->g.nodes[i];
    info->name = hc_node_cname(&p->g, n);
    info->op = hc_arena_strndup(&p->arena, n->op.p, n->op.n);
    info->precision = HC_PREC_NONE;
    info->reason = NULL;
    if (!n->def) {
        info->precision = HC_PREC_FP32;
        info->reason = "unknown op: kept as it is";
        return;
    }
    const char *r16 = NULL, *r32 = NULL, *a16 = NULL, *a32 = NULL;
    for (int k = 0; k < HC_OP_MAX_TATTRS && n->def->tattrs[k].name; k++) {
        uint32_t c = hc_plan_class_of(p, (int32_t)(p->t.elem_base[i] + (uint32_t)k));
        if (c == UINT32_MAX) continue;
        if (p->cls[c].decision == HC_CLS_FP16 && !r16) {
            r16 = p->cls[c].reason;
            a16 = n->def->tattrs[k].name;
        } else if (p->cls[c].decision != HC_CLS_FP16 && !r32) {
            r32 = p->cls[c].reason;
            a32 = n->def->tattrs[k].name;
        }
    }
    if (r16 && r32) {
        info->precision = HC_PREC_MIXED;
        info->reason = hc_arena_printf(&p->arena, "%s fp16 (%s); %s fp32 (%s)", a16, r16, a32, r32);
    } else if (r16) {
        info->precision = HC_PREC_FP16;
        info->reason = r16;
    } else if (r32) {
        info->precision = HC_PREC_FP32;
        info->reason = r32;
    }
}

hc_status hc_plan_finish(hc_plan *p) {
    p->info = hc_arena_array(&p->arena, p->g.n_nodes + 1u, sizeof(hc_plan_node));
    if (!p->info) return HC_NOMEM;
    for (uint32_t i = 0; i < p->g.n_nodes; i++) {
        if (!p->g.nodes[i].removed) node_info(p, i, &p->info[i]);
    }
    for (uint32_t c = 0; c < p->n_classes; c++) {
        if (p->cls[c].decision == HC_CLS_FP16)
            p->stats.classes_fp16++;
        else
            p->stats.classes_fp32++;
    }
    return HC_OK;
}

static hc_status plan_make(hc_ctx *ctx, const hc_model *m, const hc_convert_options *opts,
                           hc_plan **out) {
    *out = NULL;
    hc_convert_options none;
    if (!opts) {
        hc_convert_options_init(&none);
        opts = &none;
    }
    hc_plan *p = hc_calloc(ctx, 1, sizeof *p);
    if (!p) return HC_NOMEM;
    const char *saved = ctx->file;
    if (m->path) ctx->file = m->path;
    hc_status s = hc_plan_build(p, m, opts);
    if (!s) {
        hc_plan_paint(p);
        s = ctx->status ? ctx->status : hc_plan_finish(p);
    }
    ctx->file = saved;
    if (s) {
        plan_release(p);
        return s;
    }
    *out = p;
    return HC_OK;
}

hc_status hc_plan_new(hc_ctx *ctx, const hc_model *m, const hc_convert_options *opts,
                      hc_plan **out) {
    return plan_make(ctx, m, opts, out);
}

size_t hc_plan_node_count(const hc_plan *p) {
    return p->g.n_nodes;
}

hc_status hc_plan_node_info(const hc_plan *p, size_t i, hc_plan_node *info) {
    if (i >= p->g.n_nodes) return HC_INVALID;
    *info = p->info[i];
    if (!info->name) info->name = "";
    if (!info->op) info->op = "";
    return HC_OK;
}

/* Serialize the edited graph and read it back as a model of its own. */
static hc_status reread(hc_plan *p, const hc_model *in, hc_model **out) {
    hc_buf b;
    hc_buf_init(&b, p->ctx);
    b.pages = true;
    hc_status s = hc_graphdef_write(&p->g, &b);
    if (s) {
        hc_buf_fini(&b);
        return s;
    }
    size_t n, map_len;
    void *raw;
    uint8_t *bytes = hc_buf_take_pages(&b, &n, &raw, &map_len);
    p->stats.bytes_out = n;
    s = hc_model_from_bytes(p->ctx, hc_span_of(bytes, n), NULL, in->path, out);
    if (s) {
        hc_free_pages(p->ctx, raw, map_len);
        return s;
    }
    (*out)->owned_pages = raw;
    (*out)->owned_pages_len = map_len;
    (*out)->format = in->format;
    return HC_OK;
}

hc_status hc_convert(hc_ctx *ctx, const hc_model *in, const hc_convert_options *opts,
                     hc_model **out, hc_convert_stats *stats) {
    *out = NULL;
    hc_plan *p;
    hc_status s = plan_make(ctx, in, opts, &p);
    if (s) return s;
    p->stats.bytes_in = in->bytes.n;
    hc_progress(ctx, "converting", 0.3);
    s = hc_plan_apply(p);
    if (!s) s = reread(p, in, out);
    hc_progress(ctx, "converting", 0.8);
    if (!s) {
        hc_check_report *rep = NULL;
        s = hc_check(ctx, *out, &rep);
        if (s == HC_CHECK)
            hc_fail(ctx, HC_CHECK, NULL,
                    "the converted graph fails its check (%zu problems; "
                    "first: %s); nothing written",
                    hc_check_report_count(rep), hc_check_report_item(rep, 0));
        hc_check_report_free(rep);
        if (s) {
            hc_model_free(*out);
            *out = NULL;
        }
    }
    if (!s && stats) {
        *stats = p->stats;
        stats->nodes = hc_model_node_count(*out);
    }
    hc_progress(ctx, "converting", 1.0);
    plan_release(p);
    return s;
}
