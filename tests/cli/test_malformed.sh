#!/usr/bin/env bash
# Malformed inputs: each gives exactly one line on stderr naming the file and the cause, and
# exit status 2; never a crash (the suite also runs under ASan+UBSan).
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
while IFS=$'\t' read -r name cmd frag; do
  n=$((n + 1))
  f="$tmp/$name.pb"
  case $cmd in
    inspect) args=(inspect "$f") ;;
    convert) args=(convert "$f" -o "$tmp/out.pb") ;;
    run) args=(run "$f" --out "$tmp/run") ;;
  esac
  "$HC_BIN" "${args[@]}" >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  lines=$(wc -l <"$tmp/stderr")
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$frag" "$tmp/stderr" || ! grep -qF -- "$f" "$tmp/stderr"; then
    echo "FAIL $name: '$cmd' exit $rc, $lines stderr lines, want '$frag':"
    cat "$tmp/stderr"
    fail=1
  else
    echo "ok   $name: $(cat "$tmp/stderr")"
  fi
done < <(/usr/bin/python3 "$(dirname "$0")/malformed.py" "$tmp")
# Files that are not there, folders, and writing over the input.
"$HC_BIN" inspect "$tmp/nope.pb" 2>"$tmp/stderr"; rc=$?
grep -q "cannot open" "$tmp/stderr" && [ $rc -eq 2 ] || { echo "FAIL missing file"; cat "$tmp/stderr"; fail=1; }
"$HC_BIN" inspect "$tmp" 2>"$tmp/stderr"; rc=$?
grep -q "not a regular file" "$tmp/stderr" && [ $rc -eq 2 ] || { echo "FAIL folder"; fail=1; }
echo "$n generated cases"
[ $n -ge 20 ] || { echo "FAIL: fewer than 20 cases"; fail=1; }
exit $fail
