/* cmd_check.c - `halfcast check FILE`: re-type every node; exit 1 when any edge or attribute
 * is wrong. */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>

enum { O_JSON = 1, O_HELP, O_MAX };

static const hc_opt OPTS[] = {{"json", 0, HC_OPT_FLAG, O_JSON},
                              {"max", 0, HC_OPT_VALUE, O_MAX},
                              {"help", 'h', HC_OPT_FLAG, O_HELP},
                              {0}};

static void help(void) {
    printf("usage: halfcast check FILE [--json] [--max N]\n\n"
           "Re-type every node from halfcast's op tables and report each mismatched edge,\n"
           "disallowed dtype, missing attribute, bad constant or impossible cycle.\n"
           "Exit status: 0 clean, 1 problems found, 2 the file could not be read.\n\n"
           "  --json    print the result as JSON\n"
           "  --max N   print at most N problems (default 50)\n");
}

static void print_json(const char *file, const hc_check_report *r) {
    json_t *items = json_array();
    for (size_t i = 0; i < hc_check_report_count(r); i++)
        json_array_append_new(items, json_string(hc_check_report_item(r, i)));
    json_t *o =
        json_pack("{s:s, s:b, s:I, s:I, s:o}", "file", file, "ok", hc_check_report_count(r) == 0,
                  "problems", (json_int_t)hc_check_report_count(r), "unchecked_nodes",
                  (json_int_t)hc_check_report_unchecked(r), "items", items);
    char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (txt) puts(txt);
    free(txt);
    json_decref(o);
}

static void print_text(const char *file, const hc_check_report *r, long max) {
    size_t n = hc_check_report_count(r);
    for (size_t i = 0; i < n && (long)i < max; i++)
        printf("%s: %s\n", file, hc_check_report_item(r, i));
    if ((long)n > max) printf("%s: ... and %zu more\n", file, n - (size_t)max);
    if (hc_check_report_unchecked(r))
        printf("%s: note: %zu nodes with ops halfcast does not know were not checked\n", file,
               hc_check_report_unchecked(r));
    printf("%s: %s (%zu problem%s)\n", file, n ? "FAILED" : "ok", n, n == 1 ? "" : "s");
}

int hc_cmd_check(int argc, char **argv) {
    hc_optstate st = {0};
    const char *v, *file = NULL;
    bool json = false;
    long max = 50;
    int id;
    while ((id = hc_opt_next("check", OPTS, argc, argv, &st, &v)) != -1) {
        if (id == -2) return HC_EXIT_USAGE;
        if (id == O_HELP) {
            help();
            return HC_EXIT_OK;
        }
        if (id == O_JSON) json = true;
        if (id == O_MAX) max = strtol(v, NULL, 10);
        if (id == 0) {
            if (file) return hc_cli_usage_error("check", "one file only");
            file = v;
        }
    }
    if (!file) return hc_cli_usage_error("check", "missing FILE");
    hc_ctx *ctx = hc_cli_ctx();
    if (!ctx) return HC_EXIT_USAGE;
    hc_model *m = NULL;
    hc_check_report *r = NULL;
    hc_status s = hc_model_open(ctx, file, &m);
    if (!s) s = hc_check(ctx, m, &r);
    int rc;
    if (s == HC_OK || s == HC_CHECK) {
        json ? print_json(file, r) : print_text(file, r, max);
        rc = s == HC_OK ? HC_EXIT_OK : HC_EXIT_CHECK;
    } else {
        rc = hc_cli_fail(ctx, s);
    }
    hc_check_report_free(r);
    hc_model_free(m);
    hc_ctx_free(ctx);
    return rc;
}
