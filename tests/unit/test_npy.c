/* test_npy.c - the .npy reader and writer: round trips for every dtype and ranks 0..4, files
 * written by real numpy (versions 1.0, 2.0, 3.0) read back with the right values and our
 * encoding byte-identical to numpy's, the shared reference outputs parse, and malformed
 * headers and sizes give a clear error without crashing. */
#include "common/testlib.h"

#include "base/fp16.h"
#include "base/npy.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const hc_dtype DTYPES[] = {HC_DT_FLOAT, HC_DT_HALF, HC_DT_DOUBLE, HC_DT_INT32,  HC_DT_INT64,
                                  HC_DT_INT16, HC_DT_INT8, HC_DT_UINT8,  HC_DT_UINT16, HC_DT_BOOL};
#define N_DTYPES (sizeof DTYPES / sizeof DTYPES[0])

/* Element i of the test arrays: (i % 100), or (i % 2) for bool, in dtype dt. */
static void put_value(hc_dtype dt, void *p, size_t i) {
    int v = (int)(i % 100);
    switch (dt) {
    case HC_DT_FLOAT:
        ((float *)p)[i] = (float)v;
        break;
    case HC_DT_HALF:
        ((uint16_t *)p)[i] = hc_f32_to_f16((float)v);
        break;
    case HC_DT_DOUBLE:
        ((double *)p)[i] = v;
        break;
    case HC_DT_INT32:
        ((int32_t *)p)[i] = v;
        break;
    case HC_DT_INT64:
        ((int64_t *)p)[i] = v;
        break;
    case HC_DT_INT16:
        ((int16_t *)p)[i] = (int16_t)v;
        break;
    case HC_DT_INT8:
        ((int8_t *)p)[i] = (int8_t)v;
        break;
    case HC_DT_UINT8:
        ((uint8_t *)p)[i] = (uint8_t)v;
        break;
    case HC_DT_UINT16:
        ((uint16_t *)p)[i] = (uint16_t)v;
        break;
    case HC_DT_BOOL:
        ((uint8_t *)p)[i] = (uint8_t)(i % 2);
        break;
    default:
        fail_msg("dtype %d", dt);
    }
}

static void *make_values(hc_dtype dt, size_t n) {
    void *p = calloc(n ? n : 1, hc_dtype_size(dt));
    for (size_t i = 0; i < n; i++)
        put_value(dt, p, i);
    return p;
}

static const int64_t SHAPES[][4] = {{0}, {3}, {2, 3}, {2, 1, 3}, {1, 2, 3, 2}};

static void roundtrip_every_dtype_and_rank(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    for (size_t d = 0; d < N_DTYPES; d++) {
        for (int rank = 0; rank <= 4; rank++) {
            const int64_t *dims = SHAPES[rank];
            size_t n;
            assert_true(hc_npy_count(rank, dims, &n));
            void *vals = make_values(DTYPES[d], n);
            const char *path = hc_test_tmp("rt.npy");
            assert_int_equal(hc_npy_write(ctx, path, DTYPES[d], rank, dims, vals), HC_OK);
            hc_npy a;
            hc_status s = hc_npy_read(ctx, path, &a);
            if (s) fail_msg("%s", hc_ctx_message(ctx));
            assert_int_equal(a.dtype, DTYPES[d]);
            assert_int_equal(a.rank, rank);
            assert_true(a.owned);
            for (int i = 0; i < rank; i++)
                assert_int_equal(a.dims[i], dims[i]);
            assert_int_equal(a.nbytes, n * hc_dtype_size(DTYPES[d]));
            assert_memory_equal(a.data, vals, a.nbytes);
            hc_npy_fini(ctx, &a);
            free(vals);
        }
    }
    hc_ctx_free(ctx);
}

