/* image.c - the demo's test image written as PNG with libpng. */
#include "demo/demo.h"
#include "base/io.h"

#include <png.h>
#include <stdlib.h>

hc_status hc_demo_write_image(hc_ctx *ctx, const char *path) {
    uint8_t rgb[HC_DEMO_SIZE * HC_DEMO_SIZE * 3];
    hc_demo_pixels(rgb);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = HC_DEMO_SIZE;
    img.height = HC_DEMO_SIZE;
    img.format = PNG_FORMAT_RGB;
    png_alloc_size_t n = 0;
    if (!png_image_write_to_memory(&img, NULL, &n, 0, rgb, 0, NULL))
        return hc_fail(ctx, HC_IO, NULL, "cannot encode the demo image: %s", img.message);
    void *buf = hc_alloc(ctx, n);
    if (!buf) return HC_NOMEM;
    hc_status s = HC_OK;
    if (!png_image_write_to_memory(&img, buf, &n, 0, rgb, 0, NULL))
        s = hc_fail(ctx, HC_IO, NULL, "cannot encode the demo image: %s", img.message);
    if (!s) s = hc_write_atomic(ctx, path, buf, n, 0, 0);
    hc_dealloc(ctx, buf);
    return s;
}
