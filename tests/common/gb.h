/* gb.h - test helpers around the graph builder: build a graph in code, open it as a model,
 * convert it, and look at the result. */
#ifndef HC_TEST_GB_H
#define HC_TEST_GB_H

#include "common/testlib.h"
#include "graph/build.h"
#include "model/model.h"

typedef struct tg {
    hc_ctx *ctx;
    hc_graph g;
    hc_buf bytes;
    hc_model *m;   /* the built graph as a model */
    hc_model *out; /* after hc_convert */
    hc_convert_stats st;
} tg;

void tg_init(tg *t);
void tg_fini(tg *t);
/* Serialize the built graph and open it as a model; fails the test on error. */
void tg_open(tg *t);
/* Convert with opts (NULL: defaults); returns the status. */
hc_status tg_convert(tg *t, const hc_convert_options *opts);
/* Node of the converted model by name (fails the test when absent). */
const hc_node *tg_node(const tg *t, const char *name);
const hc_node *tg_node_or_null(const tg *t, const char *name);
/* dtype attribute value of a converted node. */
hc_dtype tg_type(const tg *t, const char *node, const char *attr);
/* Count converted nodes with this op. */
size_t tg_count_op(const tg *t, const char *op);
/* The precision the plan gives a node of the built model. */
hc_precision tg_plan_prec(tg *t, const hc_convert_options *opts, const char *node,
                          const char **reason);
#endif
