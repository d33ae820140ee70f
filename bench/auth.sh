#!/usr/bin/env bash
# Sign-in and token validation:
# 1. logins/s and p99 at 16 concurrent clients (bounded by argon2id by design);
# 2. peak memory of the process while 200 clients sign in at once (< 1 GB);
# 3. what validating an access token adds to a request: the same tiny
#    route with and without the `Caller` extractor, alternating rounds,
#    server pinned to one core (< 50 us).
source "$(dirname "$0")/common.sh"
duration=${DURATION:-10}
need wrk wrk

export DATABASE_URL=$PG_SERVER_URL/comptoir_bench_auth
psql "$PG_SERVER_URL/postgres" -qX -c "DROP DATABASE IF EXISTS comptoir_bench_auth WITH (FORCE)" >/dev/null
cargo build --release --quiet -p comptoir-server --example auth_bench
port=$(free_port)
base=http://127.0.0.1:$port
out=$(mktemp) log=$(mktemp) script=$(mktemp --suffix=.lua)
# Sign-in failures are not what is measured: no limit gets in the way.
LOGIN_MAX_FAILURES=10000 LOGIN_IP_MAX_FAILURES=1000000 RUN_WORKERS=false \
  target/release/examples/auth_bench "127.0.0.1:$port" >"$out" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out" "$log" "$script"' EXIT
wait_http_ok "$base/health/live" 60
token=$(head -n1 "$out")

email="bench-$(date +%s)@exemple.fr" password="galettes marées phare brumeux"
curl -fs -o /dev/null -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\",\"first_name\":\"Bench\",\"last_name\":\"Mark\"}" "$base/api/v1/auth/register"
cat >"$script" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"$email","password":"$password"}'
LUA

summary() { # summary LABEL -- reads wrk output on stdin
  awk -v label="$1" '
    /Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} /^ +50%/ {p50=$2} /Non-2xx/ {errors=$NF}
    END {printf "%s: rps=%s p50=%s p99=%s non2xx=%s\n", label, rps, p50, p99, (errors == "" ? 0 : errors)}'
}

wrk -t2 -c16 -d"${duration}s" --latency -s "$script" "$base/api/v1/auth/login" | summary "login c=16"

# Peak memory while 200 clients sign in at once.
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
wrk -t2 -c200 -d"${duration}s" --timeout 30s --latency -s "$script" "$base/api/v1/auth/login" | summary "login c=200"
peak_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "memory: rss_before=$((rss_before / 1024))MB peak=$((peak_kb / 1024))MB limit=1024MB"

# Token validation, server on one core, wrk on the other, alternating rounds.
if [ "$(nproc)" -ge 2 ]; then taskset -pc 1 "$pid" >/dev/null; client="taskset -c 0"; else client=""; fi
for url in plain authenticated; do $client wrk -t1 -c64 -d2s -H "Authorization: Bearer $token" "$base/bench/$url" >/dev/null; done
results=$(mktemp)
for _ in 1 2 3 4 5; do
  for url in plain authenticated; do
    echo "$url $($client wrk -t1 -c64 -d2s -H "Authorization: Bearer $token" "$base/bench/$url" | awk '/requests in/ {print $1} /Non-2xx/ {print "ERR"}')" >>"$results"
  done
done
python3 - "$results" "$(machine_load)" <<'PY'
import sys
rows = {"plain": [], "authenticated": []}
for line in open(sys.argv[1]):
    parts = line.split()
    rows[parts[0]].append(int(parts[1]))
rate = {k: sum(v) / (2 * len(v)) for k, v in rows.items()}
added = 1e6 / rate["authenticated"] - 1e6 / rate["plain"]
print(f"token validation: plain_rps={rate['plain']:.0f} authenticated_rps={rate['authenticated']:.0f} "
      f"added_us_per_request={added:.1f} target_us<50 (server on one core) load=\"{sys.argv[2]}\"")
PY
rm -f "$results"
