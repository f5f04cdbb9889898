/* doctor.c - the doctor's analysis: every constant is classified (value list, broadcast,
 * duplicate), nodes no output needs are found, a per-value decode cost is measured once on this
 * machine, and each finding gets its bytes, the bytes the fix saves and an estimated load-time
 * cost. The model is not touched: the report reads its bytes into a graph of its own, which
 * the fix (fix.c) later edits. */
#include "doctor/internal.h"
#include "fmt/graphdef/graphdef.h"
#include "pb/wire.h"

#include <math.h>
#include <stdlib.h>

static const char *const KIND_NAMES[HC_DOC_KIND_COUNT] = {"value-lists", "broadcast", "duplicates",
                                                          "unused"};

const char *hc_doctor_kind_name(hc_doctor_kind k) {
    return (unsigned)k < HC_DOC_KIND_COUNT ? KIND_NAMES[k] : "unknown";
}

int hc_doctor_kind_from_name(const char *name, size_t n) {
    for (int k = 0; k < HC_DOC_KIND_COUNT; k++)
        if (strlen(KIND_NAMES[k]) == n && !memcmp(KIND_NAMES[k], name, n)) return k;
    return -1;
}

void hc_doctor_options_init(hc_doctor_options *o) {
    memset(o, 0, sizeof *o);
}

/* ---- shared helpers ------------------------------------------------------------------- */

const hc_tensor_proto *hc_doctor_const_value(const hc_node *n) {
    if (n->removed || !n->def || !(n->def->flags & HC_OPF_CONST)) return NULL;
    const hc_attr *a = hc_node_attr(n, "value");
    return a && a->kind == HC_ATTR_TENSOR ? a->u.tensor : NULL;
}

bool hc_doctor_decodable(const hc_tensor_proto *t) {
    int64_t elems = hc_shape_elems(&t->shape);
    size_t sz = hc_dtype_size(t->dtype), bytes;
    if (elems < 0 || sz == 0 || !hc_mul_size((size_t)elems, sz, &bytes)) return false;
    if (t->enc == HC_ENC_CONTENT) return t->content.n == bytes;
    if (t->enc != HC_ENC_VALUES) return true;
    return t->val_field != 8 && t->val_field == hc_tensor_val_field(t->dtype) &&
           t->n_vals <= (size_t)elems;
}

