#!/usr/bin/env bash
# `halfcast doctor`: exit codes (0 nothing found or fixed, 1 findings reported, 2 bad usage or
# input, with one line on stderr), the JSON report, --fix writing a checked, stable file, never
# over the input, --only and --format. Graphs are written here as text format.
set -u
. "$HC_SOURCE/tests/common/cli.sh"

floats() { # floats START COUNT STEP: float_val entries
  local i
  for ((i = 0; i < $2; i++)); do printf 'float_val: %s ' "$(($1 + i * $3))"; done
}

const100() { # const100 NAME VALUES...
  printf 'node { name: "%s" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } ' "$1"
  printf 'attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 100 } } %s } } } }\n' "$2"
}

add() { # add NAME A B
  printf 'node { name: "%s" op: "Add" input: "%s" input: "%s" attr { key: "T" value { type: DT_FLOAT } } }\n' "$1" "$2" "$3"
}

placeholder='node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "shape" value { shape { dim { size: 100 } } } } }'
{
  echo "$placeholder"
  const100 w "$(floats 1 100 1)"      # a long float_val list
  const100 w2 "$(floats 1 100 1)"     # the same again: a duplicate
  const100 b "$(floats 2 100 0)"      # one value, a hundred times: broadcast
  add add x w
  add add2 add w2
  add add3 add2 b
  echo 'node { name: "y" op: "Identity" input: "add3" attr { key: "T" value { type: DT_FLOAT } } }'
  echo 'node { name: "dangling" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT float_val: 1 } } } }'
} >"$tmp/findings.pbtxt"
{
  echo "$placeholder"
  echo 'node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 3 } } float_val: 1 float_val: 2 float_val: 3 } } } }'
  echo 'node { name: "y" op: "Identity" input: "x" attr { key: "T" value { type: DT_FLOAT } } }'
  echo 'node { name: "z" op: "Identity" input: "c" attr { key: "T" value { type: DT_FLOAT } } }'
} >"$tmp/clean.pbtxt"

F=$tmp/findings.pbtxt
expect 1 "findings reported: exit 1" -- "$HC_BIN" doctor "$F"
for k in value-lists broadcast duplicates unused; do
  grep -q "^$k  *[0-9]" "$tmp/stdout" || { echo "FAIL: no '$k' line"; cat "$tmp/stdout"; fail=1; }
done
grep -q "same as 'w'" "$tmp/stdout" || { echo "FAIL: duplicate not named"; fail=1; }

expect 1 "--json: exit 1" -- "$HC_BIN" doctor "$F" --json
json_has 'r["findings_total"] == 5'
json_has 'set(f["kind"] for f in r["findings"]) == {"value-lists", "broadcast", "duplicates", "unused"}'
json_has '[f["node"] for f in r["findings"] if f["kind"] == "duplicates"] == ["w2"]'
json_has 'all(f["fixable"] and f["bytes"] > 0 and "fix" in f for f in r["findings"])'
json_has 'r["totals"]["value-lists"]["by_field"] == {"float_val": 2}'
json_has 'r["estimate"]["fixed32"]["ns_per_value"] > 0'

expect 0 "--fix: exit 0" -- "$HC_BIN" doctor "$F" --fix -o "$tmp/fixed.pb" --format pb --json
json_has 'r["fix"]["verified"] and r["fix"]["nodes_removed"] == 2'
expect 0 "fixed file: nothing found" -- "$HC_BIN" doctor "$tmp/fixed.pb"
grep -q "nothing to fix" "$tmp/stdout" || { echo "FAIL: want 'nothing to fix'"; fail=1; }
expect 0 "fixed file passes check" -- "$HC_BIN" check "$tmp/fixed.pb"
expect 0 "fixing twice" -- "$HC_BIN" doctor "$tmp/fixed.pb" --fix -o "$tmp/fixed2.pb"
cmp -s "$tmp/fixed.pb" "$tmp/fixed2.pb" || { echo "FAIL: fixing twice changed the bytes"; fail=1; }
expect 0 "--fix keeps pbtxt" -- "$HC_BIN" doctor "$F" --fix -o "$tmp/fixed.pbtxt"
grep -q 'node {' "$tmp/fixed.pbtxt" || { echo "FAIL: OUT is not text format"; fail=1; }
expect 0 "pbtxt output reads back" -- "$HC_BIN" doctor "$tmp/fixed.pbtxt"

expect 0 "clean file: exit 0" -- "$HC_BIN" doctor "$tmp/clean.pbtxt"
expect 0 "clean --json: exit 0" -- "$HC_BIN" doctor "$tmp/clean.pbtxt" --json
json_has 'r["findings_total"] == 0 and r["findings"] == []'

expect 1 "--only duplicates" -- "$HC_BIN" doctor "$F" --only duplicates --json
json_has 'list(r["totals"]) == ["duplicates"] and r["findings_total"] == 1'
expect 0 "--only unused --fix" -- "$HC_BIN" doctor "$F" --only unused,broadcast --fix -o "$tmp/u.pb" --format pb
expect 1 "...keeps the rest" -- "$HC_BIN" doctor "$tmp/u.pb" --json
json_has 'r["findings_total"] == 3'

cp "$F" "$tmp/keep.pbtxt"
expect 2 "refuses to write over the input" -- "$HC_BIN" doctor "$tmp/keep.pbtxt" --fix -o "$tmp/keep.pbtxt"
one_line_error "refusing"
cmp -s "$F" "$tmp/keep.pbtxt" || { echo "FAIL: the input changed"; fail=1; }

expect 2 "no input" -- "$HC_BIN" doctor
one_line_error "missing input file"
expect 2 "--fix without -o" -- "$HC_BIN" doctor "$F" --fix
one_line_error "--fix needs -o"
expect 2 "-o without --fix" -- "$HC_BIN" doctor "$F" -o "$tmp/x.pb"
one_line_error "--fix only"
expect 2 "unknown kind" -- "$HC_BIN" doctor "$F" --only duplicate
one_line_error "unknown kind 'duplicate'"
expect 2 "missing file" -- "$HC_BIN" doctor "$tmp/nope.pb"
one_line_error "$tmp/nope.pb"
printf '\x0a\x05\x0a\x01' >"$tmp/cut.pb"
expect 2 "malformed file" -- "$HC_BIN" doctor "$tmp/cut.pb"
one_line_error "$tmp/cut.pb"
expect 0 "--help" -- "$HC_BIN" doctor --help
grep -q "exit status" "$tmp/stdout" || { echo "FAIL: --help says nothing of exit status"; fail=1; }

echo "$n cases"
exit $fail
