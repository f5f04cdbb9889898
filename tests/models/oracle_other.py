#!/usr/bin/python3
"""oracle_other.py - the shared TF models without a TF.js original, checked against what can run
them or judge them:

opencv: opencv-face-ssd-resnet10-uint8 in OpenCV DNN 4.6 (Debian python3-opencv) with its pbtxt.
  Input: cv2.dnn.blobFromImage(photo, 1, (300,300), (104,177,123)) (BGR minus mean, NCHW) for
  OpenCV and the same values as NHWC [1,300,300,3] for halfcast. Asserted: the raw outputs
  mbox_loc and mbox_conf_flatten, max|a-b| <= 1e-4 * max|a|. fp16: outputs within
  FP16_OPENCV_TOL x range, and the decoded faces (SSD decode + NMS in numpy, itself checked
  against OpenCV's detection_out) found again with verify's default criteria.
mtcnn: mtcnn-blaueck (TF1 while loop, TensorArrays, 4 NMS, two tf.cond). With --node-modules,
  TF.js runs the same GraphDef (pb2tfjs.py: node for node, one documented rewrite) on the
  tensors halfcast was fed: same number of faces, prob within 1e-4, boxes and landmarks within
  1e-4 x their largest value. Always, per photo: prob > thresholds[2] and sorted (NMS output
  order), every box inside the image (with MTCNN_MARGIN of the box size: the graph does not
  clip its regressed boxes), every landmark inside its box (same margin), no two boxes with
  IoU > 0.6 (the graph's last NMS); and agreement with an independent model: at least
  MTCNN_AGREE of all mtcnn faces (and half on each photo) overlap (IoU >= MTCNN_IOU) a face
  that OpenCV DNN finds with the OpenCV face detector (confidence >= 0.5). fp16: verify's
  defaults on box/prob, landmarks of matched faces within FP16_LANDMARK_TOL of the box size.
ssdlite: handtrack-ssdlite-mobilenetv2-tf1od (TF1 OD API, TensorArray while loop; cut before
  NMS). With --node-modules, TF.js runs the same GraphDef: both outputs within 1e-4 x range.
  Always: output shapes [1,1917,1] / [1,1917,1,4], scores in [0,1], boxes finite with
  ymin < ymax, xmin < xmax; the preprocessor's output (while loop + TensorArray +
  ResizeBilinear align_corners=False, then 2/255*x-1) equals a numpy implementation of TF's
  legacy bilinear resize; the outputs equal a numpy box decode (FasterRcnnBoxCoder, scales
  10,10,5,5) and sigmoid of halfcast's raw head outputs with the graph's anchors; on photos
  with visible hands its top hand boxes (score >= 0.5 after NMS) overlap (IoU >= SSDLITE_IOU) a
  hand (classes 1-4, score >= 0.3) found by the fpnlite model (checked against TF.js in
  test_oracle_tfjs). fp16: scores within 0.01, boxes >= 0.5 found again (verify's criteria).
Usage: oracle_other.py --bin HC --shared DIR --tmp DIR [--node-modules DIR]
                       [--models opencv,mtcnn,ssdlite] [--report FILE]"""
import argparse, os, sys
import cv2
import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_common import (DENSE_TOL, DET_TOL, Ctx, convert, dense_cmp, fmt_dense, hc_run, iou,
                           load_dir, tfjs_run, verify)
import pb2tfjs

TF = "models/tf"
OCV = f"{TF}/opencv-face-ssd-resnet10-uint8"
MTCNN = f"{TF}/mtcnn-blaueck"
SSDL = f"{TF}/handtrack-ssdlite-mobilenetv2-tf1od/handtrack_ssdlite_mobilenetv2_frozen_from_tfjs.pb"
FPN = f"{TF}/handtrack-ssd320-fpnlite-tf2od/handtrack_ssd320_fpnlite_base_frozen_from_tfjs.pb"

FACE_PHOTOS = [f"{MTCNN}/test_image.jpg", "images/three_people_indoor.jpg",
               "images/cameraman_gray.png", "images/two_men_ties.jpg",
               "images/astronaut_portrait.png"]
