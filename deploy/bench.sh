#!/usr/bin/env bash
# Builds partsledger (Release, in build-release/ or $PL_BUILD_DIR), starts a
# fresh partsledgerd on 127.0.0.1 with new keys in a temporary directory, runs
# partsledger-bench against it, prints the figures, then stops the server and
# removes the directory.
#   ./deploy/bench.sh                      the core phases, --fill 1000000
#   ./deploy/bench.sh --phases verify,get --fill 100000 --duration 5
#   ./deploy/bench.sh --phases inventory   the inventory phases (issue 10's data set)
#   ./deploy/bench.sh --phases repair      warranty, mixed writes, audit bundles
# Arguments go to partsledger-bench (see partsledger-bench --help, and
# BENCHMARKS.md for the phases and the flags that scale their data set).
# It first runs deploy/deps.sh redis-server, which installs with apt-get
# (through sudo when not root) whatever is missing of the build's packages
# and of Debian's redis-server: the near phase also measures Redis GEOSEARCH
# (partsledger-bench skips that when redis-server is not on PATH). The
# server's data directory is the temporary directory's data/, on the disk
# that holds $TMPDIR (default /tmp): keep it off tmpfs, or fsync is free.
# PL_BENCH_WORKERS sets the server's --workers, and the same number of
# workers for the bench's verify-only limit server (--limit-workers), so that
# the two stay comparable; PL_BENCH_KEEP=1 keeps the directory (server log
# included) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/deps.sh redis-server   # the near phase compares StockNear with Redis GEOSEARCH
build="${PL_BUILD_DIR:-build-release}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${PL_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target partsledgerd partsledger-bench >/dev/null
[ -x "$build/partsledger" ] || cmake --build "$build" -j"$(nproc)" --target partsledger \
  >/dev/null 2>&1 || true

dir=$(mktemp -d "${TMPDIR:-/tmp}/pl-bench.XXXXXX")
chmod 700 "$dir"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${PL_BENCH_KEEP:-0}" = 1 ]; then
    echo "bench.sh: kept $dir" >&2
  else
    rm -rf "$dir"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A key file is the 32-byte seed as 64 hex characters, mode 0600.
keygen() {
  if [ -x "$build/partsledger" ] && "$build/partsledger" keygen --out "$1" >/dev/null 2>&1; then
    return
  fi
  (umask 077
   if command -v xxd >/dev/null; then
     head -c 32 /dev/urandom | xxd -p -c 64 >"$1"
   else
     head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' >"$1"
     echo >>"$1"
   fi)
}
keygen "$dir/log.key"
keygen "$dir/admin.key"
admin=$("$build/partsledger-bench" --admin-key "$dir/admin.key" --print-pubkey)

workers=()
[ -n "${PL_BENCH_WORKERS:-}" ] && workers=(--workers "$PL_BENCH_WORKERS")
"$build/partsledgerd" --data "$dir/data" --listen 127.0.0.1:0 --log-key "$dir/log.key" \
  --origin bench.invalid/partsledger --admin-key "$admin" --ready-file "$dir/ready" \
  "${workers[@]}" 2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 100); do
  [ -s "$dir/ready" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$dir/ready" ] || { echo "bench.sh: the server did not start" >&2; exit 1; }
addr=$(cat "$dir/ready")
echo "bench.sh: partsledgerd pid $server_pid on $addr, data in $dir/data" >&2
echo "bench.sh: $(nproc) cores, $(uname -srm), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

limit_workers=()
[ -n "${PL_BENCH_WORKERS:-}" ] && limit_workers=(--limit-workers "$PL_BENCH_WORKERS")
rc=0
"$build/partsledger-bench" --server "$addr" --admin-key "$dir/admin.key" \
  --server-pid "$server_pid" --disk-dir "$dir" "${limit_workers[@]}" "$@" || rc=$?
echo "bench.sh: data.mdb is $(du -m "$dir/data/data.mdb" 2>/dev/null | cut -f1) MB on disk" >&2
exit "$rc"
