#!/usr/bin/env bash
# Checks deploy/partsledgerd.service against the server it runs:
#  - systemd-analyze finds nothing to say about the unit (when it is here);
#  - the unit's ExecStart, with deploy/partsledgerd.env filled in and its
#    paths moved into a temporary directory, starts a server that serves and
#    stops cleanly (exit 0) on SIGTERM;
#  - with the env file as shipped (no admin key) the server refuses to start
#    with a usage error, exit 2, which is the status the unit does not retry.
# usage: deploy_unit.sh SOURCE_DIR PARTSLEDGERD PARTSLEDGER
set -euo pipefail
src=$1 server=$2 cli=$3
unit="$src/deploy/partsledgerd.service"
envfile="$src/deploy/partsledgerd.env"

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "deploy_unit: FAIL: $*" >&2; exit 1; }

# The unit, pointed at this build and a temporary env file.
sed -e "s#/usr/local/bin/partsledgerd#$server#" \
    -e "s#/etc/partsledger/partsledgerd.env#$tmp/env#" "$unit" >"$tmp/partsledgerd.service"
cp "$envfile" "$tmp/env"
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify --man=no "$tmp/partsledgerd.service" 2>&1) ||
    fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify has remarks: $out"
  echo "deploy_unit: systemd-analyze verify: clean"
else
  echo "deploy_unit: systemd-analyze not installed; unit syntax not checked"
fi

# ExecStart as systemd runs it: split at spaces (the line has no quotes), each
# word that is ${VAR} replaced by the env file's value as one argument, even
# an empty one, and the unit's paths moved under $tmp. Sets `args`.
line=$(sed -n 's/^ExecStart=//p' "$unit")
[ -n "$line" ] || fail "no ExecStart in the unit"
exec_args() { # $1: the env file to take values from
  local -A env=()
  local var val word words
  while IFS='=' read -r var val; do
    env[$var]=$val
  done < <(grep -E '^PL_[A-Z_]+=' "$1")
  read -ra words <<<"$line"
  args=()
  for word in "${words[@]}"; do
    if [[ $word =~ ^\$\{([A-Za-z_]+)\}$ ]]; then
      var=${BASH_REMATCH[1]}
      [[ -v env[$var] ]] || fail "ExecStart names \${$var}, which the env file lacks"
      word=${env[$var]}
    fi
    case "$word" in *'${'*) fail "ExecStart has a variable inside a word: $word" ;; esac
    word=${word//\/usr\/local\/bin\/partsledgerd/$server}
    word=${word//\/var\/lib\/partsledger/$tmp/state}
    word=${word//\/etc\/partsledger/$tmp/etc}
    args+=("$word")
  done
}
mkdir -p -m 0700 "$tmp/state" "$tmp/etc"
"$cli" keygen --out "$tmp/etc/log.key" >/dev/null
admin=$("$cli" keygen --out "$tmp/admin.key")

# As shipped, the admin key is empty: a usage error, not a restart loop.
exec_args "$envfile"
rc=0
"${args[@]}" 2>"$tmp/usage.err" || rc=$?
[ "$rc" -eq 2 ] || fail "with an empty PL_ADMIN_KEY the server exited $rc, want 2"
grep -q -- "--admin-key" "$tmp/usage.err" || fail "usage error does not name --admin-key"
grep -q '^RestartPreventExitStatus=2$' "$unit" || fail "the unit retries usage errors"
# The install steps must leave the log key readable by the service user alone:
# the server refuses a key its group or others can read (exit 2).
if grep -E '^#.*chmod +[0-7]*[1-7][0-7]? +/etc/partsledger/log.key' "$unit" | grep -vqE 'chmod +0?600 '; then
  fail "the install steps loosen the log key's mode"
fi
grep -q '^#.*chown partsledger:partsledger /etc/partsledger/log.key' "$unit" ||
  fail "the install steps do not give the log key to the service user"
grep -q '^Restart=on-failure$' "$unit" || fail "the unit does not restart after a failed commit"

# Filled in, it serves.
sed -e "s/^PL_ADMIN_KEY=.*/PL_ADMIN_KEY=$admin/" -e "s/^PL_LISTEN=.*/PL_LISTEN=127.0.0.1:0/" \
  "$envfile" >"$tmp/env.filled"
exec_args "$tmp/env.filled"
"${args[@]}" --ready-file "$tmp/ready" 2>"$tmp/server.err" &
pid=$!
for _ in $(seq 100); do
  [ -s "$tmp/ready" ] && break
  kill -0 "$pid" 2>/dev/null || fail "server exited: $(cat "$tmp/server.err")"
  sleep 0.1
done
[ -s "$tmp/ready" ] || fail "server not ready in 10 s"
info=$("$cli" --server "$(cat "$tmp/ready")" info)
grep -q "localhost/partsledger" <<<"$info" || fail "info does not show the env file's origin: $info"
[ -f "$tmp/state/data/data.mdb" ] || fail "no LMDB data under the unit's data directory"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc, want 0: $(cat "$tmp/server.err")"
echo "deploy_unit: the unit's command line serves, stops with 0, and refuses a bad config with 2"
