#!/usr/bin/env bash
# What the catalog costs, for each catalog size in SIZES (default
# "10000 100000"; add 1000000 for the full curve, whose seeding takes a
# while). Each size has its own database, seeded once (demo catalog plus
# N generated products) and reused by later runs.
#
# For each size, with wrk and DURATION seconds (default 10) per figure:
#  - list CPU: `GET /products?limit=20` (20 products with variants and
#    prices) with whole-answer caching off (CATALOG_CACHE_SECONDS=0), 4
#    connections; the CPU time of the server and of every PostgreSQL
#    process over the run, divided by the requests; once with the server
#    talking to PostgreSQL over TCP, once over its Unix socket (when
#    PG_SOCKET_DIR, default /var/run/postgresql, has one). Facet counts
#    come from their own cache (they depend only on the filters).
#  - one client, nothing cached (facets included): list (newest and by
#    price), search with facets over 24 queries in turn, product detail of
#    random products: p50, p95, p99.
#  - cached list against /health/live on the same server, 64 connections,
#    alternating rounds: the throughput ratio (target >= 0.5).
source "$(dirname "$0")/common.sh"
duration=${DURATION:-10}
PG_SOCKET_DIR=${PG_SOCKET_DIR:-/var/run/postgresql}
sizes=${SIZES:-"10000 100000"}
need wrk wrk

build_comptoir
lua=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$lua"
}
trap cleanup EXIT

# wrk scripts: a rotating set of paths, and p95 (wrk prints only 50/75/90/99).
wrk_script "$lua/search.lua" <<'EOF'
local queries = {"velo", "chaussure trail", "chausure", "tente", "sac a dos", "casque velo", "gourde isotherme",
  "maillot football", "veste impermeable", "lampe frontale", "yoga", "haltere", "ouessant", "brocéliande",
  "kerlann", "combinaison neoprene", "pagaie", "chaussettes randonnee", "velo route", "ballon", "etanche",
  "legere", "crozon", "glenan"}
local i = 0
request = function()
  i = i % #queries + 1
  return wrk.format("GET", "/api/v1/products?limit=20&q=" .. queries[i]:gsub(" ", "%%20"))
end
EOF
detail_script() { # detail_script N
  wrk_script "$lua/detail.lua" <<EOF
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/products/gen-" .. math.random(1, $1))
end
EOF
}
wrk_script "$lua/plain.lua" </dev/null

latency() { # latency URL SCRIPT -> "requests p50 p95 p99 non2xx"
  wrk_figures -t1 -c1 -d"$duration"s -s "$2" "$1"
}

# CPU seconds (user + system) of a process, or of every postgres process.
cpu_of() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
cpu_of_postgres() {
  local total=0 pid
  for pid in $(pgrep -x postgres); do
    total=$(awk -v t="$total" '{print t + ($14 + $15) / 100}' "/proc/$pid/stat" 2>/dev/null || echo "$total")
  done
  echo "$total"
}

start_server() { # start_server PORT VAR=VALUE...
  local port=$1
  shift
  env "$@" BIND="127.0.0.1:$port" LOG_LEVEL=warn "$comptoir" serve >/dev/null 2>&1 &
  pids+=($!)
  wait_http_ok "http://127.0.0.1:$port/health/ready" 60
}

echo "machine: $(nproc) cores, load $(machine_load)"
printf '%-8s %-34s %s\n' size measure figures
for size in $sizes; do
  catalog_db "$size"

  # 1. List CPU per request, whole answers uncached: over TCP, then over
  # PostgreSQL's Unix socket when it has one (what a server on the same
  # machine as its database should use: no loopback TCP on either side).
  transports="tcp|$DATABASE_URL"
  if [ -S "$PG_SOCKET_DIR/.s.PGSQL.5432" ]; then
    transports+=" unix|postgres://postgres@localhost/comptoir_bench_catalog_$size?host=$PG_SOCKET_DIR"
  fi
  for transport in $transports; do
    IFS='|' read -r how db_url <<<"$transport"
    port=$(free_port)
    start_server "$port" CATALOG_CACHE_SECONDS=0 DATABASE_URL="$db_url"
    server=${pids[-1]}
    url="http://127.0.0.1:$port/api/v1/products?limit=20"
    curl -fs -o /dev/null "$url"
    wrk -t1 -c4 -d2s "$url" >/dev/null # warm up
    s0=$(cpu_of "$server") p0=$(cpu_of_postgres)
    out=$(wrk_figures -t1 -c4 -d"$duration"s -s "$lua/plain.lua" "$url")
    s1=$(cpu_of "$server") p1=$(cpu_of_postgres)
    read -r n p50 p95 p99 bad <<<"$out"
    python3 - "$size" "$how" "$n" "$s0" "$s1" "$p0" "$p1" "$p50" "$p99" "$bad" <<'EOF'
import sys
size, how, n, s0, s1, p0, p1, p50, p99, bad = sys.argv[1:]
n = int(n)
server = (float(s1) - float(s0)) / n * 1000
postgres = (float(p1) - float(p0)) / n * 1000
measure = f"list 20, uncached, CPU/req ({how})"
print(f"{size:<8} {measure:<34} server {server:.3f} ms + postgres {postgres:.3f} ms = {server + postgres:.3f} ms "
      f"({n} requests, p50 {p50} ms, p99 {p99} ms, non-2xx {bad})")
EOF
    kill "$server"
  done

  # 2. One client, nothing cached.
  port=$(free_port)
  start_server "$port" CATALOG_CACHE_SECONDS=0 CATALOG_FACETS_CACHE_SECONDS=0
  base="http://127.0.0.1:$port/api/v1"
  detail_script "$size"
  for measure in "list newest|$base/products?limit=20&sort=newest|$lua/plain.lua" \
                 "list price_asc|$base/products?limit=20&sort=price_asc|$lua/plain.lua" \
                 "search with facets|$base/products|$lua/search.lua" \
                 "product detail|$base/products|$lua/detail.lua"; do
    IFS='|' read -r name url script <<<"$measure"
    read -r n p50 p95 p99 bad <<<"$(latency "$url" "$script")"
    printf '%-8s %-34s p50 %s ms, p95 %s ms, p99 %s ms (%s requests, non-2xx %s)\n' \
      "$size" "$name, 1 client, uncached" "$p50" "$p95" "$p99" "$n" "$bad"
  done
  kill "${pids[-1]}"

  # 3. Cached list against /health/live, same server, alternating rounds.
  port=$(free_port)
  start_server "$port"
  base="http://127.0.0.1:$port"
  curl -fs -o /dev/null "$base/api/v1/products?limit=20"
  health=0 list=0
  for _ in 1 2 3; do
    h=$(wrk -t1 -c64 -d"$(( duration / 3 + 1 ))"s "$base/health/live" | awk '/ requests in / {print $1}')
    l=$(wrk -t1 -c64 -d"$(( duration / 3 + 1 ))"s "$base/api/v1/products?limit=20" | awk '/ requests in / {print $1}')
    health=$(( health + h )) list=$(( list + l ))
  done
  python3 -c "print(f'{\"$size\":<8} {\"cached list vs /health/live\":<34} {$list} vs {$health} requests: ratio {$list / $health:.2f}')"
  kill "${pids[-1]}"
done
