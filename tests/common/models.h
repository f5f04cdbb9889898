/* models.h - the shared TensorFlow models the tests use (paths under ../shared). */
#ifndef HC_TEST_MODELS_H
#define HC_TEST_MODELS_H

static const char *const HC_TF_MODELS[] = {
    "models/tf/handtrack-ssd320-fpnlite-tf2od/handtrack_ssd320_fpnlite_base_frozen_from_tfjs.pb",
    ("models/tf/handtrack-ssdlite-mobilenetv2-tf1od/"
     "handtrack_ssdlite_mobilenetv2_frozen_from_tfjs.pb"),
    "models/tf/human-blazeface/blazeface_frozen_from_tfjs.pb",
    "models/tf/human-faceboxes/faceboxes_frozen_from_tfjs.pb",
    "models/tf/mtcnn-blaueck/mtcnn_1.12.pb",
    "models/tf/opencv-face-ssd-resnet10-uint8/opencv_face_detector_uint8.pb",
};
#define HC_N_TF_MODELS (sizeof HC_TF_MODELS / sizeof HC_TF_MODELS[0])
#endif
