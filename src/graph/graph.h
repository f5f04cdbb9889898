/* graph.h - the format-neutral graph: nodes with names, op types, inputs and typed
 * attributes. Strings, attribute payloads and weights are spans into the mapped file (or
 * into the graph's arena for what the library made). Every node remembers the bytes it was
 * read from, so a node nobody changed is written back byte for byte.
 *
 * Lifetime: everything hangs off hc_graph's arena and the mapping it was read from. */
#ifndef HC_GRAPH_GRAPH_H
#define HC_GRAPH_GRAPH_H

#include "base/arena.h"
#include "base/util.h"
#include "ops/ops.h"

#define HC_MAX_RANK   8
#define HC_MAX_NODES  (1u << 24)
#define HC_MAX_INPUTS (1u << 16)

typedef enum hc_attr_kind {
    HC_ATTR_NONE = 0, /* an empty AttrValue, or an empty list */
    HC_ATTR_S,
    HC_ATTR_I,
    HC_ATTR_F,
    HC_ATTR_B,
    HC_ATTR_TYPE,
    HC_ATTR_SHAPE,
    HC_ATTR_TENSOR,
    HC_ATTR_LIST,
    HC_ATTR_FUNC,
    HC_ATTR_PLACEHOLDER
} hc_attr_kind;

/* A shape: rank -1 means unknown rank; a dim of -1 is unknown. */
typedef struct hc_shape {
    int32_t rank;
    int64_t *dims;
} hc_shape;

/* How a tensor's values are stored in the file. */
typedef enum hc_tensor_enc {
    HC_ENC_NONE = 0, /* no values: all zeros (or an empty tensor) */
    HC_ENC_CONTENT,  /* tensor_content: packed little-endian bytes */
    HC_ENC_VALUES    /* a typed *_val list: float_val, half_val, int_val ... */
} hc_tensor_enc;

/* A TensorProto view. For HC_ENC_VALUES, vals holds the packed payload of the *_val field
 * (a view when the file packed it in one field, else an arena copy) and n_vals its count;
 * fewer values than elements means the last one repeats (TensorFlow's rule). */
typedef struct hc_tensor_proto {
    hc_dtype dtype;
    hc_shape shape;
    hc_tensor_enc enc;
    hc_span content;
    uint32_t val_field; /* TensorProto field number of the *_val list (5 float_val, 13 half_val) */
    uint32_t val_wt;    /* wire type of one value: varint, i32 or i64 */
    hc_span vals;
    size_t n_vals;
    hc_span src; /* the TensorProto bytes as read (empty when made here) */
} hc_tensor_proto;

typedef struct hc_attr_list hc_attr_list;

typedef struct hc_attr {
    hc_span name;
    hc_attr_kind kind;
    union {
        hc_span s;
        int64_t i;
        float f;
        bool b;
        hc_dtype type;
        hc_shape shape;
        hc_tensor_proto *tensor;
        hc_attr_list *list;
        hc_span func; /* NameAttrList name (its attrs are kept only in src) */
    } u;
    hc_span src; /* the AttrValue bytes as read; empty when changed or made here */
} hc_attr;

struct hc_attr_list {
    hc_attr_kind kind; /* element kind; HC_ATTR_NONE for an empty list */
    size_t n;
    union {
        hc_span *s;
        int64_t *i;
        float *f;
        bool *b;
        hc_dtype *type;
        hc_shape *shape;
        hc_tensor_proto **tensor;
    } u;
};

/* A resolved input: producer node and output port; port -1 for a control input. */
typedef struct hc_edge {
    int32_t node;
    int32_t port;
} hc_edge;

typedef struct hc_node {
    hc_span name, op, device;
    uint32_t n_in;
    hc_span *in_names; /* as written: "x", "x:1", "^x" */
    hc_edge *in;       /* resolved by hc_graph_link */
    uint32_t n_attrs, cap_attrs;
    hc_attr *attrs;
    uint32_t n_opaque;
    hc_span *opaque;     /* fields kept verbatim (tag included): debug info, unknown fields */
    hc_span src;         /* the NodeDef bytes as read; empty when made here */
    const hc_opdef *def; /* NULL for an op the tables do not know */
    int32_t n_out;       /* output ports, from the op table and attributes (-1: unknown op) */
    bool dirty;          /* changed: re-encode instead of copying src */
    bool removed;        /* dropped: not written */
    /* New nodes are written right after the node they follow (casts after their producer). */
    int32_t follow_head, follow_next;
    bool follower;
} hc_node;

