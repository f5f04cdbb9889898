/* common.c - errors, exit codes, option parsing and the progress bar for the CLI. */
#include "cli.h"

#include "base/io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hc_cli_fail(hc_ctx *ctx, hc_status s) {
    hc_cli_progress_done();
    const char *m = ctx ? hc_ctx_message(ctx) : "";
    fprintf(stderr, "halfcast: %s\n", m && *m ? m : hc_status_name(s));
    return HC_STATUS_PRIMARY(s) == HC_CHECK ? HC_EXIT_CHECK : HC_EXIT_USAGE;
}

int hc_cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "halfcast %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'halfcast %s --help')\n", cmd);
    return HC_EXIT_USAGE;
}

static bool bar_drawn;
static int bar_last = -1;
static const char *bar_stage;
static double bar_start;

/* Drawn only once a stage has taken a second: short work stays quiet. */
static void progress_bar(void *user, const char *stage, double fraction) {
    (void)user;
    double now = hc_now();
    if (stage != bar_stage) {
        bar_stage = stage;
        bar_start = now;
        bar_last = -1;
    }
    if (now - bar_start < 1.0 || fraction >= 1.0) return;
    int pct = (int)(fraction * 100.0 + 0.5);
    if (pct == bar_last) return;
    bar_last = pct;
    int width = 30, filled = pct * width / 100;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r%-12s [%s] %3d%%", stage, bar, pct);
    fflush(stderr);
    bar_drawn = true;
}

void hc_cli_progress_done(void) {
    if (bar_drawn) fprintf(stderr, "\r\033[K");
    bar_drawn = false;
    bar_last = -1;
}

hc_ctx *hc_cli_ctx(void) {
    hc_ctx *ctx = NULL;
    if (hc_ctx_new(&ctx) != HC_OK) {
        fprintf(stderr, "halfcast: out of memory\n");
        return NULL;
    }
    if (isatty(STDERR_FILENO)) hc_ctx_set_progress(ctx, progress_bar, NULL);
    return ctx;
}

static const hc_opt *find_long(const hc_opt *opts, const char *name, size_t n) {
    for (; opts->name; opts++)
        if (strlen(opts->name) == n && !strncmp(opts->name, name, n)) return opts;
    return NULL;
}

static const hc_opt *find_short(const hc_opt *opts, char c) {
    for (; opts->name; opts++)
        if (opts->short_name == c) return opts;
    return NULL;
}

int hc_opt_next(const char *cmd, const hc_opt *opts, int argc, char **argv, hc_optstate *st,
                const char **val) {
    if (st->i == 0) st->i = 1;
    if (st->i >= argc) return -1;
    const char *a = argv[st->i++];
    *val = NULL;
    if (st->only_positional || a[0] != '-' || a[1] == 0) {
        *val = a;
        return 0;
    }
    if (!strcmp(a, "--")) {
        st->only_positional = true;
        return hc_opt_next(cmd, opts, argc, argv, st, val);
    }
    const hc_opt *o;
    const char *inline_val = NULL;
    if (a[1] == '-') {
        const char *eq = strchr(a + 2, '=');
        size_t n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        o = find_long(opts, a + 2, n);
        if (eq) inline_val = eq + 1;
    } else {
        o = a[2] == 0 ? find_short(opts, a[1]) : NULL;
    }
    if (!o) {
        hc_cli_usage_error(cmd, "unknown option '%s'", a);
        return -2;
    }
    if (o->kind == HC_OPT_FLAG) {
        if (inline_val) {
            hc_cli_usage_error(cmd, "option '--%s' takes no value", o->name);
            return -2;
        }
        return o->id;
    }
    if (inline_val) {
        *val = inline_val;
    } else if (st->i < argc) {
        *val = argv[st->i++];
    } else {
        hc_cli_usage_error(cmd, "option '--%s' needs a value", o->name);
        return -2;
    }
    return o->id;
}

int hc_cli_format(const char *cmd, const char *v, hc_format *fmt) {
    if (strcmp(v, "pb") && strcmp(v, "pbtxt"))
        return hc_cli_usage_error(cmd, "--format takes 'pb' or 'pbtxt'");
    *fmt = !strcmp(v, "pb") ? HC_FORMAT_PB : HC_FORMAT_PBTXT;
    return 0;
}

int hc_cli_count(const char *v) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end || errno || n < 0 || n > 1000000000L) return -1;
    return (int)n;
}
