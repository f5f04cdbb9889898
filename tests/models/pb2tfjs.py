#!/usr/bin/python3
"""pb2tfjs.py - writes a TensorFlow.js graph model (model.json + one weights .bin) that holds a
frozen GraphDef node for node, so that TF.js can serve as an independent TF-semantics runtime
for graphs that have no tfjs original (mtcnn-blaueck, the TF1 SSDLite hand detector).

Nothing is fused; one rewrite (gate_consts, for TF.js's Merge): every node keeps its op, inputs
and attributes (AttrValue in the
proto3 JSON form the tfjs converter writes); Const values move to the weights manifest as tfjs
does (int64 stored as int32, as the tfjs converter does; a value list shorter than the shape
repeats its last value, as TensorFlow does). numpy only; a small protobuf wire reader.
Usage: pb2tfjs.py IN.pb OUTDIR"""
import base64, json, os, struct, sys
import numpy as np

DT = {1: "DT_FLOAT", 2: "DT_DOUBLE", 3: "DT_INT32", 4: "DT_UINT8", 5: "DT_INT16", 6: "DT_INT8",
      7: "DT_STRING", 9: "DT_INT64", 10: "DT_BOOL", 19: "DT_HALF", 20: "DT_RESOURCE",
      21: "DT_VARIANT"}
NP = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_INT64": np.int64, "DT_BOOL": np.bool_,
      "DT_DOUBLE": np.float64, "DT_UINT8": np.uint8, "DT_HALF": np.float16}
TFJS_DT = {"DT_FLOAT": "float32", "DT_DOUBLE": "float32", "DT_HALF": "float32",
           "DT_INT32": "int32", "DT_INT64": "int32", "DT_UINT8": "int32", "DT_BOOL": "bool"}


def varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def fields(b):
    i, n = 0, len(b)
    while i < n:
        k, i = varint(b, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 2:
            ln, i = varint(b, i)
            v, i = b[i:i + ln], i + ln
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {w}")
        yield f, w, v


def s64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def packed(w, v, kind):
    """Values of a repeated scalar field, packed (wire type 2) or not."""
    if w == 2:
        if kind == "varint":
            out, i = [], 0
            while i < len(v):
                x, i = varint(v, i)
                out.append(x)
            return out
        fmt = {"f32": "<f", "f64": "<d"}[kind]
        return list(struct.unpack(f"<{len(v) // struct.calcsize(fmt)}{fmt[1]}", v))
    if kind == "varint":
        return [v]
    return [struct.unpack({"f32": "<f", "f64": "<d"}[kind], v)[0]]


def shape(b):
    dims, unknown = [], False
    for f, w, v in fields(b):
        if f == 2:
            size = 0
            for f2, w2, v2 in fields(v):
                if f2 == 1:
                    size = s64(v2)
            dims.append(size)
        elif f == 3 and v:
            unknown = True
    return None if unknown else dims


def shape_json(dims):
    if dims is None:
        return {"unknownRank": True}
    return {"dim": [{"size": str(d)} for d in dims]} if dims else {}


def tensor(b):
    t = {"dtype": "DT_INVALID", "shape": [], "content": None, "vals": []}
    for f, w, v in fields(b):
        if f == 1:
            t["dtype"] = DT.get(v, str(v))
        elif f == 2:
            t["shape"] = shape(v) or []
        elif f == 4:
            t["content"] = bytes(v)
        elif f == 5:
            t["vals"] += packed(w, v, "f32")
        elif f == 6:
            t["vals"] += packed(w, v, "f64")
        elif f in (7, 10, 11, 13):
            vals = packed(w, v, "varint")
            if f == 10:
                vals = [s64(x) for x in vals]
            elif f == 7:
                vals = [x - (1 << 32) if x >= 1 << 31 else x for x in
                        (s64(x) & 0xFFFFFFFF for x in vals)]
            elif f == 13:
                vals = list(np.array(vals, np.uint16).view(np.float16).astype(np.float32))
            t["vals"] += vals
        elif f == 8:
            raise ValueError("string tensors are not supported")
    return t


def tensor_values(t):
    dt = NP[t["dtype"]]
    n = int(np.prod(t["shape"])) if t["shape"] else 1
    if t["content"] is not None:
        a = np.frombuffer(t["content"], dtype=dt)
    elif t["vals"]:
        a = np.array(t["vals"], dtype=dt)
        if a.size < n:
            a = np.concatenate([a, np.full(n - a.size, a[-1], dt)])
    else:
        a = np.zeros(n, dt)
    return a.reshape(t["shape"])


def attr(b):
    for f, w, v in fields(b):
        if f == 1:
            return {"list": attr_list(v)}
        if f == 2:
            return {"s": base64.b64encode(v).decode()}
        if f == 3:
            return {"i": str(s64(v))}
        if f == 4:
            return {"f": struct.unpack("<f", v)[0]}
        if f == 5:
            return {"b": bool(v)}
        if f == 6:
            return {"type": DT.get(v, str(v))}
        if f == 7:
            return {"shape": shape_json(shape(v))}
        if f == 8:
            t = tensor(v)
            return {"tensor": {"dtype": t["dtype"], "tensorShape": shape_json(t["shape"])},
                    "_value": t}
        if f == 10:
            name = [bytes(v2).decode() for f2, w2, v2 in fields(v) if f2 == 1]
            return {"func": {"name": name[0] if name else ""}}
    return {"list": {}}


def attr_list(b):
    out = {}
    for f, w, v in fields(b):
        if f == 2:
            out.setdefault("s", []).append(base64.b64encode(v).decode())
        elif f == 3:
            out.setdefault("i", []).extend(str(s64(x)) for x in packed(w, v, "varint"))
        elif f == 4:
            out.setdefault("f", []).extend(packed(w, v, "f32"))
        elif f == 5:
            out.setdefault("b", []).extend(bool(x) for x in packed(w, v, "varint"))
        elif f == 6:
            out.setdefault("type", []).extend(DT.get(x, str(x)) for x in packed(w, v, "varint"))
        elif f == 7:
            out.setdefault("shape", []).append(shape_json(shape(v)))
    return out


def node(b):
    n = {"name": "", "op": "", "input": [], "attr": {}}
    for f, w, v in fields(b):
        if f == 1:
            n["name"] = bytes(v).decode()
        elif f == 2:
            n["op"] = bytes(v).decode()
        elif f == 3:
            n["input"].append(bytes(v).decode())
        elif f == 4:
            n["device"] = bytes(v).decode()
        elif f == 5:
            key = val = None
            for f2, w2, v2 in fields(v):
                if f2 == 1:
                    key = bytes(v2).decode()
                elif f2 == 2:
                    val = v2
            n["attr"][key] = attr(val) if val is not None else {}
    return n


def gate_consts(nodes):
    """TF.js feeds every Const (weight) from the start, so a Const inside a tf.cond branch (it
    has only a control input from the branch's switch) is available even when the branch is
    dead, and Merge may pick it. TF leaves it dead. The one rewrite: such a Const X becomes
    Identity(X/_gated_value, ^control) with the value in the new Const X/_gated_value, so it
    only exists when its control input does."""
    out = []
    for n in nodes:
        ctrl = [i for i in n.get("input", []) if i.startswith("^")]
        if n["op"] != "Const" or not ctrl:
            out.append(n)
            continue
        val = dict(n, name=n["name"] + "/_gated_value")
        val.pop("input", None)
        dt = n["attr"]["dtype"]
        out += [val, {"name": n["name"], "op": "Identity",
                      "input": [val["name"]] + ctrl, "attr": {"T": dt}}]
    return out


def convert(pb, outdir):
    data = open(pb, "rb").read()
    nodes = [node(v) for f, w, v in fields(data) if f == 1]
    specs, blobs = [], []
    for n in nodes:
        n.pop("device", None)
        if not n["input"]:
            n.pop("input")
        if n["op"] != "Const":
            continue
        t = n["attr"]["value"].pop("_value")
        a = tensor_values(t)
        dt = TFJS_DT[t["dtype"]]
        a = a.astype({"float32": np.float32, "int32": np.int32, "bool": np.uint8}[dt])
        gated = any(i.startswith("^") for i in n.get("input", []))
        specs.append({"name": n["name"] + ("/_gated_value" if gated else ""),
                      "shape": list(a.shape), "dtype": dt})
        blobs.append(np.ascontiguousarray(a).tobytes())
    for n in nodes:
        for v in n["attr"].values():
            v.pop("_value", None)
    nodes = gate_consts(nodes)
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "weights.bin"), "wb") as f:
        f.write(b"".join(blobs))
    model = {"format": "graph-model", "generatedBy": "halfcast tests/models/pb2tfjs.py",
             "convertedBy": "pb2tfjs.py (node for node, no rewrites)",
             "modelTopology": {"node": nodes, "library": {}, "versions": {}},
             "weightsManifest": [{"paths": ["weights.bin"], "weights": specs}]}
    with open(os.path.join(outdir, "model.json"), "w") as f:
        json.dump(model, f)
    return os.path.join(outdir, "model.json")


if __name__ == "__main__":
    print(convert(sys.argv[1], sys.argv[2]))
