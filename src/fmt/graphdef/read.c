/* read.c - binary GraphDef into hc_graph without copying: names, inputs and weights are
 * spans into the input. The function library, versions and unknown fields are kept verbatim.
 *
 * Schema (tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto):
 *   GraphDef   1 node, 2 library, 3 version, 4 versions
 *   NodeDef    1 name, 2 op, 3 input, 4 device, 5 attr (map entry: 1 key, 2 value)
 *   AttrValue  1 list, 2 s, 3 i, 4 f, 5 b, 6 type, 7 shape, 8 tensor, 9 placeholder, 10 func
 *   ListValue  2 s, 3 i, 4 f, 5 b, 6 type, 7 shape, 8 tensor, 9 func
 *   TensorProto 1 dtype, 2 tensor_shape, 4 tensor_content, 5 float_val, 6 double_val,
 *              7 int_val, 8 string_val, 10 int64_val, 11 bool_val, 13 half_val,
 *              16 uint32_val, 17 uint64_val
 *   TensorShapeProto 2 dim (1 size, 2 name), 3 unknown_rank */
#include "fmt/graphdef/graphdef.h"
#include "pb/wire.h"

#include <stdio.h>

#define MAX_ATTRS 4096
#define MAX_LIST  1000000

typedef struct reader {
    hc_graph *g;
    hc_ctx *ctx;
} reader;

static hc_status next(reader *r, hc_pb *pb, hc_pb_field *f, bool *got) {
    return hc_pb_next(r->ctx, pb, f, got);
}

static hc_status expect_wt(reader *r, const hc_pb_field *f, uint32_t wt, const char *what) {
    if (f->wt == wt) return HC_OK;
    return hc_fail(r->ctx, HC_MALFORMED, NULL, "%s has wire type %u, expected %u", what,
                   (unsigned)f->wt, (unsigned)wt);
}

static hc_status read_shape(reader *r, hc_span s, hc_shape *out) {
    hc_pb pb = hc_pb_of(s, r->g->base), count = pb;
    hc_pb_field f;
    bool got;
    size_t dims = 0;
    hc_status st;
    while ((st = next(r, &count, &f, &got)) == HC_OK && got)
        dims += f.num == 2;
    if (st) return st;
    if (dims > HC_MAX_RANK * 4)
        return hc_fail(r->ctx, HC_LIMIT, NULL, "shape of rank %zu exceeds the limit", dims);
    out->rank = (int32_t)dims;
    out->dims = dims ? hc_arena_alloc_raw(&r->g->arena, dims * sizeof(int64_t)) : NULL;
    if (dims && !out->dims) return HC_NOMEM;
    size_t k = 0;
    while ((st = next(r, &pb, &f, &got)) == HC_OK && got) {
        if (f.num == 3 && f.wt == HC_WT_VARINT && f.v) out->rank = -1;
        if (f.num != 2) continue;
        if ((st = expect_wt(r, &f, HC_WT_LEN, "shape dim"))) return st;
        hc_pb dpb = hc_pb_of(f.s, r->g->base);
        hc_pb_field df;
        int64_t size = 0; /* proto3 default: an absent size is 0, unknown is written as -1 */
        while ((st = next(r, &dpb, &df, &got)) == HC_OK && got)
            if (df.num == 1 && df.wt == HC_WT_VARINT) size = (int64_t)df.v;
        if (st) return st;
        if (k < dims) out->dims[k++] = size < -1 ? -1 : size; /* dims were counted above */
    }
    if (out->rank < 0) out->dims = NULL;
    return st;
}

static bool is_val_field(uint32_t field) {
    return (field >= 5 && field <= 7) || field == 10 || field == 11 || field == 13 || field == 16 ||
           field == 17;
}

/* Element wire type of a numeric *_val field. */
static uint32_t val_wire_type(uint32_t field) {
    switch (field) {
    case 5:
        return HC_WT_I32; /* float_val */
    case 6:
        return HC_WT_I64; /* double_val */
    default:
        return HC_WT_VARINT; /* int_val, int64_val, bool_val, half_val, uint32/64_val */
    }
}

/* Gather a *_val list: one packed field is kept as a view; anything else is re-packed into
 * the arena so that every consumer sees one packed payload. */
