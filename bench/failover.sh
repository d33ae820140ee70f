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

build_comptoir
build_loadtest
# Plenty of stock: this run is about failures, not shortages.
fresh_stocked_demo comptoir_bench_failover "failover bench"

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
"$comptoir" inventory verify >/dev/null && echo "stock and ledger agree"
rm -f "$log"
