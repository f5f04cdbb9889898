#!/usr/bin/env python3
"""Writes malformed GraphDef files, one per case, into DIR, with the halfcast command to run
and a fragment the one-line error must contain. Used by test_malformed.sh.
Output lines: name<TAB>command<TAB>expected fragment."""
import os
import struct
import sys


def varint(v):
    out = bytearray()
    v &= (1 << 64) - 1
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field(num, wt, payload):
    key = varint((num << 3) | wt)
    if wt == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def s(num, text):
    return field(num, 2, text.encode() if isinstance(text, str) else text)


def attr(name, value):
    return s(5, s(1, name) + s(2, value))


def type_attr(name, dt):
    return attr(name, field(6, 0, varint(dt)))


def shape(dims):
    return b"".join(s(2, field(1, 0, varint(d))) for d in dims)


def tensor(dt, dims, content=None):
    t = field(1, 0, varint(dt)) + s(2, shape(dims))
    if content is not None:
        t += s(4, content)
    return t


def node(name, op, inputs=(), attrs=b""):
    body = b""
    if name is not None:
        body += s(1, name)
    if op is not None:
        body += s(2, op)
    for i in inputs:
        body += s(3, i)
    return s(1, body + attrs)


FLOAT = 1
placeholder = node("x", "Placeholder", (), type_attr("dtype", FLOAT))
good_const = node("c", "Const", (), type_attr("dtype", FLOAT) +
                  attr("value", s(8, tensor(FLOAT, [2], struct.pack("<2f", 1, 2)))))


def relu(name, inp):
    return node(name, "Relu", (inp,), type_attr("T", FLOAT))


CASES = [
    # name, bytes, command, expected fragment of the error
    ("truncated_tag", b"\x80", "inspect", "truncated field tag"),
    ("truncated_node", s(1, b"\x0a\x05ab")[:-1] + b"", "inspect", "past the end"),
    ("node_wrong_wire_type", field(1, 0, varint(5)), "inspect", "wire type"),
    ("length_past_end", b"\x0a\x64" + b"\x0a\x01x", "inspect", "past the end"),
    ("huge_length", b"\x0a\xff\xff\xff\xff\x0f" + b"\x00" * 8, "inspect", "past the end"),
    ("invalid_wire_type", b"\x0e\x00", "inspect", "invalid wire type"),
    ("field_number_zero", b"\x02\x00", "inspect", "invalid field number"),
    ("varint_too_long", b"\x08" + b"\xff" * 11, "inspect", "varint"),
    ("unterminated_group", b"\x0b\x08\x01", "inspect", "group"),
    ("node_without_name", node(None, "Relu"), "inspect", "no name"),
    ("node_without_op", node("n", None), "inspect", "no op"),
    ("duplicate_names", placeholder + placeholder, "inspect", "duplicate node name"),
    ("missing_input", placeholder + relu("r", "nope"), "inspect", "does not exist"),
    ("input_port_out_of_range", placeholder + relu("r", "x:5"), "inspect", "reads output 5"),
    ("bad_input_name", placeholder + relu("r", "x:"), "inspect", "'x:' names a node that does not exist"),
    ("cycle", placeholder + relu("a", "b") + relu("b", "a"), "convert", "cycle"),
    ("content_size_mismatch", placeholder + node("c", "Const", (), type_attr("dtype", FLOAT) +
        attr("value", s(8, tensor(FLOAT, [10], b"\0" * 8)))) +
        node("m", "Mul", ("x", "c"), type_attr("T", FLOAT)), "run", "node 'c': tensor_content has 8 bytes"),
    ("attr_list_cut", node("n", "Relu", (), attr("T", s(1, field(3, 2, b"\x05\x81")))),
        "inspect", "cut short"),
    ("shape_rank_huge", node("c", "Const", (), type_attr("dtype", FLOAT) +
        attr("value", s(8, tensor(FLOAT, [1] * 40)))), "inspect", "rank"),
    ("unknown_op_run", placeholder + node("u", "MadeUpOp", ("x",)), "run", "no kernel for op MadeUpOp"),
    ("empty_graph", b"", "convert", "no nodes"),
    ("text_unterminated_string", b'node { name: "x\n', "inspect", "line"),
    ("text_unknown_field", b'node { nmae: "x" }\n', "inspect", "line 1"),
    ("too_many_values", node("c", "Const", (), type_attr("dtype", FLOAT) +
        attr("value", s(8, tensor(FLOAT, [2]) + s(5, struct.pack("<3f", 1, 2, 3))))) + relu("r", "c"),
        "run", "node 'c': constant has 3 values for 2 elements"),
]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data, cmd, frag in CASES:
        with open(os.path.join(out, name + ".pb"), "wb") as f:
            f.write(data)
        print(f"{name}\t{cmd}\t{frag}")


if __name__ == "__main__":
    main()
