# Shared by the bench scripts: a release build, a database, free ports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_SERVER_URL=${PG_SERVER_URL:-postgres://postgres@127.0.0.1:5432}
export DATABASE_URL=${BENCH_DATABASE_URL:-$PG_SERVER_URL/comptoir_bench}
export LOG_FORMAT=json LOG_LEVEL=${LOG_LEVEL:-info}
unset REDIS_URL

# The server: COMPTOIR_BIN names a binary built beforehand (to measure two
# builds one after the other in one sitting, as bench/README.md shows);
# otherwise this checkout's, built in release.
comptoir=${COMPTOIR_BIN:-target/release/comptoir}
build_comptoir() {
  if [ -z "${COMPTOIR_BIN:-}" ]; then
    cargo build --release --quiet -p comptoir-server --bin comptoir
  fi
}

need() { # need COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null && return
  echo "installing $2 (Debian package) for $1" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http_ok() { # wait_http_ok URL TIMEOUT_SECONDS
  local deadline=$(( $(date +%s) + $2 ))
  until curl -fs -o /dev/null "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$1 never answered" >&2; return 1; }
    sleep 0.05
  done
}

machine_load() { cut -d' ' -f1-3 /proc/loadavg; }

# crates/loadtest is a workspace of its own (goose); its binary lands in
# target/release beside the server's.
build_loadtest() {
  cargo build --release --quiet --manifest-path crates/loadtest/Cargo.toml --target-dir target
}

# A wrk script's `done` that prints "REPORT requests p50 p95 p99 non2xx"
# (wrk prints only 50/75/90/99 itself); append it to a request script.
wrk_report_lua() {
  cat <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("REPORT %d %.2f %.2f %.2f %d\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status))
end
LUA
}

# wrk_script FILE: writes the request script read on stdin to FILE, with
# the report's `done` appended.
wrk_script() {
  { cat; wrk_report_lua; } >"$1"
}

# wrk_figures WRK_ARGS...: runs wrk with a wrk_script and prints
# "requests p50 p95 p99 non2xx".
wrk_figures() {
  wrk "$@" | awk '/^REPORT/ {print $2, $3, $4, $5, $6}'
}

# A fresh database $1 with the demo data and 100,000 more units of every
# variant at the warehouse (a receipt in the ledger for each level, as
# `comptoir inventory verify` expects), noted $2. Exports DATABASE_URL.
fresh_stocked_demo() { # fresh_stocked_demo NAME NOTE
  export DATABASE_URL=$PG_SERVER_URL/$1
  psql "$PG_SERVER_URL/postgres" -qX -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
  "$comptoir" seed --demo >/dev/null
  psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 -v note="$2" <<'SQL' >/dev/null
WITH moved AS (
  INSERT INTO stock_movements (id, variant_id, location_id, kind, on_hand_delta, reserved_delta, note)
  SELECT gen_random_uuid(), s.variant_id, s.location_id, 'receipt', 100000, 0, :'note'
    FROM stock_levels s JOIN stores l ON l.id = s.location_id WHERE l.code = 'ENTREPOT-RENNES'
  RETURNING variant_id, location_id)
UPDATE stock_levels s SET on_hand = on_hand + 100000 FROM moved m
 WHERE s.variant_id = m.variant_id AND s.location_id = m.location_id;
SQL
}

# The catalog database of $1 generated products (plus the demo), seeded
# once and kept for later runs. Exports DATABASE_URL.
catalog_db() { # catalog_db SIZE
  export DATABASE_URL=$PG_SERVER_URL/comptoir_bench_catalog_$1
  local have
  have=$(psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM products WHERE slug LIKE 'gen-%'" 2>/dev/null || echo 0)
  if [ "$have" -lt "$1" ]; then
    echo "seeding $1 products (once)..." >&2
    "$comptoir" seed --demo --products "$1" >/dev/null
  fi
}
