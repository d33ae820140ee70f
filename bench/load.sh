#!/usr/bin/env bash
# Load of the whole shop: crates/loadtest's shopper mix (80 % browse and
# search, 15 % cart, 5 % checkout with the test gateway) and catalog mix, at
# USERS_LIST simultaneous users (default "100 1000") pausing THINK_MS (1000)
# between actions, DURATION seconds (30) each; first against one instance,
# then against the three-instance cluster behind nginx (scripts/cluster.sh).
# One line per run: users, req/s, p50, p95, p99, errors, orders/s.
# The target of the original specification: p95 under 200 ms with 1,000
# simultaneous users and no errors.
source "$(dirname "$0")/common.sh"
duration=${DURATION:-30}
users_list=${USERS_LIST:-"100 1000"}
think=${THINK_MS:-1000}
ulimit -n 65536 2>/dev/null || true

build_comptoir
build_loadtest
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  DATABASE_URL=$DATABASE_URL scripts/cluster.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Enough stock at the warehouse for every checkout of the runs.
fresh_stocked_demo comptoir_bench_load "load bench"

port=$(free_port)
base="http://127.0.0.1:$port"
env BIND="127.0.0.1:$port" LOG_LEVEL=warn DATABASE_MAX_CONNECTIONS=20 "$comptoir" serve >/dev/null 2>&1 &
pids+=($!)
wait_http_ok "$base/health/ready" 60

echo "machine: $(nproc) cores, load $(machine_load); the load generator runs on the same cores"
run() { # run TARGET BASE_URL EXTRA...
  local target=$1 url=$2; shift 2
  for users in $users_list; do
    for mix in shopper catalog; do
      printf '%-8s ' "$target"
      target/release/comptoir-loadtest --base-url "$url" shop --users "$users" --seconds "$duration" \
        --think-ms "$think" --mix "$mix" "$@"
    done
  done
}
run one "$base"
kill "${pids[-1]}"

PORTS="18081 18082 18083" HTTPS_PORT=8443 LOG_LEVEL=warn scripts/cluster.sh up >/dev/null
run cluster https://localhost:8443 --insecure
scripts/cluster.sh down >/dev/null
"$comptoir" inventory verify >/dev/null && echo "stock and ledger agree after the runs"
