#!/usr/bin/env bash
# The contract as other teams meet it, against a live server on a throwaway database:
#   1. schemathesis (`--checks all`) as admin and as committee staff, each on its own database;
#   2. a TypeScript client (openapi-typescript + openapi-fetch) compiled with `tsc --strict`,
#      running the opinion story against the server;
#   3. a Python client (openapi-python-client) whose story passes `mypy --strict`.
# Usage: live-contract.sh DATA_DIR PORT TEMPLATE (a running cluster from scripts/pg.sh), or with
# no arguments to start a cluster of its own. Tools are installed from PyPI and npm into
# git-ignored directories and kept between runs. LIAISON_LIVE_CHECKS=fuzz,ts,python picks parts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
pg_ensure_binaries

CHECKS="${LIAISON_LIVE_CHECKS:-fuzz,ts,python}"
OWN_TOP=""
if [ $# -ge 3 ]; then
    DATA="$1" PG_PORT="$2" TEMPLATE="$3"
else
    OWN_TOP="$(mktemp -d /tmp/liaison-live-pg.XXXXXX)"
    DATA="$OWN_TOP/data" PG_PORT="$(pg_free_port)" TEMPLATE=""
    PG_FSYNC=off PG_SYNC_COMMIT=off pg_start "$DATA" "$PG_PORT"
    cargo build -q --bin liaison
fi
WORK="$PWD/target/live-contract"
rm -rf "$WORK" && mkdir -p "$WORK"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ -n "$OWN_TOP" ]; then pg_stop "$DATA"; rm -rf "$OWN_TOP"; fi
}
trap cleanup EXIT

log() { echo "[live] $*" >&2; }

# A fresh database with the demo data and a server on it; sets BASE and SERVER_PID.
serve_fresh() {
    local name="$1" port
    if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; fi
    pg_psql "$DATA" "$PG_PORT" -c "DROP DATABASE IF EXISTS \"$name\"" >/dev/null
    if [ -n "$TEMPLATE" ]; then pg_createdb "$DATA" "$PG_PORT" "$name" "$TEMPLATE" >/dev/null
    else pg_createdb "$DATA" "$PG_PORT" "$name" >/dev/null; fi
    port="$(pg_free_port)"
    BASE="http://127.0.0.1:$port"
    DATABASE_URL="$(pg_url "$DATA" "$PG_PORT" "$name")" LIAISON_BIND="127.0.0.1:$port" \
        LIAISON_ACCESS_TOKEN_TTL_SECS=7200 LIAISON_WORKERS=2 LIAISON_NOTIFICATION_SWEEP_SECS=0 \
        LIAISON_SMS_SENDER=none RUST_LOG=warn \
        ./target/debug/liaison serve --demo >"$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    log "the server did not become ready"; cat "$WORK/$name.log" >&2; return 1
}

