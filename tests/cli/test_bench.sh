#!/usr/bin/env bash
# `halfcast bench`: two models (the demo's fp32 graph and its fp16 conversion) in fresh
# processes; the JSON has every figure for each, sizes equal to the files', the table numbers
# its models and gives the ratios; bad usage and a model that cannot run exit 2 with one line
# on stderr naming the cause.
set -u
. "$HC_SOURCE/tests/common/cli.sh"

"$HC_BIN" demo --dir "$tmp/d" --no-bench >/dev/null || { echo "FAIL: demo"; exit 1; }
A=$tmp/d/demo.pb
B=$tmp/d/demo.f16.pb
IMG=$tmp/d/demo.png

expect 0 "--help" -- "$HC_BIN" bench --help
grep -q "load->ready" "$tmp/stdout" || { echo "FAIL: --help"; fail=1; }

expect 0 "two models, --json" -- "$HC_BIN" bench "$A" "$B" --input "$IMG" -p 2 -n 3 --json
json_has 'r["processes"] == 2 and r["runs"] == 3 and len(r["models"]) == 2'
json_has '[m["model"] for m in r["models"]] == ["'"$A"'", "'"$B"'"]'
json_has '[m["bytes"] for m in r["models"]] == ['"$(stat -c %s "$A")"', '"$(stat -c %s "$B")"']'
json_has 'all(m[k] > 0 for m in r["models"] for k in ("load_ms", "first_ms", "p50_ms", "peak_rss_mib"))'
json_has 'all(m["p90_ms"] >= m["p50_ms"] for m in r["models"])'
json_has 'all(abs(m["ready_ms"]) < m["load_ms"] + m["first_ms"] + 1e-9 for m in r["models"])'

expect 0 "table" -- "$HC_BIN" bench "$A" "$B" --input "$IMG" -p 1 -n 2
grep -q "^1: .*demo.pb$" "$tmp/stdout" && grep -q "^2: .*demo.f16.pb$" "$tmp/stdout" &&
  grep -q "^2 vs 1: size 0\.[0-9]*x" "$tmp/stdout" || { echo "FAIL: table"; cat "$tmp/stdout"; fail=1; }

expect 0 "--run-option passes options to run" -- "$HC_BIN" bench "$A" --input "$IMG" -p 1 -n 1 --run-option=--threads=1

expect 2 "a missing model" -- "$HC_BIN" bench "$tmp/nope.pb" --input "$IMG"
one_line_error "nope.pb"
expect 2 "no input for a model that needs one" -- "$HC_BIN" bench "$A" -p 1 -n 1
grep -q "input" "$tmp/stderr" || { echo "FAIL: the cause is not named"; cat "$tmp/stderr"; fail=1; }
expect 2 "--processes not a number" -- "$HC_BIN" bench "$A" --input "$IMG" -p many
one_line_error "processes"
expect 2 "no model" -- "$HC_BIN" bench --input "$IMG"

echo "$n cases"
exit $fail
