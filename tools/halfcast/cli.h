/* cli.h - shared pieces of the halfcast command line: the command table, option parsing,
 * one-line errors and exit codes. Each command lives in its own file (argument parsing and
 * printing only; the work is in the library). */
#ifndef HC_CLI_H
#define HC_CLI_H

#include "halfcast/halfcast.h"

#include <stdbool.h>
#include <stdio.h>

enum { HC_EXIT_OK = 0, HC_EXIT_CHECK = 1, HC_EXIT_USAGE = 2 };

typedef struct hc_cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} hc_cli_cmd;

/* Print "halfcast: message" on stderr (one line) and return the exit code for status s:
 * HC_CHECK -> 1, everything else -> 2. */
int hc_cli_fail(hc_ctx *ctx, hc_status s);
/* Print "halfcast CMD: message" for a usage error and return 2. */
int hc_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A context with the progress bar attached when stderr is a terminal. NULL on failure. */
hc_ctx *hc_cli_ctx(void);
/* Finish a progress bar line if one was drawn. */
void hc_cli_progress_done(void);

/* A whole non-negative number from an option value; -1 when it is not one. */
int hc_cli_count(const char *v);

/* --format's value ("pb" or "pbtxt") into *fmt; otherwise a usage error for cmd (exit 2). */
int hc_cli_format(const char *cmd, const char *v, hc_format *fmt);

/* Long-option parsing shared by the commands. */
typedef enum { HC_OPT_FLAG, HC_OPT_VALUE } hc_opt_kind;
typedef struct hc_opt {
    const char *name; /* "output" for --output */
    char short_name;  /* 'o' or 0 */
    hc_opt_kind kind;
    int id;
} hc_opt;

/* Iterate argv: returns the id of the next option (value in *val), 0 for a positional
 * argument (in *val), -1 at the end, -2 on error (message printed). "--" ends options. */
typedef struct hc_optstate {
    int i;
    bool only_positional;
} hc_optstate;
int hc_opt_next(const char *cmd, const hc_opt *opts, int argc, char **argv, hc_optstate *st,
                const char **val);

/* Benchmark models side by side in fresh `halfcast run` processes (see cmd_bench.c); pass
 * holds the options given to each run. Prints the table. */
int hc_bench_models(const char *const *models, int n_models, const char *const *pass, int n_pass,
                    int procs, int runs);

/* Commands. */
int hc_cmd_version(int argc, char **argv);
int hc_cmd_convert(int argc, char **argv);
int hc_cmd_check(int argc, char **argv);
int hc_cmd_inspect(int argc, char **argv);
int hc_cmd_demo(int argc, char **argv);
int hc_cmd_run(int argc, char **argv);
int hc_cmd_doctor(int argc, char **argv);
int hc_cmd_verify(int argc, char **argv);
int hc_cmd_bench(int argc, char **argv);
#endif
