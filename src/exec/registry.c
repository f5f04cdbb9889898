/* registry.c - kernel lookup: binary search in each family's sorted table. */
#include "exec/exec.h"

#define FAMILY(f)                                                                                  \
    extern const hc_kernel hc_kernels_##f[];                                                       \
    extern const size_t hc_n_kernels_##f;
#include "exec/cpu/families.def"
#undef FAMILY

typedef struct family {
    const hc_kernel *table;
    const size_t *count;
} family;

static const family FAMILIES[] = {
#define FAMILY(f) {hc_kernels_##f, &hc_n_kernels_##f},
#include "exec/cpu/families.def"
#undef FAMILY
};

static int cmp(hc_span a, const char *b) {
    size_t bn = strlen(b), n = a.n < bn ? a.n : bn;
    int c = n ? memcmp(a.p, b, n) : 0;
    return c ? c : (a.n < bn ? -1 : a.n > bn ? 1 : 0);
}

const hc_kernel *hc_exec_find_kernel(hc_span op) {
    for (size_t f = 0; f < sizeof FAMILIES / sizeof FAMILIES[0]; f++) {
        const hc_kernel *t = FAMILIES[f].table;
        size_t lo = 0, hi = *FAMILIES[f].count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = cmp(op, t[mid].op);
            if (c == 0) return &t[mid];
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
    }
    return NULL;
}
