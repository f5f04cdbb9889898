/* main.c - `halfcast COMMAND ...`: finds the command and runs it. */
#include "cli.h"

#include <string.h>

static const hc_cli_cmd COMMANDS[] = {
    {"convert", "convert a float32 model to fp16 (type-checked, written atomically)",
     hc_cmd_convert},
    {"check", "re-type every node; report mismatched edges and disallowed dtypes", hc_cmd_check},
    {"inspect", "nodes, ops, weights by dtype and encoding; --plan: each node's precision",
     hc_cmd_inspect},
    {"doctor", "find what makes a model slow to load or bloated; --fix repacks it", hc_cmd_doctor},
    {"run", "run a model on .npy, image or number inputs; write outputs as .npy", hc_cmd_run},
    {"verify", "run two models on images; compare outputs and detections (exit 1 if they differ)",
     hc_cmd_verify},
    {"bench", "size, load time, first and steady latency, peak memory: models side by side",
     hc_cmd_bench},
    {"demo", "build the built-in detector and test image, convert, check and show the result",
     hc_cmd_demo},
    {"version", "print the version and the CPU paths this machine uses", hc_cmd_version},
};

static void usage(FILE *f) {
    fprintf(
        f, "usage: halfcast COMMAND [OPTIONS] ...\n\n"
           "Converts TensorFlow frozen graphs (.pb, .pbtxt) to fp16, checks them and runs them.\n\n"
           "commands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\nRun 'halfcast COMMAND --help' for a command's options.\n"
               "Exit status: 0 ok, 1 a check failed, 2 bad usage or input.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return HC_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return HC_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("halfcast %s\n", HC_VERSION_STRING);
        return HC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(cmd, COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "halfcast: unknown command '%s' (try 'halfcast --help')\n", cmd);
    return HC_EXIT_USAGE;
}
