/* model.h - hc_model: a graph with the bytes it was read from (a read-only mapping, or a
 * buffer the model owns), its format, and its graph inputs and outputs. */
#ifndef HC_MODEL_MODEL_H
#define HC_MODEL_MODEL_H
#include "base/io.h"
#include "graph/graph.h"

typedef struct hc_io {
    int32_t node;
    int32_t port;
    const char *name; /* arena string */
    hc_dtype dtype;
    hc_shape shape; /* rank -1 when unknown */
} hc_io;

struct hc_model {
    hc_ctx *ctx;
    hc_graph g;
    hc_map map;     /* the input file, when read from one */
    uint8_t *owned; /* bytes the model owns (text transcoded to binary) */
    size_t owned_n;
    void *owned_pages; /* or a mapping it owns (converter output), hc_free_pages */
    size_t owned_pages_len;
    hc_span bytes; /* the binary GraphDef the graph points into */
    hc_format format;
    char *path; /* arena copy of the path read from, or NULL */
    hc_io *inputs, *outputs;
    size_t n_inputs, n_outputs;
};

/* Open from binary or text bytes; takes ownership of `owned` (may be NULL when bytes are
 * borrowed). On failure the model is freed and `owned` released. */
hc_status hc_model_from_bytes(hc_ctx *ctx, hc_span bytes, uint8_t *owned, const char *name,
                              hc_model **out);
/* Recompute graph inputs (Placeholders) and outputs (sinks: nodes no one reads). */
hc_status hc_model_find_io(hc_model *m);
#endif
