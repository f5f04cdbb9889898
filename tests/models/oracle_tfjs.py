#!/usr/bin/python3
"""oracle_tfjs.py - halfcast's CPU executor against TensorFlow.js (the original tfjs graph models,
tfjs-core/-backend-cpu/-converter 4.22.0 through ../shared/tools/oracle.js) for the shared TF
models that have a tfjs original, and halfcast's fp16 conversion against its fp32 run.

For each model:
  1. the stored reference (ref/input.npy -> ref/out_*.npy, made by TF.js) against `halfcast run`;
  2. fresh TF.js runs on photos: `halfcast run --save-inputs` prepares the input tensor (so both
     runtimes get identical bytes), oracle.js runs the tfjs model on it, outputs compared;
  3. `halfcast convert` (default options) -> fp16 graph run on the same inputs, compared with
     halfcast's fp32 outputs, and `halfcast verify fp32 fp16 --images ...` (its JSON kept).
Asserted (fp32 vs TF.js): dense outputs max|a-b| <= 1e-4 * max|a| per output; detection
outputs (after NMS): identical counts, classes and anchor indices, boxes and scores within 1e-4
(absolute). fp16 vs fp32: see FP16_* below.
Usage: oracle_tfjs.py --bin HC --shared DIR --node-modules DIR --tmp DIR [--models a,b]
                      [--report FILE]"""
import argparse, os, sys
import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_common import (DENSE_TOL, DET_TOL, Ctx, convert, dense_cmp, fmt_dense, hc_run,
                           iou, load_dir, resized_photo, tfjs_run, verify)

S = 0.00784313725490196  # 1/127.5: blazeface wants (pixel - 127.5) / 127.5
# --mean/--scale are given per channel: a single value is not broadcast to the third channel
# by halfcast at present (tools/halfcast/runio.c hc_run_floats), see the report.
BLAZE_PREP = ["--mean", "127.5,127.5,127.5", "--scale", f"{S},{S},{S}"]

# Photos (../shared/images): faces, people, hands; one grayscale, large ones. max_side: the
# longest side the photo is resized to first (None: as it is). Models with an in-graph resize
# (fpnlite) or a fixed input (blazeface: halfcast resizes) take the full-size photo; faceboxes
# runs at the photo's own size, so it gets moderate sizes to keep TF.js time reasonable.
PHOTOS = {
    "fpnlite": [("two_men_ties.jpg", None), ("person_laptop_indoor.jpg", None),
                ("man_tie_bottle.jpg", None), ("indoor_two_people_gray.png", None),
                ("three_people_indoor.jpg", None)],
    "faceboxes": [("three_people_indoor.jpg", 800), ("cameraman_gray.png", None),
                  ("park_bench_two_people.jpg", 480), ("two_men_ties.jpg", 640),
                  ("astronaut_portrait.png", 384)],
    "blazeface": [("astronaut_portrait.png", None), ("three_people_indoor.jpg", None),
                  ("cameraman_gray.png", None), ("two_men_ties.jpg", None),
                  ("person_laptop_indoor.jpg", None)],
}

MODELS = {
    "fpnlite": dict(dir="handtrack-ssd320-fpnlite-tf2od",
                    pb="handtrack_ssd320_fpnlite_base_frozen_from_tfjs.pb",
                    tfjs="tfjs-base/model.json", input="input_tensor", prep=[],
                    dense=["Identity_6", "Identity_7"],  # raw boxes, raw scores (before NMS)
                    det=dict(count="Identity_5", boxes="Identity_1", scores="Identity_4",
                             classes="Identity_2", exact=["Identity"], rows=["Identity_3"]),
                    verify=[]),
    "faceboxes": dict(dir="human-faceboxes", pb="faceboxes_frozen_from_tfjs.pb",
                      tfjs="tfjs/faceboxes.json", input="image_tensor", prep=[], dense=[],
                      det=dict(count="num_boxes", boxes="boxes", scores="scores", classes=None,
                               exact=[], rows=[]),
                      verify=["--boxes", "boxes", "--scores", "scores", "--count", "num_boxes"]),
    "blazeface": dict(dir="human-blazeface", pb="blazeface_frozen_from_tfjs.pb",
                      tfjs="tfjs/blazeface.json", input="input", prep=BLAZE_PREP,
                      dense=["Identity", "Identity_1", "Identity_2", "Identity_3"], det=None,
                      verify=BLAZE_PREP + ["--tensor-tol", "0.06"]),
}