MTCNN_PHOTOS = [f"{MTCNN}/test_image.jpg", "images/three_people_indoor.jpg",
                "images/astronaut_portrait.png"]
HAND_PHOTOS = ["images/person_laptop_indoor.jpg", "images/man_tie_bottle.jpg",
               "images/three_people_indoor.jpg"]

# Tolerances (measured first; see the report).
FP16_OPENCV_TOL = 0.005      # fp16 mbox outputs: max|d| <= tol * max|fp32| (measured 1.6e-3)
MATCH_IOU, MATCH_SCORE, MATCH_MIN_SCORE = 0.9, 0.01, 0.5  # verify's defaults (min score 0.5 here)
MTCNN_MARGIN = 0.10          # boxes / landmarks may reach 10% of the box size outside
MTCNN_IOU, MTCNN_AGREE = 0.3, 0.8  # over all photos; and at least half on each photo
MTCNN_NMS = 0.6              # the graph's final tf.image.non_max_suppression threshold
FP16_LANDMARK_TOL = 0.05     # landmark delta / box size for matched fp16 faces
SSDLITE_IOU = 0.3          # same hand, two models with different box conventions
FP16_SSDLITE_SCORE = 0.01   # measured 3.2e-3


# ---------------------------------------------------------------- OpenCV face detector (SSD)
def ssd_decode(loc, conf, prior, conf_thr=0.01, nms=0.45, top_k=400, keep=200):
    """Caffe SSD DetectionOutput (CENTER_SIZE, shared location, 2 classes, background 0) as in
    the pbtxt: returns rows (score, xmin, ymin, xmax, ymax), best first."""
    loc = loc.reshape(-1, 4).astype(np.float64)
    p = prior.reshape(2, -1, 4).astype(np.float64)
    pr, var = p[0], p[1]
    pw, ph = pr[:, 2] - pr[:, 0], pr[:, 3] - pr[:, 1]
    pcx, pcy = (pr[:, 0] + pr[:, 2]) / 2, (pr[:, 1] + pr[:, 3]) / 2
    cx = var[:, 0] * loc[:, 0] * pw + pcx
    cy = var[:, 1] * loc[:, 1] * ph + pcy
    w = np.exp(var[:, 2] * loc[:, 2]) * pw
    h = np.exp(var[:, 3] * loc[:, 3]) * ph
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    score = conf.reshape(-1, 2)[:, 1].astype(np.float64)
    idx = [i for i in np.argsort(-score, kind="stable") if score[i] > conf_thr][:top_k]
    kept = []
    for i in idx:
        # iou() takes (y1,x1,y2,x2); the overlap is symmetric in x and y
        if all(iou(boxes[i], boxes[j]) <= nms for j in kept):
            kept.append(i)
    return np.array([[score[i], *boxes[i]] for i in kept[:keep]]).reshape(-1, 5)


def match_dets(a, b, min_score=MATCH_MIN_SCORE, iou_t=MATCH_IOU, score_tol=MATCH_SCORE):
    """verify-style: each row of a (score, box...) with score >= min_score needs a row of b with
    IoU >= iou_t and |score delta| <= score_tol. Returns (found, total, worst IoU, worst delta,
    pairs)."""
    total = found = 0
    worst_iou, worst_d, pairs = 1.0, 0.0, []
    for ra in a:
        if ra[0] < min_score:
            continue
        total += 1
        best = max(range(len(b)), key=lambda j: iou(ra[1:5], b[j][1:5]), default=None)
        if best is None:
            continue
        v, d = iou(ra[1:5], b[best][1:5]), abs(ra[0] - b[best][0])
        worst_iou, worst_d = min(worst_iou, v), max(worst_d, d)
        if v >= iou_t and d <= score_tol:
            found += 1
            pairs.append((ra, b[best]))
    return found, total, worst_iou, worst_d, pairs


def opencv_net(ctx):
    m = os.path.join(ctx.shared, OCV)
    return cv2.dnn.readNetFromTensorflow(f"{m}/opencv_face_detector_uint8.pb",
                                         f"{m}/opencv_face_detector.pbtxt")


