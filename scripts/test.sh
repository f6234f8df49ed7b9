#!/usr/bin/env bash
# `make test`: the whole suite against a throwaway PostgreSQL cluster, removed afterwards.
# Tests clone a migrated template database per test (CREATE DATABASE … TEMPLATE), so they run
# in parallel without seeing each other's data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh

pg_ensure_binaries
# Build before starting the cluster: a cold build takes minutes.
cargo build --bin liaison
cargo test --no-run

TOP="$(mktemp -d /tmp/liaison-test-pg.XXXXXX)"
DATA="$TOP/data"
PORT="$(pg_free_port)"
cleanup() {
    pg_stop "$DATA"
    rm -rf "$TOP"
}
trap cleanup EXIT
# Durability is pointless for a throwaway cluster and costs seconds per test run.
PG_FSYNC=off PG_SYNC_COMMIT=off pg_start "$DATA" "$PORT"

pg_createdb "$DATA" "$PORT" liaison_template
DATABASE_URL="$(pg_url "$DATA" "$PORT" liaison_template)" ./target/debug/liaison migrate >/dev/null
# Nobody may stay connected to a template while it is being cloned.
pg_psql "$DATA" "$PORT" -c "ALTER DATABASE liaison_template WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"

export LIAISON_TEST_ADMIN_URL="$(pg_url "$DATA" "$PORT" postgres)"
export LIAISON_TEST_TEMPLATE=liaison_template
# The tests' own files (the dev SMS sender's codes, one file per test database) go under the
# run's directory and are removed with it, not left in /tmp.
mkdir -p "$TOP/tmp"
TMPDIR="$TOP/tmp" cargo test -- "$@"

bash scripts/check-openapi.sh
# The contract as other teams meet it, against a live server: schemathesis as admin and as
# committee staff, and generated clients running the opinion story. LIAISON_LIVE_CHECKS picks.
LIAISON_LIVE_CHECKS="${LIAISON_LIVE_CHECKS:-fuzz,ts,python}" \
    bash scripts/live-contract.sh "$DATA" "$PORT" liaison_template
