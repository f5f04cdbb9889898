/* cmd_doctor.c - `halfcast doctor FILE [--fix -o OUT]`: what makes a model slow to load or
 * bloated, what each finding costs, and (with --fix) a repacked copy. The analysis and the
 * fix are in src/doctor; this file parses arguments and prints. */
#include "cli.h"

#include "doctor/doctor.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { O_FIX = 1, O_OUT, O_ONLY, O_ALL, O_FORMAT, O_JSON, O_HELP };

static const hc_opt OPTS[] = {
    {"fix", 0, HC_OPT_FLAG, O_FIX},        {"output", 'o', HC_OPT_VALUE, O_OUT},
    {"only", 0, HC_OPT_VALUE, O_ONLY},     {"all", 0, HC_OPT_FLAG, O_ALL},
    {"format", 0, HC_OPT_VALUE, O_FORMAT}, {"json", 0, HC_OPT_FLAG, O_JSON},
    {"help", 'h', HC_OPT_FLAG, O_HELP},    {0}};

static void help(void) {
    printf(
        "usage: halfcast doctor FILE [--fix -o OUT] [--only KINDS] [--all] [--json]\n\n"
        "Find what makes a model slow to load or bigger than it needs to be, and estimate\n"
        "what each finding costs:\n"
        "  value-lists  weights stored one value at a time: half_val lists, and float_val,\n"
        "               double_val, int_val ... lists of 64 values or more\n"
        "  broadcast    constants whose values are all equal, stored in full (64+ bytes)\n"
        "  duplicates   constants equal to an earlier one: dtype, shape, values, device,\n"
        "               control inputs and attributes (64+ bytes)\n"
        "  unused       nodes no graph output needs: dangling constants, NoOps and Asserts\n"
        "               nothing depends on, and what only they read\n"
        "Load-time estimates multiply the decode cost of one stored value, measured on this\n"
        "machine with halfcast's own decoder (the fastest reader: protobuf parsers pay more).\n\n"
        "options:\n"
        "      --fix            repack: lists become tensor_content, broadcast constants one\n"
        "                       value, duplicates one node (readers re-pointed to the first),\n"
        "                       unused nodes are removed (never graph inputs or outputs, nor\n"
        "                       stateful ops other than Assert). The result is read back,\n"
        "                       checked and compared value by value with FILE before it is\n"
        "                       written (atomically; never over FILE)\n"
        "  -o, --output OUT     where --fix writes (required with --fix)\n"
        "      --only KINDS     comma-separated kinds to look for and fix (default: all)\n"
        "      --all            list every finding (default: the 5 largest of each kind)\n"
        "      --format pb|pbtxt  format of OUT (default: FILE's)\n"
        "      --json           print the report as JSON\n\n"
        "exit status: 0 nothing found, or --fix wrote OUT; 1 findings reported (without\n"
        "--fix), or the fixed graph failed its verification (nothing written); 2 bad usage\n"
        "or input\n");
}

typedef struct args {
    const char *in, *out;
    bool fix, all, json;
    uint32_t kinds;
    hc_format format;
} args;

static int parse_kinds(args *a, const char *v) {
    a->kinds = 0;
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        int k = hc_doctor_kind_from_name(p, n);
        if (k < 0)
            return hc_cli_usage_error("doctor",
                                      "--only: unknown kind '%.*s' (value-lists, "
                                      "broadcast, duplicates, unused)",
                                      (int)n, p);
        a->kinds |= 1u << k;
        p += n + (p[n] == ',');
    }
    return a->kinds ? 0 : hc_cli_usage_error("doctor", "--only needs at least one kind");
}

static int parse(int argc, char **argv, args *a) {
    hc_optstate st = {0};
    const char *v;
    int id, rc;
    while ((id = hc_opt_next("doctor", OPTS, argc, argv, &st, &v)) != -1) {
        switch (id) {
        case -2:
            return 2;
        case 0:
            if (a->in) return hc_cli_usage_error("doctor", "one input file only ('%s')", v);
            a->in = v;
            break;
        case O_FIX:
            a->fix = true;
            break;
        case O_OUT:
            a->out = v;
            break;
        case O_ONLY:
            if ((rc = parse_kinds(a, v))) return rc;
            break;
        case O_ALL:
            a->all = true;
            break;
        case O_FORMAT:
            if (hc_cli_format("doctor", v, &a->format)) return HC_EXIT_USAGE;
            break;
        case O_JSON:
            a->json = true;
            break;
        case O_HELP:
            help();
            return -1;
        default:
            break;
        }
    }
    if (!a->in) return hc_cli_usage_error("doctor", "missing input file");
    if (a->fix && !a->out) return hc_cli_usage_error("doctor", "--fix needs -o OUT");
    if (!a->fix && a->out) return hc_cli_usage_error("doctor", "-o OUT is written by --fix only");
    return 0;
}

