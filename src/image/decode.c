/* decode.c - JPEG (libjpeg-turbo, classic libjpeg API) and PNG (libpng, classic API) decoding
 * from memory into hc_image. Both libraries report errors by longjmp back into the function
 * that set the jump buffer, so a corrupt or truncated file records HC_MALFORMED with the
 * library's own message; the default handlers (print to stderr and exit) are never used.
 * The colour conversions mirror OpenCV's imread so the two can be compared pixel for pixel. */
#include <png.h> /* first: it includes <setjmp.h> itself */

#include "base/io.h"
#include "image/image.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE and size_t */

#include <jerror.h>
#include <jpeglib.h>

/* Progressive JPEGs can carry thousands of tiny scans that cost time but add nothing;
 * libjpeg-turbo's own tools stop at the same number. */
#define HC_JPEG_MAX_SCANS 500

void hc_image_options_init(hc_image_options *o) {
    memset(o, 0, sizeof *o);
}

hc_image_format hc_image_sniff(const void *data, size_t n) {
    const uint8_t *p = data;
    if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) return HC_IMAGE_JPEG;
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) return HC_IMAGE_PNG;
    return HC_IMAGE_UNKNOWN;
}

hc_status hc_image_alloc(hc_ctx *ctx, int w, int h, int c, hc_image *out) {
    memset(out, 0, sizeof *out);
    if (w < 1 || h < 1 || c < 1 || c > 4)
        return hc_fail(ctx, HC_INVALID, NULL, "bad image size %dx%dx%d", w, h, c);
    if (w > HC_IMAGE_MAX_SIDE || h > HC_IMAGE_MAX_SIDE ||
        (uint64_t)w * (uint64_t)h > HC_IMAGE_MAX_PIXELS)
        return hc_fail(ctx, HC_LIMIT, NULL, "image of %dx%d pixels exceeds the limits", w, h);
    size_t n;
    if (!hc_mul_size((size_t)w * (size_t)h, (size_t)c, &n))
        return hc_fail(ctx, HC_LIMIT, NULL, "image size overflows");
    out->px = hc_alloc(ctx, n);
    if (!out->px) return HC_NOMEM;
    out->w = w;
    out->h = h;
    out->c = c;
    return HC_OK;
}

void hc_image_fini(hc_ctx *ctx, hc_image *im) {
    if (!im) return;
    hc_dealloc(ctx, im->px);
    memset(im, 0, sizeof *im);
}

static uint64_t pixel_limit(const hc_image_options *o) {
    return o->max_pixels && o->max_pixels < HC_IMAGE_MAX_PIXELS ? o->max_pixels
                                                                : HC_IMAGE_MAX_PIXELS;
}

/* Size from the file's header, checked before anything is allocated for it. */
static hc_status check_dims(hc_ctx *ctx, const char *fmt, uint64_t w, uint64_t h, uint64_t limit) {
    if (w == 0 || h == 0)
        return hc_fail(ctx, HC_MALFORMED, NULL, "%s image has size %llux%llu", fmt,
                       (unsigned long long)w, (unsigned long long)h);
    if (w > HC_IMAGE_MAX_SIDE || h > HC_IMAGE_MAX_SIDE || w * h > limit)
        return hc_fail(ctx, HC_LIMIT, NULL,
                       "%s image of %llux%llu pixels exceeds the limits (%d per side, %llu "
                       "pixels)",
                       fmt, (unsigned long long)w, (unsigned long long)h, HC_IMAGE_MAX_SIDE,
                       (unsigned long long)limit);
    return HC_OK;
}

/* OpenCV's CMYK -> RGB for the (Adobe-inverted) values libjpeg returns. */
static void cmyk_to_rgb(const uint8_t *s, uint8_t rgb[3]) {
    int k = s[3];
    for (int i = 0; i < 3; i++)
        rgb[i] = (uint8_t)(k - (((255 - s[i]) * k) >> 8));
}

/* One decoded row of in_c components (CMYK, or RGB when RGBA is wanted) into c channels. */
static void convert_row(const uint8_t *src, uint8_t *dst, int w, int in_c, int c) {
    for (int x = 0; x < w; x++, src += in_c, dst += c) {
        uint8_t rgb[3] = {src[0], src[in_c > 1 ? 1 : 0], src[in_c > 2 ? 2 : 0]};
        if (in_c == 4) cmyk_to_rgb(src, rgb);
        if (c == 1) {
            /* BT.601 in 14-bit fixed point, rounded: OpenCV's CMYK -> gray. */
            dst[0] = (uint8_t)((rgb[0] * 4899 + rgb[1] * 9617 + rgb[2] * 1868 + 8192) >> 14);
            continue;
        }
        memcpy(dst, rgb, 3);
        if (c == 4) dst[3] = 255;
    }
}

