#!/usr/bin/env bash
# Installs the Debian packages partsledger builds, tests and runs with, when
# any is missing. Safe to run again: it does nothing when all are present.
# Arguments name further packages a script needs (deploy/fuzz.sh: clang).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  liblmdb-dev libprotobuf-c-dev protobuf-c-compiler libgrpc-dev libsodium-dev
  libcjson-dev
  python3-grpcio   # an independent gRPC implementation for interop tests
  python3-cryptography  # Ed25519 for the interop test's own verifier
  chromium         # a real browser renders the audit report in tests/test_audit.c
  "$@"
)

missing=()
# node and npm run GS1's EPCIS validator in the tests (tests/epcis). Asked for
# by command, not package: a nodejs built with its own npm provides both.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deploy/deps.sh: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