static hc_status add_vals(reader *r, hc_tensor_proto *t, const hc_pb_field *f, hc_buf *extra) {
    uint32_t wt = val_wire_type(f->num);
    if (t->val_field && t->val_field != f->num)
        return hc_fail(r->ctx, HC_MALFORMED, NULL, "tensor mixes value fields %u and %u",
                       t->val_field, f->num);
    hc_span piece;
    uint8_t tmp[10];
    if (f->wt == HC_WT_LEN) {
        piece = f->s;
    } else if (f->wt == wt) {
        size_t k = 0;
        if (wt == HC_WT_VARINT) {
            uint64_t v = f->v;
            while (v >= 0x80) {
                tmp[k++] = (uint8_t)(v | 0x80);
                v >>= 7;
            }
            tmp[k++] = (uint8_t)v;
        } else {
            k = wt == HC_WT_I32 ? 4 : 8;
            memcpy(tmp, &f->v, k);
        }
        piece = hc_span_of(tmp, k);
    } else {
        return hc_fail(r->ctx, HC_MALFORMED, NULL, "tensor value field %u has wire type %u", f->num,
                       f->wt);
    }
    size_t c;
    if (!hc_pb_packed_count(piece, wt, &c))
        return hc_fail(r->ctx, HC_MALFORMED, NULL, "packed values of field %u are cut short",
                       f->num);
    if (!t->val_field && f->wt == HC_WT_LEN) {
        t->vals = piece; /* the common case: one packed field, kept as a view */
    } else {
        if (t->vals.n && extra->n == 0) hc_buf_put(extra, t->vals.p, t->vals.n);
        hc_buf_put(extra, piece.p, piece.n);
        if (extra->failed) return HC_NOMEM;
        t->vals = hc_span_of(NULL, 0); /* set from extra when done */
    }
    t->val_field = f->num;
    t->val_wt = wt;
    t->n_vals += c;
    return HC_OK;
}

static hc_status read_tensor(reader *r, hc_span s, hc_tensor_proto **out) {
    hc_tensor_proto *t = hc_arena_alloc(&r->g->arena, sizeof *t);
    if (!t) return HC_NOMEM;
    t->src = s;
    t->shape.rank = 0;
    hc_pb pb = hc_pb_of(s, r->g->base);
    hc_pb_field f;
    bool got;
    hc_status st;
    hc_buf extra;
    hc_buf_init(&extra, r->ctx);
    while ((st = next(r, &pb, &f, &got)) == HC_OK && got) {
        if (f.num == 1 && f.wt == HC_WT_VARINT) {
            t->dtype = (hc_dtype)(f.v > 1000 ? 0 : f.v);
        } else if (f.num == 2 && f.wt == HC_WT_LEN) {
            st = read_shape(r, f.s, &t->shape);
        } else if (f.num == 4 && f.wt == HC_WT_LEN) {
            t->content = f.s;
            t->enc = HC_ENC_CONTENT;
        } else if (is_val_field(f.num)) {
            st = add_vals(r, t, &f, &extra);
        } else if (f.num == 8) {
            t->val_field = 8; /* string_val: counted, read from src when needed */
            t->n_vals++;
        }
        if (st) break;
    }
    if (st == HC_OK && extra.n) {
        t->vals = hc_arena_span(&r->g->arena, extra.p, extra.n);
        if (!t->vals.p) st = HC_NOMEM;
    }
    hc_buf_fini(&extra);
    if (st) return st;
    if (t->enc != HC_ENC_CONTENT && t->n_vals) t->enc = HC_ENC_VALUES;
    *out = t;
    return HC_OK;
}

/* Count the values of a repeated scalar list field (packed or not) in a ListValue. */
static hc_status list_count(reader *r, hc_span s, uint32_t *num, size_t *count) {
    hc_pb pb = hc_pb_of(s, r->g->base);
    hc_pb_field f;
    bool got;
    hc_status st;
    *num = 0;
    *count = 0;
    while ((st = next(r, &pb, &f, &got)) == HC_OK && got) {
        if (f.num < 2 || f.num > 9) continue;
        if (*num && *num != f.num)
            return hc_fail(r->ctx, HC_MALFORMED, NULL, "attribute list mixes kinds");
        *num = f.num;
        size_t c = 1;
        if (f.wt == HC_WT_LEN && (f.num == 3 || f.num == 4 || f.num == 5 || f.num == 6)) {
            uint32_t wt = f.num == 4 ? HC_WT_I32 : HC_WT_VARINT;
            if (!hc_pb_packed_count(f.s, wt, &c))
                return hc_fail(r->ctx, HC_MALFORMED, NULL, "packed attribute list is cut short");
        }
        *count += c;
        if (*count > MAX_LIST)
            return hc_fail(r->ctx, HC_LIMIT, NULL, "attribute list longer than %d", MAX_LIST);
    }
    return st;
}