size_t hc_doctor_encode_one(hc_dtype dt, const uint8_t *p, uint8_t out[10], uint32_t *wt) {
    uint64_t v;
    switch (dt) {
    case HC_DT_FLOAT:
        *wt = HC_WT_I32;
        memcpy(out, p, 4);
        return 4;
    case HC_DT_DOUBLE:
        *wt = HC_WT_I64;
        memcpy(out, p, 8);
        return 8;
    case HC_DT_HALF:
    case HC_DT_BFLOAT16:
    case HC_DT_UINT16:
    case HC_DT_QUINT16:
        v = hc_ld_u16(p);
        break;
    /* int_val is int32: negative values are sign-extended varints, as TensorFlow writes them */
    case HC_DT_INT16:
    case HC_DT_QINT16:
        v = (uint64_t)(int64_t)(int16_t)hc_ld_u16(p);
        break;
    case HC_DT_INT8:
    case HC_DT_QINT8:
        v = (uint64_t)(int64_t)(int8_t)p[0];
        break;
    case HC_DT_UINT8:
    case HC_DT_QUINT8:
    case HC_DT_BOOL:
        v = p[0];
        break;
    case HC_DT_INT32:
    case HC_DT_QINT32:
        v = (uint64_t)(int64_t)hc_ld_i32(p);
        break;
    case HC_DT_UINT32:
        v = (uint32_t)hc_ld_i32(p);
        break;
    case HC_DT_INT64:
    case HC_DT_UINT64:
        v = (uint64_t)hc_ld_i64(p);
        break;
    default:
        return 0;
    }
    *wt = HC_WT_VARINT;
    size_t k = 0;
    while (v >= 0x80) {
        out[k++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[k++] = (uint8_t)v;
    return k;
}

/* ---- analysis state --------------------------------------------------------------------- */

/* What the analysis knows about one node. */
typedef struct cnode {
    const hc_tensor_proto *t; /* Const value; NULL for other nodes or undecodable ones */
    const void *data;         /* dense values (a view or a copy in the report's arena) */
    size_t count, size;       /* elements, bytes of data */
    uint64_t hash;
    bool reached;   /* a graph output needs it */
    bool unused;    /* reported as unused */
    bool removable; /* unused and certainly safe to remove */
    bool protect;   /* named by another node's colocation attribute (_class "loc:@NAME") */
    bool taken;     /* the fix removes the node (unused, or a duplicate) */
    int32_t same_as;
} cnode;

typedef struct an {
    hc_doctor_report *r;
    hc_graph *g;
    cnode *c;
    uint32_t n;
} an;

static bool want(const an *a, hc_doctor_kind k) {
    return (a->r->opts.kinds & (1u << k)) != 0;
}

static const char *field_name(uint32_t f) {
    switch (f) {
    case 5:
        return "float_val";
    case 6:
        return "double_val";
    case 7:
        return "int_val";
    case 10:
        return "int64_val";
    case 11:
        return "bool_val";
    case 13:
        return "half_val";
    case 16:
        return "uint32_val";
    case 17:
        return "uint64_val";
    default:
        return "value list";
    }
}

static const char *storage_name(const hc_tensor_proto *t) {
    if (!t) return "";
    if (t->enc == HC_ENC_CONTENT) return "tensor_content";
    if (t->enc == HC_ENC_VALUES) return field_name(t->val_field);
    return "none";
}

static uint64_t stored_bytes(const hc_tensor_proto *t) {
    if (!t) return 0;
    return t->enc == HC_ENC_VALUES ? t->vals.n : t->enc == HC_ENC_CONTENT ? t->content.n : 0;
}

/* Bytes of a length-delimited field: tag, length, payload. */
static int64_t field_bytes(uint32_t num, uint64_t payload) {
    return (int64_t)((num < 16 ? 1 : 2) + hc_pbw_varint_size(payload) + payload);
}

static int wt_class(uint32_t wt) {
    return wt == HC_WT_I32 ? 1 : wt == HC_WT_I64 ? 2 : 0;
}

/* Estimated cost of reading a constant as it is stored: one decode per listed value, or one
 * pass over packed bytes. */
static double est_ms(const hc_doctor_cost *c, const hc_tensor_proto *t) {
    if (!t) return 0.0;
    if (t->enc == HC_ENC_VALUES)
        return (double)t->n_vals * c->ns_per_value[wt_class(t->val_wt)] * 1e-6;
    return (double)stored_bytes(t) * c->ns_per_byte * 1e-6;
}

static hc_doctor_finding *add(an *a, hc_doctor_kind kind, int32_t node, const char *fix,
                              bool fixable) {
    hc_doctor_report *r = a->r;
    if (r->n_items == r->cap_items) {
        size_t cap = r->cap_items ? 2 * r->cap_items : 64;
        hc_doctor_finding *p = hc_arena_array(&r->arena, cap, sizeof *p);
        if (!p) return NULL;
        if (r->n_items) memcpy(p, r->items, r->n_items * sizeof *p);
        r->items = p;
        r->cap_items = cap;
    }
    const hc_node *n = &a->g->nodes[node];
    const hc_tensor_proto *t = hc_doctor_const_value(n);
    hc_doctor_finding *f = &r->items[r->n_items++];
    *f = (hc_doctor_finding){.kind = kind,
                             .node = node,
                             .same_as = -1,
                             .fix = fix,
                             .fixable = fixable,
                             .storage = storage_name(t)};
    f->name = hc_node_cname(a->g, n);
    f->op = hc_arena_strndup(&r->arena, n->op.p, n->op.n);
    if (!f->name || !f->op) return NULL;
    if (t) {
        int64_t elems = hc_shape_elems(&t->shape);
        f->dtype = t->dtype;
        f->elems = elems > 0 ? (uint64_t)elems : 0;
        f->values = t->enc == HC_ENC_VALUES ? t->n_vals : t->enc == HC_ENC_CONTENT ? f->elems : 0;
        f->bytes = stored_bytes(t);
        f->est_ms = est_ms(&r->cost, t);
    }
    return f;
}

static void tally(hc_doctor_report *r, const hc_doctor_finding *f, uint32_t field) {
    hc_doctor_total *t = &r->total[f->kind];
    t->findings++;
    t->fixable += f->fixable;
    t->values += f->values;
    t->bytes += f->bytes;
    if (f->fixable) t->saved += f->saved;
    t->est_ms += f->est_ms;
    if (field && field < HC_COUNT(t->by_field)) t->by_field[field]++;
}

static void untally(hc_doctor_report *r, hc_doctor_finding *f) {
    r->total[f->kind].saved -= f->saved;
    f->saved = 0;
    f->superseded = true;
    f->fix = f->kind == HC_DOC_VALUE_LIST || f->kind == HC_DOC_BROADCAST
                 ? "nothing to repack: the node is removed (see duplicates, unused)"
                 : f->fix;
}

/* ---- decoding and the decode-cost measurement -------------------------------------------- */

static hc_status decode_consts(an *a, bool values) {
    for (uint32_t i = 0; i < a->n; i++) {
        const hc_node *n = &a->g->nodes[i];
        const hc_tensor_proto *t = hc_doctor_const_value(n);
        hc_dtype dt;
        if (!t || !hc_doctor_decodable(t)) continue;
        /* A value in another dtype than the attribute says is not ours to rewrite. */
        if (!hc_node_attr_type(n, "dtype", &dt) || dt != t->dtype) continue;
        a->c[i].t = t;
        if (!values) continue;
        hc_status s = hc_tensor_values(a->r->ctx, &a->r->arena, t, &a->c[i].data, &a->c[i].count);
        if (s) {
            hc_ctx_add_node(a->r->ctx, n->name.p, n->name.n);
            return s;
        }
        a->c[i].size = a->c[i].count * hc_dtype_size(t->dtype);
    }
    return HC_OK;
}

/* Best time of a few runs of hc_tensor_values on t, per stored value, in ns. */
static double time_decode(hc_ctx *ctx, const hc_tensor_proto *t, int runs) {
    double best = INFINITY;
    for (int run = 0; run < runs; run++) {
        hc_arena tmp;
        hc_arena_init(&tmp, ctx);
        const void *d;
        size_t count;
        double t0 = hc_now();
        hc_status s = hc_tensor_values(ctx, &tmp, t, &d, &count);
        double dt = hc_now() - t0;
        hc_arena_fini(&tmp);
        if (s) return 0.0;
        if (dt < best) best = dt;
    }
    return isfinite(best) ? best * 1e9 / (double)t->n_vals : 0.0;
}

#define HC_DOC_SAMPLE_VALUES 65536

/* The list measured: the model's own when long enough; a short one is repeated to at least
 * 64k values, so the per-tensor overhead and the clock's resolution do not swamp the cost of
 * a value (the values, and so their varint lengths, stay the model's). */
static const hc_tensor_proto *sample_list(hc_arena *arena, const hc_tensor_proto *t) {
    if (t->n_vals >= HC_DOC_SAMPLE_VALUES) return t;
    size_t reps = HC_DOC_SAMPLE_VALUES / t->n_vals + 1, bytes;
    if (!hc_mul_size(reps, t->vals.n, &bytes)) return NULL;
    uint8_t *p = hc_arena_alloc_raw(arena, bytes);
    hc_tensor_proto *s = hc_arena_alloc(arena, sizeof *s);
    int64_t *dim = hc_arena_alloc(arena, sizeof *dim);
    if (!p || !s || !dim) return NULL;
    for (size_t k = 0; k < reps; k++)
        memcpy(p + k * t->vals.n, t->vals.p, t->vals.n);
    *dim = (int64_t)(reps * t->n_vals);
    *s = *t;
    s->shape = (hc_shape){1, dim};
    s->vals = hc_span_of(p, bytes);
    s->n_vals = reps * t->n_vals;
    return s;
}

/* One copy of packed bytes, the least a reader that does not map the file pays. hc_buf_put
 * lives in another file, so the copy is not optimised away. */
static double time_copy(hc_ctx *ctx, hc_span s, int runs) {
    hc_buf b;
    hc_buf_init(&b, ctx);
    if (!hc_buf_reserve(&b, s.n)) return 0.0;
    size_t inner = s.n >= (4u << 20) ? 1 : (4u << 20) / s.n + 1;
    double best = INFINITY;
    for (int run = 0; run < runs; run++) {
        double t0 = hc_now();
        for (size_t k = 0; k < inner; k++) {
            b.n = 0;
            hc_buf_put(&b, s.p, s.n);
        }
        double dt = (hc_now() - t0) / (double)inner;
        if (dt < best) best = dt;
    }
    hc_buf_fini(&b);
    return isfinite(best) ? best * 1e9 / (double)s.n : 0.0;
}

static hc_status measure(an *a) {
    hc_doctor_cost *c = &a->r->cost;
    int32_t list[3] = {-1, -1, -1}, packed = -1;
    for (uint32_t i = 0; i < a->n; i++) {
        const hc_tensor_proto *t = a->c[i].t;
        if (!t) continue;
        if (t->enc == HC_ENC_VALUES && t->n_vals) {
            int w = wt_class(t->val_wt);
            if (list[w] < 0 || a->c[list[w]].t->n_vals < t->n_vals) list[w] = (int32_t)i;
        } else if (t->enc == HC_ENC_CONTENT && t->content.n) {
            if (packed < 0 || a->c[packed].t->content.n < t->content.n) packed = (int32_t)i;
        }
    }
    c->runs = a->r->opts.no_timing ? 0 : 5;
    for (int w = 0; w < 3; w++) {
        if (list[w] < 0) continue;
        const hc_tensor_proto *t = a->c[list[w]].t;
        c->sample[w] = hc_node_cname(a->g, &a->g->nodes[list[w]]);
        c->sample_values[w] = t->n_vals;
        if (!c->runs) continue;
        hc_arena tmp;
        hc_arena_init(&tmp, a->r->ctx);
        const hc_tensor_proto *st = sample_list(&tmp, t);
        if (st) c->ns_per_value[w] = time_decode(a->r->ctx, st, c->runs);
        hc_arena_fini(&tmp);
        if (!st) return HC_NOMEM;
    }
    if (packed >= 0) {
        c->byte_sample = hc_node_cname(a->g, &a->g->nodes[packed]);
        if (c->runs) c->ns_per_byte = time_copy(a->r->ctx, a->c[packed].t->content, c->runs);
    }
    return HC_OK;
}

/* ---- unused nodes ------------------------------------------------------------------------ */

static void mark_reached(an *a, int32_t *stack) {
    const hc_model *m = a->r->model;
    size_t sp = 0;
    for (size_t k = 0; k < m->n_outputs; k++) {
        int32_t o = m->outputs[k].node;
        if (o >= 0 && (uint32_t)o < a->n && !a->c[o].reached) {
            a->c[o].reached = true;
            stack[sp++] = o;
        }
    }
    while (sp) {
        const hc_node *n = &a->g->nodes[stack[--sp]];
        for (uint32_t k = 0; k < n->n_in; k++) {
            int32_t p = n->in[k].node;
            if (a->c[p].reached) continue;
            a->c[p].reached = true;
            stack[sp++] = p;
        }
    }
}

/* Why an unused node must stay, or NULL when removing it is safe by itself. */
static const char *keep_reason(const an *a, uint32_t i) {
    const hc_node *n = &a->g->nodes[i];
    if (a->c[i].protect) return "kept: named by a colocation attribute (_class)";
    if (!n->def) return "kept: unknown op (it may have side effects)";
    if ((n->def->flags & HC_OPF_STATEFUL) && !hc_span_eq_str(n->op, "Assert"))
        return "kept: stateful op (a caller may run it as a target)";
    return NULL;
}

/* An unused node that must stay keeps everything unused it is connected to: its inputs (it
 * still reads them) and its readers (without them it would become a sink, that is a new
 * graph output). */
static void close_removable(an *a) {
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t i = 0; i < a->n; i++) {
            const hc_node *n = &a->g->nodes[i];
            for (uint32_t k = 0; k < n->n_in; k++) {
                cnode *p = &a->c[n->in[k].node], *c = &a->c[i];
                if (!p->unused || !c->unused || p->removable == c->removable) continue;
                p->removable = c->removable = false;
                changed = true;
            }
        }
    }
}

