/* build.c - see build.h. */
#include "graph/build.h"
#include "fmt/graphdef/graphdef.h"
#include "pb/wire.h"

static bool ok(const hc_graph *g) {
    return g->ctx->status == HC_OK;
}

int32_t hc_gb_node(hc_graph *g, const char *op, const char *name, const char *const *inputs,
                   size_t n_in) {
    if (!ok(g)) return -1;
    int32_t id = hc_graph_add_node(g);
    if (id < 0) return -1;
    hc_node *n = &g->nodes[id];
    n->name = hc_arena_span(&g->arena, name, strlen(name));
    n->op = hc_arena_span(&g->arena, op, strlen(op));
    n->dirty = true;
    n->n_in = (uint32_t)n_in;
    n->in_names = n_in ? hc_arena_array(&g->arena, n_in, sizeof(hc_span)) : NULL;
    if (!n->name.p || !n->op.p || (n_in && !n->in_names)) return -1;
    for (size_t i = 0; i < n_in; i++) {
        n->in_names[i] = hc_arena_span(&g->arena, inputs[i], strlen(inputs[i]));
        if (!n->in_names[i].p) return -1;
    }
    return id;
}

static hc_attr *attr(hc_graph *g, int32_t node, const char *name) {
    return ok(g) && node >= 0 ? hc_node_set_attr(g, node, name) : NULL;
}

void hc_gb_type(hc_graph *g, int32_t node, const char *name, hc_dtype dt) {
    hc_attr *a = attr(g, node, name);
    if (a) a->kind = HC_ATTR_TYPE, a->u.type = dt;
}

void hc_gb_int(hc_graph *g, int32_t node, const char *name, int64_t v) {
    hc_attr *a = attr(g, node, name);
    if (a) a->kind = HC_ATTR_I, a->u.i = v;
}

void hc_gb_float(hc_graph *g, int32_t node, const char *name, float v) {
    hc_attr *a = attr(g, node, name);
    if (a) a->kind = HC_ATTR_F, a->u.f = v;
}

void hc_gb_bool(hc_graph *g, int32_t node, const char *name, bool v) {
    hc_attr *a = attr(g, node, name);
    if (a) a->kind = HC_ATTR_B, a->u.b = v;
}

void hc_gb_str(hc_graph *g, int32_t node, const char *name, const char *v) {
    hc_attr *a = attr(g, node, name);
    if (!a) return;
    a->kind = HC_ATTR_S;
    a->u.s = hc_arena_span(&g->arena, v, strlen(v));
}

static hc_attr_list *list(hc_graph *g, int32_t node, const char *name, hc_attr_kind kind, size_t n,
                          size_t elem) {
    hc_attr *a = attr(g, node, name);
    hc_attr_list *l = a ? hc_arena_alloc(&g->arena, sizeof *l) : NULL;
    void *arr = l ? hc_arena_array(&g->arena, n + 1, elem) : NULL;
    if (!arr) return NULL;
    a->kind = HC_ATTR_LIST;
    a->u.list = l;
    l->kind = n ? kind : HC_ATTR_NONE;
    l->n = n;
    l->u.i = arr;
    return l;
}

void hc_gb_ints(hc_graph *g, int32_t node, const char *name, const int64_t *v, size_t n) {
    hc_attr_list *l = list(g, node, name, HC_ATTR_I, n, sizeof(int64_t));
    if (l && n) memcpy(l->u.i, v, n * sizeof *v);
}

void hc_gb_types(hc_graph *g, int32_t node, const char *name, const hc_dtype *v, size_t n) {
    hc_attr_list *l = list(g, node, name, HC_ATTR_TYPE, n, sizeof(hc_dtype));
    if (l && n) memcpy(l->u.type, v, n * sizeof *v);
}

static bool make_shape(hc_graph *g, hc_shape *s, int rank, const int64_t *dims) {
    s->rank = rank;
    s->dims = NULL;
    if (rank <= 0) return true;
    s->dims = hc_arena_array(&g->arena, (size_t)rank, sizeof(int64_t));
    if (!s->dims) return false;
    memcpy(s->dims, dims, (size_t)rank * sizeof(int64_t));
    return true;
}

void hc_gb_shape(hc_graph *g, int32_t node, const char *name, int rank, const int64_t *dims) {
    hc_attr *a = attr(g, node, name);
    if (a && make_shape(g, &a->u.shape, rank, dims)) a->kind = HC_ATTR_SHAPE;
}

static hc_tensor_proto *new_tensor(hc_graph *g, hc_dtype dt, int rank, const int64_t *dims) {
    hc_tensor_proto *t = hc_arena_alloc(&g->arena, sizeof *t);
    if (!t || !make_shape(g, &t->shape, rank, dims)) return NULL;
    t->dtype = dt;
    return t;
}