token_for() {
    curl -fsS -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"demo-password\"}" "$BASE/api/v1/auth/login" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

VENV="${LIAISON_TOOLS_VENV:-$PWD/.venv-tools}"
python_tools() {
    # The generated Python client needs httpx and attrs.
    local want="schemathesis==4.32.5 openapi-python-client==0.29.1 mypy==2.4.1 httpx==0.28.1 attrs==26.1.0"
    if [ ! -f "$VENV/.live-tools" ] || [ "$(cat "$VENV/.live-tools")" != "$want" ]; then
        [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
        # shellcheck disable=SC2086
        "$VENV/bin/pip" install -q --disable-pip-version-check $want
        echo "$want" >"$VENV/.live-tools"
    fi
}

# schemathesis as one demo account, on a database and server of its own; the report goes to
# target/live-contract/fuzz-<account>.txt. LIAISON_FUZZ_EXAMPLES overrides max-examples and
# LIAISON_FUZZ_SEED the fixed seed (a fixed seed keeps make test repeatable; explore with others).
fuzz() {
    local who="$1" token status=0
    serve_fresh "liaison_fuzz_${who//./_}"
    token="$(token_for "$who")"
    log "schemathesis as $who"
    SCHEMATHESIS_HOOKS=tests.clients.schemathesis_hooks PYTHONPATH="$PWD" \
        "$VENV/bin/schemathesis" --config-file tests/clients/schemathesis.toml run openapi/openapi.json \
        --url "$BASE" -H "Authorization: Bearer $token" --checks all \
        ${LIAISON_FUZZ_EXAMPLES:+--max-examples "$LIAISON_FUZZ_EXAMPLES"} --seed "${LIAISON_FUZZ_SEED:-20261130}" \
        --report junit --report-dir "$WORK/fuzz-${who}" >"$WORK/fuzz-${who}.txt" 2>&1 || status=$?
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    if [ "$status" != 0 ]; then tail -n 40 "$WORK/fuzz-${who}.txt" >&2; fi
    grep -E "^=+ .* in [0-9.]+s =+$" "$WORK/fuzz-${who}.txt" | tail -1 | sed "s/^/[live] $who: /" >&2
    return "$status"
}

NODE_TOOLS="${LIAISON_NODE_TOOLS:-$PWD/.tools/node}"
node_tools() {
    local want="openapi-typescript@7.13.0 openapi-fetch@0.17.0 typescript@5.9.3 @types/node@20.19.43"
    if [ ! -f "$NODE_TOOLS/.live-tools" ] || [ "$(cat "$NODE_TOOLS/.live-tools")" != "$want" ]; then
        mkdir -p "$NODE_TOOLS"
        # shellcheck disable=SC2086
        npm install --prefix "$NODE_TOOLS" --no-audit --no-fund --silent $want >/dev/null
        echo "$want" >"$NODE_TOOLS/.live-tools"
    fi
}

# TypeScript: generate from the committed spec, compile under --strict, run the story.
typescript_client() {
    local dir="$WORK/ts"
    mkdir -p "$dir"
    cp tests/clients/ts/story.ts tests/clients/ts/tsconfig.json "$dir/"
    echo '{"type": "module", "private": true}' >"$dir/package.json"
    ln -sfn "$NODE_TOOLS/node_modules" "$dir/node_modules"
    "$NODE_TOOLS/node_modules/.bin/openapi-typescript" openapi/openapi.json \
        -o "$dir/generated/schema.ts" >/dev/null 2>&1
    (cd "$dir" && ./node_modules/.bin/tsc -p .)
    serve_fresh liaison_client_ts
    log "the opinion story through the TypeScript client"
    LIAISON_BASE_URL="$BASE" node "$dir/out/story.js"
}

# Python: generate from the committed spec, check the story with mypy --strict, run it.
python_client() {
    local dir="$WORK/python"
    mkdir -p "$dir"
    "$VENV/bin/openapi-python-client" generate --path openapi/openapi.json \
        --output-path "$dir/liaison_client" --meta none --config tests/clients/python/config.yml >/dev/null
    cp tests/clients/python/story.py "$dir/"
    (cd "$dir" && "$VENV/bin/mypy" --strict --no-incremental story.py)
    serve_fresh liaison_client_python
    log "the opinion story through the Python client"
    (cd "$dir" && LIAISON_BASE_URL="$BASE" "$VENV/bin/python" story.py)
}

case ",$CHECKS," in *,fuzz,*|*,python,*) python_tools ;; esac
case ",$CHECKS," in *,ts,*) node_tools; typescript_client ;; esac
case ",$CHECKS," in *,python,*) python_client ;; esac
fuzz_failed=0
case ",$CHECKS," in
    *,fuzz,*)
        # The two runs in parallel, each with its own server and database.
        (fuzz demo.committee) & committee=$!
        (fuzz demo.admin) & admin=$!
        wait "$committee" || fuzz_failed=1
        wait "$admin" || fuzz_failed=1
        ;;
esac
exit "$fuzz_failed"