static hc_status find_unused(an *a) {
    /* With no outputs every node would look unused: nothing can be said. */
    if (!a->r->model->n_outputs) return HC_OK;
    int32_t *stack = hc_arena_array(&a->r->arena, a->n + 1u, sizeof *stack);
    if (!stack) return HC_NOMEM;
    mark_reached(a, stack);
    for (uint32_t i = 0; i < a->n; i++) {
        const hc_node *n = &a->g->nodes[i];
        /* Graph inputs are the model's interface: an unfed Placeholder is not a defect. */
        if (a->c[i].reached || n->removed || hc_span_eq_str(n->op, "Placeholder")) continue;
        a->c[i].unused = true;
        a->c[i].removable = keep_reason(a, i) == NULL;
    }
    close_removable(a);
    for (uint32_t i = 0; i < a->n; i++) {
        if (!a->c[i].unused) continue;
        const char *why = keep_reason(a, i);
        bool ok = a->c[i].removable;
        hc_doctor_finding *f = add(a, HC_DOC_UNUSED, (int32_t)i,
                                   ok    ? "removed"
                                   : why ? why
                                         : "kept: connected to an unused node that must stay",
                                   ok);
        if (!f) return HC_NOMEM;
        size_t nb = a->g->nodes[i].src.n;
        f->saved = field_bytes(1, nb);
        if (!a->c[i].t) f->bytes = nb;
        a->c[i].taken = ok;
        tally(a->r, f, 0);
    }
    return HC_OK;
}