static const hc_attr_kind LIST_KIND[10] = {
    [2] = HC_ATTR_S,    [3] = HC_ATTR_I,     [4] = HC_ATTR_F,      [5] = HC_ATTR_B,
    [6] = HC_ATTR_TYPE, [7] = HC_ATTR_SHAPE, [8] = HC_ATTR_TENSOR, [9] = HC_ATTR_FUNC};

static hc_status list_put_scalar(reader *r, hc_attr_list *l, size_t *k, uint32_t num, uint64_t v) {
    (void)r;
    switch (num) {
    case 3:
        l->u.i[(*k)++] = (int64_t)v;
        break;
    case 4: {
        uint32_t w = (uint32_t)v;
        memcpy(&l->u.f[(*k)++], &w, 4);
        break;
    }
    case 5:
        l->u.b[(*k)++] = v != 0;
        break;
    case 6:
        l->u.type[(*k)++] = (hc_dtype)(v > 1000 ? 0 : v);
        break;
    default:
        break;
    }
    return HC_OK;
}

static hc_status list_scalars(reader *r, hc_attr_list *l, size_t *k, const hc_pb_field *f) {
    if (f->wt != HC_WT_LEN) return list_put_scalar(r, l, k, f->num, f->v);
    const uint8_t *p = f->s.p, *end = f->s.p + f->s.n;
    while (p < end) {
        uint64_t v = 0;
        if (f->num == 4) {
            uint32_t w;
            memcpy(&w, p, 4);
            v = w;
            p += 4;
        } else if (!hc_pb_varint(&p, end, &v)) {
            return hc_fail(r->ctx, HC_MALFORMED, NULL, "bad varint in attribute list");
        }
        list_put_scalar(r, l, k, f->num, v);
    }
    return HC_OK;
}

static hc_status read_list(reader *r, hc_span s, hc_attr_list **out) {
    uint32_t num;
    size_t count;
    hc_status st = list_count(r, s, &num, &count);
    if (st) return st;
    hc_attr_list *l = hc_arena_alloc(&r->g->arena, sizeof *l);
    if (!l) return HC_NOMEM;
    *out = l;
    l->kind = count ? LIST_KIND[num] : HC_ATTR_NONE;
    l->n = count;
    if (!count) return HC_OK;
    static const size_t ELEM[10] = {[2] = sizeof(hc_span),
                                    [3] = sizeof(int64_t),
                                    [4] = sizeof(float),
                                    [5] = sizeof(bool),
                                    [6] = sizeof(hc_dtype),
                                    [7] = sizeof(hc_shape),
                                    [8] = sizeof(hc_tensor_proto *),
                                    [9] = sizeof(hc_span)};
    void *arr = hc_arena_array(&r->g->arena, count, ELEM[num]);
    if (!arr) return HC_NOMEM;
    l->u.s = arr; /* all union members alias the same array */
    hc_pb pb = hc_pb_of(s, r->g->base);
    hc_pb_field f;
    bool got;
    size_t k = 0;
    while ((st = next(r, &pb, &f, &got)) == HC_OK && got && k < count) {
        if (f.num != num) continue;
        if (num == 2 || num == 9) {
            if ((st = expect_wt(r, &f, HC_WT_LEN, "list element"))) return st;
            l->u.s[k++] = f.s;
        } else if (num == 7) {
            if ((st = expect_wt(r, &f, HC_WT_LEN, "list shape"))) return st;
            if ((st = read_shape(r, f.s, &l->u.shape[k++]))) return st;
        } else if (num == 8) {
            if ((st = expect_wt(r, &f, HC_WT_LEN, "list tensor"))) return st;
            if ((st = read_tensor(r, f.s, &l->u.tensor[k++]))) return st;
        } else if ((st = list_scalars(r, l, &k, &f))) {
            return st;
        }
    }
    return st;
}

