#!/usr/bin/env bash
# Checks deploy/ with the real tools, as CI does:
#  - the compose file, parsed and resolved by docker-compose;
#  - the nginx configuration, rendered and checked by `nginx -t`;
#  - the Prometheus configuration and alert rules by promtool (`check
#    config`, `check rules`, and the rules' unit tests);
#  - the Kubernetes manifests against the Kubernetes schemas
#    (kubernetes-validate from PyPI);
#  - the Grafana dashboards and provisioning parse.
# Tools missing on the machine are installed (Debian packages, PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { # need COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null && return
  echo "installing $2 (Debian package) for $1" >&2
  (apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; })
}
need docker-compose docker-compose
need nginx nginx-light
need promtool prometheus
need openssl openssl
if ! command -v kubernetes-validate >/dev/null; then
  echo "installing kubernetes-validate (PyPI)" >&2
  python3 -m pip install -q kubernetes-validate >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

services=$(cd deploy && POSTGRES_PASSWORD=x JWT_SECRET=x DATA_KEYS=x GRAFANA_ADMIN_PASSWORD=x \
  docker-compose -f compose.yaml config --services)
echo "compose: $(echo "$services" | sort | tr '\n' ' ')"

# No container engine here to build the image: at least every path the
# Dockerfile copies from the repository exists, and every crate is listed.
grep -E '^COPY [^-]' deploy/Dockerfile | awk '{for (i = 2; i < NF; i++) print $i}' | while read -r path; do
  [ -e "$path" ] || { echo "deploy/Dockerfile copies $path, which does not exist" >&2; exit 1; }
done
for crate in crates/*/; do
  grep -q "COPY ${crate}Cargo.toml" deploy/Dockerfile || { echo "deploy/Dockerfile does not copy ${crate}Cargo.toml" >&2; exit 1; }
done
echo "Dockerfile: every copied path exists"

deploy/nginx/make-dev-cert.sh "$tmp/certs" >/dev/null
{
  echo "pid $tmp/nginx.pid;"
  echo "error_log $tmp/error.log;"
  echo "events {}"
  echo "http {"
  deploy/nginx/render.sh 127.0.0.1:18081,127.0.0.1:18082,127.0.0.1:18083 8088 8443 "$tmp/certs" 8443
  echo "}"
} >"$tmp/nginx.conf"
mkdir -p "$tmp/prefix"
nginx -t -q -c "$tmp/nginx.conf" -p "$tmp/prefix" -e "$tmp/error.log"
echo "nginx: configuration ok"

sed "s|/etc/prometheus/alerts.yml|$PWD/deploy/prometheus/alerts.yml|" deploy/prometheus/prometheus.yml >"$tmp/prometheus.yml"
promtool check config --syntax-only "$tmp/prometheus.yml" >/dev/null
promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml)

manifests=()
for file in deploy/k8s/*.yaml; do
  [ "$(basename "$file")" = kustomization.yaml ] || manifests+=("$file")
done
kubernetes-validate --strict --kubernetes-version 1.30.0 "${manifests[@]}"

for file in deploy/grafana/dashboards/*.json; do python3 -m json.tool "$file" >/dev/null; done
python3 -c 'import sys, yaml; [yaml.safe_load(open(f)) for f in sys.argv[1:]]' \
  deploy/grafana/provisioning/*/*.yml deploy/alertmanager/alertmanager.yml deploy/k8s/kustomization.yaml
echo "grafana and alertmanager: ok"
