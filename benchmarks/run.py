#!/usr/bin/python3
"""benchmarks/run: load->ready time and latency of halfcast's executor (fp32, and fp16 from
`halfcast convert`), side by side with OpenCV DNN (Debian python3-opencv) for the models OpenCV
runs, and halfcast alone for every shared TF model. Writes results/run.json and results/run.md.

Usage: benchmarks/run.py [--bin build/release/halfcast] [--shared ../shared] [--processes 7]
                         [--runs 20] [--threads N] [--only a|b]
Every sample is a fresh process (halfcast: `halfcast run --time N --json`; OpenCV: a fresh
/usr/bin/python3 that has imported cv2 before its clock starts); medians over the processes,
which are interleaved so that a noisy moment hits all runtimes alike. Same thread count for both
(halfcast --threads, cv2.setNumThreads).
Definitions (the same for both runtimes):
  load      halfcast: open + prepare (its load_ms); OpenCV: readNetFromTensorflow + setInput;
  first     the first run (OpenCV defers its set-up - layer allocation, weight packing - to it);
  steady    median of the N runs after the first;
  ready     load + first - steady: all one-time cost, wherever the runtime puts it, i.e. the time
            from nothing until a result minus the time one more result takes.
Targets (issue 3): ready halfcast >= 20x faster than OpenCV; steady fp16 <= 1.0x fp32;
steady fp32 <= 1.0x OpenCV."""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile, time

OCV_SCRIPT = r"""
import json, sys, time, cv2, numpy as np
pb, pbtxt, x = sys.argv[1], sys.argv[2], sys.argv[3]
runs, threads = int(sys.argv[4]), int(sys.argv[5])
cv2.setNumThreads(threads)
blob = np.load(x)
t0 = time.perf_counter()
net = cv2.dnn.readNetFromTensorflow(pb, pbtxt) if pbtxt else cv2.dnn.readNetFromTensorflow(pb)
t1 = time.perf_counter()
net.setInput(blob)
names = net.getUnconnectedOutLayersNames()
t2 = time.perf_counter()
net.forward(names)
t3 = time.perf_counter()
steady = []
for _ in range(runs):
    a = time.perf_counter(); net.forward(names); steady.append((time.perf_counter() - a) * 1e3)
print(json.dumps({"read_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t0) * 1e3,
                  "first_ms": (t3 - t2) * 1e3, "median_ms": float(np.median(steady))}))
"""

