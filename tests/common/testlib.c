/* testlib.c - see testlib.h. */
#include "common/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char ring[8][4096];
static int ring_i;

static char *next_slot(void) {
    char *s = ring[ring_i];
    ring_i = (ring_i + 1) % 8;
    return s;
}

static const char *shared_root(void) {
    const char *r = getenv("HC_SHARED");
    return r && *r ? r : "../shared";
}

int hc_test_has_shared(const char *rel) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", shared_root(), rel);
    struct stat st;
    return stat(path, &st) == 0;
}

const char *hc_test_shared(const char *rel) {
    char *s = next_slot();
    snprintf(s, 4096, "%s/%s", shared_root(), rel);
    struct stat st;
    if (stat(s, &st) != 0) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) {
            fprintf(stderr, "missing shared test data: %s (required when CI=true)\n", s);
            exit(1);
        }
        fprintf(stderr, "skipped: shared test data not found: %s\n", s);
        exit(HC_SKIP_CODE);
    }
    return s;
}

static char tmpdir[4096];

static void remove_tmpdir(void) {
    if (!tmpdir[0] || getenv("HC_KEEP_TMP")) return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

const char *hc_test_tmpdir(void) {
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/hctest.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *hc_test_tmp(const char *name) {
    char *s = next_slot();
    snprintf(s, 4096, "%s/%s", hc_test_tmpdir(), name);
    return s;
}

uint8_t *hc_test_read(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(len > 0 ? (size_t)len : 1);
    if (p && len > 0 && fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) *n = (size_t)(len > 0 ? len : 0);
    return p;
}

int hc_test_write(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

int hc_test_sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int r = system(cmd);
    if (r == -1) return -1;
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}