static void parse_without_copy_points_into_bytes(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    int64_t dims[2] = {0, 5}; /* an empty array too */
    for (int k = 0; k < 2; k++) {
        if (k) dims[0] = 4;
        float vals[20];
        for (int i = 0; i < 20; i++)
            vals[i] = (float)i * 0.5f;
        hc_buf b;
        hc_buf_init(&b, ctx);
        assert_int_equal(hc_npy_encode(ctx, HC_DT_FLOAT, 2, dims, vals, &b), HC_OK);
        assert_int_equal((b.n - (size_t)(dims[0] * 5 * 4)) % 64, 0); /* data at a multiple of 64 */
        assert_int_equal(b.p[b.n - (size_t)(dims[0] * 5 * 4) - 1], '\n');
        hc_npy a;
        assert_int_equal(hc_npy_parse(ctx, hc_span_of(b.p, b.n), &a, false), HC_OK);
        assert_false(a.owned);
        assert_ptr_equal(a.data, b.p + b.n - a.nbytes);
        assert_memory_equal(a.data, vals, a.nbytes);
        hc_npy_fini(ctx, &a); /* a view: nothing freed */
        hc_buf_fini(&b);
    }
    hc_ctx_free(ctx);
}

/* numpy writes arrays of every dtype and shape (and versions 2.0/3.0, Fortran order and
 * big-endian ones); we read them, and our own encoding of the same array is byte-identical. */
static const char *NUMPY_SCRIPT =
    "import numpy as np, sys\n"
    "d = sys.argv[1]\n"
    "codes = ['<f4','<f2','<f8','<i4','<i8','<i2','|i1','|u1','<u2','|b1']\n"
    "shapes = [(), (3,), (2, 3), (2, 1, 3), (1, 2, 3, 2), (0, 3)]\n"
    "for ci, c in enumerate(codes):\n"
    "    for si, s in enumerate(shapes):\n"
    "        n = int(np.prod(s))\n"
    "        v = np.arange(n) % (2 if c == '|b1' else 100)\n"
    "        np.save('%s/np_%d_%d.npy' % (d, ci, si), v.astype(c).reshape(s))\n"
    "a = (np.arange(24) % 100).astype('<f4').reshape(2, 3, 4)\n"
    "for ver in [(1, 0), (2, 0), (3, 0)]:\n"
    "    with open('%s/ver_%d.npy' % (d, ver[0]), 'wb') as f:\n"
    "        np.lib.format.write_array(f, a, version=ver)\n"
    "np.save(d + '/fortran.npy', np.asfortranarray(a))\n"
    "np.save(d + '/bigendian.npy', a.astype('>f4'))\n"
    "np.save(d + '/complex.npy', a.astype('<c8'))\n"
    "np.save(d + '/structured.npy', np.zeros(3, dtype=[('x', '<f4'), ('y', '<i4')]))\n";

static void numpy_files_read_back(void **state) {
    (void)state;
    const char *script = hc_test_tmp("mk.py");
    assert_int_equal(hc_test_write(script, NUMPY_SCRIPT, strlen(NUMPY_SCRIPT)), 0);
    assert_int_equal(hc_test_sh("/usr/bin/python3 %s %s", script, hc_test_tmpdir()), 0);
    static const int64_t shapes[][4] = {{0}, {3}, {2, 3}, {2, 1, 3}, {1, 2, 3, 2}, {0, 3}};
    static const int ranks[] = {0, 1, 2, 3, 4, 2};
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    for (size_t d = 0; d < N_DTYPES; d++) {
        for (int si = 0; si < 6; si++) {
            char name[64];
            snprintf(name, sizeof name, "np_%zu_%d.npy", d, si);
            hc_npy a;
            if (hc_npy_read(ctx, hc_test_tmp(name), &a)) fail_msg("%s", hc_ctx_message(ctx));
            assert_int_equal(a.dtype, DTYPES[d]);
            assert_int_equal(a.rank, ranks[si]);
            size_t n;
            assert_true(hc_npy_count(ranks[si], shapes[si], &n));
            void *vals = make_values(DTYPES[d], n);
            assert_int_equal(a.nbytes, n * hc_dtype_size(DTYPES[d]));
            assert_memory_equal(a.data, vals, a.nbytes);
            /* Same bytes as numpy's file, header padding included. */
            hc_buf b;
            hc_buf_init(&b, ctx);
            assert_int_equal(hc_npy_encode(ctx, DTYPES[d], a.rank, a.dims, vals, &b), HC_OK);
            size_t fn;
            uint8_t *file = hc_test_read(hc_test_tmp(name), &fn);
            assert_int_equal(b.n, fn);
            assert_memory_equal(b.p, file, fn);
            free(file);
            hc_buf_fini(&b);
            free(vals);
            hc_npy_fini(ctx, &a);
        }
    }
    hc_ctx_free(ctx);
}

