# cli.sh - sourced by CLI tests: a temp dir $tmp, expect (exit status), one_line_error (the
# error contract: one line on stderr naming the cause) and json_has (a check on --json output).
# Sets fail=1 on any failure; the test ends with `exit $fail`.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

expect() { # expect RC DESCRIPTION -- command...
  local want=$1 what=$2
  shift 3
  n=$((n + 1))
  "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  if [ $rc -ne "$want" ]; then
    echo "FAIL $what: exit $rc, want $want"
    cat "$tmp/stdout" "$tmp/stderr"
    fail=1
    return 1
  fi
  echo "ok   $what"
}

one_line_error() { # the last command printed exactly one line on stderr containing $1
  local lines
  lines=$(wc -l <"$tmp/stderr")
  if [ "$lines" -ne 1 ] || ! grep -qF -- "$1" "$tmp/stderr"; then
    echo "FAIL: want one stderr line with '$1', got:"
    cat "$tmp/stderr"
    fail=1
  fi
}

json_has() { # python expression over the JSON report `r` on stdout must be true
  /usr/bin/python3 - "$1" "$tmp/stdout" <<'EOF' || { echo "FAIL: JSON check $1"; cat "$tmp/stdout"; fail=1; }
import json, sys
r = json.load(open(sys.argv[2]))
sys.exit(0 if eval(sys.argv[1]) else 1)
EOF
}

