#!/usr/bin/python3
"""benchmarks/verify: does the fp16 conversion of every shared TF model still detect what the
fp32 model detects, over every photo in ../shared/images? Writes results/verify.json, a
summary table results/verify.md, and halfcast's full report per model and variant under
results/verify/.

Usage: benchmarks/verify.py [--bin build/release/halfcast] [--shared ../shared]

For each model two conversions are verified against the fp32 original:
  fp16          `halfcast convert` (weights and arithmetic in fp16, the product);
  storage-only  `halfcast convert --storage-only` (fp16 weights, fp32 arithmetic): when it shows
                the same differences, fp16 rounding of the *weights* causes them, not fp16
                arithmetic or a conversion error.
The criterion (issue 4): >= 99.5 % of fp32 boxes with score >= 0.3 found in fp16 with the same
class, IoU >= 0.9 and |score delta| <= 0.01, or each difference named with its reason."""
import argparse, json, os, platform, subprocess, sys, tempfile

TF = "models/tf"
# key: (pb path under models/tf, verify options)
MODELS = {
    "handtrack-ssd320-fpnlite-tf2od": (
        "handtrack-ssd320-fpnlite-tf2od/handtrack_ssd320_fpnlite_base_frozen_from_tfjs.pb", []),
    "handtrack-ssdlite-mobilenetv2-tf1od": (
        "handtrack-ssdlite-mobilenetv2-tf1od/handtrack_ssdlite_mobilenetv2_frozen_from_tfjs.pb",
        []),
    "human-faceboxes": ("human-faceboxes/faceboxes_frozen_from_tfjs.pb", []),
    "mtcnn-blaueck": ("mtcnn-blaueck/mtcnn_1.12.pb",
                      ["--bgr", "-e", "min_size=40", "-e", "thresholds=0.6,0.7,0.7",
                       "-e", "factor=0.709"]),
    "human-blazeface": ("human-blazeface/blazeface_frozen_from_tfjs.pb", []),
    "opencv-face-ssd-resnet10-uint8": (
        "opencv-face-ssd-resnet10-uint8/opencv_face_detector_uint8.pb",
        ["--input", "data", "--size", "300x300", "--mean", "104,177,123", "--bgr"]),
}
VARIANTS = {"fp16": [], "storage-only": ["--storage-only"]}


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def convert(args, pb, out, extra):
    p = run([args.bin, "convert", pb, "-o", out, "--quiet"] + extra)
    if p.returncode != 0:
        sys.exit("convert %s failed: %s" % (pb, p.stderr.strip()))


def verify(args, a, b, opts, report):
    p = run([args.bin, "verify", a, b, "--images", os.path.join(args.shared, "images"),
             "--report", report] + opts)
    if p.returncode not in (0, 1):
        sys.exit("verify %s failed (%d): %s" % (b, p.returncode, p.stderr.strip()))
    with open(report) as f:
        return json.load(f), p.stdout


def summarize(rep):
    d = rep["detections"]
    bad = {k: v["images_out_of_tolerance"] for k, v in rep["outputs"].items()
           if v["images_out_of_tolerance"]}
    s = {"pass": rep["pass"], "images": len(rep["images"]), "outputs_out_of_tolerance": bad,
         "worst_output_ratio": {k: (v["matched_rows"]["max_abs"] / v["matched_rows"]["range"]
                                    if "matched_rows" in v and v["matched_rows"]["range"] else
                                    v["max_abs"] / v["range"] if v["range"] else v["max_abs"])
                                for k, v in rep["outputs"].items()}}
    if d:
        s.update({k: d[k] for k in ("fp32_boxes", "found", "found_share", "score_moved",
                                    "missing", "extra", "min_iou", "mean_iou",
                                    "max_score_delta")})
        s["differences"] = [{"image": os.path.basename(x["image"]), "issue": x["issue"],
                             "why": x["why"], "iou": round(x["iou"], 3),
                             "fp32_score": x.get("fp32", {}).get("score"),
                             "fp16_score": x.get("fp16", {}).get("score")}
                            for x in d["differences"]]
    return s


def fmt_score(v):
    return "-" if v is None else "%.3f" % v


def cause(d, storage):
    """Whether the storage-only conversion shows the same difference (same image, issue and
    box score): then rounding the weights causes it, not fp16 arithmetic."""
    for e in storage:
        if (e["image"], e["issue"]) != (d["image"], d["issue"]):
            continue
        same = [k for k in ("fp32_score", "fp16_score")
                if d[k] is not None and e[k] is not None and abs(d[k] - e[k]) < 0.005]
        if same:
            return ("also with fp32 arithmetic (storage-only: fp32 %s fp16 %s): the weights' "
                    "rounding to fp16 causes it" % (fmt_score(e["fp32_score"]),
                                                     fmt_score(e["fp16_score"])))
    return "storage-only is within tolerance here: fp16 arithmetic adds it"


