/* loadtime.c - `hc_loadtime FILE... [-n RUNS]`: how long halfcast takes, in a warm process
 * with the file in the page cache, to
 *   open  - hc_model_open: map, parse every node, index names, link inputs, find graph I/O
 *           (a *_val list is counted value by value here, packed bytes are skipped);
 *   ready - open, plus every constant's values ready to use: a view into the mapping for
 *           tensor_content, a decode into memory for a *_val list (what a session needs).
 * Median and min of RUNS fresh opens per file, one JSON object per file on stdout.
 * Built by benchmarks/seed.py against libhalfcast.a (it reads the graph, so it includes the
 * library's internal headers); not part of the library or the CLI. */
#include "base/io.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Every constant's dense values; returns the number of values that had to be decoded. */
static size_t make_ready(hc_ctx *ctx, hc_model *m, hc_arena *arena, int *err) {
    size_t decoded = 0;
    for (uint32_t i = 0; i < m->g.n_nodes; i++) {
        const hc_node *n = &m->g.nodes[i];
        const hc_attr *a = hc_node_attr(n, "value");
        if (!hc_span_eq_str(n->op, "Const") || !a || a->kind != HC_ATTR_TENSOR) continue;
        const hc_tensor_proto *t = a->u.tensor;
        if (!hc_dtype_size(t->dtype) || t->val_field == 8) continue;
        const void *d;
        size_t count;
        if (hc_tensor_values(ctx, arena, t, &d, &count)) {
            *err = 1;
            return decoded;
        }
        if (t->enc == HC_ENC_VALUES) decoded += t->n_vals;
    }
    return decoded;
}

static int one_file(const char *path, int runs) {
    double *open_ms = calloc((size_t)runs, sizeof *open_ms);
    double *ready_ms = calloc((size_t)runs, sizeof *ready_ms);
    hc_ctx *ctx = NULL;
    if (!open_ms || !ready_ms || hc_ctx_new(&ctx)) return 1;
    size_t decoded = 0, nodes = 0;
    int err = 0;
    for (int r = 0; r < runs && !err; r++) {
        hc_model *m = NULL;
        double t0 = hc_now();
        if (hc_model_open(ctx, path, &m)) {
            fprintf(stderr, "hc_loadtime: %s\n", hc_ctx_message(ctx));
            err = 1;
            break;
        }
        double t1 = hc_now();
        hc_arena arena;
        hc_arena_init(&arena, ctx);
        decoded = make_ready(ctx, m, &arena, &err);
        double t2 = hc_now();
        if (err) fprintf(stderr, "hc_loadtime: %s\n", hc_ctx_message(ctx));
        nodes = hc_model_node_count(m);
        hc_arena_fini(&arena);
        hc_model_free(m);
        open_ms[r] = (t1 - t0) * 1e3;
        ready_ms[r] = (t2 - t0) * 1e3;
    }
    if (!err) {
        qsort(open_ms, (size_t)runs, sizeof *open_ms, cmp_double);
        qsort(ready_ms, (size_t)runs, sizeof *ready_ms, cmp_double);
        printf("{\"file\": \"%s\", \"runs\": %d, \"nodes\": %zu, \"values_decoded\": %zu, "
               "\"open_ms_median\": %.4f, \"open_ms_min\": %.4f, \"ready_ms_median\": %.4f, "
               "\"ready_ms_min\": %.4f}\n",
               path, runs, nodes, decoded, open_ms[runs / 2], open_ms[0], ready_ms[runs / 2],
               ready_ms[0]);
    }
    hc_ctx_free(ctx);
    free(open_ms);
    free(ready_ms);
    return err;
}

int main(int argc, char **argv) {
    int runs = 11, rc = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-n") && i + 1 < argc) runs = atoi(argv[++i]);
    if (runs < 1 || argc < 2) {
        fprintf(stderr, "usage: hc_loadtime FILE... [-n RUNS]\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n")) {
            i++;
            continue;
        }
        rc |= one_file(argv[i], runs);
    }
    return rc ? 2 : 0;
}
