/* build.h - build graphs in code: the unit tests make small graphs for every hazard, and the
 * built-in demo model is made with it. Names and payloads are copied into the graph's arena.
 * Errors are recorded in the context; later calls become no-ops, so a builder sequence needs
 * one status check at the end (hc_gb_finish). */
#ifndef HC_GRAPH_BUILD_H
#define HC_GRAPH_BUILD_H
#include "base/buf.h"
#include "graph/graph.h"

/* Add a node with inputs ("x", "x:1", "^ctrl"). Returns its index or -1. */
int32_t hc_gb_node(hc_graph *g, const char *op, const char *name, const char *const *inputs,
                   size_t n_in);
#define HC_GB_NODE(g, op, name, ...)                                                               \
    hc_gb_node((g), (op), (name), (const char *const[]){__VA_ARGS__},                              \
               sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define HC_GB_SOURCE(g, op, name) hc_gb_node((g), (op), (name), NULL, 0)

void hc_gb_type(hc_graph *g, int32_t node, const char *attr, hc_dtype dt);
void hc_gb_int(hc_graph *g, int32_t node, const char *attr, int64_t v);
void hc_gb_float(hc_graph *g, int32_t node, const char *attr, float v);
void hc_gb_bool(hc_graph *g, int32_t node, const char *attr, bool v);
void hc_gb_str(hc_graph *g, int32_t node, const char *attr, const char *v);
void hc_gb_ints(hc_graph *g, int32_t node, const char *attr, const int64_t *v, size_t n);
void hc_gb_types(hc_graph *g, int32_t node, const char *attr, const hc_dtype *v, size_t n);
void hc_gb_shape(hc_graph *g, int32_t node, const char *attr, int rank, const int64_t *dims);
/* A tensor attribute (packed tensor_content), data copied. */
void hc_gb_tensor(hc_graph *g, int32_t node, const char *attr, hc_dtype dt, int rank,
                  const int64_t *dims, const void *data);
/* A tensor attribute given as a value list of n values (n < elements broadcasts the last). */
void hc_gb_tensor_vals(hc_graph *g, int32_t node, const char *attr, hc_dtype dt, int rank,
                       const int64_t *dims, const void *vals, size_t n);

/* Const nodes: dtype + value. */
int32_t hc_gb_const(hc_graph *g, const char *name, hc_dtype dt, int rank, const int64_t *dims,
                    const void *data);
int32_t hc_gb_const_f32(hc_graph *g, const char *name, int rank, const int64_t *dims,
                        const float *data);
int32_t hc_gb_const_i32(hc_graph *g, const char *name, int rank, const int64_t *dims,
                        const int32_t *data);
int32_t hc_gb_scalar_f32(hc_graph *g, const char *name, float v);
int32_t hc_gb_scalar_i32(hc_graph *g, const char *name, int32_t v);
/* A Placeholder of dtype dt and shape (rank -1: unknown). */
int32_t hc_gb_placeholder(hc_graph *g, const char *name, hc_dtype dt, int rank,
                          const int64_t *dims);

/* Link the graph and append its binary GraphDef to out. */
hc_status hc_gb_finish(hc_graph *g, hc_buf *out);
#endif
