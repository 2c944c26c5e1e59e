#!/usr/bin/env bash
# Builds partsledger and runs the whole test suite with ctest.
#   ./deploy/test.sh              the suite, on a normal build in build/
#   ./deploy/test.sh --sanitize   the suite under ASan + UBSan, in build-asan/
# Extra arguments after those go to ctest (e.g. -L unit, -R merkle).
set -euo pipefail
cd "$(dirname "$0")/.."

cmake_args=()
if [ "${1:-}" = "--sanitize" ]; then
  shift
  export PL_BUILD_DIR="${PL_BUILD_DIR:-build-asan}"
  export PL_BUILD_TYPE=Debug
  cmake_args+=(-DPL_SANITIZE=ON)
  # Leaks in gRPC's own process-lifetime singletons are not ours to chase.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
./deploy/build.sh "${cmake_args[@]}"
cd "${PL_BUILD_DIR:-build}"
ctest --output-on-failure -j2 "$@"
