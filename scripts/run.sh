#!/usr/bin/env bash
# `make run`: a private PostgreSQL in .pg/ (reused between runs), migrations, demo data, the API.
# Ctrl-C or SIGTERM stops the API and the PostgreSQL this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh

PORT="${LIAISON_DEV_PG_PORT:-54329}"
TOP="$PWD/.pg"
# The postgres user must be able to reach the checkout when we run as root; if it cannot,
# keep the cluster under /tmp instead.
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
    TOP="/tmp/liaison-dev-pg-$(echo "$PWD" | md5sum | cut -c1-8)"
    pg_log "the checkout is not reachable by the postgres user; using $TOP"
fi
DATA="$TOP/data"

pg_ensure_binaries
cargo build --bin liaison

started_pg=0
if ! { [ -f "$DATA/postmaster.pid" ] && _pg_as "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }; then
    pg_start "$DATA" "$PORT"
    started_pg=1
fi
api_pid=""
cleanup() {
    # Ignore further signals while shutting down, or a second Ctrl-C would leave PostgreSQL up.
    trap '' INT TERM
    trap - EXIT
    if [ -n "$api_pid" ]; then kill -TERM "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
    if [ "$started_pg" = 1 ]; then pg_log "stopping PostgreSQL"; pg_stop "$DATA"; fi
    exit 0
}
trap cleanup INT TERM EXIT

pg_createdb "$DATA" "$PORT" liaison
export DATABASE_URL="${DATABASE_URL:-$(pg_url "$DATA" "$PORT" liaison)}"
export LIAISON_BIND="${LIAISON_BIND:-127.0.0.1:8080}"
# One-time codes for self-registered voters land in .pg/sms-codes.txt, never in the log.
export LIAISON_SMS_SENDER="${LIAISON_SMS_SENDER:-dev}"
export LIAISON_SMS_DEV_FILE="${LIAISON_SMS_DEV_FILE:-$PWD/.pg/sms-codes.txt}"
./target/debug/liaison serve --demo &
api_pid=$!
wait "$api_pid" || true
api_pid=""
