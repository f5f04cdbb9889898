# shared.sh - sourced by shell tests: locate ../shared (skip with 77 when absent, fail under
# CI=true), the halfcast binary, Debian's python3 and the npm oracles.
need_shared() {
  local rel=$1
  if [ ! -e "$HC_SHARED/$rel" ]; then
    if [ "${CI:-}" = "true" ]; then echo "missing shared test data: $HC_SHARED/$rel"; exit 1; fi
    echo "skipped: shared test data not found: $HC_SHARED/$rel"; exit 77
  fi
}
PY=/usr/bin/python3
NODE_MODULES="${HC_NODE_MODULES:-$HC_SOURCE/.deps/node/node_modules}"
need_node() {
  if [ ! -d "$NODE_MODULES/@tensorflow/tfjs-converter" ]; then
    if [ "${CI:-}" = "true" ]; then echo "missing npm oracles in $NODE_MODULES"; exit 1; fi
    echo "skipped: npm oracles not installed (scripts/deps.sh)"; exit 77
  fi
}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
