/* cpu.h - run-time CPU feature detection (cpuid + xgetbv). */
#ifndef HC_BASE_CPU_H
#define HC_BASE_CPU_H
#include "base/ctx.h"

/* Fill cpu from this machine's features. Honours HC_CPU=scalar|avx2|avx512 to cap the level
 * (for tests that compare dispatch paths). */
void hc_cpu_detect(hc_cpu *cpu);
/* "avx512", "avx2" or "scalar". */
const char *hc_cpu_level_name(const hc_cpu *cpu);
#endif
