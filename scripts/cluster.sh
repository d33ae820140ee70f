#!/usr/bin/env bash
# The compose topology without a container engine: three `comptoir serve`
# instances on loopback ports, Debian's nginx in front (the same
# configuration as deploy/nginx, rendered for these ports) and Debian's
# Prometheus scraping the instances with deploy/prometheus/alerts.yml.
#
#   scripts/cluster.sh up       build (release), start everything, wait until ready
#   scripts/cluster.sh status   what runs, and each instance's readiness
#   scripts/cluster.sh down     stop what `up` started (by pid), nothing else
#
# Settings: DATABASE_URL (default the local comptoir database), REDIS_URL
# (default the local Redis), PORTS (default "18081 18082 18083"),
# HTTPS_PORT (8443), HTTP_PORT (8088), PROM_PORT (19090), DEMO=1 to seed
# the demo shop first. State lives in var/cluster/.
set -euo pipefail
cd "$(dirname "$0")/.."

state=var/cluster
ports=${PORTS:-"18081 18082 18083"}
https_port=${HTTPS_PORT:-8443}
http_port=${HTTP_PORT:-8088}
prom_port=${PROM_PORT:-19090}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/comptoir}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
# One signing key and one data key for the three, or they would not trust
# each other's tokens.
export JWT_SECRET=${JWT_SECRET:-$(cat "$state/jwt_secret" 2>/dev/null || true)}

need() { # need COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null && return
  echo "installing $2 (Debian package) for $1" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_ok() { # wait_ok URL SECONDS
  local deadline=$(( $(date +%s) + $2 ))
  until curl -fsk -o /dev/null "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$1 never answered" >&2; return 1; }
    sleep 0.2
  done
}

up() {
  mkdir -p "$state"
  need nginx nginx
  need openssl openssl
  if ! command -v prometheus >/dev/null; then need prometheus prometheus; fi
  [ -n "$JWT_SECRET" ] || { JWT_SECRET=$(openssl rand -base64 48 | tr -d '\n'); echo "$JWT_SECRET" >"$state/jwt_secret"; }
  export JWT_SECRET
  cargo build --release --quiet -p comptoir-server --bin comptoir
  target/release/comptoir migrate >/dev/null
  [ "${DEMO:-0}" = 1 ] && target/release/comptoir seed --demo >/dev/null

  local upstreams="" targets="" i=0
  for port in $ports; do
    i=$((i + 1))
    if alive "$state/app$i.pid"; then echo "app$i already runs"; else
      BIND="127.0.0.1:$port" INSTANCE_ID="app$i" LOG_LEVEL=${LOG_LEVEL:-warn} \
        TRUSTED_PROXIES=127.0.0.1 PUBLIC_BASE_URL="https://localhost:$https_port" \
        setsid target/release/comptoir serve >>"$state/app$i.log" 2>&1 &
      echo $! >"$state/app$i.pid"
    fi
    upstreams+="${upstreams:+,}127.0.0.1:$port"
    targets+="${targets:+, }\"127.0.0.1:$port\""
  done
  for port in $ports; do wait_ok "http://127.0.0.1:$port/health/ready" 60; done

  deploy/nginx/make-dev-cert.sh "$PWD/$state/certs" >/dev/null
  mkdir -p "$state/nginx"
  {
    echo "pid $PWD/$state/nginx.pid;"
    echo "error_log $PWD/$state/nginx-error.log;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  include /etc/nginx/mime.types;"
    echo "  access_log off;"
    echo "  client_body_temp_path $PWD/$state/nginx/body;"
    echo "  proxy_temp_path $PWD/$state/nginx/proxy;"
    echo "  fastcgi_temp_path $PWD/$state/nginx/fastcgi;"
    echo "  uwsgi_temp_path $PWD/$state/nginx/uwsgi;"
    echo "  scgi_temp_path $PWD/$state/nginx/scgi;"
    deploy/nginx/render.sh "$upstreams" "$http_port" "$https_port" "$PWD/$state/certs" "$https_port"
    echo "}"
  } >"$state/nginx.conf.new"
  # A running nginx is reloaded only when its configuration changed: a
  # reload closes the clients' idle keep-alive connections, and restarting
  # an instance (the failover drill) must not touch the load balancer.
  if alive "$state/nginx.pid" && cmp -s "$state/nginx.conf.new" "$state/nginx.conf"; then
    rm "$state/nginx.conf.new"
  else
    mv "$state/nginx.conf.new" "$state/nginx.conf"
    nginx -t -q -c "$PWD/$state/nginx.conf" -p "$PWD/$state/nginx" 2>/dev/null || nginx -t -c "$PWD/$state/nginx.conf" -p "$PWD/$state/nginx"
    if alive "$state/nginx.pid"; then nginx -s reload -c "$PWD/$state/nginx.conf" -p "$PWD/$state/nginx"
    else nginx -c "$PWD/$state/nginx.conf" -p "$PWD/$state/nginx"; fi
  fi
  wait_ok "https://localhost:$https_port/health/ready" 20

  sed -e "s|\[\"app1:8080\", \"app2:8080\", \"app3:8080\"\]|[$targets]|" \
      -e "s|/etc/prometheus/alerts.yml|$PWD/deploy/prometheus/alerts.yml|" \
      -e '/^alerting:/,/^$/d' deploy/prometheus/prometheus.yml >"$state/prometheus.yml"
  if ! alive "$state/prometheus.pid"; then
    setsid prometheus --config.file="$state/prometheus.yml" --storage.tsdb.path="$state/prometheus-data" \
      --web.listen-address="127.0.0.1:$prom_port" >>"$state/prometheus.log" 2>&1 &
    echo $! >"$state/prometheus.pid"
  fi
  echo "up: https://localhost:$https_port (instances on $ports), Prometheus on http://127.0.0.1:$prom_port"
}

status() {
  local i=0
  for port in $ports; do
    i=$((i + 1))
    if alive "$state/app$i.pid"; then
      printf 'app%s pid %s port %s: %s\n' "$i" "$(cat "$state/app$i.pid")" "$port" \
        "$(curl -fs -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" || echo down)"
    else echo "app$i: stopped"; fi
  done
  for part in nginx prometheus; do
    if alive "$state/$part.pid"; then echo "$part pid $(cat "$state/$part.pid")"; else echo "$part: stopped"; fi
  done
}

down() {
  local pidfile
  for pidfile in "$state"/app*.pid "$state/prometheus.pid"; do
    [ -f "$pidfile" ] || continue
    alive "$pidfile" && kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  if alive "$state/nginx.pid"; then nginx -s quit -c "$PWD/$state/nginx.conf" -p "$PWD/$state/nginx" || true; fi
  echo "down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