static void numpy_versions_and_unsupported(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    for (int v = 1; v <= 3; v++) {
        char name[32];
        snprintf(name, sizeof name, "ver_%d.npy", v);
        hc_npy a;
        if (hc_npy_read(ctx, hc_test_tmp(name), &a)) fail_msg("%s", hc_ctx_message(ctx));
        assert_int_equal(a.rank, 3);
        assert_int_equal(a.dims[2], 4);
        assert_true(hc_ld_f32((const uint8_t *)a.data + (size_t)4 * 23) == 23.f);
        hc_npy_fini(ctx, &a);
    }
    static const char *const bad[] = {"fortran.npy", "bigendian.npy", "complex.npy",
                                      "structured.npy"};
    static const char *const why[] = {"Fortran", "big-endian", "<c8", "structured"};
    for (size_t i = 0; i < 4; i++) {
        hc_ctx_clear(ctx);
        hc_npy a;
        assert_int_equal(hc_npy_read(ctx, hc_test_tmp(bad[i]), &a), HC_UNSUPPORTED);
        assert_non_null(strstr(hc_ctx_message(ctx), why[i]));
        assert_non_null(strstr(hc_ctx_message(ctx), bad[i])); /* names the file */
        assert_null(a.data);
    }
    hc_ctx_free(ctx);
}

/* numpy's reader must accept what we write (the other direction). */
static void numpy_reads_ours(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    for (size_t d = 0; d < N_DTYPES; d++) {
        int64_t dims[3] = {2, 3, 5};
        void *vals = make_values(DTYPES[d], 30);
        char name[32];
        snprintf(name, sizeof name, "ours_%zu.npy", d);
        assert_int_equal(hc_npy_write(ctx, hc_test_tmp(name), DTYPES[d], 3, dims, vals), HC_OK);
        free(vals);
    }
    hc_ctx_free(ctx);
    assert_int_equal(
        hc_test_sh("/usr/bin/python3 -c 'import numpy as np, sys\n"
                   "for d in range(10):\n"
                   "    a = np.load(\"%s/ours_%%d.npy\" %% d)\n"
                   "    assert a.shape == (2, 3, 5), a.shape\n"
                   "    m = 2 if a.dtype == bool else 100\n"
                   "    assert (a.ravel() == (np.arange(30) %% m).astype(a.dtype)).all(), d\n'",
                   hc_test_tmpdir()),
        0);
}

static void shared_reference_outputs_parse(void **state) {
    (void)state;
    const char *root = hc_test_shared("models/tf");
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    DIR *models = opendir(root);
    assert_non_null(models);
    int files = 0;
    struct dirent *m;
    while ((m = readdir(models))) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s/ref", root, m->d_name);
        DIR *refs = m->d_name[0] == '.' ? NULL : opendir(dir);
        struct dirent *e;
        while (refs && (e = readdir(refs))) {
            size_t len = strlen(e->d_name);
            if (len < 4 || strcmp(e->d_name + len - 4, ".npy") != 0) continue;
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            hc_npy a;
            if (hc_npy_read(ctx, path, &a)) fail_msg("%s", hc_ctx_message(ctx));
            assert_true(a.dtype == HC_DT_FLOAT || a.dtype == HC_DT_UINT8 || a.dtype == HC_DT_INT32);
            assert_true(a.rank >= 1 && a.rank <= 4);
            if (!strcmp(e->d_name, "input.npy")) assert_int_equal(a.dims[0], 1);
            hc_npy_fini(ctx, &a);
            files++;
        }
        if (refs) closedir(refs);
    }
    closedir(models);
    assert_true(files >= 15);
    hc_ctx_free(ctx);
}

/* A .npy with the given version, dict text (padded like numpy) and payload. */
static size_t make_npy(uint8_t *out, int major, const char *dict, size_t data_n) {
    size_t pre = major == 1 ? 10 : 12, hl = strlen(dict);
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major;
    out[7] = 0;
    if (major == 1)
        out[8] = (uint8_t)(hl & 0xff), out[9] = (uint8_t)(hl >> 8);
    else
        memcpy(out + 8, &(uint32_t){(uint32_t)hl}, 4);
    memcpy(out + pre, dict, hl);
    memset(out + pre + hl, 0x11, data_n);
    return pre + hl + data_n;
}

