/* image.h - image input for graph inputs: decoding JPEG (libjpeg-turbo) and PNG (libpng) into
 * 8-bit HWC pixels (decode.c), resizing (resize.c), and conversion to a batch-1 input tensor
 * in NHWC or NCHW with per-channel normalization (layout.c). Pixels are RGB unless asked
 * otherwise; every buffer comes from the context's allocator hook. */
#ifndef HC_IMAGE_IMAGE_H
#define HC_IMAGE_IMAGE_H
#include "base/ctx.h"
#include "base/npy.h"

/* Limits checked from the header, before any pixel buffer is allocated. */
#define HC_IMAGE_MAX_SIDE   32768
#define HC_IMAGE_MAX_PIXELS (1ull << 28)

/* 8-bit pixels, row-major, channels interleaved, rows packed (stride w * c). c is 1 (gray),
 * 3 (RGB) or 4 (RGBA). px is owned by the image (allocator hook). */
typedef struct hc_image {
    int w, h, c;
    uint8_t *px;
} hc_image;

typedef enum hc_image_format {
    HC_IMAGE_UNKNOWN = 0,
    HC_IMAGE_JPEG = 1,
    HC_IMAGE_PNG = 2
} hc_image_format;

typedef struct hc_image_options {
    /* 0: as stored - 1 for grayscale files, 3 for color (alpha dropped, palette expanded).
     * 1: convert to gray; 3: RGB (gray replicated); 4: RGBA (opaque alpha added if none). */
    int channels;
    /* Refuse images with more pixels than this (0: HC_IMAGE_MAX_PIXELS, which also caps it).
     * Lower it for untrusted input. */
    uint64_t max_pixels;
} hc_image_options;

void hc_image_options_init(hc_image_options *o);

/* The format named by the first bytes (magic numbers), HC_IMAGE_UNKNOWN otherwise. */
hc_image_format hc_image_sniff(const void *data, size_t n);

/* Decode a JPEG or PNG from memory (data borrowed for the call). o may be NULL (defaults).
 * Conversions follow OpenCV's imread so results can be compared with it: JPEG uses the
 * library defaults (ISLOW DCT, fancy upsampling), CMYK is converted like OpenCV, 16-bit PNG
 * keeps the high byte, gray from color uses 0.299/0.587/0.114.
 * Returns HC_MALFORMED for corrupt or truncated data (with the library's message), HC_LIMIT
 * when the size exceeds the limits, HC_UNSUPPORTED for an unknown format, HC_INVALID for bad
 * options, HC_NOMEM. *out is zeroed on failure. */
hc_status hc_image_decode(hc_ctx *ctx, const void *data, size_t n, const hc_image_options *o,
                          hc_image *out);
/* Same from a file (messages are prefixed with its path); HC_IO when it cannot be read. */
hc_status hc_image_load(hc_ctx *ctx, const char *path, const hc_image_options *o, hc_image *out);

/* Allocate an uninitialized w x h x c image within the limits (HC_INVALID / HC_LIMIT). */
hc_status hc_image_alloc(hc_ctx *ctx, int w, int h, int c, hc_image *out);
/* Release the pixels and zero *im; NULL or a zeroed image is fine. */
void hc_image_fini(hc_ctx *ctx, hc_image *im);

/* ---- resize.c ------------------------------------------------------------------------- */

typedef enum hc_resize_mode {
    /* Bilinear with half-pixel centers and edge clamping (TF ResizeBilinear with
     * half_pixel_centers=True), computed in float and rounded to nearest. Agrees with
     * cv2.resize INTER_LINEAR within +-1. */
    HC_RESIZE_BILINEAR = 0,
    /* Nearest with half-pixel centers: src = min(floor((d + 0.5) * in / out), in - 1)
     * (TF ResizeNearestNeighbor with half_pixel_centers=True). */
    HC_RESIZE_NEAREST = 1,
    /* cv2.resize INTER_LINEAR bit for bit (its 11-bit fixed-point weights; exact 2x
     * downscales average 2x2 blocks as OpenCV does). */
    HC_RESIZE_LINEAR_CV = 2,
    /* cv2.resize INTER_AREA bit for bit (box filter when shrinking, OpenCV's bilinear variant
     * when enlarging). The reference inputs of the shared models were made with it. */
    HC_RESIZE_AREA_CV = 3
} hc_resize_mode;

/* Resize src to w x h (same channels) into a new image *out. HC_INVALID for a bad mode or
 * size, HC_LIMIT, HC_NOMEM. src is borrowed. */
hc_status hc_image_resize(hc_ctx *ctx, const hc_image *src, int w, int h, hc_resize_mode mode,
                          hc_image *out);
/* Bilinear (HC_RESIZE_BILINEAR) without rounding: out receives h * w * src->c floats, HWC,
 * computed as TF's ResizeBilinear does on uint8 input. out_count must equal that count. */
hc_status hc_image_resize_f32(hc_ctx *ctx, const hc_image *src, int w, int h, float *out,
                              size_t out_count);

/* ---- layout.c ------------------------------------------------------------------------- */

typedef enum hc_layout { HC_LAYOUT_NHWC = 0, HC_LAYOUT_NCHW = 1 } hc_layout;

/* How an image becomes a model input. */
typedef struct hc_image_prep {
    int64_t height, width; /* target size; -1 keeps the image's (the model's dim is unknown) */
    int channels;          /* 1, 3 or 4 (default 3): decoded with that many channels */
    hc_resize_mode resize; /* default HC_RESIZE_BILINEAR */
    /* Float/half output with HC_RESIZE_BILINEAR: resize in float without rounding to uint8
     * first (what TF's tf.image.resize on a uint8 image gives). Default false: resize to
     * uint8 then convert, as a cv2.resize pipeline does. */
    bool float_resize;
    hc_layout layout; /* default HC_LAYOUT_NHWC */
    hc_dtype dtype;   /* HC_DT_UINT8 (default), HC_DT_FLOAT or HC_DT_HALF */
    bool bgr;         /* reverse the order of the first three channels (RGB -> BGR) */
    /* Per output channel (after the swap): y = (x - mean[c]) * scale[c], in float. Defaults 0
     * and 1; uint8 output requires the defaults. */
    float mean[4], scale[4];
    uint64_t max_pixels; /* decode limit (see hc_image_options) */
} hc_image_prep;

void hc_image_prep_init(hc_image_prep *p);

/* Convert im (borrowed, used at its own size: height/width/resize are ignored) to a tensor of
 * shape [1, h, w, c] or [1, c, h, w] in *out (owned data). HC_INVALID for bad options
 * (channels of p must equal im->c). */
hc_status hc_image_to_tensor(hc_ctx *ctx, const hc_image *im, const hc_image_prep *p, hc_npy *out);
/* Decode, resize to (height, width) unless they are -1, and convert: the whole path from an
 * image file to a model input. Codes of hc_image_load, hc_image_resize, hc_image_to_tensor. */
hc_status hc_image_prepare(hc_ctx *ctx, const char *path, const hc_image_prep *p, hc_npy *out);
/* Same from encoded bytes in memory (borrowed). */
hc_status hc_image_prepare_memory(hc_ctx *ctx, const void *data, size_t n, const hc_image_prep *p,
                                  hc_npy *out);
#endif
