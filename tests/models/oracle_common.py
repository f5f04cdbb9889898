"""oracle_common.py - what the oracle tests share: running halfcast, TensorFlow.js (through
../shared/tools/oracle.js) and OpenCV DNN, reading their .npy outputs, and the comparisons with
the tolerances the tests assert. Run with Debian's /usr/bin/python3 (numpy, cv2)."""
import json, os, subprocess, sys, time
import numpy as np

# fp32 halfcast against a real runtime (TF.js, OpenCV DNN):
DENSE_TOL = 1e-4      # max |a-b| <= DENSE_TOL * max|a| for every dense output
DET_TOL = 1e-4        # post-NMS boxes and scores: max |a-b| <= DET_TOL (absolute, values in [0,1])
REL_FLOOR = 1e-3      # element-wise relative error |a-b| / max(|a|, REL_FLOOR * max|a|) (reported)


class Ctx:
    def __init__(self, a):
        self.bin, self.shared, self.tmp = a.bin, a.shared, a.tmp
        self.node_modules = getattr(a, "node_modules", None)
        self.failures, self.report = [], {}
        self.t0 = time.time()

    def fail(self, msg):
        print("FAIL " + msg, flush=True)
        self.failures.append(msg)

    def check(self, ok, msg):
        if ok:
            print("ok   " + msg, flush=True)
        else:
            self.fail(msg)
        return ok

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def finish(self, report_file):
        self.report["seconds"] = round(time.time() - self.t0, 1)
        self.report["failures"] = self.failures
        if report_file:
            with open(report_file, "w") as f:
                json.dump(self.report, f, indent=1, default=float)
        print(f"{len(self.failures)} failure(s) in {self.report['seconds']} s")
        return 1 if self.failures else 0


def sh(cmd, env=None, what=None):
    """Run a command; on failure print it with its output and raise."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if p.returncode != 0:
        sys.stdout.write(p.stdout.decode(errors="replace")[-4000:])
        sys.stdout.write(p.stderr.decode(errors="replace")[-4000:])
        raise RuntimeError(f"{what or cmd[0]} failed (exit {p.returncode}): {' '.join(cmd)}")
    return p.stdout.decode(errors="replace")


def load_dir(d):
    return {f[:-4]: np.load(os.path.join(d, f)) for f in sorted(os.listdir(d))
            if f.endswith(".npy")}


def hc_run(ctx, model, inputs, out, opts=(), save=None):
    """halfcast run MODEL --input N=S ... --out OUT [--save-inputs SAVE]; returns the outputs."""
    os.makedirs(out, exist_ok=True)
    cmd = [ctx.bin, "run", model, "--out", out, "-q"] + list(opts)
    for name, src in inputs:
        cmd += ["--input", f"{name}={src}"]
    if save:
        cmd += ["--save-inputs", save]
    sh(cmd, what="halfcast run")
    return load_dir(out)


def fix_tfjs_int_bits(a):
    """tfjs-backend-cpu 4.22 implements Cast int32 -> float32 without converting the buffer (the
    tensor says float32, data() returns the Int32Array), and oracle.js writes those bytes under a
    '<f4' header: small non-negative integers then read back as subnormal floats. A float32
    output whose every value is zero or subnormal (exponent bits 0) is such an int32 buffer; a
    real one would not be all-subnormal. Negative ints are not recognised (they would mismatch)."""
    if a.dtype != np.float32 or a.size == 0:
        return a, False
    bits = a.view(np.uint32)
    if np.all(bits & 0x7F800000 == 0) and np.any(bits):
        return bits.view(np.int32).astype(np.float32), True
    return a, False


def tfjs_run(ctx, model_json, inputs, out):
    """node oracle.js tfjs MODEL.json --input N=F.npy ... --out OUT; returns the outputs."""
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, NODE_PATH=ctx.node_modules)
    cmd = ["node", os.path.join(ctx.shared, "tools/oracle.js"), "tfjs", model_json, "--out", out]
    for name, f in inputs:
        cmd += ["--input", f"{name}={f}"]
    line = [l for l in sh(cmd, env=env, what="oracle.js").splitlines() if l.startswith("{")][-1]
    info = json.loads(line)
    outs, fixed = {}, []
    for k, v in load_dir(out).items():
        outs[k], was = fix_tfjs_int_bits(v)
        if was:
            fixed.append(k)
    return outs, {"load_ms": info["load_ms"], "run_ms": info["run_ms"], "int_bits_fixed": fixed}


def dense_cmp(a, b):
    """Errors of b against a (a is the reference): max abs, max abs / max|a|, element-wise max
    relative error with the floor REL_FLOOR * max|a|."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    rng = float(np.abs(a64).max()) if a.size else 0.0
    d = np.abs(a64 - b64)
    mx = float(d.max()) if a.size else 0.0
    floor = max(REL_FLOOR * rng, 1e-30)
    rel = float((d / np.maximum(np.abs(a64), floor)).max()) if a.size else 0.0
    return {"max_abs": mx, "range": rng, "max_abs_over_range": mx / rng if rng else mx,
            "max_rel_floored": rel, "shape": list(a.shape)}


def fmt_dense(name, c):
    return (f"{name:12s} {str(tuple(c['shape'])):16s} max|d| {c['max_abs']:.3g} of range "
            f"{c['range']:.3g} ({c['max_abs_over_range']:.2e}), max rel {c['max_rel_floored']:.2e}")


def iou(a, b):
    """IoU of two boxes (y1, x1, y2, x2) in double, as TF's NMS and TF.js compute it."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ya, yb = min(a[0], a[2]), max(a[0], a[2])
    xa, xb = min(a[1], a[3]), max(a[1], a[3])
    yc, yd = min(b[0], b[2]), max(b[0], b[2])
    xc, xd = min(b[1], b[3]), max(b[1], b[3])
    inter = max(0.0, min(yb, yd) - max(ya, yc)) * max(0.0, min(xb, xd) - max(xa, xc))
    union = (yb - ya) * (xb - xa) + (yd - yc) * (xd - xc) - inter
    return inter / union if union > 0 else 0.0


def resized_photo(ctx, photo, max_side):
    """The photo itself, or (when its longest side exceeds max_side) a copy resized with OpenCV
    INTER_AREA and stored losslessly as PNG, so that every runtime reads the same pixels."""
    if not max_side:
        return photo
    import cv2
    im = cv2.imread(photo, cv2.IMREAD_UNCHANGED)
    h, w = im.shape[:2]
    if max(h, w) <= max_side:
        return photo
    s = max_side / max(h, w)
    im = cv2.resize(im, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    out = ctx.path("photos", os.path.splitext(os.path.basename(photo))[0] + f"_{max_side}.png")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cv2.imwrite(out, im)
    return out


def verify(ctx, a, b, images, opts, report):
    """halfcast verify A B --images ... --report FILE; returns (exit status, JSON report)."""
    cmd = [ctx.bin, "verify", a, b, "--report", report] + list(opts)
    for im in images:
        cmd += ["--images", im]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1) or not os.path.exists(report):
        sys.stdout.write(p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace"))
        raise RuntimeError(f"halfcast verify failed (exit {p.returncode})")
    return p.returncode, json.load(open(report))


def convert(ctx, model, out, opts=()):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    sh([ctx.bin, "convert", model, "-o", out, "-q"] + list(opts), what="halfcast convert")
    return out
