/* cmd_bench.c - `halfcast bench A [B ...]`: file size, load->ready (median over fresh
 * processes), first result, steady latency p50/p90 and peak RSS, side by side. Each process
 * is `halfcast run MODEL ... --time N --json`, so what is measured is what a user gets. */
/* wait4() for the peak RSS of each child separately */
#define _DEFAULT_SOURCE
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_MODELS 16
#define MAX_PASS   64

enum { O_INPUT = 1, O_PROCS, O_RUNS, O_JSON, O_THREADS, O_PASS, O_HELP };

static const hc_opt OPTS[] = {
    {"input", 'i', HC_OPT_VALUE, O_INPUT},   {"processes", 'p', HC_OPT_VALUE, O_PROCS},
    {"runs", 'n', HC_OPT_VALUE, O_RUNS},     {"json", 0, HC_OPT_FLAG, O_JSON},
    {"threads", 0, HC_OPT_VALUE, O_THREADS}, {"run-option", 0, HC_OPT_VALUE, O_PASS},
    {"help", 'h', HC_OPT_FLAG, O_HELP},      {0}};

static void help(void) {
    printf("usage: halfcast bench A [B ...] --input [NAME=]SOURCE ... [options]\n\n"
           "For each model: file size, load->ready time (median over fresh processes), time\n"
           "to the first result, steady latency p50/p90 and peak RSS; a side-by-side table\n"
           "with ratios against the first model.\n\n"
           "options:\n"
           "  -i, --input [NAME=]SOURCE  model input, as for 'halfcast run' (repeatable)\n"
           "  -p, --processes K          fresh processes per model (default 5)\n"
           "  -n, --runs N               steady runs per process (default 20)\n"
           "      --threads N            kernel threads\n"
           "      --run-option OPT       pass OPT to 'halfcast run' (e.g. --run-option=--bgr)\n"
           "      --json                 print the results as JSON\n");
}

typedef struct result {
    const char *model;
    long long bytes;
    double load_ms, first_ms, ready_ms, p50_ms, p90_ms, rss_mib;
} result;

typedef struct bargs {
    const char *models[MAX_MODELS];
    int n_models;
    const char *pass[MAX_PASS];
    int n_pass;
    int procs, runs;
    bool json;
    const char *threads;
} bargs;

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n ? v[n / 2] : 0;
}

/* One fresh `halfcast run` process; its JSON summary is read from a pipe. */
static int one_process(const bargs *a, const char *model, json_t **out, double *rss_mib) {
    char runs[32];
    snprintf(runs, sizeof runs, "%d", a->runs);
    const char *argv[MAX_PASS + 16];
    int k = 0;
    argv[k++] = "halfcast";
    argv[k++] = "run";
    argv[k++] = model;
    argv[k++] = "--time";
    argv[k++] = runs;
    argv[k++] = "--json";
    if (a->threads) argv[k++] = "--threads", argv[k++] = a->threads;
    for (int i = 0; i < a->n_pass; i++)
        argv[k++] = a->pass[i];
    argv[k] = NULL;
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        close(fd[1]);
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    json_error_t err;
    *out = f ? json_loadf(f, 0, &err) : NULL;
    if (f) fclose(f);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return -1;
    *rss_mib = (double)ru.ru_maxrss / 1024.0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && *out ? 0 : -1;
}

static int bench_model(const bargs *a, const char *model, result *r) {
    struct stat st;
    if (stat(model, &st)) {
        fprintf(stderr, "halfcast bench: %s: %s\n", model, strerror(errno));
        return HC_EXIT_USAGE;
    }
    r->model = model;
    r->bytes = (long long)st.st_size;
    double load[64], first[64], ready[64], p50[64], p90[64];
    int n = a->procs > 64 ? 64 : a->procs;
    for (int i = 0; i < n; i++) {
        json_t *j = NULL;
        double rss = 0;
        if (one_process(a, model, &j, &rss)) {
            json_decref(j);
            fprintf(stderr, "halfcast bench: %s: 'halfcast run' failed (run it alone to see why)\n",
                    model);
            return HC_EXIT_USAGE;
        }
        load[i] = json_real_value(json_object_get(j, "load_ms"));
        first[i] = json_real_value(json_object_get(j, "first_ms"));
        p50[i] = json_real_value(json_object_get(j, "median_ms"));
        p90[i] = json_real_value(json_object_get(j, "p90_ms"));
        /* all one-time cost: from nothing to a result, less what one more result takes */
        ready[i] = load[i] + first[i] - p50[i];
        if (rss > r->rss_mib) r->rss_mib = rss;
        json_decref(j);
    }
    r->load_ms = median(load, n);
    r->first_ms = median(first, n);
    r->ready_ms = median(ready, n);
    r->p50_ms = median(p50, n);
    r->p90_ms = median(p90, n);
    return 0;
}