static void mark_colocated(an *a) {
    for (uint32_t i = 0; i < a->n; i++) {
        const hc_attr *cl = hc_node_attr(&a->g->nodes[i], "_class");
        if (!cl || cl->kind != HC_ATTR_LIST || cl->u.list->kind != HC_ATTR_S) continue;
        for (size_t k = 0; k < cl->u.list->n; k++) {
            hc_span s = cl->u.list->u.s[k];
            if (s.n <= 5 || memcmp(s.p, "loc:@", 5)) continue;
            int32_t p = hc_graph_find(a->g, hc_span_of(s.p + 5, s.n - 5));
            if (p >= 0) a->c[p].protect = true;
        }
    }
}

/* ---- duplicates --------------------------------------------------------------------------- */

static bool same_attrs(const hc_node *x, const hc_node *y) {
    if (x->n_attrs != y->n_attrs) return false;
    for (uint32_t k = 0; k < x->n_attrs; k++) {
        const hc_attr *ax = &x->attrs[k];
        if (hc_span_eq_str(ax->name, "value")) continue;
        const hc_attr *ay = NULL;
        for (uint32_t j = 0; j < y->n_attrs && !ay; j++)
            if (hc_span_eq(y->attrs[j].name, ax->name)) ay = &y->attrs[j];
        if (!ay || !ax->src.p || !ay->src.p || !hc_span_eq(ax->src, ay->src)) return false;
    }
    return true;
}

