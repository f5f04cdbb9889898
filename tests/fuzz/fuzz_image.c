/* fuzz_image.c - fuzz target for image decoding (JPEG, PNG), resizing and tensor conversion:
 * any bytes either decode or fail with a message, never crash, leak or read out of bounds;
 * decoded images go through every resize mode and a float NCHW conversion. The last byte
 * picks the channels asked for. Replayed over corpus/image/ by CTest. */
#include "image/image.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(hc_ctx *ctx, const hc_image *im) {
    /* A smaller and a larger size, bounded so each input stays fast. */
    int sizes[2][2] = {{im->w % 37 + 1, im->h % 29 + 1},
                       {HC_MIN(im->w * 2 + 1, 300), HC_MIN(im->h + 3, 300)}};
    for (int k = 0; k < 2; k++) {
        for (int m = 0; m <= HC_RESIZE_AREA_CV; m++) {
            hc_image r;
            if (hc_image_resize(ctx, im, sizes[k][0], sizes[k][1], (hc_resize_mode)m, &r)) abort();
            hc_image_fini(ctx, &r);
        }
    }
    hc_image_prep p;
    hc_image_prep_init(&p);
    p.channels = im->c;
    p.layout = HC_LAYOUT_NCHW;
    p.dtype = HC_DT_HALF;
    p.bgr = true;
    p.mean[0] = 127.5f;
    hc_npy t;
    if (hc_image_to_tensor(ctx, im, &p, &t)) abort();
    hc_npy_fini(ctx, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hc_ctx *ctx;
    if (hc_ctx_new(&ctx)) return 0;
    static const int chans[4] = {0, 1, 3, 4};
    hc_image_options o;
    hc_image_options_init(&o);
    o.channels = size ? chans[data[size - 1] & 3] : 0;
    o.max_pixels = 1u << 20; /* keep single inputs fast */
    hc_image im;
    if (hc_image_decode(ctx, data, size, &o, &im) == HC_OK) {
        if (im.w < 1 || im.h < 1 || (o.channels && im.c != o.channels) || !im.px) abort();
        exercise(ctx, &im);
        hc_image_fini(ctx, &im);
    } else if (!hc_ctx_message(ctx)[0] || im.px) {
        abort();
    }
    hc_ctx_free(ctx);
    return 0;
}