# fp16 (halfcast convert, default options) against halfcast fp32. Measured first (worst over
# the photos; see the test output), then asserted with about a 2x margin:
#  * dense outputs: max|fp16 - fp32| <= FP16_DENSE_TOL x max|fp32| per output. Measured worst:
#    fpnlite raw scores 2.6e-2, raw boxes 2.3e-3; blazeface score logits 3.2e-2, regressors 2.7e-2.
#    Not "a few ulps" of the range (one ulp there is ~1e-3): each fp16 op is correctly rounded
#    (checked layer by layer), but rounding of activations accumulates over ~30 residual blocks
#    (~3e-3 rms relative at the last feature map) and the heads amplify it (blazeface's score
#    head has |w| up to 56.75 with sum |x||w| ~ 296 for a logit range of 292).
#  * detections (fpnlite, faceboxes): `halfcast verify` with its defaults (fp32 boxes with score
#    >= 0.3 found in fp16 with the same class, IoU >= 0.9, |score delta| <= 0.01; share >= 0.995).
#  * blazeface (raw heads, no NMS): anchors whose fp32 score sigmoid(logit) >= 0.3 keep their
#    score within 0.01 and their 16 regressors within 0.25 px (256 px input); measured worst
#    1.3e-3 and 0.04 px.
FP16_DENSE_TOL = {"fpnlite": 0.05, "blazeface": 0.06}
FP16_MIN_FOUND = 0.995
BLAZE_MIN_SCORE, BLAZE_SCORE_TOL, BLAZE_REG_TOL = 0.3, 0.01, 0.25


def det_compare(ctx, m, a, b, what):
    """Post-NMS outputs of b (halfcast) against a (the oracle): same count, classes and
    indices; boxes, scores and the per-detection rows within DET_TOL. Returns a summary; on a
    mismatch, explains the slot."""
    d = m["det"]
    na, nb = int(np.asarray(a[d["count"]]).ravel()[0]), int(np.asarray(b[d["count"]]).ravel()[0])
    res = {"count": [na, nb]}
    ok = ctx.check(na == nb, f"{what}: detection count {na} == {nb}")
    exact = ([d["classes"]] if d["classes"] else []) + d["exact"]
    for k in exact:
        same = np.array_equal(a[k], b[k])
        res[k] = {"identical": bool(same)}
        ok &= ctx.check(same, f"{what}: {k} identical")
        if not same:
            explain_slot(m, a, b, np.nonzero(a[k].ravel() != b[k].ravel())[0][0])
    for k in [d["boxes"], d["scores"]] + d["rows"]:
        c = dense_cmp(a[k], b[k])
        res[k] = c
        ok &= ctx.check(c["max_abs"] <= DET_TOL, f"{what}: {fmt_dense(k, c)} <= {DET_TOL}")
    return ok, res


def explain_slot(m, a, b, slot):
    """Print the detections around the first differing slot in both runs (a: the oracle, b:
    halfcast), and the IoU of the
    differing boxes with the earlier kept boxes (an IoU on the NMS threshold would explain it)."""
    d = m["det"]
    print(f"     first difference at detection slot {slot}:")
    for s in range(max(0, slot - 2), min(slot + 3, a[d["boxes"]].shape[1])):
        for tag, r in (("oracle  ", a), ("halfcast", b)):
            cls = r[d["classes"]][0, s] if d["classes"] else "-"
            print(f"     {tag} slot {s}: class {cls} score {r[d['scores']][0, s]:.7f} "
                  f"box {np.round(r[d['boxes']][0, s], 6)}")
    for tag, r in (("oracle", a), ("halfcast", b)):
        box = r[d["boxes"]][0, slot]
        ious = [iou(box, r[d["boxes"]][0, j]) for j in range(slot)]
        if ious:
            j = int(np.argmax(ious))
            print(f"     {tag}: slot {slot} box's largest IoU with earlier kept boxes: "
                  f"{ious[j]:.9f} (slot {j})")


def compare(ctx, m, hc, orc, what):
    ok = ctx.check(set(hc) == set(orc), f"{what}: same outputs {sorted(hc)}")
    res = {}
    for k in m["dense"]:
        c = dense_cmp(orc[k], hc[k])
        res[k] = c
        ok &= ctx.check(c["max_abs"] <= DENSE_TOL * c["range"],
                        f"{what}: {fmt_dense(k, c)} <= {DENSE_TOL:g} x range")
    if m["det"]:
        dok, dres = det_compare(ctx, m, orc, hc, what)
        ok &= dok
        res["detections"] = dres
    return ok, res


