#!/usr/bin/env bash
# What the middleware stack costs: /health/live through the whole
# application against the same handler mounted bare, in one run, with wrk
# at 64 connections for DURATION (default 10s) each. The stack may cost at
# most 30 % of the throughput (ratio >= 0.70).
source "$(dirname "$0")/common.sh"
duration=${DURATION:-10s}
need wrk wrk

cargo build --release --quiet -p comptoir-server --example middleware_bench
target/release/comptoir migrate >/dev/null
full=127.0.0.1:$(free_port)
bare=127.0.0.1:$(free_port)
# The full stack writes its JSON request log as in production; to a file,
# as a log collector would read it.
log=$(mktemp)
target/release/examples/middleware_bench "$full" "$bare" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
wait_http_ok "http://$full/health/live" 30
wait_http_ok "http://$bare/health/live" 30

rate() { # rate URL -> requests/s and latency percentiles
  wrk -t2 -c64 -d"$duration" --latency "$1" | awk '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {errors=$NF}
    END {printf "%s %s %s %s\n", rps, p50, p99, (errors == "" ? 0 : errors)}'
}
# A short warm-up of each, then the measured runs back to back.
wrk -t2 -c64 -d2s "http://$bare/health/live" >/dev/null
wrk -t2 -c64 -d2s "http://$full/health/live" >/dev/null
read -r bare_rps bare_p50 bare_p99 bare_err < <(rate "http://$bare/health/live")
read -r full_rps full_p50 full_p99 full_err < <(rate "http://$full/health/live")
ratio=$(python3 -c "print(f'{$full_rps / $bare_rps:.3f}')")
logged=$(wc -l <"$log")
echo "middleware: bare_rps=$bare_rps (p50 $bare_p50, p99 $bare_p99) full_rps=$full_rps (p50 $full_p50, p99 $full_p99) ratio=$ratio target>=0.70 non2xx=$bare_err/$full_err log_lines=$logged duration=$duration conns=64 load=\"$(machine_load)\""
