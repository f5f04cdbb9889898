/* demo.h - the built-in detection model and test image, so that `halfcast demo` and the tests
 * have a complete SSD-style detector with nothing but the repository.
 *
 * The graph has every hazard on purpose: a uint8 image input; a TF1 while loop with
 * TensorArrays for preprocessing (ResizeBilinear, float32-only output); a conv + FusedBatchNorm
 * (V1) + Relu6 + depthwise backbone; box and class heads; anchor decoding with Exp; and
 * NonMaxSuppressionV4 inside a second while loop over classes, then TopKV2. The weights are
 * set by hand so the model finds the red and the blue squares of the test image with well
 * separated scores (class 1 = red, class 2 = blue). */
#ifndef HC_DEMO_DEMO_H
#define HC_DEMO_DEMO_H
#include "base/buf.h"

#define HC_DEMO_SIZE    64
#define HC_DEMO_MAX_DET 20

/* Append the model's binary GraphDef to out. Deterministic. */
hc_status hc_demo_model(hc_ctx *ctx, hc_buf *out);
/* The test image, RGB, HC_DEMO_SIZE x HC_DEMO_SIZE. */
void hc_demo_pixels(uint8_t *rgb);
/* Write the test image as PNG (atomically). */
hc_status hc_demo_write_image(hc_ctx *ctx, const char *path);
#endif
