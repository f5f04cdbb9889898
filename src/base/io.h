/* io.h - read-only file mapping and atomic file writes. */
#ifndef HC_BASE_IO_H
#define HC_BASE_IO_H
#include "base/ctx.h"
#include "base/util.h"

typedef struct hc_map {
    const uint8_t *p;
    size_t n;
    bool mapped;       /* false: p came from the allocator (empty files, or memory input) */
    uint64_t dev, ino; /* identity of the file, to refuse writing over it */
} hc_map;

/* Map path read-only. HC_IO with the OS's reason on failure. */
hc_status hc_map_file(hc_ctx *ctx, const char *path, hc_map *m);
void hc_map_release(hc_ctx *ctx, hc_map *m);

/* Write data to path atomically: a temporary file in the same folder, fsync, rename.
 * Refuses (HC_INVALID) when path is the file identified by (dev, ino) (pass 0,0 to skip). */
hc_status hc_write_atomic(hc_ctx *ctx, const char *path, const void *data, size_t n, uint64_t dev,
                          uint64_t ino);
/* Read a whole (small) file into memory from the allocator; *out freed with hc_dealloc. */
hc_status hc_read_file(hc_ctx *ctx, const char *path, uint8_t **out, size_t *n);
/* Monotonic clock in seconds. */
double hc_now(void);
#endif