static hc_status read_attr_value(reader *r, hc_span s, hc_attr *a) {
    hc_pb pb = hc_pb_of(s, r->g->base);
    hc_pb_field f;
    bool got;
    hc_status st;
    a->src = s;
    a->kind = HC_ATTR_NONE;
    while ((st = next(r, &pb, &f, &got)) == HC_OK && got) {
        switch (f.num) {
        case 1:
            if ((st = expect_wt(r, &f, HC_WT_LEN, "attribute list"))) return st;
            a->kind = HC_ATTR_LIST;
            st = read_list(r, f.s, &a->u.list);
            break;
        case 2:
        case 9:
            if ((st = expect_wt(r, &f, HC_WT_LEN, "string attribute"))) return st;
            a->kind = f.num == 2 ? HC_ATTR_S : HC_ATTR_PLACEHOLDER;
            a->u.s = f.s;
            break;
        case 3:
            a->kind = HC_ATTR_I;
            a->u.i = (int64_t)f.v;
            break;
        case 4: {
            if ((st = expect_wt(r, &f, HC_WT_I32, "float attribute"))) return st;
            uint32_t w = (uint32_t)f.v;
            a->kind = HC_ATTR_F;
            memcpy(&a->u.f, &w, 4);
            break;
        }
        case 5:
            a->kind = HC_ATTR_B;
            a->u.b = f.v != 0;
            break;
        case 6:
            a->kind = HC_ATTR_TYPE;
            a->u.type = (hc_dtype)(f.v > 1000 ? 0 : f.v);
            break;
        case 7:
            if ((st = expect_wt(r, &f, HC_WT_LEN, "shape attribute"))) return st;
            a->kind = HC_ATTR_SHAPE;
            st = read_shape(r, f.s, &a->u.shape);
            break;
        case 8:
            if ((st = expect_wt(r, &f, HC_WT_LEN, "tensor attribute"))) return st;
            a->kind = HC_ATTR_TENSOR;
            st = read_tensor(r, f.s, &a->u.tensor);
            break;
        case 10: {
            if ((st = expect_wt(r, &f, HC_WT_LEN, "func attribute"))) return st;
            a->kind = HC_ATTR_FUNC;
            hc_pb fp = hc_pb_of(f.s, r->g->base);
            hc_pb_field ff;
            while ((st = next(r, &fp, &ff, &got)) == HC_OK && got)
                if (ff.num == 1 && ff.wt == HC_WT_LEN) a->u.func = ff.s;
            break;
        }
        default:
            break;
        }
        if (st) return st;
    }
    return st;
}

static hc_status read_attr_entry(reader *r, hc_span s, hc_attr *a) {
    hc_pb pb = hc_pb_of(s, r->g->base);
    hc_pb_field f;
    bool got, have_value = false;
    hc_status st;
    hc_span value = {0};
    while ((st = next(r, &pb, &f, &got)) == HC_OK && got) {
        if (f.num == 1) {
            if ((st = expect_wt(r, &f, HC_WT_LEN, "attribute name"))) return st;
            a->name = f.s;
        } else if (f.num == 2) {
            if ((st = expect_wt(r, &f, HC_WT_LEN, "attribute value"))) return st;
            value = f.s;
            have_value = true;
        }
    }
    if (st) return st;
    if (!have_value) {
        a->kind = HC_ATTR_NONE;
        a->src = hc_span_of(s.p + s.n, 0);
        return HC_OK;
    }
    return read_attr_value(r, value, a);
}

/* Count repeated fields first so that arrays are sized exactly (no regrowth). */
static hc_status count_node_fields(reader *r, hc_span s, uint32_t *ins, uint32_t *attrs,
                                   uint32_t *opaque) {
    hc_pb pb = hc_pb_of(s, r->g->base);
    hc_pb_field f;
    bool got;
    hc_status st;
    *ins = *attrs = *opaque = 0;
    while ((st = next(r, &pb, &f, &got)) == HC_OK && got) {
        if (f.num == 3)
            ++*ins;
        else if (f.num == 5)
            ++*attrs;
        else if (f.num > 4)
            ++*opaque;
    }
    if (st) return st;
    if (*ins > HC_MAX_INPUTS || *attrs > MAX_ATTRS)
        return hc_fail(r->ctx, HC_LIMIT, NULL, "node has %u inputs and %u attributes", *ins,
                       *attrs);
    return HC_OK;
}

