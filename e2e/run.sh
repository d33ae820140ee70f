#!/usr/bin/env bash
# Runs the browser tests: a fresh database with the demo catalog, the
# server built by `cargo build` (debug unless COMPTOIR_BIN says otherwise),
# Debian's Chromium (installed when missing), then `npm test` here.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
bin=${COMPTOIR_BIN:-$root/target/debug/comptoir}
pg=${PG_SERVER_URL:-postgres://postgres@127.0.0.1:5432}

if ! command -v chromium >/dev/null; then
  echo "installing chromium (Debian package)" >&2
  (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; })
fi
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --silent
# The binary of this checkout, unless one is given.
[ -n "${COMPTOIR_BIN:-}" ] || (cd "$root" && cargo build -q -p comptoir-server --bin comptoir)

export DATABASE_URL=$pg/comptoir_e2e
psql "$pg/postgres" -qX -c "DROP DATABASE IF EXISTS comptoir_e2e WITH (FORCE)" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
# The server's emails land here; the tests open the links they carry.
export MAIL_DIR=$(mktemp -d)
env -u REDIS_URL BIND="127.0.0.1:$port" TEST_GATEWAY=true LOG_LEVEL=warn \
  "$bin" serve --demo >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
ready=false
for _ in $(seq 600); do
  if curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready"; then ready=true; break; fi
  kill -0 $server 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" != true ]; then
  echo "the server did not become ready:" >&2
  cat "$log" >&2
  exit 1
fi
rm -rf artifacts
BASE_URL="http://127.0.0.1:$port" npm test