/* ---- text ------------------------------------------------------------------------------- */

static const char *human(double b, char *buf, size_t cap) {
    double a = b < 0 ? -b : b;
    if (a >= 1e6)
        snprintf(buf, cap, "%.2f MB", b / 1e6);
    else if (a >= 1e3)
        snprintf(buf, cap, "%.1f KB", b / 1e3);
    else
        snprintf(buf, cap, "%.0f B", b);
    return buf;
}

static size_t total_findings(const hc_doctor_report *r) {
    size_t n = 0;
    for (int k = 0; k < HC_DOC_KIND_COUNT; k++)
        n += r->total[k].findings;
    return n;
}

static void print_fields(const hc_doctor_total *t) {
    static const char *const NAMES[18] = {
        [5] = "float_val", [6] = "double_val", [7] = "int_val",     [10] = "int64_val",
        [11] = "bool_val", [13] = "half_val",  [16] = "uint32_val", [17] = "uint64_val"};
    const char *sep = " (";
    for (size_t f = 0; f < HC_COUNT(t->by_field); f++) {
        if (!t->by_field[f] || !NAMES[f]) continue;
        printf("%s%s %zu", sep, NAMES[f], t->by_field[f]);
        sep = ", ";
    }
    if (strcmp(sep, " (")) printf(")");
}

static void print_item(const hc_doctor_finding *f) {
    char b[32];
    printf("    '%s' %s", f->name, f->op);
    if (f->storage[0])
        printf(" %s %s, %llu values, %s", hc_dtype_name(f->dtype), f->storage,
               (unsigned long long)f->values, human((double)f->bytes, b, sizeof b));
    if (f->same_name) printf(", same as '%s'", f->same_name);
    if (f->est_ms >= 0.01) printf(", est. %.2f ms", f->est_ms);
    if (!f->fixable) printf(" [%s]", f->fix);
    if (f->superseded) printf(" [removed: see duplicates, unused]");
    printf("\n");
}

static int by_bytes(const void *p, const void *q) {
    const hc_doctor_finding *x = *(const hc_doctor_finding *const *)p;
    const hc_doctor_finding *y = *(const hc_doctor_finding *const *)q;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return x->node < y->node ? -1 : x->node > y->node;
}

static void print_kind(const hc_doctor_report *r, hc_doctor_kind k, bool all,
                       const hc_doctor_finding **tmp) {
    const hc_doctor_total *t = &r->total[k];
    char b1[32], b2[32];
    if (!t->findings) {
        printf("%-12s none\n", hc_doctor_kind_name(k));
        return;
    }
    printf("%-12s %zu %s", hc_doctor_kind_name(k), t->findings,
           k == HC_DOC_UNUSED ? "nodes" : "constants");
    if (k == HC_DOC_VALUE_LIST) print_fields(t);
    if (t->values) printf(", %llu values", (unsigned long long)t->values);
    printf(", %s", human((double)t->bytes, b1, sizeof b1));
    if (t->est_ms >= 0.005) printf("; est. %.2f ms to load", t->est_ms);
    printf("; --fix %s %s", t->saved >= 0 ? "saves" : "adds",
           human((double)(t->saved >= 0 ? t->saved : -t->saved), b2, sizeof b2));
    if (t->fixable < t->findings) printf(" (%zu kept, see below)", t->findings - t->fixable);
    printf("\n");
    size_t n = 0;
    for (size_t i = 0; i < r->n_items; i++)
        if (r->items[i].kind == k) tmp[n++] = &r->items[i];
    qsort(tmp, n, sizeof *tmp, by_bytes);
    size_t shown = all ? n : HC_MIN(n, (size_t)5);
    for (size_t i = 0; i < shown; i++)
        print_item(tmp[i]);
    if (shown < n) printf("    ... %zu more (--all lists them)\n", n - shown);
}

