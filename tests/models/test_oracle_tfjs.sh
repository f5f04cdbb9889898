#!/usr/bin/env bash
# halfcast's CPU executor against TensorFlow.js, a real runtime with TF semantics (the original
# tfjs graph models through ../shared/tools/oracle.js, tfjs 4.22 CPU backend), for the models
# that have a tfjs original: handtrack fpnlite (TF2 OD API with NMS), faceboxes, blazeface.
# For each: the stored TF.js reference outputs, then fresh TF.js runs on 5 photos (grayscale and
# large ones included) fed the exact tensor halfcast prepared (--save-inputs), then the fp16
# conversion against halfcast fp32 and `halfcast verify`. Tolerances (details in oracle_tfjs.py):
#   fp32 vs TF.js  dense outputs max|a-b| <= 1e-4 x max|a|; after NMS: identical counts,
#                  classes and anchor indices, boxes and scores within 1e-4;
#   fp16 vs fp32   detections: verify's defaults (IoU >= 0.9, |score delta| <= 0.01, 99.5% found);
#                  dense outputs within 0.05 (fpnlite) / 0.06 (blazeface) x range (measured
#                  2.6e-2 / 3.2e-2); blazeface anchors with score >= 0.3 within 0.01 / 0.25 px.
set -u
. "$(dirname "$0")/../common/shared.sh"
T=models/tf
need_shared $T/handtrack-ssd320-fpnlite-tf2od/tfjs-base/model.json
need_shared $T/handtrack-ssd320-fpnlite-tf2od/ref/input.npy
need_shared $T/human-faceboxes/tfjs/faceboxes.json
need_shared $T/human-blazeface/tfjs/blazeface.json
need_shared $T/mtcnn-blaueck/test_image.jpg
need_shared tools/oracle.js
need_shared images/three_people_indoor.jpg
need_node
$PY "$(dirname "$0")/oracle_tfjs.py" --bin "$HC_BIN" --shared "$HC_SHARED" \
    --node-modules "$NODE_MODULES" --tmp "$TMP" ${HC_ORACLE_REPORT:+--report "$HC_ORACLE_REPORT"}