def opencv_faces(ctx, img, min_conf=0.5):
    """OpenCV DNN's own detections (detection_out) in pixels as (score, y1, x1, y2, x2)."""
    net = opencv_net(ctx)
    net.setInput(cv2.dnn.blobFromImage(img, 1.0, (300, 300), (104, 177, 123), False, False))
    d = net.forward()[0, 0]
    h, w = img.shape[:2]
    return [(r[2], r[4] * h, r[3] * w, r[6] * h, r[5] * w) for r in d if r[2] >= min_conf]


def check_opencv(ctx):
    m = os.path.join(ctx.shared, OCV)
    pb = f"{m}/opencv_face_detector_uint8.pb"
    rep = ctx.report.setdefault("opencv", {"fp32_vs_opencv": {}, "fp16_vs_fp32": {}})
    print("== opencv-face-ssd-resnet10-uint8 against OpenCV DNN " + cv2.__version__, flush=True)
    f16 = convert(ctx, pb, ctx.path("opencv", "fp16.pb"))
    for photo in FACE_PHOTOS:
        label = os.path.splitext(os.path.basename(photo))[0]
        img = cv2.imread(os.path.join(ctx.shared, photo), cv2.IMREAD_COLOR)
        blob = cv2.dnn.blobFromImage(img, 1.0, (300, 300), (104, 177, 123), False, False)
        x = ctx.path("opencv", label + ".npy")
        np.save(x, np.ascontiguousarray(blob.transpose(0, 2, 3, 1)))
        net = opencv_net(ctx)
        net.setInput(blob)
        loc, conf, prior, det = net.forward(["mbox_loc", "mbox_conf_flatten", "mbox_priorbox",
                                             "detection_out"])
        ocv = {"mbox_loc": loc, "mbox_conf_flatten": conf}
        hc = hc_run(ctx, pb, [("data", x)], ctx.path("opencv", label, "hc"))
        r = rep["fp32_vs_opencv"][label] = {}
        for k, v in ocv.items():
            c = r[k] = dense_cmp(v, hc[k].reshape(v.shape))
            ctx.check(c["max_abs"] <= DENSE_TOL * c["range"],
                      f"opencv {label}: {fmt_dense(k, c)} <= {DENSE_TOL:g} x range")
        # the numpy decode reproduces OpenCV's detection_out (a check of the check)
        mine = ssd_decode(loc, conf, prior)
        theirs = np.array([[d[2], *d[3:7]] for d in det[0, 0] if d[2] >= MATCH_MIN_SCORE])
        mine_hi = mine[mine[:, 0] >= MATCH_MIN_SCORE]
        same = mine_hi.shape == theirs.reshape(-1, 5).shape and np.allclose(
            mine_hi, theirs.reshape(-1, 5), atol=1e-5)
        ctx.check(same, f"opencv {label}: numpy SSD decode = OpenCV detection_out "
                        f"({len(theirs)} faces >= {MATCH_MIN_SCORE})")
        r["faces"] = len(theirs)
        # fp16
        h16 = hc_run(ctx, f16, [("data", x)], ctx.path("opencv", label, "hc16"))
        r16 = rep["fp16_vs_fp32"][label] = {}
        for k in ocv:
            c = r16[k] = dense_cmp(hc[k], h16[k])
            ctx.check(c["max_abs"] <= FP16_OPENCV_TOL * c["range"],
                      f"opencv fp16 {label}: {fmt_dense(k, c)} <= {FP16_OPENCV_TOL:g} x range")
        a = ssd_decode(hc["mbox_loc"], hc["mbox_conf_flatten"], prior)
        b = ssd_decode(h16["mbox_loc"], h16["mbox_conf_flatten"], prior)
        found, total, wi, wd, _ = match_dets(a, b)
        r16["faces"] = {"found": found, "total": total, "min_iou": wi, "max_score_delta": wd}
        ctx.check(found == total, f"opencv fp16 {label}: {found}/{total} faces (score >= "
                                  f"{MATCH_MIN_SCORE}) found (IoU >= {MATCH_IOU}, |score delta| <= "
                                  f"{MATCH_SCORE}); min IoU {wi:.4f}, max score delta {wd:.4f}")


# ---------------------------------------------------------------- MTCNN
MTCNN_EXTRA = [("min_size", "40"), ("thresholds", "0.6,0.7,0.7"), ("factor", "0.709")]


