#!/usr/bin/env bash
# The shop's pages under load, rendered on the server, wrk with 64
# connections, caches on as in production:
# - product pages seen for the first time: 5 seconds of products in order
#   on a fresh server (each read from the database, then cached);
# - product pages (random among the generated products) and category
#   listings (every category, in turn, with facets), DURATION seconds
#   (default 10) each, once every product has been seen;
# then the listing page's weight, compressed: on a first visit (the page,
# its stylesheet, icons and htmx) and on later ones (the page alone: the
# assets have hashed names and a year of cache).
# Targets: p95 < 10 ms; first < 150 KB, later < 20 KB.
source "$(dirname "$0")/common.sh"
duration=${DURATION:-10}
size=${SIZE:-10000}
need wrk wrk

build_comptoir
lua=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$lua"
}
trap cleanup EXIT

catalog_db "$size"
categories=$(psql "$DATABASE_URL" -Atqc "SELECT string_agg(format('%L', slug), ',') FROM categories" | tr "'" '"')

wrk_script "$lua/product.lua" <<LUA
math.randomseed(7)
request = function()
  return wrk.format("GET", "/produits/gen-" .. math.random(1, $size))
end
LUA
wrk_script "$lua/listing.lua" <<LUA
local slugs = {$categories}
local sorts = {"", "?sort=price_asc", "?sort=price_desc"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/categories/" .. slugs[i % #slugs + 1] .. sorts[i % #sorts + 1])
end
LUA
# Products in order from the first: within a few seconds, each request is
# a product's first view.
wrk_script "$lua/first.lua" <<LUA
local sent = 0
request = function()
  sent = sent + 1
  return wrk.format("GET", "/produits/gen-" .. ((sent - 1) % $size + 1))
end
LUA

port=$(free_port)
base="http://127.0.0.1:$port"
env BIND="127.0.0.1:$port" LOG_LEVEL=warn "$comptoir" serve >/dev/null 2>&1 &
pids+=($!)
wait_http_ok "$base/health/ready" 60

echo "machine: $(nproc) cores, load $(machine_load); wrk on the same cores; $size generated products"
first=5
read -r n p50 p95 p99 bad <<<"$(wrk_figures -t1 -c64 -d"$first"s -s "$lua/first.lua" "$base")"
[ "$n" -lt "$size" ] || echo "warning: more requests than products: some were not first views" >&2
printf '%-8s views, 64 clients: %d requests (%.0f/s), p50 %s ms, p95 %s ms, p99 %s ms, non-2xx %s\n' \
  "first" "$n" "$(echo "$n / $first" | bc -l)" "$p50" "$p95" "$p99" "$bad"
# Then every product once, as shoppers would have by now.
seq 1 "$size" | sed "s|^|$base/produits/gen-|" | xargs -n 50 -P 8 curl -fs >/dev/null
for name in product listing; do
  wrk -t2 -c64 -d2s -s "$lua/$name.lua" "$base" >/dev/null # warm up
  read -r n p50 p95 p99 bad <<<"$(wrk_figures -t2 -c64 -d"$duration"s -s "$lua/$name.lua" "$base")"
  printf '%-8s pages, 64 clients: %d requests (%.0f/s), p50 %s ms, p95 %s ms, p99 %s ms, non-2xx %s\n' \
    "$name" "$n" "$(echo "$n / $duration" | bc -l)" "$p50" "$p95" "$p99" "$bad"
done

# Page weight of a listing, as a browser asking for brotli or gzip gets it.
page="$base/categories/$(echo "$categories" | cut -d, -f1 | tr -d '"')"
weight() { curl -fs --compressed -H 'Accept-Encoding: br, gzip' -o /dev/null -w '%{size_download}' "$1"; }
html=$(weight "$page")
assets=0
for asset in $(curl -fs "$page" | grep -oE '/assets/[a-z.0-9-]+' | sort -u); do
  assets=$(( assets + $(weight "$base$asset") ))
done
printf 'listing page weight, compressed: first visit %.1f KB (page %.1f KB + assets %.1f KB), later visits %.1f KB\n' \
  "$(echo "($html + $assets) / 1024" | bc -l)" "$(echo "$html / 1024" | bc -l)" "$(echo "$assets / 1024" | bc -l)" \
  "$(echo "$html / 1024" | bc -l)"
