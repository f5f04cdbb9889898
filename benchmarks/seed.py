#!/usr/bin/python3
"""benchmarks/seed: the seed's situation, reproduced and measured. A user's script converted
the SSD-MobileNetV2-FPN frozen graph to fp16 by writing every fp16 weight as `half_val` (one
protobuf varint per value); the file took minutes to load. Here:

  1. `halfcast convert` makes halfcast's own fp16 model (weights packed in tensor_content);
  2. the seed's file is made from it with python3-protobuf and benchmarks/seed.proto (compiled
     with protoc into a temporary folder): every fp16 tensor_content moved into half_val;
  3. `halfcast doctor` diagnoses it and `halfcast doctor --fix` repacks it;
  4. side by side, in one run: halfcast open and open+weights-ready times (hc_loadtime, built
     here from benchmarks/loadtime.c against the build's libhalfcast.a), and python3-protobuf
     GraphDef.ParseFromString times with its C++ backend and with the pure-Python one, for the
     half_val file and the repacked one.

Writes results/seed.json and results/seed.md.

Usage: benchmarks/seed.py [--build build/release] [--shared ../shared] [--runs 11]
                          [--py-runs 3]
Needs: a build of halfcast (halfcast and libhalfcast.a in --build), protoc
(protobuf-compiler), python3-protobuf, a C compiler.
Targets (issue 4): halfcast has the repacked file ready >= 10x faster than the half_val file,
and >= 50x faster than pure-Python protobuf parses the half_val file."""
import argparse, json, os, platform, shutil, statistics, subprocess, sys, tempfile, time

FPN = "models/tf/handtrack-ssd320-fpnlite-tf2od/handtrack_ssd320_fpnlite_base_frozen_from_tfjs.pb"

# Runs in a fresh interpreter per protobuf implementation (chosen when google.protobuf is
# first imported): argv = gen_dir runs file...; prints one JSON object.
PARSE = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from google.protobuf.internal import api_implementation
import seed_pb2
runs = int(sys.argv[2])
out = {"impl": api_implementation.Type(), "files": {}}
for path in sys.argv[3:]:
    data = open(path, "rb").read()
    ts = []
    for _ in range(runs):
        g = seed_pb2.GraphDef()
        t0 = time.perf_counter()
        g.ParseFromString(data)
        ts.append(time.perf_counter() - t0)
        del g
    out["files"][path] = {"median_ms": statistics.median(ts) * 1e3, "min_ms": min(ts) * 1e3}
print(json.dumps(out))
"""


def run(cmd, ok=(0,), env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode not in ok:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return p.stdout


def make_seed(gen, packed, seed):
    """The seed's encoding: every fp16 tensor_content becomes half_val, one varint per value."""
    sys.path.insert(0, gen)
    import array
    import seed_pb2
    g = seed_pb2.GraphDef()
    g.ParseFromString(open(packed, "rb").read())
    n = values = 0
    for node in g.node:
        if node.op != "Const" or "value" not in node.attr:
            continue
        t = node.attr["value"].tensor
        if t.dtype != seed_pb2.DT_HALF or not t.tensor_content:
            continue
        h = array.array("H")
        h.frombytes(t.tensor_content)
        if sys.byteorder != "little":
            h.byteswap()
        t.half_val.extend(h)
        t.tensor_content = b""
        n += 1
        values += len(h)
    with open(seed, "wb") as f:
        f.write(g.SerializeToString(deterministic=True))
    return n, values


def same_graph(gen, x, y):
    """Bytes identical, or else the same GraphDef message (python3-protobuf's comparison)."""
    sys.path.insert(0, gen)
    import seed_pb2
    bx, by = open(x, "rb").read(), open(y, "rb").read()
    gx, gy = seed_pb2.GraphDef(), seed_pb2.GraphDef()
    gx.ParseFromString(bx)
    gy.ParseFromString(by)
    return {"bytes": bx == by, "message": gx == gy}


def build_loadtime(root, build, out):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    lib = os.path.join(build, "libhalfcast.a")
    if not os.path.exists(lib):
        sys.exit(f"no {lib}: build halfcast first (cmake --build {build})")
    run([cc, "-O2", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-I", os.path.join(root, "include"),
         "-I", os.path.join(root, "src"), os.path.join(root, "benchmarks/loadtime.c"), lib,
         "-o", out, "-ljansson", "-lpng", "-ljpeg", "-lm", "-lpthread"])