def box_ok(b, h, w, margin):
    y1, x1, y2, x2 = b
    my, mx = margin * (y2 - y1), margin * (x2 - x1)
    return (y2 > y1 and x2 > x1 and y1 >= -my and x1 >= -mx and y2 <= h - 1 + my
            and x2 <= w - 1 + mx)


def inside(b, y, x, margin):
    y1, x1, y2, x2 = b
    my, mx = margin * (y2 - y1), margin * (x2 - x1)
    return y1 - my <= y <= y2 + my and x1 - mx <= x <= x2 + mx


def tfjs_model(ctx, pb, key):
    """The GraphDef as a tfjs graph model (pb2tfjs.py), made once per test run."""
    d = ctx.path(key, "tfjs")
    j = os.path.join(d, "model.json")
    return j if os.path.exists(j) else pb2tfjs.convert(pb, d)


def mtcnn_vs_tfjs(ctx, pb, label, hc):
    """TF.js on the tensors halfcast was fed: same number of faces, prob within DET_TOL, boxes
    and landmarks (pixels) within DENSE_TOL x their largest value."""
    save = ctx.path("mtcnn", label, "in")
    ins = [(k, os.path.join(save, k + ".npy")) for k in ("input", "min_size", "thresholds",
                                                         "factor")]
    orc, _ = tfjs_run(ctx, tfjs_model(ctx, pb, "mtcnn"), ins, ctx.path("mtcnn", label, "tfjs"))
    res = {"faces": [len(hc["prob"]), len(orc["prob"])]}
    if not ctx.check(orc["prob"].shape == hc["prob"].shape,
                     f"mtcnn {label}: TF.js finds {len(orc['prob'])} faces, halfcast "
                     f"{len(hc['prob'])}"):
        return res
    for k, tol in (("prob", DET_TOL), ("box", None), ("landmarks", None)):
        c = res[k] = dense_cmp(orc[k], hc[k])
        lim = tol if tol is not None else DENSE_TOL * c["range"]
        ctx.check(c["max_abs"] <= lim, f"mtcnn {label} vs TF.js: {fmt_dense(k, c)} <= {lim:.3g}")
    return res


