/* runio.c - see runio.h. */
#include "cli.h"
#include "runio.h"

#include "compare/compare.h"

#include "base/fp16.h"
#include "base/io.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int hc_run_size(const char *s, hc_image_prep *prep) {
    char *end;
    errno = 0;
    long h = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != ',') || errno || h < 1 || h > 65535) return -1;
    const char *p = end + 1;
    long w = strtol(p, &end, 10);
    if (end == p || *end || errno || w < 1 || w > 65535) return -1;
    prep->height = h;
    prep->width = w;
    return 0;
}

int hc_run_floats(const char *s, float *out, int n) {
    int k = 0;
    const char *p = s;
    while (*p && k < n) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno) return -1;
        out[k++] = (float)v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    if (*p) return -1;
    if (k == 1)
        for (int i = 1; i < n; i++)
            out[i] = out[0]; /* one value stands for every channel */
    return k;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Small inputs given as numbers on the command line. */
static hc_status numbers_input(hc_ctx *ctx, const hc_io_info *in, const char *src, hc_npy *out) {
    float v[64];
    int k = hc_run_floats(src, v, 64);
    if (k <= 0)
        return hc_fail(ctx, HC_INVALID, in->name, "'%s' is not a file and not a list of numbers",
                       src);
    if (in->rank > 1 || (in->rank == 0 && k != 1) ||
        (in->rank == 1 && in->dims[0] >= 0 && in->dims[0] != k))
        return hc_fail(ctx, HC_INVALID, in->name, "%d numbers do not fit this input's shape", k);
    memset(out, 0, sizeof *out);
    out->dtype = in->dtype;
    out->rank = in->rank < 0 ? 1 : in->rank;
    out->dims[0] = k;
    size_t sz = hc_dtype_size(in->dtype);
    out->data = hc_calloc(ctx, (size_t)k, sz ? sz : 1);
    if (!out->data) return HC_NOMEM;
    out->owned = true;
    out->nbytes = (size_t)k * sz;
    for (int i = 0; i < k; i++) {
        uint8_t *p = (uint8_t *)out->data + (size_t)i * sz;
        if (in->dtype == HC_DT_FLOAT)
            memcpy(p, &v[i], 4);
        else if (in->dtype == HC_DT_HALF) {
            uint16_t h = hc_f32_to_f16(v[i]);
            memcpy(p, &h, 2);
        } else if (in->dtype == HC_DT_INT32) {
            int32_t x = (int32_t)v[i];
            memcpy(p, &x, 4);
        } else if (in->dtype == HC_DT_UINT8)
            p[0] = (uint8_t)v[i];
        else
            return hc_fail(ctx, HC_UNSUPPORTED, in->name, "numbers cannot be given for %s inputs",
                           hc_dtype_name(in->dtype));
    }
    return HC_OK;
}

/* An image resized and converted for this input: NHWC/NCHW of rank 4, or HWC of rank 3. */
static hc_status image_input(hc_ctx *ctx, const hc_io_info *in, const char *path,
                             const hc_image_prep *prep, hc_npy *out) {
    hc_image_prep p = *prep;
    int r = in->rank < 0 ? 4 : in->rank; /* shape unknown: a batch of one image */
    if (r != 3 && r != 4)
        return hc_fail(ctx, HC_INVALID, in->name, "an image cannot feed an input of rank %d", r);
    static const int64_t UNKNOWN[4] = {-1, -1, -1, -1};
    const int64_t *d = in->rank < 0 ? UNKNOWN : in->dims;
    bool nchw = r == 4 && p.layout == HC_LAYOUT_NCHW;
    int64_t h = r == 3 ? d[0] : nchw ? d[2] : d[1], w = r == 3 ? d[1] : nchw ? d[3] : d[2];
    int64_t c = r == 3 ? d[2] : nchw ? d[1] : d[3];
    /* the model's size when it has one, else --size, else the image's own */
    p.height = h > 0 ? h : prep->height;
    p.width = w > 0 ? w : prep->width;
    p.channels = c > 0 ? (int)c : 3;
    p.dtype = in->dtype;
    if (r == 3) p.layout = HC_LAYOUT_NHWC;
    hc_status s = hc_image_prepare(ctx, path, &p, out);
    if (s || r == 4) return s;
    /* rank 3: drop the batch dimension */
    out->rank = 3;
    for (int i = 0; i < 3; i++)
        out->dims[i] = out->dims[i + 1];
    return HC_OK;
}

hc_status hc_run_make_input(hc_ctx *ctx, const hc_session *s, const char *name, const char *source,
                            const hc_image_prep *prep, hc_npy *out) {
    hc_io_info in = {0};
    for (size_t i = 0; i < hc_session_input_count(s); i++) {
        hc_session_input_info(s, i, &in);
        if (!strcmp(in.name, name)) break;
        in.name = NULL;
    }
    if (!in.name) return hc_fail(ctx, HC_NOT_FOUND, name, "the model has no input of this name");
    if (ends_with(source, ".npy")) return hc_npy_read(ctx, source, out);
    if (is_file(source)) return image_input(ctx, &in, source, prep, out);
    return numbers_input(ctx, &in, source, out);
}