def check_model(ctx, key):
    m = MODELS[key]
    mdir = os.path.join(ctx.shared, "models/tf", m["dir"])
    pb, mj = os.path.join(mdir, m["pb"]), os.path.join(mdir, m["tfjs"])
    rep = ctx.report.setdefault(key, {"fp32_vs_tfjs": {}, "fp16_vs_fp32": {}})
    print(f"== {key}: {m['pb']} against TF.js {m['tfjs']}", flush=True)
    cases = []  # (label, saved input .npy, halfcast fp32 outputs, image for verify)
    # 1. the stored TF.js reference
    ref_in = os.path.join(mdir, "ref/input.npy")
    hc = hc_run(ctx, pb, [(m["input"], ref_in)], ctx.path(key, "ref_hc"))
    ref = {k[4:]: v for k, v in load_dir(os.path.join(mdir, "ref")).items() if k.startswith("out_")}
    _, rep["fp32_vs_tfjs"]["ref"] = compare(ctx, m, hc, ref, f"{key} ref")
    src = os.path.join(ctx.shared, "models/tf/mtcnn-blaueck/test_image.jpg")  # ref input's photo
    cases.append(("ref", ref_in, hc, src))
    # 2. fresh TF.js runs on photos, fed the tensor halfcast prepared
    for name, max_side in PHOTOS[key]:
        photo = resized_photo(ctx, os.path.join(ctx.shared, "images", name), max_side)
        label = os.path.splitext(os.path.basename(photo))[0]
        save = ctx.path(key, label, "in")
        hc = hc_run(ctx, pb, [(m["input"], photo)], ctx.path(key, label, "hc"), m["prep"], save)
        x = os.path.join(save, m["input"] + ".npy")
        orc, info = tfjs_run(ctx, mj, [(m["input"], x)], ctx.path(key, label, "tfjs"))
        if info["int_bits_fixed"]:
            print(f"     (tfjs int32 bits read back as int for {info['int_bits_fixed']})")
        _, r = compare(ctx, m, hc, orc, f"{key} {label} {list(np.load(x).shape)}")
        r["tfjs_run_ms"] = round(info["run_ms"][0], 1)
        rep["fp32_vs_tfjs"][label] = r
        cases.append((label, x, hc, photo))
    # 3. fp16: convert, run on the same tensors, compare with halfcast fp32; then verify
    f16 = convert(ctx, pb, ctx.path(key, "fp16.pb"))
    worst, h16s = {}, {}
    for label, x, hc, _ in cases:
        h16 = h16s[label] = hc_run(ctx, f16, [(m["input"], x)], ctx.path(key, label, "hc16"))
        for k in m["dense"]:
            c = dense_cmp(hc[k], h16[k])
            rep["fp16_vs_fp32"].setdefault(k, {})[label] = c
            if c["max_abs_over_range"] >= worst.get(k, (-1,))[0]:
                worst[k] = (c["max_abs_over_range"], label, c)
    tol = FP16_DENSE_TOL.get(key)
    for k, (_, label, c) in worst.items():
        ctx.check(c["max_abs"] <= tol * c["range"],
                  f"{key} fp16 (worst: {label}): {fmt_dense(k, c)} <= {tol:g} x range")
    if key == "blazeface":
        rep["fp16_anchors"] = [blaze_anchors(ctx, c[0], c[2], h16s[c[0]]) for c in cases]
    rc, vr = verify(ctx, pb, f16, [c[3] for c in cases], m["verify"],
                    ctx.path(key, "verify.json"))
    rep["verify"] = vr
    det = vr.get("detections")
    if m["det"]:
        ctx.check(det is not None and det["found_share"] >= FP16_MIN_FOUND,
                  f"{key} fp16 verify: {det and det['found']}/{det and det['fp32_boxes']} fp32 "
                  f"boxes found (IoU >= {vr['tolerance']['iou']:.2f}, |score delta| <= "
                  f"{vr['tolerance']['score_tol']:.2f}), min IoU {det and det['min_iou']:.4f}, "
                  f"max score delta {det and det['max_score_delta']:.4f}")
    else:
        ctx.check(rc == 0, f"{key} fp16 verify (tensor tolerance {vr['tolerance']['tensor_tol']:g} "
                           f"x range): {'pass' if rc == 0 else 'FAIL'}")


def blaze_anchors(ctx, label, hc, h16):
    """BlazeFace decoded: anchors with fp32 sigmoid score >= BLAZE_MIN_SCORE keep their score
    and regressors in fp16 (scores Identity/Identity_1, regressors Identity_2/Identity_3)."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-np.clip(v.astype(np.float64).ravel(), -80, 80)))
    res = {"image": label, "anchors": 0, "max_score_delta": 0.0, "max_regressor_delta": 0.0}
    for s, r in (("Identity", "Identity_2"), ("Identity_1", "Identity_3")):
        p32, p16 = sig(hc[s]), sig(h16[s])
        keep = p32 >= BLAZE_MIN_SCORE
        if not keep.any():
            continue
        dr = np.abs(hc[r][0].astype(np.float64) - h16[r][0].astype(np.float64))[keep]
        res["anchors"] += int(keep.sum())
        res["max_score_delta"] = max(res["max_score_delta"], float(np.abs(p32 - p16)[keep].max()))
        res["max_regressor_delta"] = max(res["max_regressor_delta"], float(dr.max()))
    ok = res["max_score_delta"] <= BLAZE_SCORE_TOL and res["max_regressor_delta"] <= BLAZE_REG_TOL
    ctx.check(ok, f"blazeface fp16 {label}: {res['anchors']} anchors with score >= "
                  f"{BLAZE_MIN_SCORE}: max |score delta| {res['max_score_delta']:.2e} <= "
                  f"{BLAZE_SCORE_TOL}, max |regressor delta| {res['max_regressor_delta']:.3f} <= "
                  f"{BLAZE_REG_TOL} px")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--node-modules", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--report")
    a = ap.parse_args()
    ctx = Ctx(a)
    for key in a.models.split(","):
        try:
            check_model(ctx, key)
        except Exception as e:  # a run that fails is a failure of this model, not the end
            ctx.fail(f"{key}: {e}")
    return ctx.finish(a.report)


if __name__ == "__main__":
    sys.exit(main())