def check_mtcnn(ctx):
    pb = os.path.join(ctx.shared, MTCNN, "mtcnn_1.12.pb")
    rep = ctx.report.setdefault("mtcnn", {"images": {}})
    print("== mtcnn-blaueck: against TF.js, consistency, agreement with OpenCV DNN's face "
          "detector", flush=True)
    f16 = convert(ctx, pb, ctx.path("mtcnn", "fp16.pb"))
    photos = [os.path.join(ctx.shared, p) for p in MTCNN_PHOTOS]
    lm_worst, agree_all, faces_all = 0.0, 0, 0
    for photo in photos:
        label = os.path.splitext(os.path.basename(photo))[0]
        ins = [("input", photo)] + MTCNN_EXTRA
        hc = hc_run(ctx, pb, ins, ctx.path("mtcnn", label, "hc"), ["--bgr"],
                    save=ctx.path("mtcnn", label, "in"))
        img = cv2.imread(photo, cv2.IMREAD_COLOR)
        fed = np.load(ctx.path("mtcnn", label, "in", "input.npy"))
        ctx.check(np.array_equal(fed, img.astype(np.float32)),
                  f"mtcnn {label}: input = cv2.imread (BGR, HWC, float) {list(fed.shape)}")
        box, prob, lm = hc["box"], hc["prob"], hc["landmarks"]
        n, (h, w) = len(prob), img.shape[:2]
        r = rep["images"][label] = {"faces": n}
        if ctx.node_modules:
            r["tfjs"] = mtcnn_vs_tfjs(ctx, pb, label, hc)
        ctx.check(n > 0 and box.shape == (n, 4) and lm.shape == (n, 10),
                  f"mtcnn {label}: {n} faces, box {box.shape}, landmarks {lm.shape}")
        ctx.check(bool(np.all(prob > 0.7)) and bool(np.all(np.diff(prob) <= 0)),
                  f"mtcnn {label}: prob > thresholds[2]=0.7 and sorted (min {prob.min():.4f})")
        ctx.check(all(box_ok(b, h, w, MTCNN_MARGIN) for b in box),
                  f"mtcnn {label}: boxes inside the {w}x{h} image (margin {MTCNN_MARGIN:g} x box)")
        lm_in = all(inside(b, ly, lx, MTCNN_MARGIN)
                    for b, l in zip(box, lm) for ly, lx in zip(l[:5], l[5:]))
        ctx.check(lm_in, f"mtcnn {label}: all 5 landmarks (y1..y5, x1..x5) inside their boxes")
        worst = max([iou(box[i], box[j]) for i in range(n) for j in range(i)], default=0.0)
        r["max_pair_iou"] = worst
        ctx.check(worst <= MTCNN_NMS + 1e-6, f"mtcnn {label}: largest IoU between two faces "
                                              f"{worst:.3f} <= {MTCNN_NMS} (final NMS)")
        faces = opencv_faces(ctx, img)
        best = [max([iou(b, f[1:]) for f in faces], default=0.0) for b in box]
        agree = sum(v >= MTCNN_IOU for v in best)
        r.update({"opencv_faces": len(faces), "overlapping": agree,
                  "ious": [round(v, 3) for v in best]})
        agree_all += agree
        faces_all += n
        ctx.check(agree >= 0.5 * n,
                  f"mtcnn {label}: {agree}/{n} faces overlap (IoU >= {MTCNN_IOU}) one of the "
                  f"{len(faces)} OpenCV DNN faces (IoUs {r['ious']})")
        # fp16: same faces, landmarks of matched faces
        h16 = hc_run(ctx, f16, ins, ctx.path("mtcnn", label, "hc16"), ["--bgr"])
        a = [(p, *b, i) for i, (p, b) in enumerate(zip(prob, box))]
        b = [(p, *bb, i) for i, (p, bb) in enumerate(zip(h16["prob"], h16["box"]))]
        found, total, wi, wd, pairs = match_dets(a, b, min_score=0.3)
        for pa, pb_ in pairs:
            size = max(pa[3] - pa[1], pa[4] - pa[2])
            d = np.abs(lm[int(pa[5])] - h16["landmarks"][int(pb_[5])]).max() / size
            lm_worst = max(lm_worst, float(d))
        r["fp16"] = {"found": found, "total": total, "min_iou": wi, "max_score_delta": wd}
    rep["opencv_agreement"] = [agree_all, faces_all]
    ctx.check(agree_all >= MTCNN_AGREE * faces_all,
              f"mtcnn: {agree_all}/{faces_all} faces over all photos overlap an OpenCV DNN face "
              f"(>= {MTCNN_AGREE:g})")
    rc, vr = verify(ctx, pb, f16, photos,
                    ["--bgr", "--boxes", "box", "--scores", "prob"] +
                    sum([["--extra", f"{k}={v}"] for k, v in MTCNN_EXTRA], []),
                    ctx.path("mtcnn", "verify.json"))
    rep["verify"], det = vr, vr["detections"]
    ctx.check(det["found_share"] >= 0.995,
              f"mtcnn fp16 verify: {det['found']}/{det['fp32_boxes']} faces found (IoU >= "
              f"{vr['tolerance']['iou']:.2f}, |score delta| <= "
              f"{vr['tolerance']['score_tol']:.2f}), "
              f"min IoU {det['min_iou']:.4f}, max score delta {det['max_score_delta']:.4f}")
    rep["fp16_landmark_delta_over_box"] = lm_worst
    ctx.check(lm_worst <= FP16_LANDMARK_TOL,
              f"mtcnn fp16: landmarks of matched faces move {lm_worst:.4f} of the box size <= "
              f"{FP16_LANDMARK_TOL}")


