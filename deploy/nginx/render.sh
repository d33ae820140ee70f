#!/usr/bin/env bash
# Renders comptoir.conf.template to stdout.
#   render.sh UPSTREAMS [HTTP_PORT] [HTTPS_PORT] [CERT_DIR] [PUBLIC_HTTPS_PORT]
# UPSTREAMS: comma-separated host:port of the instances.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
upstreams=$1 http=${2:-80} https=${3:-443} certs=${4:-/etc/nginx/certs} public=${5:-443}
servers=""
IFS=, read -ra list <<<"$upstreams"
for instance in "${list[@]}"; do
  servers+="    server ${instance} max_fails=3 fail_timeout=10s;"$'\n'
done
redirect=""
[ "$public" = 443 ] || redirect=":$public"
awk -v servers="$servers" -v http="$http" -v https="$https" -v certs="$certs" -v redirect="$redirect" '
  /@UPSTREAM_SERVERS@/ { printf "%s", servers; next }
  { gsub(/@HTTP_PORT@/, http); gsub(/@HTTPS_PORT@/, https); gsub(/@CERT_DIR@/, certs);
    gsub(/@HTTPS_REDIRECT_PORT@/, redirect); print }
' "$here/comptoir.conf.template"
