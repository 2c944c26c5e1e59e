#!/usr/bin/env bash
# Builds partsledger and runs partsledgerd on its embedded default: LMDB data
# in ./var/data, dev keys made on the first run under ./var/, serving on
# 127.0.0.1:50051 (override with PL_LISTEN). Extra arguments go to
# partsledgerd. The admin key in var/admin.key signs enrollments:
#   build/partsledger enroll --key var/admin.key --public-key HEX --role ...
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/build.sh
bin=build
mkdir -p var
chmod 700 var
[ -f var/log.key ] || "$bin/partsledger" keygen --out var/log.key >/dev/null
[ -f var/admin.key ] || "$bin/partsledger" keygen --out var/admin.key >/dev/null
admin=$("$bin/partsledger" pubkey --key var/admin.key)
# partsledgerd says whether this key is the log's admin: it enrolls it on a
# new log, and warns when an existing log does not know it.
exec "$bin/partsledgerd" --data var/data --log-key var/log.key \
  --origin "${PL_ORIGIN:-localhost/partsledger}" \
  --listen "${PL_LISTEN:-127.0.0.1:50051}" --admin-key "$admin" "$@"