# ---------------------------------------------------------------- SSDLite hand detector
def tf_resize_bilinear_legacy(img, oh, ow):
    """TF's CPU ResizeBilinear with align_corners=False, half_pixel_centers=False (TF1's
    default), reimplemented in numpy with TF's float32 arithmetic (resize_bilinear_op.cc):
    scale = in / (float)out, in = (float)out_index * scale, lower = floor(in), lerp = in - lower,
    top = tl + (tr - tl) * x_lerp, bottom likewise, out = top + (bottom - top) * y_lerp."""
    f = np.float32
    ih, iw = img.shape[:2]
    ys = np.arange(oh, dtype=f) * (f(ih) / f(oh))
    xs = np.arange(ow, dtype=f) * (f(iw) / f(ow))
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, ih - 1), np.minimum(x0 + 1, iw - 1)
    dy, dx = (ys - y0.astype(f))[:, None, None], (xs - x0.astype(f))[None, :, None]
    im = img.astype(f)
    top = im[y0][:, x0] + (im[y0][:, x1] - im[y0][:, x0]) * dx
    bot = im[y1][:, x0] + (im[y1][:, x1] - im[y1][:, x0]) * dx
    return top + (bot - top) * dy


def decode_boxes(rel_codes, anchors):
    """TF OD API FasterRcnnBoxCoder.decode with scale factors (10, 10, 5, 5)."""
    a = anchors.reshape(-1, 4).astype(np.float64)
    t = rel_codes.reshape(-1, 4).astype(np.float64)
    ha, wa = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    yca, xca = a[:, 0] + ha / 2, a[:, 1] + wa / 2
    yc, xc = t[:, 0] / 10 * ha + yca, t[:, 1] / 10 * wa + xca
    h, w = np.exp(t[:, 2] / 5) * ha, np.exp(t[:, 3] / 5) * wa
    return np.stack([yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2], 1)


def nms_rows(boxes, scores, min_score, thr=0.5):
    rows = []
    for i in np.argsort(-scores, kind="stable"):
        if scores[i] < min_score:
            break
        if all(iou(boxes[i], r[1:]) <= thr for r in rows):
            rows.append((float(scores[i]), *boxes[i]))
    return rows