typedef struct bad_case {
    const char *dict;
    size_t data_n;
    const char *msg; /* a fragment the message must contain */
    int major;
    hc_status want;
} bad_case;

static const bad_case BAD[] = {
    {"{'descr': '<zz', 'fortran_order': False, 'shape': (3,), }\n", 12, "descr", 1, HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }\n", 12, "Fortran", 1,
     HC_UNSUPPORTED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 20, "truncated", 1,
     HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 28, "after the data", 1,
     HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", 4,
     "overflows", 1, HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 4,
     "non-negative integer", 1, HC_MALFORMED},
    /* 19 digits fit int64; the 20th would wrap a naive 64-bit accumulator */
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (19000000000000000000,), }", 4,
     "non-negative integer", 1, HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4, "non-negative integer", 1,
     HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", 12, "not a tuple", 1,
     HC_MALFORMED},
    {"{'descr': '<f4', 'shape': (3,), }", 12, "missing key", 1, HC_MALFORMED},
    {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", 12, "duplicate key",
     1, HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", 12, "unknown key", 1,
     HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} junk", 12, "after the dict", 1,
     HC_MALFORMED},
    {"{'descr': '<f4, 'fortran_order': False, 'shape': (3,)}", 12, "header", 1, HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}", 12, "True or False", 1,
     HC_MALFORMED},
    {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", 4, "more than 8", 1,
     HC_LIMIT},
    {"['descr', '<f4']", 4, "not a dict", 1, HC_MALFORMED},
    {"", 0, "not a dict", 1, HC_MALFORMED},
    {"{'descr': '>i8', 'fortran_order': False, 'shape': (1,)}", 8, "big-endian", 2, HC_UNSUPPORTED},
    {"{'descr': '<U3', 'fortran_order': False, 'shape': (1,)}", 12, "not supported", 1,
     HC_UNSUPPORTED},
    /* tolerated: any key order and spacing, no trailing comma, Python 2 longs, version 3.0 */
    {"{ \"shape\" :(2 ,3L) ,'fortran_order':False,'descr':'<i2'}", 12, "", 1, HC_OK},
    {"{'descr': '|u1', 'fortran_order': False, 'shape': ()}\t\r\n", 1, "", 3, HC_OK},
    {"{'descr': '|u1', 'fortran_order': False, 'shape': (0, 9223372036854775807)}", 0, "", 1,
     HC_OK},
};

static void malformed_headers_and_sizes(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    static uint8_t buf[1024];
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        size_t n = make_npy(buf, BAD[i].major, BAD[i].dict, BAD[i].data_n);
        hc_ctx_clear(ctx);
        hc_npy a;
        hc_status s = hc_npy_parse(ctx, hc_span_of(buf, n), &a, true);
        if (s != BAD[i].want || !strstr(hc_ctx_message(ctx), BAD[i].msg))
            fail_msg("case %zu: status %d (want %d): %s", i, s, BAD[i].want, hc_ctx_message(ctx));
        if (s) assert_null(a.data);
        hc_npy_fini(ctx, &a);
    }
    hc_ctx_free(ctx);
}

