#!/usr/bin/env bash
# Start-up to ready on an already-migrated database: starts `comptoir serve`
# RUNS times (default 10), measures from exec to the first 200 of
# /health/ready, and prints the median and the worst.
source "$(dirname "$0")/common.sh"
runs=${RUNS:-10}

cargo build --release --quiet -p comptoir-server
bin=target/release/comptoir
"$bin" migrate >/dev/null

times=()
for _ in $(seq "$runs"); do
  port=$(free_port)
  start=$(date +%s%N)
  BIND=127.0.0.1:$port "$bin" serve >/dev/null 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready"; do sleep 0.002; done
  end=$(date +%s%N)
  kill -TERM "$pid"; wait "$pid" || true
  times+=($(( (end - start) / 1000000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
worst=$(echo "$sorted" | tail -n 1)
echo "startup-to-ready: runs=$runs median_ms=$median max_ms=$worst target_ms=1000 load=\"$(machine_load)\""