/* ---- JPEG ----------------------------------------------------------------------------- */

typedef struct jpeg_state {
    struct jpeg_decompress_struct ci;
    struct jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    jmp_buf jmp;
    char msg[JMSG_LENGTH_MAX];
    int msg_code;
    hc_ctx *ctx;
    hc_image im;  /* being filled; released on failure */
    uint8_t *row; /* libjpeg's output row when it needs converting (CMYK, RGBA) */
    int in_c;     /* components per pixel libjpeg writes */
} jpeg_state;

static void jpeg_on_error(j_common_ptr ci) {
    jpeg_state *st = ci->client_data;
    st->msg_code = ci->err->msg_code;
    ci->err->format_message(ci, st->msg);
    longjmp(st->jmp, 1);
}

/* Warnings that mean image data was lost (truncation, corrupt entropy-coded data) are errors
 * here: a detector fed half a gray image gives misleading results. The harmless ones listed
 * (unknown JFIF revision or Adobe transform, stray bytes between markers, a bad ICC marker)
 * are ignored; any other warning is taken as corrupt data. */
static void jpeg_on_message(j_common_ptr ci, int level) {
    if (level >= 0) return; /* trace output */
    switch (ci->err->msg_code) {
    case JWRN_ADOBE_XFORM:
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_JFIF_MAJOR:
    case JWRN_TOO_MUCH_DATA:
    case JWRN_BOGUS_ICC:
        ci->err->num_warnings++;
        break;
    default:
        jpeg_on_error(ci);
    }
}

static void jpeg_on_output(j_common_ptr ci) {
    (void)ci; /* never print */
}

static void jpeg_on_progress(j_common_ptr ci) {
    j_decompress_ptr d = (j_decompress_ptr)ci;
    if (d->input_scan_number <= HC_JPEG_MAX_SCANS) return;
    jpeg_state *st = ci->client_data;
    snprintf(st->msg, sizeof st->msg, "more than %d progressive scans", HC_JPEG_MAX_SCANS);
    st->msg_code = -1;
    longjmp(st->jmp, 1);
}

/* libjpeg converts YCbCr to RGB or gray itself; 4-component files (CMYK, YCCK) come out as
 * CMYK and are converted here as OpenCV does. Returns the channels of the result. */
static int jpeg_pick_space(jpeg_state *st, int want) {
    j_decompress_ptr ci = &st->ci;
    int c = want ? want : ci->num_components == 1 ? 1 : 3;
    if (ci->num_components == 4) {
        ci->out_color_space = JCS_CMYK;
        st->in_c = 4;
    } else if (c == 1) {
        ci->out_color_space = JCS_GRAYSCALE;
        st->in_c = 1;
    } else {
        ci->out_color_space = JCS_RGB;
        st->in_c = 3;
    }
    return c;
}

static hc_status jpeg_lib_fail(jpeg_state *st) {
    bool mem = st->msg_code == JERR_OUT_OF_MEMORY || st->msg_code == JERR_NO_BACKING_STORE;
    if (mem)
        return hc_fail(st->ctx, HC_LIMIT, NULL, "JPEG needs more memory than allowed: %s", st->msg);
    return hc_fail(st->ctx, HC_MALFORMED, NULL, "corrupt JPEG: %s", st->msg);
}

static hc_status jpeg_read_rows(jpeg_state *st) {
    j_decompress_ptr ci = &st->ci;
    hc_image *im = &st->im;
    if (!HC_ALWAYS(st->ctx, ci->output_width == (JDIMENSION)im->w &&
                                ci->output_height == (JDIMENSION)im->h &&
                                ci->output_components == st->in_c))
        return HC_UNSUPPORTED;
    size_t stride = (size_t)im->w * (size_t)im->c;
    while (ci->output_scanline < ci->output_height) {
        uint8_t *dst = im->px + (size_t)ci->output_scanline * stride;
        JSAMPROW row = st->row ? st->row : dst;
        if (jpeg_read_scanlines(ci, &row, 1) != 1) /* a memory source never suspends */
            return hc_fail(st->ctx, HC_MALFORMED, NULL, "corrupt JPEG: no scanline data");
        if (st->row) convert_row(st->row, dst, im->w, st->in_c, im->c);
    }
    return HC_OK;
}

