/* exec.h - the executor's internals: a session prepared from a model (needed nodes, static
 * frames of TF1 control flow, kernels with their prepared state, constants as views into the
 * mapping), and the run-time state of TF1 dataflow: frame instances with iterations, each
 * holding input slots and pending counts; dead values propagate, Switch routes, Merge takes
 * the first live input, Enter/Exit/NextIteration move values between frames and iterations. */
#ifndef HC_EXEC_EXEC_H
#define HC_EXEC_EXEC_H

#include "exec/kernel.h"
#include "model/model.h"

enum hc_kind {
    HC_K_NORMAL = 0,
    HC_K_CONST,
    HC_K_PLACEHOLDER,
    HC_K_ENTER,
    HC_K_EXIT,
    HC_K_NEXT,
    HC_K_MERGE,
    HC_K_SWITCH,
    HC_K_NOOP,
    HC_K_FORWARD /* folded into its producer's epilogue: passes input 0 on */
};

/* An out edge: consumer node, its input index, and the producing port (-1: control). */
typedef struct hc_oedge {
    uint32_t dst;
    uint32_t input;
    int32_t port;
} hc_oedge;

typedef struct hc_knode {
    const hc_kernel *k;
    void *state;
    uint8_t kind;
    bool constant_enter; /* Enter with is_constant: its value reaches every iteration */
    uint32_t frame;      /* static frame the node runs in */
    uint32_t local;      /* index among its frame's nodes */
    uint32_t in_base;    /* first input slot in its frame's slot array */
    uint32_t n_in, n_data, n_ctrl;
    uint32_t pending_init;
    uint32_t child;              /* Enter: the static frame it enters */
    uint32_t out_start, out_end; /* into sess->oedges */
    int32_t n_out;               /* output ports */
    int32_t feed;                /* Placeholder: index into sess->inputs, else -1 */
    int32_t fetch;               /* index into sess->outputs, else -1 */
    hc_val value;                /* Const: its value (a view into the model) */
    hc_epilogue *epi;            /* bias/activation folded into this node, or NULL */
    bool prepared;               /* kernel looked up and prepared (or Const value made) */
    bool folded; /* computed at load from constants (fold.c): now a Const owning value */
} hc_knode;

typedef struct hc_sframe {
    uint32_t parent;
    hc_span name;
    uint32_t n_nodes, n_slots;
    uint32_t n_enters; /* needed Enter nodes that feed this frame */
    uint32_t *exits;   /* needed Exit nodes that leave this frame */
    uint32_t n_exits;
    uint32_t *sources; /* nodes of this frame with nothing to wait for */
    uint32_t n_sources;
    uint32_t *nodes;       /* local index -> graph node */
    struct hc_iter *spare; /* iterations of this frame kept for reuse (run.c) */
    uint32_t n_spare;
} hc_sframe;

typedef struct hc_frame hc_frame;

typedef struct hc_iter hc_iter;
struct hc_iter {
    hc_val *slots;
    uint8_t *slot_dead; /* per slot: a dead value arrived */
    int32_t *pending;   /* per local node */
    int32_t *dead;      /* per local node: dead inputs so far */
    int32_t *merge;     /* per local node: Merge: the live input taken, -1 none yet */
    uint8_t *fired;     /* per local node: already scheduled in this iteration */
    uint32_t outstanding;
    hc_frame *children; /* frame instances entered from this iteration */
    hc_iter *next_spare;
    bool in_arena; /* made at load in the session's arena (the root frame's): never freed */
};

struct hc_frame {
    uint32_t sframe;
    hc_frame *parent;
    uint32_t parent_iter;
    hc_frame *next_sibling;
    hc_iter **iters;
    uint32_t n_iters, cap_iters;
    uint32_t pending_enters;
    uint32_t outstanding; /* queued tasks in all iterations + live child frames */
    uint32_t *inv_nodes;  /* constant Enter nodes whose values reached this frame */
    hc_val *inv_vals;
    uint32_t n_inv, cap_inv;
    uint8_t *exit_live; /* per exit of the static frame */
};

typedef struct hc_task {
    hc_frame *f;
    uint32_t iter;
    uint32_t node;
} hc_task;

typedef struct hc_feed {
    int32_t node;
    const char *name;
    hc_dtype dtype;
    hc_shape shape;
    hc_val val;
    bool set;
} hc_feed;

typedef struct hc_fetch {
    int32_t node;
    int32_t port;
    const char *name;
    hc_val val;
    bool got;
} hc_fetch;

/* Size classes of runtime buffers: four per power of two up to 2^46 bytes. */
#define HC_N_SIZE_CLASSES 160

struct hc_session {
    hc_ctx *ctx;
    const hc_model *m;
    const hc_graph *g;
    hc_arena arena;
    hc_knode *kn; /* per graph node; only needed nodes are prepared */
    uint8_t *needed;
    hc_oedge *oedges;
    hc_sframe *frames;
    uint32_t n_frames;
    hc_feed *inputs;
    size_t n_inputs;
    hc_fetch *outputs;
    size_t n_outputs;
    /* run state */
    hc_task *queue;
    size_t n_queue, cap_queue;
    hc_frame *root;
    hc_rtbuf *free_bufs[HC_N_SIZE_CLASSES]; /* buffer pool by size class (runtime.c) */
    hc_slab *slabs;                         /* where buffers are carved (runtime.c) */
    size_t bytes_live, bytes_peak;
    uint64_t nodes_run;
};

/* Static analysis (graph.c of the executor): needed set, frames, edges, pending counts. */
hc_status hc_exec_analyze(hc_session *s);
/* Prepare node i once: a Const's value view, or the kernel's lookup and prepare step. */
hc_status hc_exec_prepare_node(hc_session *s, uint32_t i);
/* Compute constant sub-graphs once (fold.c): nodes in `order` whose inputs are all constants
 * and whose op is a pure one become Consts holding their result; *folded counts them. */
hc_status hc_exec_fold(hc_session *s, const uint32_t *order, uint32_t n_order, uint32_t *folded);
/* Release the results of folded nodes (before the session's buffers go). A folded value
 * nothing reads at run time was already released when its last consumer folded. */
void hc_exec_unfold(hc_session *s);
/* Fold BiasAdd (+ Relu/Relu6) into the conv/matmul before them (analyze's last step). */
hc_status hc_exec_fuse(hc_session *s);
/* Kernel lookup over the op families; NULL when no family has the op. */
const hc_kernel *hc_exec_find_kernel(hc_span op);
/* The scheduler: run the graph once with the inputs set. */
hc_status hc_exec_run(hc_session *s);
void hc_exec_reset(hc_session *s);
/* Free the iterations kept for reuse (hc_session_free). */
void hc_exec_free_spares(hc_session *s);
/* Make the root frame's iteration at load, in the session's arena (analyze's last step). */
hc_status hc_exec_make_root_iter(hc_session *s);

/* Buffers. */
hc_rtbuf *hc_rtbuf_new(hc_session *s, size_t bytes);
void hc_exec_free_buffers(hc_session *s);
void *hc_rtbuf_data(hc_rtbuf *b);
#endif