/* Same values, dtype and shape, and nothing else that could tell them apart: device, control
 * inputs (inside a loop they place the constant in its frame) and other attributes. */
static bool same_const(const an *a, uint32_t i, uint32_t j) {
    const cnode *x = &a->c[i], *y = &a->c[j];
    const hc_node *nx = &a->g->nodes[i], *ny = &a->g->nodes[j];
    if (x->t->dtype != y->t->dtype || x->size != y->size || x->hash != y->hash) return false;
    if (x->t->shape.rank != y->t->shape.rank) return false;
    for (int32_t d = 0; d < x->t->shape.rank; d++)
        if (x->t->shape.dims[d] != y->t->shape.dims[d]) return false;
    if (!hc_span_eq(nx->device, ny->device) || nx->n_in != ny->n_in) return false;
    for (uint32_t k = 0; k < nx->n_in; k++)
        if (!hc_span_eq(nx->in_names[k], ny->in_names[k])) return false;
    return same_attrs(nx, ny) && memcmp(x->data, y->data, x->size) == 0;
}

typedef struct keyed {
    uint64_t hash;
    uint32_t node;
} keyed;

static int by_hash(const void *p, const void *q) {
    const keyed *x = p, *y = q;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

static hc_status record_duplicate(an *a, uint32_t dup, uint32_t keep) {
    bool ok = !a->c[dup].protect;
    hc_doctor_finding *f = add(a, HC_DOC_DUPLICATE, (int32_t)dup,
                               ok ? "readers re-pointed to the first copy; this one removed"
                                  : "kept: named by a colocation attribute (_class)",
                               ok);
    if (!f) return HC_NOMEM;
    f->same_as = (int32_t)keep;
    f->same_name = hc_node_cname(a->g, &a->g->nodes[keep]);
    if (!f->same_name) return HC_NOMEM;
    f->saved = field_bytes(1, a->g->nodes[dup].src.n);
    a->c[dup].same_as = (int32_t)keep;
    a->c[dup].taken = ok;
    tally(a->r, f, 0);
    return HC_OK;
}

static hc_status find_duplicates(an *a) {
    keyed *idx = hc_arena_array(&a->r->arena, a->n + 1u, sizeof *idx);
    uint32_t m = 0;
    if (!idx) return HC_NOMEM;
    for (uint32_t i = 0; i < a->n; i++) {
        cnode *c = &a->c[i];
        /* Unused constants go anyway: never keep one as the copy others read. */
        if (!c->t || !c->data || c->size < a->r->opts.min_bytes || c->taken) continue;
        c->hash = hc_hash(c->data, c->size) ^ ((uint64_t)c->t->dtype << 56) ^ c->count;
        idx[m++] = (keyed){c->hash, i};
    }
    /* Equal hashes end up next to each other, in node order: the first of a run is kept. */
    qsort(idx, m, sizeof *idx, by_hash);
    for (uint32_t s = 0, e; s < m; s = e) {
        for (e = s + 1; e < m && idx[e].hash == idx[s].hash;)
            e++;
        for (uint32_t j = s + 1; j < e; j++) {
            for (uint32_t i = s; i < j; i++) {
                if (a->c[idx[i].node].same_as >= 0 || !same_const(a, idx[i].node, idx[j].node))
                    continue;
                hc_status st = record_duplicate(a, idx[j].node, idx[i].node);
                if (st) return st;
                break;
            }
        }
    }
    return HC_OK;
}

/* ---- broadcast constants and value lists ------------------------------------------------- */

static bool all_equal(const cnode *c) {
    size_t sz = c->size / c->count;
    const uint8_t *p = c->data;
    return memcmp(p + sz, p, c->size - sz) == 0;
}

static hc_status check_broadcast(an *a, uint32_t i, bool *found) {
    const cnode *c = &a->c[i];
    const hc_tensor_proto *t = c->t;
    uint8_t one[10];
    uint32_t wt;
    *found = false;
    bool full = t->enc == HC_ENC_CONTENT || (t->enc == HC_ENC_VALUES && t->n_vals >= 2);
    if (!c->data || c->count < 2 || c->size < a->r->opts.min_bytes || !full) return HC_OK;
    size_t k = hc_doctor_encode_one(t->dtype, c->data, one, &wt);
    if (!k || !all_equal(c)) return HC_OK;
    hc_doctor_finding *f =
        add(a, HC_DOC_BROADCAST, (int32_t)i,
            "stored as one value (TensorFlow repeats it to fill the shape)", true);
    if (!f) return HC_NOMEM;
    uint32_t num = t->enc == HC_ENC_VALUES ? t->val_field : 4;
    f->saved = field_bytes(num, f->bytes) - field_bytes(hc_tensor_val_field(t->dtype), k);
    tally(a->r, f, 0);
    *found = true;
    return HC_OK;
}

static hc_status check_value_list(an *a, uint32_t i) {
    const hc_tensor_proto *t = a->c[i].t;
    int64_t elems = hc_shape_elems(&t->shape);
    if (t->enc != HC_ENC_VALUES || (int64_t)t->n_vals != elems) return HC_OK;
    /* half_val is never TensorFlow's form for more than one value (make_tensor_proto packs
     * every tensor of more than one element); other lists are flagged when long. */
    size_t min = t->val_field == 13 ? 2 : a->r->opts.min_list_values;
    if (t->n_vals < min) return HC_OK;
    hc_doctor_finding *f = add(a, HC_DOC_VALUE_LIST, (int32_t)i, "packed as tensor_content", true);
    if (!f) return HC_NOMEM;
    uint64_t packed = (uint64_t)elems * hc_dtype_size(t->dtype);
    f->saved = field_bytes(t->val_field, t->vals.n) - field_bytes(4, packed);
    tally(a->r, f, t->val_field);
    return HC_OK;
}

static hc_status classify_consts(an *a) {
    for (uint32_t i = 0; i < a->n; i++) {
        if (!a->c[i].t) continue;
        bool found = false;
        size_t before = a->r->n_items;
        hc_status s = want(a, HC_DOC_BROADCAST) ? check_broadcast(a, i, &found) : HC_OK;
        if (!s && !found && want(a, HC_DOC_VALUE_LIST)) s = check_value_list(a, i);
        if (s) return s;
        /* Reported all the same (the encoding is what the file has), but nothing to repack:
         * another fix removes the node. */
        if (a->c[i].taken && a->r->n_items > before) untally(a->r, &a->r->items[before]);
    }
    return HC_OK;
}

/* ---- the report ------------------------------------------------------------------------- */

static hc_status analyze(an *a) {
    hc_doctor_report *r = a->r;
    hc_status s = hc_graphdef_read(&r->g, r->model->bytes);
    if (s) return s;
    a->g = &r->g;
    a->n = r->g.n_nodes;
    a->c = hc_arena_array(&r->arena, a->n + 1u, sizeof *a->c);
    if (!a->c) return HC_NOMEM;
    for (uint32_t i = 0; i < a->n; i++)
        a->c[i].same_as = -1;
    bool values = want(a, HC_DOC_BROADCAST) || want(a, HC_DOC_DUPLICATE);
    if ((s = decode_consts(a, values))) return s;
    if ((s = measure(a))) return s;
    mark_colocated(a);
    if (want(a, HC_DOC_UNUSED) && (s = find_unused(a))) return s;
    if (want(a, HC_DOC_DUPLICATE) && (s = find_duplicates(a))) return s;
    return classify_consts(a);
}

hc_status hc_doctor_analyze(hc_ctx *ctx, const hc_model *m, const hc_doctor_options *opts,
                            hc_doctor_report **out) {
    *out = NULL;
    hc_doctor_report *r = hc_calloc(ctx, 1, sizeof *r);
    if (!r) return HC_NOMEM;
    r->ctx = ctx;
    r->model = m;
    hc_arena_init(&r->arena, ctx);
    hc_graph_init(&r->g, ctx);
    if (opts) r->opts = *opts;
    if (!r->opts.kinds) r->opts.kinds = HC_DOC_ALL;
    if (!r->opts.min_list_values) r->opts.min_list_values = 64;
    if (!r->opts.min_bytes) r->opts.min_bytes = 64;
    const char *saved = ctx->file;
    if (m->path) ctx->file = m->path;
    an a = {.r = r};
    hc_status s = analyze(&a);
    ctx->file = saved;
    if (s) {
        hc_doctor_report_free(r);
        return s;
    }
    *out = r;
    return HC_OK;
}

void hc_doctor_report_free(hc_doctor_report *r) {
    if (!r) return;
    hc_graph_fini(&r->g);
    hc_arena_fini(&r->arena);
    hc_dealloc(r->ctx, r);
}