MODELS = {  # key: (folder, pb, inputs [(name, source)], run options, runs cap)
    "human-blazeface": ("human-blazeface", "blazeface_frozen_from_tfjs.pb",
                        [("input", "ref/input.npy")], [], 20),
    "opencv-face-ssd-resnet10-uint8": ("opencv-face-ssd-resnet10-uint8",
                                       "opencv_face_detector_uint8.pb",
                                       [("data", "@blob")], [], 20),
    "handtrack-ssd320-fpnlite-tf2od": ("handtrack-ssd320-fpnlite-tf2od",
                                       "handtrack_ssd320_fpnlite_base_frozen_from_tfjs.pb",
                                       [("input_tensor", "ref/input.npy")], [], 10),
    "handtrack-ssdlite-mobilenetv2-tf1od": ("handtrack-ssdlite-mobilenetv2-tf1od",
                                            "handtrack_ssdlite_mobilenetv2_frozen_from_tfjs.pb",
                                            [("image_tensor", "@fpn_input")], [], 10),
    "human-faceboxes": ("human-faceboxes", "faceboxes_frozen_from_tfjs.pb",
                        [("image_tensor", "ref/input.npy")], [], 5),
    "mtcnn-blaueck": ("mtcnn-blaueck", "mtcnn_1.12.pb",
                      [("input", "test_image.jpg"), ("min_size", "40"),
                       ("thresholds", "0.6,0.7,0.7"), ("factor", "0.709")], ["--bgr"], 10),
}
SIDE_BY_SIDE = {"human-blazeface": None,
                "opencv-face-ssd-resnet10-uint8": "opencv_face_detector.pbtxt"}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def hc_sample(a, model, inputs, opts, runs):
    cmd = [a.bin, "run", model, "--time", str(runs), "--json", "--threads", str(a.threads)] + opts
    for n, s in inputs:
        cmd += ["--input", f"{n}={s}"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        out.seek(0), err.seek(0)
        if status:
            raise RuntimeError(f"{' '.join(cmd)}: {err.read().decode().strip()}")
        j = json.loads(out.read())
    return {"load_ms": j["load_ms"], "first_ms": j["first_ms"], "median_ms": j["median_ms"],
            "minor_faults": ru.ru_minflt}


def ocv_sample(a, pb, pbtxt, x, runs):
    p = subprocess.run(["/usr/bin/python3", "-c", OCV_SCRIPT, pb, pbtxt or "", x, str(runs),
                        str(a.threads)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode:
        raise RuntimeError(f"OpenCV on {pb}: {p.stderr.decode().strip()[-500:]}")
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def summarize(samples):
    keys = samples[0].keys()
    s = {k: round(med([x[k] for x in samples]), 3) for k in keys}
    s["ready_ms"] = round(med([x["load_ms"] + x["first_ms"] - x["median_ms"] for x in samples]), 3)
    s["processes"] = len(samples)
    return s


def prepare_inputs(a, tmp):
    """The OpenCV face blob (BGR - (104,177,123), 300x300) as NCHW for OpenCV and NHWC for
    halfcast; blazeface's reference input as NCHW for OpenCV."""
    import cv2, numpy as np
    t = os.path.join(a.shared, "models/tf")
    img = cv2.imread(os.path.join(t, "mtcnn-blaueck/test_image.jpg"), cv2.IMREAD_COLOR)
    blob = cv2.dnn.blobFromImage(img, 1.0, (300, 300), (104, 177, 123), False, False)
    np.save(os.path.join(tmp, "blob_nchw.npy"), blob)
    np.save(os.path.join(tmp, "blob_nhwc.npy"), np.ascontiguousarray(blob.transpose(0, 2, 3, 1)))
    bf = np.load(os.path.join(t, "human-blazeface/ref/input.npy"))
    np.save(os.path.join(tmp, "blaze_nchw.npy"), np.ascontiguousarray(bf.transpose(0, 3, 1, 2)))
    return {"@blob": os.path.join(tmp, "blob_nhwc.npy"),
            "@fpn_input": os.path.join(t, "handtrack-ssd320-fpnlite-tf2od/ref/input.npy")}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(root, "build/release/halfcast"))
    ap.add_argument("--shared", default=os.path.join(root, "../shared"))
    ap.add_argument("--processes", type=int, default=7)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--only", choices=["a", "b"])
    ap.add_argument("--render", metavar="JSON", help="only rewrite run.md from a run.json")
    a = ap.parse_args()
    if a.render:
        with open(os.path.join(here, "results/run.md"), "w") as f:
            f.write(markdown(json.load(open(a.render))))
        return
    load0 = os.getloadavg()
    res = {"benchmark": "run", "command": " ".join(sys.argv), "machine":
           f"{platform.machine()} {os.cpu_count()} cpus, {cpu_name()}",
           "threads": a.threads, "processes": a.processes, "loadavg_before": load0,
           "definitions": __doc__.split("Definitions")[1].split("Targets")[0].strip(),
           "side_by_side": [], "models": []}
    with tempfile.TemporaryDirectory() as tmp:
        special = prepare_inputs(a, tmp)
        t = os.path.join(a.shared, "models/tf")
        for key, (folder, pbname, inputs, opts, cap) in MODELS.items():
            if a.only == "a" and key not in SIDE_BY_SIDE:
                continue
            pb = os.path.join(t, folder, pbname)
            f16 = os.path.join(tmp, key + ".fp16.pb")
            subprocess.run([a.bin, "convert", pb, "-o", f16, "-q"], check=True)
            ins = [(n, special.get(s) or (os.path.join(t, folder, s)
                                          if os.path.exists(os.path.join(t, folder, s)) else s))
                   for n, s in inputs]
            runs = min(a.runs, cap)
            hc_sample(a, pb, ins, opts, 1)  # warm the page cache
            hc_sample(a, f16, ins, opts, 1)
            s32, s16, socv = [], [], []
            side = key in SIDE_BY_SIDE and a.only != "b"
            if side:
                x = os.path.join(tmp, "blob_nchw.npy" if "opencv" in key else "blaze_nchw.npy")
                pbtxt = SIDE_BY_SIDE[key] and os.path.join(t, folder, SIDE_BY_SIDE[key])
                ocv_sample(a, pb, pbtxt, x, 1)
            for _ in range(a.processes):
                s32.append(hc_sample(a, pb, ins, opts, runs))
                s16.append(hc_sample(a, f16, ins, opts, runs))
                if side:
                    socv.append(ocv_sample(a, pb, pbtxt, x, runs))
            row = {"model": key, "runs": runs, "bytes_fp32": os.path.getsize(pb),
                   "bytes_fp16": os.path.getsize(f16), "halfcast_fp32": summarize(s32),
                   "halfcast_fp16": summarize(s16)}
            if side:
                row["opencv"] = summarize(socv)
                h, h16, o = row["halfcast_fp32"], row["halfcast_fp16"], row["opencv"]
                row["ratios"] = {
                    "load_opencv_over_halfcast_fp32": round(o["load_ms"] / h["load_ms"], 2),
                    "ready_opencv_over_halfcast_fp32": round(o["ready_ms"] / h["ready_ms"], 2),
                    "ready_opencv_over_halfcast_fp16": round(o["ready_ms"] / h16["ready_ms"], 2),
                    "steady_fp16_over_fp32": round(h16["median_ms"] / h["median_ms"], 3),
                    "steady_halfcast_fp32_over_opencv": round(h["median_ms"] / o["median_ms"], 3)}
                res["side_by_side"].append(row)
            if a.only != "a":
                res["models"].append(row)
            print(json.dumps(row), flush=True)
    res["loadavg_after"] = os.getloadavg()
    os.makedirs(os.path.join(here, "results"), exist_ok=True)
    with open(os.path.join(here, "results/run.json"), "w") as f:
        json.dump(res, f, indent=2)
    md = markdown(res)
    with open(os.path.join(here, "results/run.md"), "w") as f:
        f.write(md)
    print(md)


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def markdown(res):
    L = ["# halfcast run: load->ready and latency", "",
         f"Command: `{res['command']}` on {res['machine']}, {res['threads']} threads, "
         f"{res['processes']} fresh processes per runtime (medians), load average "
         f"{res['loadavg_before'][0]:.1f} before / {res['loadavg_after'][0]:.1f} after.", "",
         "Definitions: " + " ".join(res["definitions"].split()), ""]
    if res["side_by_side"]:
        L += ["## Side by side with OpenCV DNN " + ocv_version(), "",
              "| model | runtime | load ms | first ms | steady ms | ready ms |",
              "|---|---|---:|---:|---:|---:|"]
        for r in res["side_by_side"]:
            for k, name in (("halfcast_fp32", "halfcast fp32"), ("halfcast_fp16", "halfcast fp16"),
                            ("opencv", "OpenCV DNN")):
                s = r[k]
                extra = f" (readNet {s['read_ms']:.1f})" if "read_ms" in s else ""
                L.append(f"| {r['model']} | {name} | {s['load_ms']:.2f}{extra} | "
                         f"{s['first_ms']:.2f} | {s['median_ms']:.2f} | {s['ready_ms']:.2f} |")
        L += ["", "| model | ready: OpenCV / halfcast fp32 (target >= 20) | load only: OpenCV / "
              "halfcast fp32 | fp16 / fp32 steady (target <= 1.0) | halfcast fp32 / OpenCV steady "
              "(target <= 1.0) |", "|---|---:|---:|---:|---:|"]
        for r in res["side_by_side"]:
            q = r["ratios"]
            L.append(f"| {r['model']} | {q['ready_opencv_over_halfcast_fp32']:.1f}x "
                     f"{mark(q['ready_opencv_over_halfcast_fp32'] >= 20)} | "
                     f"{q['load_opencv_over_halfcast_fp32']:.1f}x | "
                     f"{q['steady_fp16_over_fp32']:.2f} {mark(q['steady_fp16_over_fp32'] <= 1)} | "
                     f"{q['steady_halfcast_fp32_over_opencv']:.2f} "
                     f"{mark(q['steady_halfcast_fp32_over_opencv'] <= 1)} |")
        L.append("")
    if res["models"]:
        L += ["## halfcast on every shared TF model", "",
              "| model | fp32 ready ms | fp32 first ms | fp32 steady ms | fp16 ready ms | "
              "fp16 first ms | fp16 steady ms | fp16/fp32 steady | page faults fp32 / fp16 | "
              "runs |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in res["models"]:
            h, g = r["halfcast_fp32"], r["halfcast_fp16"]
            L.append(f"| {r['model']} | {h['ready_ms']:.2f} | {h['first_ms']:.2f} | "
                     f"{h['median_ms']:.2f} | {g['ready_ms']:.2f} | {g['first_ms']:.2f} | "
                     f"{g['median_ms']:.2f} | {g['median_ms'] / h['median_ms']:.2f} | "
                     f"{h['minor_faults']:.0f} / {g['minor_faults']:.0f} | {r['runs']} |")
        L.append("")
    return "\n".join(L) + "\n" + ANALYSIS


ANALYSIS = """## Why targets are missed

Measured on this machine with `halfcast run --time N`, perf stat/record, and small programs
on the public API (phase times and page faults of a fresh process) and on mmap/read, on the
tree that made the tables above.

* **ready (load->ready) >= 20x OpenCV: missed (5.5x blazeface, 10.3x face in this run; it
  was 4.1x / 3.6x before the changes below).** What changed: constant sub-graphs are computed
  once when the session is made (the face model's 103 Dequantize nodes no longer run per
  inference: its first run went from 59 to 19 ms, steady from 14 to 10 ms); the index a model
  and a session build is carved from 2 MiB huge-page chunks instead of malloc (on this VM
  every fresh 4 KiB page costs 15-20 us to fault in, a whole 2 MiB huge page ~0.2 ms: the FPN
  model's open + prepare went from ~9 to ~5 ms in a fresh process, prepare alone 2.2 -> 0.45
  ms); the root frame's iteration is made at load and reused (FPN: 39 page faults per run ->
  0). What is left of the first run's extra cost is mostly the weights themselves: they are used
  in place from the mapping (zero copy, as issue 3 asks), and on this VM the first touch of
  each 4 KiB page of a mapping in a new process costs ~2 us even with the page tables
  populated (a nested page walk that misses every cache: FPN file, 12.2 MB = 2988 pages,
  first pass 5-6.5 ms, second pass 0.05 ms; read() into a huge-page buffer would take 3.5 ms,
  but that is a copy). This is why the fp32 files, twice the pages, have the larger ready
  times in the table. For blazeface 20x means ready <= 1.5 ms against OpenCV's 30 ms: load
  is 1.2 ms, so the first run would have to cost no more than 0.3 ms over a steady one;
  touching its 143 weight pages is 0.4 ms, starting and waking the second thread more.
* **fp16 <= 1.0x fp32 steady: missed (1.2-1.4x with two threads).** With one thread the
  fp16 blazeface process takes 1.12x the fp32 one's CPU samples (perf record, 300 runs each).
  The fp16 kernels convert activations to fp32 and use the same fp32 FMA microkernels:
  `hc_f16_to_f32_avx512` is 16% of the fp16 samples, work fp32 does not have (the depthwise
  kernel is faster in fp16, the GEMM microkernel the same). This CPU has no AVX512-FP16
  arithmetic, so fp16 only saves memory traffic, which these small models do not need; fp16
  compute pays with native fp16 FMA (AVX512-FP16, ARM FP16) or GPUs.
* halfcast fp32 vs OpenCV steady latency: met (0.37-0.40x).
"""


def mark(ok):
    return "(met)" if ok else "(MISSED)"


def ocv_version():
    try:
        import cv2
        return cv2.__version__
    except ImportError:
        return ""


if __name__ == "__main__":
    main()
