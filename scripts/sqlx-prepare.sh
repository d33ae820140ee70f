#!/usr/bin/env bash
# Regenerates .sqlx/, the query data that lets every build run without a
# database (SQLX_OFFLINE=true in .cargo/config.toml); with --check, fails when
# the committed data does not match the queries and migrations.
#
# It does what `cargo sqlx prepare` does without building sqlx-cli: migrate a
# scratch database, recompile crates/db with the macros online and
# SQLX_OFFLINE_DIR set (the macros then write one file per query), compare.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-write}
server=${PG_SERVER_URL:-postgres://postgres@127.0.0.1:5432}
db=comptoir_sqlx_prepare_$$
out=$(mktemp -d)
cleanup() {
  rm -rf "$out"
  psql "$server/postgres" -qX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql "$server/postgres" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null
for migration in crates/db/migrations/*.sql; do
  psql "$server/$db" -qX -v ON_ERROR_STOP=1 --single-transaction -f "$migration" >/dev/null
done

# The macros only run when the crate recompiles.
touch crates/db/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" DATABASE_URL="$server/$db" \
  cargo check --quiet -p comptoir-db --all-targets
touch crates/db/src/lib.rs

if [ "$mode" = "--check" ]; then
  if ! diff -r .sqlx "$out" >/dev/null 2>&1; then
    echo ".sqlx/ does not match the queries: run scripts/sqlx-prepare.sh and commit .sqlx/" >&2
    diff -r .sqlx "$out" | head -20 >&2 || true
    exit 1
  fi
  echo ".sqlx/ is up to date ($(ls "$out" | wc -l) queries)"
else
  rm -rf .sqlx
  cp -r "$out" .sqlx
  echo "wrote .sqlx/ ($(ls .sqlx | wc -l) queries)"
fi
