#!/usr/bin/env bash
# Install what halfcast needs to build and test: Debian packages (when run as root, or with
# sudo available) and the npm oracles (ONNX Runtime, TensorFlow.js) into .deps/node.
# Usage: scripts/deps.sh [--no-npm]
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake pkg-config clang clang-format clang-tidy libclang-rt-14-dev
      libcmocka-dev libjpeg62-turbo-dev libpng-dev libjansson-dev
      python3 python3-numpy python3-opencv python3-protobuf protobuf-compiler)

# Node.js may come from elsewhere (a NodeSource package bundles npm); only when there is no
# node/npm at all do we take Debian's.
command -v node >/dev/null && command -v npm >/dev/null || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" != "--no-npm" ] && [ ! -d .deps/node/node_modules/@tensorflow/tfjs-converter ]; then
  echo "installing the npm oracles into .deps/node"
  mkdir -p .deps/node
  npm install --prefix .deps/node --ignore-scripts --no-audit --no-fund \
      onnxruntime-node@1.30.0 @tensorflow/tfjs-core@4.22.0 \
      @tensorflow/tfjs-backend-cpu@4.22.0 @tensorflow/tfjs-converter@4.22.0 >/dev/null
fi