static hc_status set_inputs(hc_ctx *ctx, const hc_run_args *a, hc_run_state *r) {
    hc_session *s = r->session;
    if (a->n_inputs == 0 && hc_session_input_count(s))
        return hc_fail(ctx, HC_INVALID, NULL, "the model has %zu inputs; give them with --input",
                       hc_session_input_count(s));
    for (int i = 0; i < a->n_inputs; i++) {
        char name[512];
        const char *eq = strchr(a->inputs[i], '='), *src = a->inputs[i];
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a->inputs[i]), a->inputs[i]);
            src = eq + 1;
        } else if (hc_session_input_count(s) == 1) {
            hc_io_info in;
            hc_session_input_info(s, 0, &in);
            snprintf(name, sizeof name, "%s", in.name);
        } else {
            return hc_fail(ctx, HC_INVALID, NULL, "--input %s: name the input (NAME=SOURCE)", src);
        }
        snprintf(r->input_names[r->n_inputs], sizeof r->input_names[0], "%s", name);
        hc_npy *v = &r->inputs[r->n_inputs++];
        hc_status st = hc_run_make_input(ctx, s, name, src, &a->prep, v);
        if (st) return st;
        hc_tensor t = {v->dtype, v->rank, {0}, v->data};
        for (int d = 0; d < v->rank; d++)
            t.dims[d] = v->dims[d];
        if ((st = hc_session_set_input(s, name, &t))) return st;
    }
    return HC_OK;
}

static hc_status open_session(hc_ctx *ctx, const hc_run_args *a, hc_run_state *r) {
    hc_session_options o = {NULL, 0};
    if (a->outputs) {
        r->outputs_buf = strdup(a->outputs);
        r->outputs = calloc(strlen(a->outputs) + 1, sizeof *r->outputs);
        if (!r->outputs_buf || !r->outputs) return HC_NOMEM;
        for (char *save = NULL, *t = strtok_r(r->outputs_buf, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            r->outputs[o.n_outputs++] = t;
        o.outputs = r->outputs;
    }
    hc_status s = hc_model_open(ctx, a->model, &r->model);
    if (!s) s = hc_session_new(ctx, r->model, &o, &r->session);
    return s;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static hc_status save_inputs(hc_ctx *ctx, const hc_run_state *r, const char *dir) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return hc_fail(ctx, HC_IO, NULL, "cannot make folder %s: %s", dir, strerror(errno));
    for (int i = 0; i < r->n_inputs; i++) {
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/%s.npy", dir, r->input_names[i]);
        for (int k = (int)strlen(dir) + 1; k < n - 4; k++)
            if (path[k] == '/' || path[k] == ':') path[k] = '_';
        const hc_npy *v = &r->inputs[i];
        hc_status st = hc_npy_write(ctx, path, v->dtype, v->rank, v->dims, v->data);
        if (st) return st;
    }
    return HC_OK;
}

hc_status hc_run_model(hc_ctx *ctx, const hc_run_args *a, hc_run_state *r, hc_run_timing *t) {
    memset(r, 0, sizeof *r);
    memset(t, 0, sizeof *t);
    double t0 = hc_now();
    hc_status s = open_session(ctx, a, r);
    t->load_ms = (hc_now() - t0) * 1e3;
    if (!s) s = set_inputs(ctx, a, r);
    if (!s && a->save_inputs) s = save_inputs(ctx, r, a->save_inputs);
    if (s) return s;
    t0 = hc_now();
    s = hc_session_run(r->session);
    t->first_ms = (hc_now() - t0) * 1e3;
    if (s || a->time <= 0) return s;
    double *ms = calloc((size_t)a->time, sizeof *ms);
    if (!ms) return HC_NOMEM;
    for (int i = 0; i < a->time && !s; i++) {
        hc_progress(ctx, "running", (double)i / a->time);
        t0 = hc_now();
        s = hc_session_run(r->session);
        ms[i] = (hc_now() - t0) * 1e3;
    }
    qsort(ms, (size_t)a->time, sizeof *ms, cmp_double);
    t->median_ms = ms[a->time / 2];
    t->p90_ms = ms[(a->time * 9) / 10 < a->time ? (a->time * 9) / 10 : a->time - 1];
    free(ms);
    return s;
}

hc_status hc_run_write_outputs(hc_ctx *ctx, const hc_session *s, const char *dir) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return hc_fail(ctx, HC_IO, NULL, "cannot make folder %s: %s", dir, strerror(errno));
    for (size_t i = 0; i < hc_session_output_count(s); i++) {
        hc_tensor o;
        hc_status st = hc_session_output(s, i, &o);
        if (st) return st;
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/%s.npy", dir, hc_session_output_name(s, i));
        for (int k = (int)strlen(dir) + 1; k < n - 4; k++)
            if (path[k] == '/' || path[k] == ':') path[k] = '_';
        if ((st = hc_npy_write(ctx, path, o.dtype, o.rank, o.dims, o.data))) return st;
    }
    return HC_OK;
}

void hc_run_state_fini(hc_ctx *ctx, hc_run_state *r) {
    hc_session_free(r->session);
    hc_model_free(r->model);
    for (int i = 0; i < r->n_inputs; i++)
        hc_npy_fini(ctx, &r->inputs[i]);
    free(r->outputs_buf);
    free(r->outputs);
    memset(r, 0, sizeof *r);
}

hc_run_stats hc_run_tensor_stats(const hc_tensor *t) {
    hc_run_stats st = {INFINITY, -INFINITY, 0, 0};
    size_t n = hc_tensor_elems(t), finite = 0;
    for (size_t i = 0; i < n; i++) {
        double v = hc_tensor_at(t, i);
        if (!isfinite(v)) {
            st.nonfinite++;
            continue;
        }
        st.min = v < st.min ? v : st.min;
        st.max = v > st.max ? v : st.max;
        st.mean += v;
        finite++;
    }
    if (finite)
        st.mean /= (double)finite;
    else
        st.min = st.max = 0;
    return st;
}

void hc_run_shape_str(const hc_tensor *t, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)t->dims[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}
