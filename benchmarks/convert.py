#!/usr/bin/env python3
"""benchmarks/convert: for each shared TensorFlow model, `halfcast convert` wall time (median
of fresh processes), peak RSS, and output size. Writes results/convert.json and
results/convert.md.

Usage: benchmarks/convert.py [--bin build/release/halfcast] [--shared ../shared] [--runs 7]
Target (issue 2): the FPN model converts in under 100 ms on the 2-core reference machine."""
import argparse, glob, json, os, platform, statistics, subprocess, sys, tempfile, time

def run_once(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    err = p.stderr.read().decode()
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}: {err}")
    return dt * 1e3, ru.ru_maxrss / 1024.0  # ms, MiB

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(root, "build/release/halfcast"))
    ap.add_argument("--shared", default=os.path.join(root, "../shared"))
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    models = sorted(glob.glob(os.path.join(a.shared, "models/tf/*/*.pb")))
    if not models:
        sys.exit(f"no models under {a.shared}/models/tf")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            out = os.path.join(tmp, "out.pb")
            cmd = [a.bin, "convert", m, "-o", out, "-q"]
            run_once(cmd)  # warm the page cache
            samples = [run_once(cmd) for _ in range(a.runs)]
            ms = [s[0] for s in samples]
            rows.append({
                "model": os.path.relpath(m, a.shared),
                "input_bytes": os.path.getsize(m),
                "output_bytes": os.path.getsize(out),
                "size_ratio": round(os.path.getsize(out) / os.path.getsize(m), 4),
                "convert_ms_median": round(statistics.median(ms), 2),
                "convert_ms_min": round(min(ms), 2),
                "peak_rss_mib": round(max(s[1] for s in samples), 1),
                "runs": a.runs,
            })
    res = {"benchmark": "convert", "command": " ".join(sys.argv),
           "machine": f"{platform.machine()} {os.cpu_count()} cpus",
           "note": "wall time of a fresh `halfcast convert IN -o OUT -q` process (open, plan, "
                   "edit, serialize, re-read, check, atomic write), median of runs after one warm-up",
           "results": rows}
    os.makedirs(os.path.join(here, "results"), exist_ok=True)
    with open(os.path.join(here, "results/convert.json"), "w") as f:
        json.dump(res, f, indent=2)
    lines = ["# halfcast convert", "", res["note"] + ".", "",
             f"Command: `{res['command']}` on {res['machine']}.", "",
             "| model | input MB | output MB | ratio | convert ms (median) | min | peak RSS MiB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['input_bytes']/1e6:.2f} | {r['output_bytes']/1e6:.2f} | "
                     f"{r['size_ratio']:.3f} | {r['convert_ms_median']:.1f} | {r['convert_ms_min']:.1f} | "
                     f"{r['peak_rss_mib']:.1f} |")
    with open(os.path.join(here, "results/convert.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
