#!/usr/bin/env bash
# What the middleware stack costs: /health/live through the whole
# application against the same handler mounted bare, in one run, with wrk
# at 64 connections for DURATION seconds (default 10) each.
# The stack may cost at most 30 % of the throughput (ratio >= 0.70).
#
# This machine's throughput drifts by 15 % from one second to the next, so
# the two variants are measured in alternating rounds (ROUNDS, default 5)
# that add up to DURATION each, and the server and wrk run on separate
# cores when there are two (PIN=0 lets them share both cores, as a plain
# `wrk` run on one machine would; the ratio then includes wrk's own work).
source "$(dirname "$0")/common.sh"
duration=${DURATION:-10}
rounds=${ROUNDS:-5}
need wrk wrk

cargo build --release --quiet -p comptoir-server --bin comptoir --example middleware_bench
"$comptoir" migrate >/dev/null
full=127.0.0.1:$(free_port)
bare=127.0.0.1:$(free_port)
server_cpus="" client_cpus=""
if [ "$(nproc)" -ge 2 ] && [ "${PIN:-1}" = 1 ]; then server_cpus="taskset -c 1"; client_cpus="taskset -c 0"; fi

# The full stack writes its JSON request log as in production; to a file,
# as a log collector would read it.
log=$(mktemp)
$server_cpus target/release/examples/middleware_bench "$full" "$bare" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
wait_http_ok "http://$full/health/live" 30
wait_http_ok "http://$bare/health/live" 30

round_seconds=$(python3 -c "print(max(1, round($duration / $rounds)))")
requests() { # requests URL SECONDS -> "count p50 p99 non2xx"
  $client_cpus wrk -t1 -c64 -d"$2"s --latency "$1" | awk '
    / requests in / {count=$1}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {errors=$NF}
    END {printf "%s %s %s %s\n", count, p50, p99, (errors == "" ? 0 : errors)}'
}
requests "http://$bare/health/live" 2 >/dev/null
requests "http://$full/health/live" 2 >/dev/null

results=$(mktemp)
for _ in $(seq "$rounds"); do
  echo "bare $(requests "http://$bare/health/live" "$round_seconds")" >>"$results"
  echo "full $(requests "http://$full/health/live" "$round_seconds")" >>"$results"
done
python3 - "$results" "$round_seconds" "$rounds" "$(wc -l <"$log")" "$(machine_load)" <<'PY'
import sys
path, seconds, rounds, log_lines, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = {"bare": [], "full": []}
for line in open(path):
    kind, count, p50, p99, errors = line.split()
    rows[kind].append((int(count), p50, p99, int(errors)))
rate = {k: sum(r[0] for r in v) / (seconds * len(v)) for k, v in rows.items()}
per_round = [f[0] / b[0] for b, f in zip(rows["bare"], rows["full"])]
errors = sum(r[3] for v in rows.values() for r in v)
print(f"middleware: bare_rps={rate['bare']:.0f} full_rps={rate['full']:.0f} ratio={rate['full'] / rate['bare']:.3f} "
      f"round_ratios={min(per_round):.3f}..{max(per_round):.3f} target>=0.70 "
      f"p50/p99 bare={rows['bare'][-1][1]}/{rows['bare'][-1][2]} full={rows['full'][-1][1]}/{rows['full'][-1][2]} "
      f"non2xx={errors} log_lines={log_lines} seconds_each={seconds * rounds} conns=64 load=\"{load}\"")
PY
rm -f "$results"