/* Everything that may longjmp happens here; st (unchanged after setjmp) holds the state. */
static hc_status jpeg_run(jpeg_state *st, const uint8_t *data, size_t n, int want, uint64_t limit) {
    j_decompress_ptr ci = &st->ci;
    if (setjmp(st->jmp)) return jpeg_lib_fail(st);
    jpeg_create_decompress(ci);
    /* Bounds libjpeg's whole-image coefficient buffers (progressive files): 8 bytes per pixel
     * covers 4 components at 2 bytes each. */
    uint64_t mem = limit * 8 + (16u << 20);
    ci->mem->max_memory_to_use = mem > LONG_MAX ? LONG_MAX : (long)mem;
    ci->progress = &st->progress;
    jpeg_mem_src(ci, data, (unsigned long)n);
    if (jpeg_read_header(ci, TRUE) != JPEG_HEADER_OK)
        return hc_fail(st->ctx, HC_MALFORMED, NULL, "JPEG has tables but no image");
    hc_status s = check_dims(st->ctx, "JPEG", ci->image_width, ci->image_height, limit);
    if (s) return s;
    int c = jpeg_pick_space(st, want);
    s = hc_image_alloc(st->ctx, (int)ci->image_width, (int)ci->image_height, c, &st->im);
    if (s) return s;
    bool convert = st->in_c == 4 || st->in_c != c; /* CMYK, or RGB to RGBA */
    if (convert && !(st->row = hc_alloc(st->ctx, (size_t)st->im.w * 4))) return HC_NOMEM;
    jpeg_start_decompress(ci);
    /* Not followed by jpeg_finish_decompress: once every scanline is read the image is
     * complete, and a missing EOI marker (files cut by two bytes) loses nothing. */
    return jpeg_read_rows(st);
}

static hc_status decode_jpeg(hc_ctx *ctx, const uint8_t *data, size_t n, int want, uint64_t limit,
                             hc_image *out) {
    if (n > ULONG_MAX) return hc_fail(ctx, HC_LIMIT, NULL, "JPEG data too large");
    jpeg_state *st = hc_calloc(ctx, 1, sizeof *st);
    if (!st) return HC_NOMEM;
    st->ctx = ctx;
    st->ci.err = jpeg_std_error(&st->err);
    st->err.error_exit = jpeg_on_error;
    st->err.emit_message = jpeg_on_message;
    st->err.output_message = jpeg_on_output;
    st->ci.client_data = st;
    st->progress.progress_monitor = jpeg_on_progress;
    hc_status s = jpeg_run(st, data, n, want, limit);
    /* Safe in every state: create zeroes the struct and destroy skips what is missing. */
    jpeg_destroy_decompress(&st->ci);
    hc_dealloc(ctx, st->row);
    if (s)
        hc_image_fini(ctx, &st->im);
    else
        *out = st->im;
    hc_dealloc(ctx, st);
    return s;
}

/* ---- PNG ------------------------------------------------------------------------------ */

typedef struct png_state {
    hc_ctx *ctx;
    png_structp png;
    png_infop info;
    const uint8_t *p;
    size_t n, off;
    char msg[256];
    hc_image im;
    png_bytep *rows;
} png_state;

