/* cpu.c - CPU features from cpuid, checked against the OS's saved register state. */
#include "base/cpu.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static void detect_x86(hc_cpu *cpu) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12);
    cpu->f16c = (c & (1u << 29)) != 0;
    if (!osxsave || !avx) {
        cpu->f16c = false;
        return;
    }
    uint64_t xcr0 = xgetbv0();
    bool ymm = (xcr0 & 6) == 6, zmm = (xcr0 & 0xe6) == 0xe6;
    if (!ymm) {
        cpu->f16c = false;
        return;
    }
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    cpu->avx2 = (b & (1u << 5)) && fma && cpu->f16c;
    bool f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
    cpu->avx512 = zmm && f && dq && bw && vl && cpu->avx2;
}
#endif

void hc_cpu_detect(hc_cpu *cpu) {
    memset(cpu, 0, sizeof *cpu);
#if defined(__x86_64__) || defined(__i386__)
    detect_x86(cpu);
#endif
    const char *cap = getenv("HC_CPU");
    if (!cap) return;
    if (strcmp(cap, "scalar") == 0) {
        memset(cpu, 0, sizeof *cpu);
    } else if (strcmp(cap, "avx2") == 0) {
        cpu->avx512 = false;
    }
}

const char *hc_cpu_level_name(const hc_cpu *cpu) {
    return cpu->avx512 ? "avx512" : cpu->avx2 ? "avx2" : "scalar";
}