def parse_times(gen, files, runs, impl):
    env = dict(os.environ)
    env.pop("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", None)
    if impl:
        env["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = impl
    return json.loads(run([sys.executable, "-c", PARSE, gen, str(runs)] + files, env=env))


def measure(a, root, tmp):
    gen = os.path.join(tmp, "gen")
    os.makedirs(gen)
    run(["protoc", "-I", os.path.join(root, "benchmarks"), "--python_out", gen,
         os.path.join(root, "benchmarks/seed.proto")])
    hc = os.path.join(a.build, "halfcast")
    loadtime = os.path.join(tmp, "hc_loadtime")
    build_loadtime(root, a.build, loadtime)
    src = os.path.join(a.shared, FPN)
    packed, seed, fixed = (os.path.join(tmp, n) for n in ("packed.pb", "seed.pb", "repacked.pb"))
    run([hc, "convert", src, "-o", packed, "-q"])
    n_half, n_values = make_seed(gen, packed, seed)
    diag = json.loads(run([hc, "doctor", seed, "--json"], ok=(1,)))
    t0 = time.perf_counter()
    fix = json.loads(run([hc, "doctor", seed, "--fix", "-o", fixed, "--json"]))
    fix_s = time.perf_counter() - t0
    run([hc, "doctor", fixed, "--only", "value-lists"])  # nothing left to repack: exit 0
    # The value lists alone, repacked, against halfcast's own conversion.
    lists_only = os.path.join(tmp, "lists-only.pb")
    run([hc, "doctor", seed, "--only", "value-lists", "--fix", "-o", lists_only])
    same = same_graph(gen, lists_only, packed)
    load_avg = os.getloadavg()
    files = [seed, fixed, packed]
    hc_t = {}
    for line in run([loadtime, "-n", str(a.runs)] + files).splitlines():
        r = json.loads(line)
        hc_t[r["file"]] = r
    py = [parse_times(gen, [seed, fixed], a.py_runs, None),
          parse_times(gen, [seed, fixed], a.py_runs, "python")]
    load_avg_after = os.getloadavg()
    return dict(gen=gen, src=src, files=dict(seed=seed, fixed=fixed, packed=packed),
                n_half=n_half, n_values=n_values, diag=diag, fix=fix, fix_s=fix_s, hc=hc_t,
                py=py, load=(load_avg, load_avg_after), same_as_packed=same)


def report(a, m):
    f = m["files"]
    hc = m["hc"]
    vl = m["diag"]["totals"]["value-lists"]
    cpp, pure = m["py"]
    ready = {k: hc[f[k]]["ready_ms_median"] for k in f}
    rows = [
        ("halfcast open (hc_model_open)", hc[f["seed"]]["open_ms_median"],
         hc[f["fixed"]]["open_ms_median"]),
        ("halfcast open + weights ready", ready["seed"], ready["fixed"]),
        (f"python3-protobuf ParseFromString ({cpp['impl']} backend)",
         cpp["files"][f["seed"]]["median_ms"], cpp["files"][f["fixed"]]["median_ms"]),
        (f"python3-protobuf ParseFromString ({pure['impl']} backend)",
         pure["files"][f["seed"]]["median_ms"], pure["files"][f["fixed"]]["median_ms"]),
    ]
    ratio_self = ready["seed"] / ready["fixed"]
    ratio_py = pure["files"][f["seed"]]["median_ms"] / ready["fixed"]
    res = {
        "benchmark": "seed", "command": " ".join(sys.argv),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
        "load_average_before_after": [list(m["load"][0]), list(m["load"][1])],
        "model": os.path.relpath(m["src"], a.shared),
        "sizes": {k: os.path.getsize(v) for k, v in f.items()},
        "seed_half_val_constants": m["n_half"], "seed_half_val_values": m["n_values"],
        "doctor": {"half_val_lists": vl["by_field"].get("half_val", 0), "values": vl["values"],
                   "bytes": vl["bytes"], "saved_bytes": vl["saved_bytes"],
                   "estimated_ms": vl["est_ms"], "estimate": m["diag"]["estimate"],
                   "fix": m["fix"]["fix"], "fix_wall_s": round(m["fix_s"], 3)},
        "lists_only_fix_same_as_halfcast_convert": m["same_as_packed"],
        "halfcast": {k: hc[v] for k, v in f.items()},
        "python_protobuf": [{"impl": p["impl"], **{k: p["files"][f[k]] for k in ("seed", "fixed")}}
                            for p in m["py"]],
        "rows_ms_median": [{"what": r[0], "half_val_file": r[1], "repacked_file": r[2]}
                           for r in rows],
        "ratios": {"halfcast_ready_half_val_over_repacked": ratio_self,
                   "pure_python_parse_half_val_over_halfcast_ready_repacked": ratio_py},
        "targets": {"halfcast >= 10x": ratio_self >= 10, "pure python >= 50x": ratio_py >= 50},
    }
    return res, rows


def markdown(res, rows):
    s, hcr, d = res["sizes"], res["halfcast"], res["doctor"]
    same = res["lists_only_fix_same_as_halfcast_convert"]
    la = res["load_average_before_after"]
    lines = [
        "# The seed's half_val file: diagnosis, repacking and load times", "",
        f"Model: `{res['model']}`, converted by `halfcast convert`, then every fp16 weight "
        f"written as `half_val` ({res['seed_half_val_constants']} constants, "
        f"{res['seed_half_val_values']:,} values) with python3-protobuf, the seed's way.", "",
        f"Command: `{res['command']}` on {res['machine']}; load average "
        f"{la[0][0]:.2f} before, {la[1][0]:.2f} after (shared machine: medians reported).", "",
        f"Sizes: halfcast convert {s['packed']:,} B; half_val file {s['seed']:,} B; "
        f"after `halfcast doctor --fix` {s['fixed']:,} B ({d['fix']['value_lists_packed']} "
        f"half_val lists packed, {d['fix']['duplicates_merged']} duplicate constants merged, "
        f"{d['fix']['broadcast_reduced']} broadcast constants reduced to one value).", "",
        f"`halfcast doctor --fix --only value-lists` on the half_val file against `halfcast "
        f"convert`'s file: same GraphDef message: {same['message']}; same bytes: "
        f"{same['bytes']}" + ("" if same["bytes"] else
        " (the seed was re-serialized by python3-protobuf, which sorts attr map entries: "
        "the Cast nodes halfcast adds keep SrcT before DstT in halfcast's file; "
        "tests/models/test_doctor.c checks byte identity on a seed written by halfcast)") + ".",
        "",
        f"`halfcast doctor` on the half_val file: {d['half_val_lists']} half_val lists, "
        f"{d['values']:,} values, {d['bytes']:,} B; --fix saves {d['saved_bytes']:,} B of "
        f"lists; estimated {d['estimated_ms']:.1f} ms of extra decoding "
        f"(measured {d['estimate'].get('varint', {}).get('ns_per_value', 0):.2f} ns/value); "
        f"measured: {hcr['seed']['ready_ms_median'] - hcr['fixed']['ready_ms_median']:.1f} ms.",
        "",
        "| load / parse (median ms) | half_val file | repacked file | ratio |",
        "|---|---:|---:|---:|",
    ]
    for what, a, b in rows:
        lines.append(f"| {what} | {a:.2f} | {b:.2f} | {a / b:.1f}x |")
    r = res["ratios"]
    lines += [
        "",
        f"halfcast, repacked vs half_val (open + weights ready): "
        f"**{r['halfcast_ready_half_val_over_repacked']:.1f}x** faster (target >= 10x: "
        f"{'met' if res['targets']['halfcast >= 10x'] else 'not met'}).",
        f"halfcast ready on the repacked file vs pure-Python protobuf parsing the half_val file: "
        f"**{r['pure_python_parse_half_val_over_halfcast_ready_repacked']:.0f}x** (target >= 50x: "
        f"{'met' if res['targets']['pure python >= 50x'] else 'not met'}).",
        "",
        "Open: map, parse every node, index, link (a half_val list is counted value by value; "
        "packed bytes are skipped). Ready: open plus every constant's values usable (a view "
        "into the mapping for tensor_content, a decode for a value list). Warm page cache, "
        "one process, median of runs.",
    ]
    return "\n".join(lines) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(root, "build/release"))
    ap.add_argument("--shared", default=os.path.join(root, "../shared"))
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--py-runs", type=int, default=3)
    a = ap.parse_args()
    if not shutil.which("protoc"):
        sys.exit("protoc not found (Debian: protobuf-compiler)")
    with tempfile.TemporaryDirectory() as tmp:
        m = measure(a, root, tmp)
        res, rows = report(a, m)
    os.makedirs(os.path.join(here, "results"), exist_ok=True)
    with open(os.path.join(here, "results/seed.json"), "w") as f:
        json.dump(res, f, indent=2)
    md = markdown(res, rows)
    with open(os.path.join(here, "results/seed.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
