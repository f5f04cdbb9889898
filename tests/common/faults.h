/* faults.h - plant faults into a converted model to show that verify catches them: a conv's
 * weights negated, two outputs swapped, boxes shifted by an Add. Each writes a new file. */
#ifndef HC_TEST_FAULTS_H
#define HC_TEST_FAULTS_H
#include "halfcast/halfcast.h"

/* Negate the filter of the first Conv2D whose filter is a Const. */
int fault_negate_conv(hc_ctx *ctx, const char *in, const char *out);
/* Swap the names of two nodes (e.g. two graph outputs). */
int fault_swap_names(hc_ctx *ctx, const char *in, const char *out, const char *a, const char *b);
/* Put `node` + delta where its consumers read it (an Add planted after it). */
int fault_shift(hc_ctx *ctx, const char *in, const char *out, const char *node, float delta);
#endif
