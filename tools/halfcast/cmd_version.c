/* cmd_version.c - `halfcast version`: the version and the CPU paths this machine takes. */
#include "cli.h"

#include "base/cpu.h"

int hc_cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    hc_cpu cpu;
    hc_cpu_detect(&cpu);
    printf("halfcast %s (kernels: %s)\n", HC_VERSION_STRING, hc_cpu_level_name(&cpu));
    return HC_EXIT_OK;
}
