/* plan.h - the precision planner. Float type classes (see graph/typed.h) are coloured fp16 or
 * fp32 the way TensorFlow's auto-mixed-precision pass paints nodes (allow / infer / clear /
 * deny), after pins that keep a class fp32 for a reason a user can read: no fp16 variant,
 * --keep-fp32, graph inputs and outputs keeping their dtypes, constants fp16 cannot hold.
 * apply.c then edits the graph: type attributes, fp16 constants, casts (one per produced
 * tensor and dtype, never chained, folded into constants), FusedBatchNorm V1 -> V3. */
#ifndef HC_PLAN_PLAN_H
#define HC_PLAN_PLAN_H
#include "base/fp16.h"
#include "graph/typed.h"
#include "model/model.h"

enum { HC_CLS_UNDECIDED = 0, HC_CLS_FP16 = 1, HC_CLS_FP32 = 2 };

typedef struct hc_class {
    uint32_t root;    /* root element */
    hc_opcls kind;    /* most restrictive op class among members */
    uint8_t decision; /* HC_CLS_FP16 / HC_CLS_FP32 */
    bool pinned;      /* must stay fp32 */
    bool deny_src;    /* keeps its downstream infer ops fp32 (deny ops, --keep-fp32) */
    bool in_allow, in_deny, mark;
    int32_t first_node; /* a member node, for messages */
    uint32_t origin;    /* the deny class this one's fp32 comes from */
    const char *reason; /* why this decision (arena string) */
} hc_class;

struct hc_plan {
    hc_ctx *ctx;
    hc_graph g; /* a private copy of the model's graph (the model stays untouched) */
    hc_typed t;
    hc_arena arena;
    hc_convert_options opts;
    uint32_t n_classes;
    uint32_t *class_of; /* per element: class index, UINT32_MAX when not a float element */
    hc_class *cls;
    uint32_t *fwd_start, *fwd, *bwd_start, *bwd; /* class graph adjacency (CSR) */
    uint8_t *is_output;                          /* per node: a graph output */
    hc_plan_node *info;                          /* per node report, filled by hc_plan_finish */
    hc_convert_stats stats;
};

/* Build classes and pins and paint them. m provides the bytes and the graph outputs. */
hc_status hc_plan_build(hc_plan *p, const hc_model *m, const hc_convert_options *opts);
/* Grappler-style painting over the class graph. */
void hc_plan_paint(hc_plan *p);
/* Fill the per-node report. */
hc_status hc_plan_finish(hc_plan *p);
/* Edit p->g according to the decisions. */
hc_status hc_plan_apply(hc_plan *p);

/* The dtype a port has after the plan. */
hc_dtype hc_plan_port_dtype(const hc_plan *p, hc_port_type pt);
/* Pin class c fp32 with a reason (the first reason wins). */
void hc_plan_pin(hc_plan *p, uint32_t c, bool deny_src, const char *reason);
/* The class of element e, or UINT32_MAX. */
uint32_t hc_plan_class_of(const hc_plan *p, int32_t elem);
#endif