/* Numbers first and the path last, so long paths do not break the columns; models are
 * numbered and the ratio lines refer to the numbers. */
static void print_table(const result *r, int n) {
    printf("   %8s %9s %9s %9s %9s %9s %8s  %s\n", "size MB", "load ms", "first ms", "ready ms",
           "p50 ms", "p90 ms", "RSS MiB", "model");
    for (int i = 0; i < n; i++)
        printf("%d: %8.2f %9.2f %9.2f %9.2f %9.2f %9.2f %8.1f  %s\n", i + 1,
               (double)r[i].bytes / 1e6, r[i].load_ms, r[i].first_ms, r[i].ready_ms, r[i].p50_ms,
               r[i].p90_ms, r[i].rss_mib, r[i].model);
    for (int i = 1; i < n; i++)
        printf("%d vs 1: size %.2fx, load %.2fx, first %.2fx, ready %.2fx, p50 %.2fx, RSS %.2fx\n",
               i + 1, (double)r[i].bytes / (double)r[0].bytes, r[i].load_ms / r[0].load_ms,
               r[i].first_ms / r[0].first_ms, r[i].ready_ms / r[0].ready_ms,
               r[i].p50_ms / r[0].p50_ms, r[i].rss_mib / r[0].rss_mib);
    printf("ready = load + first - p50 of each process: every one-time cost until a result\n");
}

static void print_json(const bargs *a, const result *r, int n) {
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "model",
                                             r[i].model, "bytes", (json_int_t)r[i].bytes, "load_ms",
                                             r[i].load_ms, "first_ms", r[i].first_ms, "ready_ms",
                                             r[i].ready_ms, "p50_ms", r[i].p50_ms, "p90_ms",
                                             r[i].p90_ms, "peak_rss_mib", r[i].rss_mib));
    json_t *o = json_pack("{s:i, s:i, s:o}", "processes", a->procs, "runs", a->runs, "models", arr);
    char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (txt) puts(txt);
    free(txt);
    json_decref(o);
}

static int parse(int argc, char **argv, bargs *a) {
    hc_optstate st = {0};
    const char *v;
    int id;
    a->procs = 5;
    a->runs = 20;
    while ((id = hc_opt_next("bench", OPTS, argc, argv, &st, &v)) != -1) {
        if (id == -2) return HC_EXIT_USAGE;
        if (id == O_HELP) {
            help();
            return -1;
        }
        if (a->n_pass + 2 > MAX_PASS) return hc_cli_usage_error("bench", "too many options");
        if (id == 0 && a->n_models < MAX_MODELS) a->models[a->n_models++] = v;
        if (id == O_INPUT) a->pass[a->n_pass++] = "--input", a->pass[a->n_pass++] = v;
        if (id == O_PASS) a->pass[a->n_pass++] = v;
        if (id == O_PROCS && (a->procs = hc_cli_count(v)) < 1)
            return hc_cli_usage_error("bench", "--processes takes a number >= 1");
        if (id == O_RUNS && (a->runs = hc_cli_count(v)) < 1)
            return hc_cli_usage_error("bench", "--runs takes a number >= 1");
        if (id == O_THREADS) a->threads = v;
        if (id == O_JSON) a->json = true;
    }
    if (!a->n_models) return hc_cli_usage_error("bench", "give at least one model");
    if (a->procs < 1 || a->runs < 1)
        return hc_cli_usage_error("bench", "processes and runs must be >= 1");
    return 0;
}

int hc_bench_models(const char *const *models, int n_models, const char *const *pass, int n_pass,
                    int procs, int runs) {
    bargs a;
    memset(&a, 0, sizeof a);
    for (int i = 0; i < n_models && i < MAX_MODELS; i++)
        a.models[a.n_models++] = models[i];
    for (int i = 0; i < n_pass && i < MAX_PASS; i++)
        a.pass[a.n_pass++] = pass[i];
    a.procs = procs;
    a.runs = runs;
    result r[MAX_MODELS];
    memset(r, 0, sizeof r);
    for (int i = 0; i < a.n_models; i++) {
        int rc = bench_model(&a, a.models[i], &r[i]);
        if (rc) return rc;
    }
    print_table(r, a.n_models);
    return HC_EXIT_OK;
}

int hc_cmd_bench(int argc, char **argv) {
    bargs a;
    memset(&a, 0, sizeof a);
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    result r[MAX_MODELS];
    memset(r, 0, sizeof r);
    for (int i = 0; i < a.n_models; i++)
        if ((rc = bench_model(&a, a.models[i], &r[i]))) return rc;
    if (a.json)
        print_json(&a, r, a.n_models);
    else
        print_table(r, a.n_models);
    return HC_EXIT_OK;
}