static void png_on_error(png_structp png, png_const_charp msg) {
    png_state *st = png_get_error_ptr(png);
    snprintf(st->msg, sizeof st->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) {
    (void)png; /* warnings are benign by definition (bad ancillary CRC, ...): never print */
    (void)msg;
}

static void png_on_read(png_structp png, png_bytep dst, size_t n) {
    png_state *st = png_get_io_ptr(png);
    if (n > st->n - st->off) png_error(png, "unexpected end of data (truncated file)");
    memcpy(dst, st->p + st->off, n);
    st->off += n;
}

/* libpng transformations to 8-bit gray, RGB or RGBA, in OpenCV's choices: 16-bit keeps the
 * high byte, palettes and low bit depths expand, alpha is stripped unless RGBA is wanted,
 * color -> gray weighs 0.299/0.587/0.114. Returns the channels of the result. */
static int png_pick_transforms(png_state *st, int want) {
    png_structp png = st->png;
    int depth = png_get_bit_depth(png, st->info), type = png_get_color_type(png, st->info);
    bool color = (type & PNG_COLOR_MASK_COLOR) != 0;
    int c = want ? want : color ? 3 : 1;
    if (depth == 16) png_set_strip_16(png);
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (!color && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (c == 4)
        png_set_tRNS_to_alpha(png);
    else
        png_set_strip_alpha(png);
    if (c == 1 && color) png_set_rgb_to_gray_fixed(png, PNG_ERROR_ACTION_NONE, 29900, 58700);
    if (c >= 3 && !color) png_set_gray_to_rgb(png);
    if (c == 4) png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, st->info);
    return c;
}

static hc_status png_lib_fail(png_state *st) {
    return hc_fail(st->ctx, HC_MALFORMED, NULL, "corrupt PNG: %s", st->msg);
}

static hc_status png_run(png_state *st, int want, uint64_t limit) {
    if (setjmp(png_jmpbuf(st->png))) return png_lib_fail(st);
    png_set_read_fn(st->png, st, png_on_read);
    png_set_chunk_malloc_max(st->png, 8u << 20); /* compressed text and ICC profiles */
    png_read_info(st->png, st->info);
    png_uint_32 w = png_get_image_width(st->png, st->info);
    png_uint_32 h = png_get_image_height(st->png, st->info);
    hc_status s = check_dims(st->ctx, "PNG", w, h, limit);
    if (s) return s;
    int c = png_pick_transforms(st, want);
    if (!HC_ALWAYS(st->ctx, png_get_channels(st->png, st->info) == c &&
                                png_get_rowbytes(st->png, st->info) == (size_t)w * (size_t)c))
        return HC_UNSUPPORTED;
    s = hc_image_alloc(st->ctx, (int)w, (int)h, c, &st->im);
    if (s) return s;
    st->rows = hc_calloc(st->ctx, h, sizeof *st->rows);
    if (!st->rows) return HC_NOMEM;
    for (png_uint_32 y = 0; y < h; y++)
        st->rows[y] = st->im.px + (size_t)y * w * (size_t)c;
    png_read_image(st->png, st->rows);
    png_read_end(st->png, NULL); /* a file cut before IEND is truncated, as OpenCV says */
    return HC_OK;
}

static hc_status decode_png(hc_ctx *ctx, const uint8_t *data, size_t n, int want, uint64_t limit,
                            hc_image *out) {
    png_state st = {.ctx = ctx, .p = data, .n = n};
    st.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, png_on_error, png_on_warning);
    if (st.png) st.info = png_create_info_struct(st.png);
    hc_status s = st.info ? png_run(&st, want, limit)
                          : hc_fail(ctx, HC_NOMEM, NULL, "cannot create a PNG decoder");
    png_destroy_read_struct(&st.png, &st.info, NULL); /* NULL members are skipped */
    hc_dealloc(ctx, st.rows);
    if (s)
        hc_image_fini(ctx, &st.im);
    else
        *out = st.im;
    return s;
}

/* ---- entry points --------------------------------------------------------------------- */

hc_status hc_image_decode(hc_ctx *ctx, const void *data, size_t n, const hc_image_options *o,
                          hc_image *out) {
    memset(out, 0, sizeof *out);
    hc_image_options def;
    if (!o) {
        hc_image_options_init(&def);
        o = &def;
    }
    if (o->channels != 0 && o->channels != 1 && o->channels != 3 && o->channels != 4)
        return hc_fail(ctx, HC_INVALID, NULL, "image channels must be 0, 1, 3 or 4, not %d",
                       o->channels);
    switch (hc_image_sniff(data, n)) {
    case HC_IMAGE_JPEG:
        return decode_jpeg(ctx, data, n, o->channels, pixel_limit(o), out);
    case HC_IMAGE_PNG:
        return decode_png(ctx, data, n, o->channels, pixel_limit(o), out);
    default:
        if (n < 8) return hc_fail(ctx, HC_MALFORMED, NULL, "image data too short (%zu bytes)", n);
        return hc_fail(ctx, HC_UNSUPPORTED, NULL, "not a JPEG or PNG image (unknown magic bytes)");
    }
}

hc_status hc_image_load(hc_ctx *ctx, const char *path, const hc_image_options *o, hc_image *out) {
    memset(out, 0, sizeof *out);
    const char *saved = ctx->file;
    ctx->file = path;
    hc_map m;
    hc_status s = hc_map_file(ctx, path, &m);
    if (!s) {
        s = hc_image_decode(ctx, m.p, m.n, o, out);
        hc_map_release(ctx, &m);
    }
    ctx->file = saved;
    return s;
}
