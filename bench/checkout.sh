#!/usr/bin/env bash
# Checkouts per second and checkout latency (p50/p95/p99), 64 concurrent
# shoppers (CLIENTS), DURATION seconds (default 20) per case:
#  - distinct: each shopper buys its own variant (no two fight over a row);
#  - hot: all of them buy among the same 10 variants (HOT).
# Each checkout is a fresh guest cart with one unit, paid with the test
# gateway's tok_visa; only the POST /api/v1/checkout is timed. The database
# (comptoir_bench_checkout) is made afresh: demo catalog, and a large stock of
# the variants used at the warehouse, received through the API.
source "$(dirname "$0")/common.sh"
duration=${DURATION:-20}
clients=${CLIENTS:-64}
hot=${HOT:-10}

build_comptoir
build_loadtest
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

export DATABASE_URL=$PG_SERVER_URL/comptoir_bench_checkout
psql "$PG_SERVER_URL/postgres" -qX -c "DROP DATABASE IF EXISTS comptoir_bench_checkout WITH (FORCE)" >/dev/null
"$comptoir" seed --demo >/dev/null
COMPTOIR_ADMIN_PASSWORD='bench: crêpes au sarrasin' "$comptoir" admin create --email bench@comptoir.localhost >/dev/null

port=$(free_port)
base="http://127.0.0.1:$port"
env BIND="127.0.0.1:$port" LOG_LEVEL=warn DATABASE_MAX_CONNECTIONS=${DATABASE_MAX_CONNECTIONS:-20} \
  "$comptoir" serve >/dev/null 2>&1 &
pids+=($!)
wait_http_ok "$base/health/ready" 60

token=$(curl -fs "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email": "bench@comptoir.localhost", "password": "bench: crêpes au sarrasin"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
warehouse=$(psql "$DATABASE_URL" -Atqc "SELECT id FROM stores WHERE code = 'ENTREPOT-RENNES'")
# Light variants (Colissimo carries any weight at a flat rate) of active products.
variants=$(psql "$DATABASE_URL" -Atqc "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
  WHERE p.status = 'active' ORDER BY v.sku LIMIT $(( clients > hot ? clients : hot ))")
for variant in $variants; do
  curl -fs -o /dev/null "$base/api/v1/admin/stock/adjustments" -H "authorization: Bearer $token" \
    -H "idempotency-key: $(python3 -c 'import uuid; print(uuid.uuid4())')" -H 'content-type: application/json' \
    -d "{\"location_id\": \"$warehouse\", \"variant_id\": \"$variant\", \"delta\": 1000000, \"reason\": \"receipt\"}"
done
list=$(echo "$variants" | paste -sd, -)

echo "machine: $(nproc) cores, load $(machine_load)"
target/release/comptoir-loadtest --base-url "$base" checkout --clients "$clients" --seconds 3 --variants "$list" >/dev/null # warm up
target/release/comptoir-loadtest --base-url "$base" checkout --clients "$clients" --seconds "$duration" --variants "$list"
target/release/comptoir-loadtest --base-url "$base" checkout --clients "$clients" --seconds "$duration" --hot "$hot" --variants "$list"
"$comptoir" inventory verify >/dev/null && echo "stock and ledger agree after the run"
echo "load after: $(machine_load)"