typedef struct hc_graph {
    hc_ctx *ctx;
    hc_arena arena;
    hc_node *nodes;
    uint32_t n_nodes, cap_nodes;
    bool nodes_in_arena; /* the first reservation: in the arena, not freed on its own */
    uint32_t *index;     /* open addressing: node index + 1, 0 = empty */
    uint32_t index_cap;
    /* GraphDef fields other than nodes (library, versions, unknown), verbatim, tag included,
     * in file order; top_pos[i] is the number of nodes read before field i, so the writer
     * can put them back exactly where they were. */
    hc_span *top_fields;
    uint32_t *top_pos;
    uint32_t n_top_fields;
    const uint8_t *base; /* start of the input bytes, for offsets in messages */
} hc_graph;

void hc_graph_init(hc_graph *g, hc_ctx *ctx);
void hc_graph_fini(hc_graph *g);

/* Make room for `n` nodes in total (one allocation when the count is known up front). */
hc_status hc_graph_reserve(hc_graph *g, uint32_t n);
/* Append a node (zeroed apart from follow links); returns its index or -1 (error in ctx).
 * The nodes array may move: do not keep hc_node pointers across this call. */
int32_t hc_graph_add_node(hc_graph *g);
/* Find by name; -1 when absent. */
int32_t hc_graph_find(const hc_graph *g, hc_span name);
/* Index all names (fails on duplicates), resolve every input, look up op defs and count
 * outputs. Call after reading and after structural edits. */
hc_status hc_graph_link(hc_graph *g);
/* Insert node `follower` to be written right after node `anchor`. */
void hc_graph_follow(hc_graph *g, int32_t anchor, int32_t follower);

/* Attributes. */
const hc_attr *hc_node_attr(const hc_node *n, const char *name);
/* Add or replace an attribute (marks the node dirty). Returns NULL on NOMEM. */
hc_attr *hc_node_set_attr(hc_graph *g, int32_t node, const char *name);
bool hc_node_attr_type(const hc_node *n, const char *name, hc_dtype *out);
bool hc_node_attr_int(const hc_node *n, const char *name, int64_t *out);

/* Output dtypes of a node from the op table and its attributes. Returns false (and sets
 * *why) when unknown: unknown op, missing attribute, out-of-range port. */
bool hc_node_out_dtype(const hc_graph *g, const hc_node *n, int32_t port, hc_dtype *out,
                       const char **why);
/* The dtype an input port expects, likewise. */
bool hc_node_in_dtype(const hc_graph *g, const hc_node *n, uint32_t input, hc_dtype *out,
                      const char **why);
/* Which op argument (index into def->in / def->out) a flat port falls in; -1 if none. */
int hc_node_in_arg(const hc_node *n, uint32_t input);
int hc_node_out_arg(const hc_node *n, int32_t port);

/* Number of data (non-control) inputs. */
uint32_t hc_node_data_inputs(const hc_node *n);

/* Tensor values: dense, native-endian, full element count (last value repeated as
 * TensorFlow does). For CONTENT tensors this is a view into the file (no copy, possibly
 * unaligned); otherwise a copy in the caller's arena (the graph stays untouched).
 * *count receives the element count. */
hc_status hc_tensor_values(hc_ctx *ctx, hc_arena *arena, const hc_tensor_proto *t,
                           const void **data, size_t *count);
/* Values converted to dtype `to` (through double) when the tensor holds another numeric
 * dtype; the same as hc_tensor_values when it does not. */
hc_status hc_tensor_values_as(hc_ctx *ctx, hc_arena *arena, const hc_tensor_proto *t, hc_dtype to,
                              const void **data, size_t *count);
/* The TensorProto *_val field number that holds values of dtype dt (0 if none). */
uint32_t hc_tensor_val_field(hc_dtype dt);
/* Element count of a shape (-1 for unknown dims or rank, or overflow). */
int64_t hc_shape_elems(const hc_shape *s);

/* A node on a cycle that does not pass through NextIteration (-1: none, -2: out of memory). */
int32_t hc_graph_find_cycle(const hc_graph *g, hc_arena *scratch);

/* Node name as a NUL-terminated arena string (for messages). */
const char *hc_node_cname(hc_graph *g, const hc_node *n);
#endif