void hc_gb_tensor(hc_graph *g, int32_t node, const char *name, hc_dtype dt, int rank,
                  const int64_t *dims, const void *data) {
    hc_attr *a = attr(g, node, name);
    hc_tensor_proto *t = a ? new_tensor(g, dt, rank, dims) : NULL;
    if (!t) return;
    int64_t n = hc_shape_elems(&t->shape);
    size_t bytes = (size_t)(n < 0 ? 0 : n) * hc_dtype_size(dt);
    t->enc = bytes ? HC_ENC_CONTENT : HC_ENC_NONE;
    t->content = hc_arena_span(&g->arena, data, bytes);
    a->kind = HC_ATTR_TENSOR;
    a->u.tensor = t;
}

/* Encode n values as the packed payload of the dtype's *_val field. */
static hc_span pack_vals(hc_graph *g, hc_dtype dt, const void *vals, size_t n, uint32_t *wt) {
    hc_buf b;
    hc_buf_init(&b, g->ctx);
    size_t sz = hc_dtype_size(dt);
    *wt = dt == HC_DT_FLOAT ? HC_WT_I32 : dt == HC_DT_DOUBLE ? HC_WT_I64 : HC_WT_VARINT;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = (const uint8_t *)vals + i * sz;
        if (*wt != HC_WT_VARINT) {
            hc_buf_put(&b, p, sz);
            continue;
        }
        uint64_t v = 0;
        if (sz == 1)
            v = p[0];
        else if (sz == 2)
            v = hc_ld_u16(p);
        else if (sz == 4)
            v = (uint64_t)(int64_t)hc_ld_i32(p);
        else
            v = (uint64_t)hc_ld_i64(p);
        uint8_t tmp[10];
        size_t k = 0;
        while (v >= 0x80)
            tmp[k++] = (uint8_t)(v | 0x80), v >>= 7;
        tmp[k++] = (uint8_t)v;
        hc_buf_put(&b, tmp, k);
    }
    hc_span s = hc_arena_span(&g->arena, b.p ? b.p : (const uint8_t *)"", b.n);
    hc_buf_fini(&b);
    return s;
}

void hc_gb_tensor_vals(hc_graph *g, int32_t node, const char *name, hc_dtype dt, int rank,
                       const int64_t *dims, const void *vals, size_t n) {
    hc_attr *a = attr(g, node, name);
    hc_tensor_proto *t = a ? new_tensor(g, dt, rank, dims) : NULL;
    if (!t) return;
    t->enc = n ? HC_ENC_VALUES : HC_ENC_NONE;
    t->val_field = hc_tensor_val_field(dt);
    t->vals = pack_vals(g, dt, vals, n, &t->val_wt);
    t->n_vals = n;
    a->kind = HC_ATTR_TENSOR;
    a->u.tensor = t;
}

int32_t hc_gb_const(hc_graph *g, const char *name, hc_dtype dt, int rank, const int64_t *dims,
                    const void *data) {
    int32_t n = HC_GB_SOURCE(g, "Const", name);
    hc_gb_type(g, n, "dtype", dt);
    hc_gb_tensor(g, n, "value", dt, rank, dims, data);
    return n;
}

int32_t hc_gb_const_f32(hc_graph *g, const char *name, int rank, const int64_t *dims,
                        const float *data) {
    return hc_gb_const(g, name, HC_DT_FLOAT, rank, dims, data);
}

int32_t hc_gb_const_i32(hc_graph *g, const char *name, int rank, const int64_t *dims,
                        const int32_t *data) {
    return hc_gb_const(g, name, HC_DT_INT32, rank, dims, data);
}

int32_t hc_gb_scalar_f32(hc_graph *g, const char *name, float v) {
    int32_t n = HC_GB_SOURCE(g, "Const", name);
    hc_gb_type(g, n, "dtype", HC_DT_FLOAT);
    hc_gb_tensor_vals(g, n, "value", HC_DT_FLOAT, 0, NULL, &v, 1);
    return n;
}

int32_t hc_gb_scalar_i32(hc_graph *g, const char *name, int32_t v) {
    int32_t n = HC_GB_SOURCE(g, "Const", name);
    hc_gb_type(g, n, "dtype", HC_DT_INT32);
    hc_gb_tensor_vals(g, n, "value", HC_DT_INT32, 0, NULL, &v, 1);
    return n;
}

int32_t hc_gb_placeholder(hc_graph *g, const char *name, hc_dtype dt, int rank,
                          const int64_t *dims) {
    int32_t n = HC_GB_SOURCE(g, "Placeholder", name);
    hc_gb_type(g, n, "dtype", dt);
    hc_gb_shape(g, n, "shape", rank, dims);
    return n;
}

hc_status hc_gb_finish(hc_graph *g, hc_buf *out) {
    if (!ok(g)) return g->ctx->status;
    hc_status s = hc_graph_link(g);
    if (!s) s = hc_graphdef_write(g, out);
    return s;
}