def check_ssdlite(ctx):
    pb = os.path.join(ctx.shared, SSDL)
    fpn = os.path.join(ctx.shared, FPN)
    rep = ctx.report.setdefault("ssdlite", {"images": {}})
    print("== handtrack-ssdlite-mobilenetv2-tf1od: shapes, pre/post-processing, agreement with "
          "fpnlite", flush=True)
    f16 = convert(ctx, pb, ctx.path("ssdlite", "fp16.pb"))
    inner = ["Preprocessor/sub", "Squeeze", "concat", "Postprocessor/ExpandDims",
             "Postprocessor/Slice", "Postprocessor/ExpandDims_1"]
    for photo in HAND_PHOTOS:
        label = os.path.splitext(os.path.basename(photo))[0]
        path = os.path.join(ctx.shared, photo)
        save = ctx.path("ssdlite", label, "in")
        hc = hc_run(ctx, pb, [("image_tensor", path)], ctx.path("ssdlite", label, "hc"),
                    ["--outputs", ",".join(inner)], save)
        s, bx = hc["Postprocessor_Slice"], hc["Postprocessor_ExpandDims_1"]
        r = rep["images"][label] = {}
        if ctx.node_modules:
            orc, _ = tfjs_run(ctx, tfjs_model(ctx, pb, "ssdlite"),
                              [("image_tensor", os.path.join(save, "image_tensor.npy"))],
                              ctx.path("ssdlite", label, "tfjs"))
            for k, v in (("Postprocessor_Slice", s), ("Postprocessor_ExpandDims_1", bx)):
                c = r.setdefault("tfjs", {})[k] = dense_cmp(orc[k], v)
                ctx.check(c["max_abs"] <= DENSE_TOL * c["range"],
                          f"ssdlite {label} vs TF.js: {fmt_dense(k, c)} <= {DENSE_TOL:g} x range")
        ctx.check(s.shape == (1, 1917, 1) and bx.shape == (1, 1917, 1, 4),
                  f"ssdlite {label}: scores {s.shape}, boxes {bx.shape}")
        b = bx.reshape(-1, 4)
        ctx.check(bool(np.all((s >= 0) & (s <= 1))) and bool(np.all(np.isfinite(b))) and
                  bool(np.all(b[:, 2] > b[:, 0])) and bool(np.all(b[:, 3] > b[:, 1])),
                  f"ssdlite {label}: scores in [0,1] ({s.min():.2g}..{s.max():.3f}), boxes finite "
                  f"and proper ({b.min():.3f}..{b.max():.3f})")
        x = np.load(os.path.join(save, "image_tensor.npy"))[0]
        pre = tf_resize_bilinear_legacy(x, 300, 300) * np.float32(2.0 / 255.0) - np.float32(1)
        d = float(np.abs(pre - hc["Preprocessor_sub"][0]).max())
        r["preprocess_max_abs"] = d
        ctx.check(d <= 1e-5, f"ssdlite {label}: preprocessor output (resize {x.shape[1]}x"
                             f"{x.shape[0]} -> 300x300, 2/255x-1) = numpy, max|d| {d:.2g} <= 1e-5")
        dec = decode_boxes(hc["Squeeze"], hc["Postprocessor_ExpandDims"])
        sig = 1 / (1 + np.exp(-hc["concat"].reshape(-1, 2)[:, 1].astype(np.float64)))
        db, ds = float(np.abs(dec - b).max()), float(np.abs(sig - s.ravel()).max())
        r.update({"decode_max_abs": db, "sigmoid_max_abs": ds})
        ctx.check(db <= 1e-5 and ds <= 1e-6,
                  f"ssdlite {label}: boxes = numpy decode of the raw head (max|d| {db:.2g} <= "
                  f"1e-5), scores = sigmoid (max|d| {ds:.2g} <= 1e-6)")
        mine = nms_rows(b, s.ravel(), 0.5)
        f = hc_run(ctx, fpn, [("input_tensor", path)], ctx.path("ssdlite", label, "fpn"))
        hands = [(float(f["Identity_4"][0, i]), *f["Identity_1"][0, i]) for i in range(100)
                 if f["Identity_4"][0, i] >= 0.3 and 1 <= f["Identity_2"][0, i] <= 4]
        best = max([iou(m[1:], h[1:]) for m in mine for h in hands], default=0.0)
        r.update({"ssdlite_boxes": len(mine), "fpnlite_hands": len(hands), "best_iou": best})
        ctx.check(best >= SSDLITE_IOU,
                  f"ssdlite {label}: its {len(mine)} boxes >= 0.5 and fpnlite's {len(hands)} "
                  f"hands overlap, best IoU {best:.3f} >= {SSDLITE_IOU}")
        h16 = hc_run(ctx, f16, [("image_tensor", os.path.join(save, "image_tensor.npy"))],
                     ctx.path("ssdlite", label, "hc16"))
        s16 = h16["Postprocessor_Slice"].ravel()
        b16 = h16["Postprocessor_ExpandDims_1"].reshape(-1, 4)
        dsc = float(np.abs(s16 - s.ravel()).max())
        found, total, wi, wd, _ = match_dets(mine, nms_rows(b16, s16, 0.3))
        r["fp16"] = {"max_score_delta": dsc, "found": found, "total": total, "min_iou": wi,
                     "max_matched_score_delta": wd,
                     "boxes_max_abs": float(np.abs(b16 - b).max())}
        ctx.check(dsc <= FP16_SSDLITE_SCORE and found == total,
                  f"ssdlite fp16 {label}: scores within {dsc:.4f} <= {FP16_SSDLITE_SCORE}; "
                  f"{found}/{total} boxes >= 0.5 found (IoU >= {MATCH_IOU}, |score delta| <= "
                  f"{MATCH_SCORE}), min IoU {wi:.4f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--node-modules", help="the npm oracles: also run mtcnn and ssdlite in TF.js")
    ap.add_argument("--models", default="opencv,mtcnn,ssdlite")
    ap.add_argument("--report")
    a = ap.parse_args()
    ctx = Ctx(a)
    cv2.setNumThreads(os.cpu_count() or 1)
    checks = {"opencv": check_opencv, "mtcnn": check_mtcnn, "ssdlite": check_ssdlite}
    for key in a.models.split(","):
        try:
            checks[key](ctx)
        except Exception as e:
            ctx.fail(f"{key}: {type(e).__name__}: {e}")
    return ctx.finish(a.report)


if __name__ == "__main__":
    sys.exit(main())
