#!/usr/bin/python3
"""benchmarks/bench: `halfcast bench` of every shared TF model, fp32 against its fp16
conversion (`halfcast convert`), side by side in one run. Writes results/bench.json (halfcast
bench's JSON per model, with the command) and results/bench.md.

Usage: benchmarks/bench.py [--bin build/release/halfcast] [--shared ../shared]
                           [--processes 7] [--runs 20] [--threads N]
Every figure is halfcast bench's: medians over fresh processes (`halfcast run --time N`);
ready = load + first - p50 of each process; RSS is the largest peak of the processes."""
import argparse, json, os, platform, subprocess, sys, tempfile

TF = "models/tf"
PHOTO = "models/tf/mtcnn-blaueck/test_image.jpg"  # the photo the ref/ inputs were made from
# key: (pb under models/tf, [(input, source under shared or literal)], run options)
MODELS = {
    "handtrack-ssd320-fpnlite-tf2od": (
        "handtrack-ssd320-fpnlite-tf2od/handtrack_ssd320_fpnlite_base_frozen_from_tfjs.pb",
        [("input_tensor", "@models/tf/handtrack-ssd320-fpnlite-tf2od/ref/input.npy")], []),
    "handtrack-ssdlite-mobilenetv2-tf1od": (
        "handtrack-ssdlite-mobilenetv2-tf1od/handtrack_ssdlite_mobilenetv2_frozen_from_tfjs.pb",
        [("image_tensor", "@" + PHOTO)], []),
    "human-blazeface": ("human-blazeface/blazeface_frozen_from_tfjs.pb",
                        [("input", "@models/tf/human-blazeface/ref/input.npy")], []),
    "human-faceboxes": ("human-faceboxes/faceboxes_frozen_from_tfjs.pb",
                        [("image_tensor", "@models/tf/human-faceboxes/ref/input.npy")], []),
    "mtcnn-blaueck": ("mtcnn-blaueck/mtcnn_1.12.pb",
                      [("input", "@" + PHOTO), ("min_size", "40"),
                       ("thresholds", "0.6,0.7,0.7"), ("factor", "0.709")], ["--bgr"]),
    "opencv-face-ssd-resnet10-uint8": (
        "opencv-face-ssd-resnet10-uint8/opencv_face_detector_uint8.pb",
        [("data", "@" + PHOTO)], ["--size=300x300", "--mean=104,177,123", "--bgr"]),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="build/release/halfcast")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../shared"))
    ap.add_argument("--processes", type=int, default=7)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    args.shared = os.path.normpath(os.path.abspath(args.shared))
    here = os.path.dirname(os.path.abspath(__file__))
    load0 = os.getloadavg()[0]
    res = {"machine": "%s %d cpus" % (platform.machine(), os.cpu_count()), "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for key, (rel, inputs, opts) in MODELS.items():
            pb = os.path.join(args.shared, TF, rel)
            f16 = os.path.join(tmp, key + ".fp16.pb")
            p = subprocess.run([args.bin, "convert", pb, "-o", f16, "--quiet"],
                               stderr=subprocess.PIPE, text=True)
            if p.returncode:
                sys.exit("convert %s: %s" % (pb, p.stderr.strip()))
            cmd = [args.bin, "bench", pb, f16, "-p", str(args.processes), "-n", str(args.runs),
                   "--json"]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            for name, src in inputs:
                src = os.path.join(args.shared, src[1:]) if src.startswith("@") else src
                cmd += ["--input", "%s=%s" % (name, src)]
            cmd += ["--run-option=" + o for o in opts]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if p.returncode:
                sys.exit("bench %s: %s" % (key, p.stderr.strip()))
            j = json.loads(p.stdout)
            for m, name in zip(j["models"], ("fp32", "fp16")):
                m["model"] = name
            res["models"][key] = j
            print(key, "done", flush=True)
    res["load_average"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    res["command"] = ("benchmarks/bench.py --bin %s --processes %d --runs %d%s" %
                      (args.bin, args.processes, args.runs,
                       " --threads %d" % args.threads if args.threads else ""))
    out = os.path.join(here, "results")
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    with open(os.path.join(out, "bench.md"), "w") as f:
        f.write(markdown(res))


def markdown(res):
    rows = ["# halfcast bench: fp32 vs fp16 of every shared TF model", "",
            "Command: `%s` on %s, load average %.2f before / %.2f after. Each model: `halfcast "
            "bench FP32 FP16`, medians over fresh processes; ready = load + first - p50 (every "
            "one-time cost until a result); threads: one per CPU unless the command says."
            % (res["command"], res["machine"], *res["load_average"]), "",
            "| model | variant | size MB | load ms | first ms | ready ms | p50 ms | p90 ms | "
            "peak RSS MiB |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    ratios = ["", "| model | size fp16/fp32 | ready fp16/fp32 | p50 fp16/fp32 | RSS fp16/fp32 |",
              "|---|---:|---:|---:|---:|"]
    for key, j in res["models"].items():
        for m in j["models"]:
            rows.append("| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f |" %
                        (key, m["model"], m["bytes"] / 1e6, m["load_ms"], m["first_ms"],
                         m["ready_ms"], m["p50_ms"], m["p90_ms"], m["peak_rss_mib"]))
        a, b = j["models"]
        ratios.append("| %s | %.3f | %.2f | %.2f | %.2f |" %
                      (key, b["bytes"] / a["bytes"], b["ready_ms"] / a["ready_ms"],
                       b["p50_ms"] / a["p50_ms"], b["peak_rss_mib"] / a["peak_rss_mib"]))
    return "\n".join(rows + ratios) + "\n"


if __name__ == "__main__":
    main()
