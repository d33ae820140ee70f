# Shared by the bench scripts: a release build, a database, free ports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_SERVER_URL=${PG_SERVER_URL:-postgres://postgres@127.0.0.1:5432}
export DATABASE_URL=${BENCH_DATABASE_URL:-$PG_SERVER_URL/comptoir_bench}
export LOG_FORMAT=json LOG_LEVEL=${LOG_LEVEL:-info}
unset REDIS_URL

need() { # need COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null && return
  echo "installing $2 (Debian package) for $1" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http_ok() { # wait_http_ok URL TIMEOUT_SECONDS
  local deadline=$(( $(date +%s) + $2 ))
  until curl -fs -o /dev/null "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$1 never answered" >&2; return 1; }
    sleep 0.05
  done
}

machine_load() { cut -d' ' -f1-3 /proc/loadavg; }

# crates/loadtest is a workspace of its own (goose); its binary lands in
# target/release beside the server's.
build_loadtest() {
  cargo build --release --quiet --manifest-path crates/loadtest/Cargo.toml --target-dir target
}

# A wrk script's `done` that prints "REPORT requests p50 p95 p99 non2xx"
# (wrk prints only 50/75/90/99 itself); append it to a request script.
wrk_report_lua() {
  cat <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("REPORT %d %.2f %.2f %.2f %d\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status))
end
LUA
}
