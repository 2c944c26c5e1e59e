#!/usr/bin/env bash
# Configures and builds partsledger into build/ (or $PL_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DPL_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
"./deploy/deps.sh"
build="${PL_BUILD_DIR:-build}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${PL_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
