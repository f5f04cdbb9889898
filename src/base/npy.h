/* npy.h - NumPy .npy files: reading (format versions 1.0, 2.0 and 3.0, C order, little-endian
 * numeric dtypes) and writing (version 1.0, byte-identical to numpy's own writer). An hc_npy
 * is also the plain "dense host array" the image pipeline produces, so a graph input given as
 * x.npy or as img.jpg ends up in the same struct. */
#ifndef HC_BASE_NPY_H
#define HC_BASE_NPY_H
#include "base/buf.h"
#include "base/ctx.h"
#include "base/util.h"

#define HC_NPY_MAX_RANK 8

/* A dense C-order array. rank 0 is a scalar (one element). data holds nbytes =
 * product(dims) * hc_dtype_size(dtype) bytes; when owned it came from the allocator hook and
 * hc_npy_fini releases it, otherwise it is a view into the caller's bytes (and may be
 * unaligned: read it with memcpy or hc_ld_*). */
typedef struct hc_npy {
    hc_dtype dtype;
    int rank;
    int64_t dims[HC_NPY_MAX_RANK];
    void *data;
    size_t nbytes;
    bool owned;
} hc_npy;

/* Read a .npy file. out->data is owned (allocator hook, aligned like malloc). Returns HC_IO
 * (cannot read), HC_MALFORMED (bad magic, header or size; the message names the file and the
 * cause), HC_UNSUPPORTED (Fortran order, big-endian, or a dtype halfcast has no type for),
 * HC_LIMIT (more than HC_NPY_MAX_RANK dims) or HC_NOMEM. *out is zeroed on failure. */
hc_status hc_npy_read(hc_ctx *ctx, const char *path, hc_npy *out);

/* Parse the bytes of a .npy file. copy=false: out->data points into bytes (borrowed, lives as
 * long as bytes); copy=true: the data is copied into an owned buffer. Same codes as
 * hc_npy_read except HC_IO. */
hc_status hc_npy_parse(hc_ctx *ctx, hc_span bytes, hc_npy *out, bool copy);

/* Release owned data and zero *a. NULL or a zeroed struct is fine. */
void hc_npy_fini(hc_ctx *ctx, hc_npy *a);

/* Number of elements of a shape (1 for rank 0); false on overflow or a negative dim. */
bool hc_npy_count(int rank, const int64_t *dims, size_t *count);

/* The numpy descr for a dtype ("<f4", "|u1", ...), or NULL when it has none. */
const char *hc_npy_descr(hc_dtype dt);

/* Append a version 1.0 .npy (header padded so the data starts at a multiple of 64, exactly as
 * numpy >= 1.24 writes it) to out. data (borrowed) holds product(dims) elements of dt; it may
 * be NULL when that is 0. HC_INVALID for a bad rank, negative dim or a dtype without descr,
 * HC_LIMIT on size overflow, HC_NOMEM when out cannot grow. */
hc_status hc_npy_encode(hc_ctx *ctx, hc_dtype dt, int rank, const int64_t *dims, const void *data,
                        hc_buf *out);

/* Encode and write atomically to path (temporary file + rename). Codes of hc_npy_encode and
 * HC_IO. */
hc_status hc_npy_write(hc_ctx *ctx, const char *path, hc_dtype dt, int rank, const int64_t *dims,
                       const void *data);
#endif
