/* typed.h - the typed view of a graph: one element per (node, type attribute), the dtype of
 * every port as either an element or a fixed dtype, consumer lists, and union-find classes of
 * elements that must share one dtype without a cast between them:
 *   - TF1 loop variables: edges between Enter, Merge, Switch, NextIteration and Exit;
 *   - TensorArray / TensorList element types, joined through the handles that flow between
 *     their ops (also through Enter/Merge/Switch/Identity on the handle).
 * The planner decides one precision per class; check() re-types ports from the same view. */
#ifndef HC_GRAPH_TYPED_H
#define HC_GRAPH_TYPED_H
#include "graph/graph.h"

/* A port's type: an element (elem >= 0) or a fixed dtype (elem < 0). */
typedef struct hc_port_type {
    int32_t elem;
    hc_dtype dtype; /* the element's current dtype, or the fixed dtype; INVALID if unknown */
} hc_port_type;

typedef struct hc_use {
    int32_t node;
    uint32_t input;
} hc_use;

typedef struct hc_typed {
    hc_graph *g;
    hc_arena arena;
    uint32_t n_elems;        /* type elements; handle pseudo-elements follow them */
    uint32_t *elem_base;     /* per node: id of its first element */
    int32_t *elem_node;      /* per element: its node */
    uint8_t *elem_attr;      /* per element: index into def->tattrs */
    hc_dtype *elem_dtype;    /* per element: dtype in the graph as read */
    uint32_t *parent;        /* union-find over n_elems + n_nodes (handles) */
    hc_port_type **in_type;  /* per node, per input */
    hc_port_type **out_type; /* per node, per output port */
    uint32_t *use_start;     /* CSR: consumers of node i are uses[use_start[i] .. use_start[i+1]) */
    hc_use *uses;
} hc_typed;

/* Build the view of g. Unknown ops get no elements; their ports are typed from the other
 * end of each edge where possible. */
hc_status hc_typed_build(hc_typed *t, hc_graph *g);
void hc_typed_fini(hc_typed *t);

uint32_t hc_typed_class(hc_typed *t, uint32_t elem);
/* The tattr of element e. */
const hc_op_tattr *hc_typed_elem_tattr(const hc_typed *t, uint32_t e);
/* Whether element e may become half: its attribute allows half, directly or through the
 * op's fp16 rewrite (FusedBatchNorm -> V3). */
bool hc_typed_elem_allows_half(const hc_typed *t, uint32_t e);
#endif
