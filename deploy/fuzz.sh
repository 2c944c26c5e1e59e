#!/usr/bin/env bash
# Fuzzes what partsledger reads from parties it does not trust (entries an
# author signed, SignedEntry envelopes, checkpoints, verifier keys, proofs:
# tests/fuzz_input.c) with libFuzzer under ASan and UBSan.
#
#   ./deploy/fuzz.sh [SECONDS] [libFuzzer options...]    default 300 seconds
#
# Builds into build-fuzz/ with clang. The corpus grows in build-fuzz/corpus
# and is reused by the next run; a crashing input lands in build-fuzz/crashes/
# and replays with: build-fuzz/fuzz_input build-fuzz/crashes/<file>
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/deps.sh clang libclang-rt-dev
build=build-fuzz
CC=clang cmake -S . -B "$build" -DPL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_input
secs="${1:-300}"
[ $# -gt 0 ] && shift
mkdir -p "$build/corpus" "$build/crashes"
PL_FUZZ_SEEDS="$build/corpus" "$build/fuzz_input" -max_total_time="$secs" \
  -max_len=4096 -artifact_prefix="$build/crashes/" -print_final_stats=1 \
  "$@" "$build/corpus"
