/* graphdef.h - the TensorFlow GraphDef adapter: binary and text format into and out of the
 * format-neutral hc_graph. It translates; it decides nothing. */
#ifndef HC_FMT_GRAPHDEF_H
#define HC_FMT_GRAPHDEF_H
#include "base/buf.h"
#include "graph/graph.h"

/* Read a binary GraphDef. bytes must outlive g (spans point into it). Links the graph. */
hc_status hc_graphdef_read(hc_graph *g, hc_span bytes);
/* Append the binary GraphDef of g to out. Unchanged nodes and the library, versions and
 * unknown fields are copied byte for byte; so read + write is the identity. */
hc_status hc_graphdef_write(const hc_graph *g, hc_buf *out);

/* Text format (.pbtxt) is transcoded to and from the binary wire format with a schema of the
 * GraphDef messages, so both formats share the binary reader and writer. */
hc_status hc_pbtxt_to_wire(hc_ctx *ctx, hc_span text, hc_buf *out);
hc_status hc_wire_to_pbtxt(hc_ctx *ctx, hc_span wire, hc_buf *out);
/* true when data looks like text format rather than binary (detection by content). */
bool hc_pbtxt_sniff(hc_span data);

/* Writing a tensor payload; used by the converter for the constants it makes. */
void hc_graphdef_put_tensor(hc_buf *b, const hc_tensor_proto *t);
#endif