static void print_cost(const hc_doctor_cost *c) {
    static const char *const WT[3] = {"varint (half_val, int_val ...)", "4-byte (float_val)",
                                      "8-byte (double_val)"};
    if (!c->runs) return;
    printf("estimates: halfcast's decoder, best of %d runs on this machine:\n", c->runs);
    for (int w = 0; w < 3; w++)
        if (c->sample[w])
            printf("  %s lists %.2f ns/value (measured on '%s', %llu values%s)\n", WT[w],
                   c->ns_per_value[w], c->sample[w], (unsigned long long)c->sample_values[w],
                   c->sample_values[w] < 65536 ? ", repeated to 64k" : "");
    if (c->byte_sample)
        printf("  tensor_content %.3f ns/byte (one copy of '%s')\n", c->ns_per_byte,
               c->byte_sample);
}

static void print_report(const args *a, const hc_doctor_report *r) {
    const hc_model *m = r->model;
    char b[32];
    printf("%s: %s, %zu nodes\n", a->in, human((double)m->bytes.n, b, sizeof b),
           hc_model_node_count(m));
    const hc_doctor_finding **tmp = calloc(r->n_items + 1, sizeof *tmp);
    if (!tmp) return;
    for (int k = 0; k < HC_DOC_KIND_COUNT; k++)
        if (r->opts.kinds & (1u << k)) print_kind(r, (hc_doctor_kind)k, a->all, tmp);
    free(tmp);
    if (!total_findings(r))
        printf("nothing to fix\n");
    else
        print_cost(&r->cost);
}

static void print_fixed(const args *a, const hc_doctor_fix_stats *s) {
    char b1[32], b2[32];
    printf("fixed: %zu value lists packed, %zu broadcast constants reduced to one value, "
           "%zu duplicates merged, %zu unused nodes removed\n",
           s->fixed[HC_DOC_VALUE_LIST], s->fixed[HC_DOC_BROADCAST], s->fixed[HC_DOC_DUPLICATE],
           s->fixed[HC_DOC_UNUSED]);
    printf("  %s -> %s: %s -> %s (read back, checked, every constant's values compared)\n", a->in,
           a->out, human((double)s->bytes_in, b1, sizeof b1),
           human((double)s->bytes_out, b2, sizeof b2));
}

/* ---- JSON ------------------------------------------------------------------------------- */

static json_t *finding_json(const hc_doctor_finding *f) {
    json_t *o = json_pack("{s:s, s:s, s:s}", "kind", hc_doctor_kind_name(f->kind), "node", f->name,
                          "op", f->op);
    if (f->storage[0]) {
        json_object_set_new(o, "dtype", json_string(hc_dtype_name(f->dtype)));
        json_object_set_new(o, "storage", json_string(f->storage));
        json_object_set_new(o, "values", json_integer((json_int_t)f->values));
        json_object_set_new(o, "elements", json_integer((json_int_t)f->elems));
    }
    if (f->same_name) json_object_set_new(o, "same_as", json_string(f->same_name));
    json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
    json_object_set_new(o, "saved_bytes", json_integer((json_int_t)f->saved));
    json_object_set_new(o, "est_ms", json_real(f->est_ms));
    json_object_set_new(o, "fixable", json_boolean(f->fixable));
    json_object_set_new(o, "fix", json_string(f->fix));
    if (f->superseded) json_object_set_new(o, "superseded", json_true());
    return o;
}

static json_t *totals_json(const hc_doctor_report *r) {
    static const char *const NAMES[18] = {
        [5] = "float_val", [6] = "double_val", [7] = "int_val",     [10] = "int64_val",
        [11] = "bool_val", [13] = "half_val",  [16] = "uint32_val", [17] = "uint64_val"};
    json_t *o = json_object();
    for (int k = 0; k < HC_DOC_KIND_COUNT; k++) {
        if (!(r->opts.kinds & (1u << k))) continue;
        const hc_doctor_total *t = &r->total[k];
        json_t *by = json_object();
        for (size_t f = 0; f < HC_COUNT(t->by_field); f++)
            if (t->by_field[f] && NAMES[f])
                json_object_set_new(by, NAMES[f], json_integer((json_int_t)t->by_field[f]));
        json_object_set_new(o, hc_doctor_kind_name((hc_doctor_kind)k),
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:o}", "findings",
                                      (json_int_t)t->findings, "fixable", (json_int_t)t->fixable,
                                      "values", (json_int_t)t->values, "bytes",
                                      (json_int_t)t->bytes, "saved_bytes", (json_int_t)t->saved,
                                      "est_ms", t->est_ms, "by_field", by));
    }
    return o;
}

