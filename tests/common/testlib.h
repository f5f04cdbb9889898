/* testlib.h - helpers shared by the tests: where the shared test data lives, skipping or
 * failing when it is missing (fail under CI=true), temp dirs and small file utilities. */
#ifndef HC_TESTLIB_H
#define HC_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "halfcast/halfcast.h"

#define HC_SKIP_CODE 77

/* Path of a file under ../shared (static buffer per call site is not used: returns a string
 * from a small ring). Exits 77 (skipped) when missing, or fails under CI=true. */
const char *hc_test_shared(const char *rel);
/* true when ../shared has rel; never skips. */
int hc_test_has_shared(const char *rel);
/* A fresh temporary directory for this test process (removed at exit). */
const char *hc_test_tmpdir(void);
/* Join tmpdir and name into a path (ring buffer). */
const char *hc_test_tmp(const char *name);
/* Read a whole file; NULL on failure. Caller frees. */
uint8_t *hc_test_read(const char *path, size_t *n);
int hc_test_write(const char *path, const void *p, size_t n);
/* Run a shell command, return its exit status (or -1). */
int hc_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
