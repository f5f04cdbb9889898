/* detect.c - the detect kernel family: detection post-processing and image resampling.
 * NonMaxSuppression V1..V5 (nms.c), TopK/TopKV2 (topk.c), ResizeBilinear and
 * ResizeNearestNeighbor (resize.c, resize_avx2.c), CropAndResize (crop.c). Semantics follow
 * TensorFlow's CPU kernels; detect.h lists what the files share. CombinedNonMaxSuppression has
 * no kernel: TensorFlow breaks its score ties in std::sort / priority_queue order, which is
 * not specified, so its output cannot be reproduced exactly. */
#include "exec/cpu/detect.h"

/* Sorted by op name (binary search). */
const hc_kernel hc_kernels_detect[] = {
    {"CropAndResize", hc_detect_crop_prepare, hc_detect_crop_run},
    {"NonMaxSuppression", hc_detect_nms_prepare, hc_detect_nms_run},
    {"NonMaxSuppressionV2", hc_detect_nms_prepare, hc_detect_nms_run},
    {"NonMaxSuppressionV3", hc_detect_nms_prepare, hc_detect_nms_run},
    {"NonMaxSuppressionV4", hc_detect_nms_prepare, hc_detect_nms_run},
    {"NonMaxSuppressionV5", hc_detect_nms_prepare, hc_detect_nms_run},
    {"ResizeBilinear", hc_detect_resize_prepare, hc_detect_bilinear_run},
    {"ResizeNearestNeighbor", hc_detect_resize_prepare, hc_detect_nearest_run},
    {"TopK", hc_detect_topk_prepare, hc_detect_topk_run},
    {"TopKV2", hc_detect_topk_prepare, hc_detect_topk_run},
};
const size_t hc_n_kernels_detect = sizeof hc_kernels_detect / sizeof hc_kernels_detect[0];
