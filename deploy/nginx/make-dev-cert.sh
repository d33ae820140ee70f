#!/usr/bin/env bash
# A self-signed certificate for localhost, for development only:
#   deploy/nginx/make-dev-cert.sh [DIR]   (default deploy/nginx/certs)
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")" && pwd)/certs}
mkdir -p "$dir"
[ -s "$dir/comptoir.crt" ] && [ -s "$dir/comptoir.key" ] && exit 0
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/comptoir.key" -out "$dir/comptoir.crt" 2>/dev/null
chmod 600 "$dir/comptoir.key"
echo "wrote $dir/comptoir.crt and comptoir.key (self-signed, localhost)"
