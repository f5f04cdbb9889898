#!/usr/bin/env bash
# Set up and build halfcast (release): installs dependencies, configures and builds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh "$@"
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
echo "built: build/release/halfcast"
