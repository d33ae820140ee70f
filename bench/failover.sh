#!/usr/bin/env bash
# Failover: under the shopper mix through nginx (USERS, default 200, pausing
# THINK_MS 200 ms), instance 2 of the cluster is killed with SIGKILL after 15 s
# and restarted 20 s later; the run lasts DURATION (60) seconds. Prints the
# error ratio (target <= 0.5 %, during the first seconds only) and checks
# that no order was lost (every acknowledged order is in the database) or
# duplicated (one order per Idempotency-Key).
source "$(dirname "$0")/common.sh"
duration=${DURATION:-60}
users=${USERS:-200}
think=${THINK_MS:-200}
ulimit -n 65536 2>/dev/null || true

cargo build --release --quiet -p comptoir-server --bin comptoir
build_loadtest
export DATABASE_URL=$PG_SERVER_URL/comptoir_bench_failover
psql "$PG_SERVER_URL/postgres" -qX -c "DROP DATABASE IF EXISTS comptoir_bench_failover WITH (FORCE)" >/dev/null
target/release/comptoir seed --demo >/dev/null
# Plenty of stock: this run is about failures, not shortages.
psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
WITH moved AS (
  INSERT INTO stock_movements (id, variant_id, location_id, kind, on_hand_delta, reserved_delta, note)
  SELECT gen_random_uuid(), s.variant_id, s.location_id, 'receipt', 100000, 0, 'failover bench'
    FROM stock_levels s JOIN stores l ON l.id = s.location_id WHERE l.code = 'ENTREPOT-RENNES'
  RETURNING variant_id, location_id)
UPDATE stock_levels s SET on_hand = on_hand + 100000 FROM moved m
 WHERE s.variant_id = m.variant_id AND s.location_id = m.location_id;
SQL

cleanup() { scripts/cluster.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT
PORTS="18081 18082 18083" HTTPS_PORT=8443 LOG_LEVEL=warn scripts/cluster.sh up >/dev/null
log=$(mktemp)
echo "machine: $(nproc) cores, load $(machine_load)"
target/release/comptoir-loadtest --base-url https://localhost:8443 shop --users "$users" --seconds "$duration" \
  --think-ms "$think" --mix shopper --insecure --orders-log "$log" &
load=$!
sleep 15
victim=$(cat var/cluster/app2.pid)
kill -9 "$victim"
echo "t=15s: instance 2 (pid $victim) killed with SIGKILL"
sleep 20
PORTS="18081 18082 18083" HTTPS_PORT=8443 LOG_LEVEL=warn scripts/cluster.sh up >/dev/null
echo "t=35s: instance 2 restarted"
wait "$load"

acked=$(sort -u "$log" | wc -l)
total_acked=$(wc -l <"$log")
missing=$(sort -u "$log" | while read -r id; do
  psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM orders WHERE id = '$id'"; done | grep -c '^0$' || true)
duplicated=$(psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM (SELECT checkout_scope, checkout_key FROM orders
  WHERE checkout_key IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d")
unpaid=$(psql "$DATABASE_URL" -Atqc "SELECT count(*) FROM orders WHERE status <> 'paid'")
echo "orders acknowledged: $acked (answers: $total_acked), missing from the database: $missing, keys with two orders: $duplicated, not paid: $unpaid"
target/release/comptoir inventory verify >/dev/null && echo "stock and ledger agree"
rm -f "$log"