static json_t *cost_json(const hc_doctor_cost *c) {
    static const char *const WT[3] = {"varint", "fixed32", "fixed64"};
    json_t *o = json_pack("{s:s, s:i}", "method",
                          "hc_tensor_values (halfcast's decoder) on the largest list of each "
                          "wire type, best of runs, times the values stored; tensor_content: "
                          "one copy of the largest packed constant, times its bytes",
                          "runs", c->runs);
    for (int w = 0; w < 3; w++) {
        if (!c->sample[w]) continue;
        json_object_set_new(o, WT[w],
                            json_pack("{s:f, s:s, s:I}", "ns_per_value", c->ns_per_value[w],
                                      "sample", c->sample[w], "sample_values",
                                      (json_int_t)c->sample_values[w]));
    }
    if (c->byte_sample)
        json_object_set_new(
            o, "tensor_content",
            json_pack("{s:f, s:s}", "ns_per_byte", c->ns_per_byte, "sample", c->byte_sample));
    return o;
}

static void print_json(const args *a, const hc_doctor_report *r, const hc_doctor_fix_stats *fx) {
    json_t *items = json_array();
    for (size_t i = 0; i < r->n_items; i++)
        json_array_append_new(items, finding_json(&r->items[i]));
    json_t *o =
        json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "file", a->in, "bytes",
                  (json_int_t)r->model->bytes.n, "nodes", (json_int_t)hc_model_node_count(r->model),
                  "findings_total", (json_int_t)total_findings(r), "totals", totals_json(r),
                  "estimate", cost_json(&r->cost), "findings", items);
    if (fx)
        json_object_set_new(o, "fix",
                            json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "output",
                                      a->out, "bytes_in", (json_int_t)fx->bytes_in, "bytes_out",
                                      (json_int_t)fx->bytes_out, "value_lists_packed",
                                      (json_int_t)fx->fixed[HC_DOC_VALUE_LIST], "broadcast_reduced",
                                      (json_int_t)fx->fixed[HC_DOC_BROADCAST], "duplicates_merged",
                                      (json_int_t)fx->fixed[HC_DOC_DUPLICATE], "unused_removed",
                                      (json_int_t)fx->fixed[HC_DOC_UNUSED], "nodes_removed",
                                      (json_int_t)fx->nodes_removed, "verified", 1));
    char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (txt) puts(txt);
    free(txt);
    json_decref(o);
}

/* ---- the command ------------------------------------------------------------------------ */

static hc_status fix_and_save(hc_ctx *ctx, const args *a, hc_doctor_report *r,
                              hc_doctor_fix_stats *st) {
    hc_model *out = NULL;
    hc_status s = hc_doctor_fix(r, &out, st);
    if (!s) s = hc_doctor_save(ctx, r->model, out, a->out, a->format);
    hc_model_free(out);
    return s;
}

int hc_cmd_doctor(int argc, char **argv) {
    args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    hc_ctx *ctx = hc_cli_ctx();
    if (!ctx) return HC_EXIT_USAGE;
    hc_model *in = NULL;
    hc_doctor_report *r = NULL;
    hc_doctor_options o;
    hc_doctor_options_init(&o);
    o.kinds = a.kinds;
    hc_doctor_fix_stats st;
    hc_status s = hc_model_open(ctx, a.in, &in);
    if (!s) s = hc_doctor_analyze(ctx, in, &o, &r);
    if (!s && a.fix) s = fix_and_save(ctx, &a, r, &st);
    hc_cli_progress_done();
    if (s) {
        rc = hc_cli_fail(ctx, s);
    } else {
        if (a.json)
            print_json(&a, r, a.fix ? &st : NULL);
        else
            print_report(&a, r);
        if (!a.json && a.fix) print_fixed(&a, &st);
        /* Like diff or grep: 1 says "there is something here", not "something broke". */
        rc = !a.fix && total_findings(r) ? HC_EXIT_CHECK : HC_EXIT_OK;
    }
    hc_doctor_report_free(r);
    hc_model_free(in);
    hc_ctx_free(ctx);
    return rc;
}
