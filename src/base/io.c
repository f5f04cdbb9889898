/* io.c - mmap-based reading and temp-file-plus-rename writing. */
/* MAP_POPULATE */
#define _DEFAULT_SOURCE
#include "base/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

hc_status hc_map_file(hc_ctx *ctx, const char *path, hc_map *m) {
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return hc_fail(ctx, HC_IO, NULL, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return hc_fail(ctx, HC_IO, NULL, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return hc_fail(ctx, HC_IO, NULL, "not a regular file");
    }
    m->dev = (uint64_t)st.st_dev;
    m->ino = (uint64_t)st.st_ino;
    if (st.st_size == 0) {
        close(fd);
        m->p = (const uint8_t *)"";
        return HC_OK;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return hc_fail(ctx, HC_LIMIT, NULL, "file too large to map");
    }
    /* Files up to 64 MiB are faulted in with the mapping: one call instead of a fault per 4 KiB
     * page (in a VM each fault is costly), and convert or the first run reads every weight
     * anyway. Larger models keep their weights untouched until a kernel reads them. */
    int flags = MAP_PRIVATE | ((uint64_t)st.st_size <= ((uint64_t)64 << 20) ? MAP_POPULATE : 0);
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, flags, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return hc_fail(ctx, HC_IO, NULL, "cannot map: %s", strerror(e));
    m->p = p;
    m->n = (size_t)st.st_size;
    m->mapped = true;
    return HC_OK;
}

void hc_map_release(hc_ctx *ctx, hc_map *m) {
    (void)ctx;
    if (m->mapped && m->p) munmap((void *)m->p, m->n);
    memset(m, 0, sizeof *m);
}

static hc_status write_all(hc_ctx *ctx, int fd, const uint8_t *p, size_t n, const char *tmp) {
    while (n) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return hc_fail(ctx, HC_IO, NULL, "cannot write %s: %s", tmp, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return HC_OK;
}

hc_status hc_write_atomic(hc_ctx *ctx, const char *path, const void *data, size_t n, uint64_t dev,
                          uint64_t ino) {
    struct stat st;
    if ((dev || ino) && stat(path, &st) == 0 && (uint64_t)st.st_dev == dev &&
        (uint64_t)st.st_ino == ino)
        return hc_fail(ctx, HC_INVALID, NULL, "refusing to write over the input file %s", path);
    size_t len = strlen(path);
    char *tmp = hc_alloc(ctx, len + 16);
    if (!tmp) return HC_NOMEM;
    snprintf(tmp, len + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        hc_status s = hc_fail(ctx, HC_IO, NULL, "cannot create %s: %s", tmp, strerror(errno));
        hc_dealloc(ctx, tmp);
        return s;
    }
    hc_status s = write_all(ctx, fd, data, n, tmp);
    /* The rename alone makes the write atomic for readers; fsync (which can take hundreds of
     * milliseconds) is only needed to survive a power loss, so it is asked for explicitly. */
    if (s == HC_OK && ctx->sync && fsync(fd) != 0)
        s = hc_fail(ctx, HC_IO, NULL, "cannot sync %s: %s", tmp, strerror(errno));
    /* mkstemp makes 0600; give the file the usual mode. */
    if (s == HC_OK) fchmod(fd, 0644);
    if (close(fd) != 0 && s == HC_OK)
        s = hc_fail(ctx, HC_IO, NULL, "cannot close %s: %s", tmp, strerror(errno));
    if (s == HC_OK && rename(tmp, path) != 0)
        s = hc_fail(ctx, HC_IO, NULL, "cannot rename to %s: %s", path, strerror(errno));
    if (s != HC_OK) unlink(tmp);
    hc_dealloc(ctx, tmp);
    return s;
}

hc_status hc_read_file(hc_ctx *ctx, const char *path, uint8_t **out, size_t *n) {
    *out = NULL;
    *n = 0;
    hc_map m;
    hc_status s = hc_map_file(ctx, path, &m);
    if (s) return s;
    uint8_t *p = hc_alloc(ctx, m.n + 1);
    if (p) {
        if (m.n) memcpy(p, m.p, m.n);
        p[m.n] = 0;
        *out = p;
        *n = m.n;
    }
    hc_map_release(ctx, &m);
    return p ? HC_OK : HC_NOMEM;
}

double hc_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