/* Damage to the preamble: magic, version, lengths, truncation at every byte. */
static void malformed_preambles(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    uint8_t good[256];
    size_t n = make_npy(good, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8);
    uint8_t b[256];
    hc_npy a;
    struct {
        size_t at;
        uint8_t v;
        hc_status want;
        const char *msg;
    } edits[] = {
        {5, 'Z', HC_MALFORMED, "bad magic"},
        {6, 9, HC_UNSUPPORTED, "version 9.0"},
        {7, 1, HC_UNSUPPORTED, "version 1.1"},
        {6, 0, HC_UNSUPPORTED, "version 0.0"},
        {9, 0x7f, HC_MALFORMED, "truncated .npy header"},
        {21, 0, HC_MALFORMED, "bad .npy descr"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(b, good, n);
        b[edits[i].at] = edits[i].v;
        hc_ctx_clear(ctx);
        assert_int_equal(hc_npy_parse(ctx, hc_span_of(b, n), &a, false), edits[i].want);
        assert_non_null(strstr(hc_ctx_message(ctx), edits[i].msg));
    }
    for (size_t cut = 0; cut < n; cut++) { /* every truncation fails cleanly */
        hc_ctx_clear(ctx);
        assert_int_equal(hc_npy_parse(ctx, hc_span_of(good, cut), &a, true), HC_MALFORMED);
        assert_true(strlen(hc_ctx_message(ctx)) > 10);
    }
    hc_ctx_clear(ctx);
    assert_int_equal(hc_npy_read(ctx, hc_test_tmp("does-not-exist.npy"), &a), HC_IO);
    assert_non_null(strstr(hc_ctx_message(ctx), "does-not-exist.npy"));
    hc_ctx_free(ctx);
}

static void encode_rejects_bad_arguments(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    hc_buf b;
    hc_buf_init(&b, ctx);
    int64_t dims[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    float v = 1.f;
    assert_int_equal(hc_npy_encode(ctx, HC_DT_FLOAT, 9, dims, &v, &b), HC_INVALID);
    hc_ctx_clear(ctx);
    assert_int_equal(hc_npy_encode(ctx, HC_DT_STRING, 1, dims, &v, &b), HC_INVALID);
    hc_ctx_clear(ctx);
    dims[0] = -2;
    assert_int_equal(hc_npy_encode(ctx, HC_DT_FLOAT, 1, dims, &v, &b), HC_INVALID);
    hc_ctx_clear(ctx);
    dims[0] = INT64_MAX;
    dims[1] = 4;
    assert_int_equal(hc_npy_encode(ctx, HC_DT_FLOAT, 2, dims, &v, &b), HC_LIMIT);
    assert_int_equal(b.n, 0);
    /* The largest header (8 dims of 19 digits) still fits version 1.0 and parses back. */
    hc_ctx_clear(ctx);
    int64_t zero8[8] = {0,         INT64_MAX, INT64_MAX, INT64_MAX,
                        INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    assert_int_equal(hc_npy_encode(ctx, HC_DT_INT64, 8, zero8, NULL, &b), HC_OK);
    hc_npy a;
    assert_int_equal(hc_npy_parse(ctx, hc_span_of(b.p, b.n), &a, false), HC_OK);
    assert_int_equal(a.rank, 8);
    assert_int_equal(a.dims[7], INT64_MAX);
    assert_int_equal(b.n % 64, 0);
    hc_buf_fini(&b);
    hc_ctx_free(ctx);
}

/* Failing the k-th allocation of a read or write gives HC_NOMEM and leaks nothing. */
static void allocation_failures(void **state) {
    (void)state;
    hc_ctx *ctx;
    assert_int_equal(hc_ctx_new(&ctx), HC_OK);
    int64_t dims[2] = {3, 4};
    float vals[12] = {0};
    const char *path = hc_test_tmp("fault.npy");
    assert_int_equal(hc_npy_write(ctx, path, HC_DT_FLOAT, 2, dims, vals), HC_OK);
    for (uint64_t k = 1; k < 8; k++) {
        hc_ctx_clear(ctx);
        ctx->alloc_count = 0;
        ctx->fail_at = k;
        hc_npy a;
        hc_status r = hc_npy_read(ctx, path, &a);
        hc_status w = hc_npy_write(ctx, hc_test_tmp("fault2.npy"), HC_DT_FLOAT, 2, dims, vals);
        assert_true(r == HC_OK || r == HC_NOMEM);
        assert_true(w == HC_OK || w == HC_NOMEM);
        hc_npy_fini(ctx, &a);
    }
    ctx->fail_at = 0;
    hc_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_every_dtype_and_rank),
        cmocka_unit_test(parse_without_copy_points_into_bytes),
        cmocka_unit_test(numpy_files_read_back),
        cmocka_unit_test(numpy_versions_and_unsupported),
        cmocka_unit_test(numpy_reads_ours),
        cmocka_unit_test(shared_reference_outputs_parse),
        cmocka_unit_test(malformed_headers_and_sizes),
        cmocka_unit_test(malformed_preambles),
        cmocka_unit_test(encode_rejects_bad_arguments),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