def markdown(res, cmd):
    out = ["# halfcast verify: fp32 vs fp16 on every shared photo", "",
           "Command: `%s` on %s, %d images (`../shared/images`)." %
           (cmd, res["machine"], res["images"]), "",
           "Criterion: >= 99.5 % of fp32 boxes with score >= 0.3 found in fp16 with the same "
           "class, IoU >= 0.9 and |score delta| <= 0.01, or every difference named with its "
           "reason. *storage-only* keeps the arithmetic in fp32 and rounds only the weights to "
           "fp16: differences it shares with *fp16* come from the weights' rounding.", "",
           "| model | variant | fp32 boxes | found | share | missing | extra | score moved | "
           "min IoU | max score delta | outputs out of tolerance | verdict |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for key, m in res["models"].items():
        for var, s in m.items():
            tol = ", ".join("%s (%d images)" % kv for kv in s["outputs_out_of_tolerance"].items())
            if "fp32_boxes" in s:
                out.append("| %s | %s | %d | %d | %.2f %% | %d | %d | %d | %.4f | %.4f | %s | %s |"
                           % (key, var, s["fp32_boxes"], s["found"], 100 * s["found_share"],
                              s["missing"], s["extra"], s["score_moved"], s["min_iou"],
                              s["max_score_delta"], tol or "none",
                              "PASS" if s["pass"] else "FAIL"))
            else:
                worst = max(s["worst_output_ratio"].values())
                out.append("| %s | %s | (raw outputs: no decoded detections) | | | | | | | | "
                           "%s; worst max\\|d\\|/range %.4f | %s |" %
                           (key, var, tol or "none", worst, "PASS" if s["pass"] else "FAIL"))
    out += ["", "## Every difference of the fp16 conversion, with its reason", "",
            "The cause column compares with storage-only (fp16 weights, fp32 arithmetic) on the "
            "same image and box.", ""]
    for key, m in res["models"].items():
        for d in m["fp16"].get("differences", []):
            out.append("- %s, %s: %s, fp32 %s fp16 %s (IoU %.2f): %s; %s" %
                       (key, d["image"], d["issue"], fmt_score(d["fp32_score"]),
                        fmt_score(d["fp16_score"]), d["iou"], d["why"],
                        cause(d, m["storage-only"].get("differences", []))))
    out += ["", "Full reports (per image, per output): `results/verify/<model>.<variant>.json`."]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="build/release/halfcast")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../shared"))
    args = ap.parse_args()
    args.shared = os.path.normpath(os.path.abspath(args.shared))
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.join(here, "results")
    os.makedirs(os.path.join(outdir, "verify"), exist_ok=True)
    images = sorted(f for f in os.listdir(os.path.join(args.shared, "images"))
                    if f.lower().endswith((".jpg", ".jpeg", ".png")))
    res = {"machine": "%s %d cpus" % (platform.machine(), os.cpu_count()),
           "images": len(images), "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for key, (rel, opts) in MODELS.items():
            pb = os.path.join(args.shared, TF, rel)
            res["models"][key] = {}
            for var, extra in VARIANTS.items():
                out = os.path.join(tmp, "%s.%s.pb" % (key, var))
                convert(args, pb, out, extra)
                report = os.path.join(outdir, "verify", "%s.%s.json" % (key, var))
                rep, text = verify(args, pb, out, opts, report)
                # the report names the temp file; name the variant instead
                rep["b"] = "%s (%s)" % (os.path.basename(pb), var)
                rep["a"] = os.path.basename(pb)
                # image paths relative to the images folder, so reports do not name this machine
                txt = json.dumps(rep, indent=1, sort_keys=True)
                txt = txt.replace(json.dumps(os.path.join(args.shared, "images") + "/")[1:-1], "")
                rep = json.loads(txt)
                with open(report, "w") as f:
                    f.write(txt + "\n")
                res["models"][key][var] = summarize(rep)
                print("== %s %s\n%s" % (key, var, text), flush=True)
    cmd = "benchmarks/verify.py --bin %s" % args.bin
    res["command"] = cmd
    with open(os.path.join(outdir, "verify.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    with open(os.path.join(outdir, "verify.md"), "w") as f:
        f.write(markdown(res, cmd))


if __name__ == "__main__":
    main()
