#!/usr/bin/env bash
# The shared TF models without a TF.js original (details and tolerances in oracle_other.py):
#   opencv-face-ssd-resnet10-uint8  against OpenCV DNN 4.6 with its pbtxt: raw outputs mbox_loc
#       and mbox_conf_flatten within 1e-4 x range on 5 photos; fp16 outputs within 0.005 x range
#       and the decoded faces found again (IoU >= 0.9, |score delta| <= 0.01);
#   mtcnn-blaueck  against TF.js running the same GraphDef (tests/models/pb2tfjs.py): same faces,
#       prob within 1e-4, boxes/landmarks within 1e-4 x range; and checks that need no peer:
#       prob > 0.7 and sorted, boxes in the image, landmarks in their boxes, no pair above the
#       final NMS IoU 0.6, >= 80% of faces overlap an OpenCV DNN face (IoU >= 0.3); fp16 via
#       verify's defaults, landmarks within 5% of the box size;
#   handtrack-ssdlite-mobilenetv2-tf1od  against TF.js the same way (1e-4 x range); shapes and
#       ranges, the preprocessor (TensorArray while loop + ResizeBilinear) and the box decode
#       equal numpy reimplementations, its hand boxes overlap fpnlite's hands (IoU >= 0.3);
#       fp16 scores within 0.01 and its boxes found again.
# Without the npm oracles (outside CI) the TF.js comparisons are skipped and the rest runs.
set -u
. "$(dirname "$0")/../common/shared.sh"
T=models/tf
need_shared $T/opencv-face-ssd-resnet10-uint8/opencv_face_detector.pbtxt
need_shared $T/mtcnn-blaueck/mtcnn_1.12.pb
need_shared $T/handtrack-ssdlite-mobilenetv2-tf1od/handtrack_ssdlite_mobilenetv2_frozen_from_tfjs.pb
need_shared $T/handtrack-ssd320-fpnlite-tf2od/handtrack_ssd320_fpnlite_base_frozen_from_tfjs.pb
need_shared images/three_people_indoor.jpg
$PY -c 'import cv2' 2>/dev/null || {
    [ "${CI:-}" = "true" ] && { echo "python3-opencv missing"; exit 1; }
    echo "skipped: python3-opencv not installed"; exit 77; }
TFJS=()
if [ -d "$NODE_MODULES/@tensorflow/tfjs-converter" ] && [ -e "$HC_SHARED/tools/oracle.js" ]; then
    TFJS=(--node-modules "$NODE_MODULES")
elif [ "${CI:-}" = "true" ]; then
    echo "missing npm oracles in $NODE_MODULES"; exit 1
else
    echo "note: npm oracles not installed (scripts/deps.sh): TF.js comparisons skipped"
fi
$PY "$(dirname "$0")/oracle_other.py" --bin "$HC_BIN" --shared "$HC_SHARED" --tmp "$TMP" \
    "${TFJS[@]}" ${HC_ORACLE_REPORT:+--report "$HC_ORACLE_REPORT"}