static hc_status node_fields(reader *r, hc_node *n, hc_span s) {
    hc_pb pb = hc_pb_of(s, r->g->base);
    hc_pb_field f;
    bool got;
    hc_status st;
    uint32_t ki = 0, ka = 0, ko = 0;
    while ((st = next(r, &pb, &f, &got)) == HC_OK && got) {
        if (f.num >= 1 && f.num <= 4) {
            if ((st = expect_wt(r, &f, HC_WT_LEN, "node field"))) return st;
            if (f.num == 1)
                n->name = f.s;
            else if (f.num == 2)
                n->op = f.s;
            else if (f.num == 3 && ki < n->n_in) /* counted by count_node_fields */
                n->in_names[ki++] = f.s;
            else
                n->device = f.s;
        } else if (f.num == 5) {
            if ((st = expect_wt(r, &f, HC_WT_LEN, "node attribute"))) return st;
            if (ka < n->n_attrs && (st = read_attr_entry(r, f.s, &n->attrs[ka++]))) return st;
        } else if (ko < n->n_opaque) {
            n->opaque[ko++] = f.raw;
        }
    }
    return st;
}

/* Re-record a wire error with the node's name in front. */
static hc_status with_node(reader *r, hc_status st, hc_span name) {
    if (!name.n || r->ctx->status == HC_OK) return st;
    char msg[sizeof r->ctx->message];
    const char *m = r->ctx->message;
    if (r->ctx->file && !strncmp(m, r->ctx->file, strlen(r->ctx->file)))
        m += strlen(r->ctx->file) + 2;
    snprintf(msg, sizeof msg, "%s", m);
    char where[sizeof r->ctx->where];
    memcpy(where, r->ctx->where, sizeof where);
    hc_ctx_clear(r->ctx);
    hc_fail_n(r->ctx, st, name.p, name.n, "%s", msg);
    memcpy(r->ctx->where, where, sizeof where);
    return st;
}

static hc_status read_node(reader *r, hc_span s) {
    uint32_t ins, attrs, opaque;
    hc_status st = count_node_fields(r, s, &ins, &attrs, &opaque);
    if (st) return st;
    int32_t id = hc_graph_add_node(r->g);
    if (id < 0) return r->ctx->status;
    hc_node *n = &r->g->nodes[id];
    n->src = s;
    n->n_in = ins;
    n->n_attrs = n->cap_attrs = attrs;
    n->n_opaque = opaque;
    n->in_names = ins ? hc_arena_alloc_raw(&r->g->arena, ins * sizeof(hc_span)) : NULL;
    n->attrs = attrs ? hc_arena_array(&r->g->arena, attrs, sizeof(hc_attr)) : NULL;
    n->opaque = opaque ? hc_arena_alloc_raw(&r->g->arena, opaque * sizeof(hc_span)) : NULL;
    if ((ins && !n->in_names) || (attrs && !n->attrs) || (opaque && !n->opaque)) return HC_NOMEM;
    st = node_fields(r, n, s);
    if (st) return with_node(r, st, n->name);
    if (!n->op.n) return hc_fail_n(r->ctx, HC_MALFORMED, n->name.p, n->name.n, "node has no op");
    return HC_OK;
}

hc_status hc_graphdef_read(hc_graph *g, hc_span bytes) {
    reader r = {g, g->ctx};
    g->base = bytes.p;
    hc_pb pb = hc_pb_of(bytes, bytes.p), count = pb;
    hc_pb_field f;
    bool got;
    hc_status st;
    uint32_t n_top = 0, n_nodes = 0;
    while ((st = next(&r, &count, &f, &got)) == HC_OK && got) {
        n_top += f.num != 1;
        n_nodes += f.num == 1;
    }
    if (st || (st = hc_graph_reserve(g, g->n_nodes + n_nodes + 16))) return st;
    g->top_fields = n_top ? hc_arena_array(&g->arena, n_top, sizeof(hc_span)) : NULL;
    g->top_pos = n_top ? hc_arena_array(&g->arena, n_top, sizeof(uint32_t)) : NULL;
    if (n_top && (!g->top_fields || !g->top_pos)) return HC_NOMEM;
    size_t done = 0;
    while ((st = next(&r, &pb, &f, &got)) == HC_OK && got) {
        if (f.num == 1) {
            if ((st = expect_wt(&r, &f, HC_WT_LEN, "GraphDef node"))) return st;
            if ((st = read_node(&r, f.s))) return st;
        } else if (g->n_top_fields < n_top) {
            g->top_pos[g->n_top_fields] = g->n_nodes;
            g->top_fields[g->n_top_fields++] = f.raw;
        }
        done += f.raw.n;
        if ((g->n_nodes & 1023) == 0)
            hc_progress(g->ctx, "reading", (double)done / (double)(bytes.n + 1));
    }
    if (st) return st;
    return hc_graph_link(g);
}
