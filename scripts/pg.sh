# Private PostgreSQL clusters for development and tests. Source this file, then:
#   pg_ensure_binaries                 find (or install) the server binaries
#   pg_start DATA_DIR PORT             initialise if needed, start, wait until ready
#   pg_stop DATA_DIR                   fast shutdown
#   pg_url DATA_DIR PORT DATABASE      a postgres:// URL for the cluster
#   pg_createdb DATA_DIR PORT NAME [TEMPLATE]
# A cluster listens on 127.0.0.1 only, on its own port, with its Unix socket inside its own
# directory, so it never collides with a system server. Its superuser `liaison` has a random
# password kept in DATA_DIR/../password (scram-sha-256).

PG_BIN=""
PG_RUN_AS=""

pg_log() { echo "[pg] $*" >&2; }

_pg_find_bindir() {
    local dir
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null)"
        if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    done
    for dir in /usr/local/pgsql/bin /opt/homebrew/bin /usr/local/bin; do
        if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

_pg_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        pg_log "PostgreSQL server binaries (initdb, pg_ctl) were not found."
        pg_log "Install PostgreSQL 15 or newer (e.g. 'dnf install postgresql-server', 'brew install postgresql@16')"
        pg_log "and make sure initdb is on PATH, then run this again."
        return 1
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            pg_log "PostgreSQL is missing; run as root: apt-get install -y postgresql"; return 1
        fi
    fi
    pg_log "PostgreSQL server binaries not found; installing the OS package with apt-get"
    # Only the binaries are wanted: no system cluster that would take port 5432.
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

pg_ensure_binaries() {
    PG_BIN="$(_pg_find_bindir)" || { _pg_install || return 1; PG_BIN="$(_pg_find_bindir)"; } || {
        pg_log "PostgreSQL installation did not provide initdb"; return 1; }
    # initdb and postgres refuse to run as root; CI runs as root.
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
        fi
        PG_RUN_AS="postgres"
    fi
}

_pg_as() {
    if [ -n "$PG_RUN_AS" ]; then runuser -u "$PG_RUN_AS" -- "$@"; else "$@"; fi
}

_pg_password_file() { echo "$(dirname "$1")/password"; }

pg_start() {
    local data="$1" port="$2" top pwfile
    top="$(dirname "$data")"
    pwfile="$(_pg_password_file "$data")"
    mkdir -p "$top"
    if [ -n "$PG_RUN_AS" ]; then chown "$PG_RUN_AS" "$top"; fi
    if [ ! -s "$pwfile" ]; then
        (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$pwfile")
    fi
    if [ -n "$PG_RUN_AS" ]; then chown "$PG_RUN_AS" "$pwfile"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
        pg_log "initialising a cluster in $data"
        _pg_as "$PG_BIN/initdb" -D "$data" -U liaison --pwfile="$pwfile" --auth=scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 >"$top/initdb.log" 2>&1 || {
            cat "$top/initdb.log" >&2; return 1; }
    fi
    mkdir -p "$top/socket"
    if [ -n "$PG_RUN_AS" ]; then chown "$PG_RUN_AS" "$top/socket"; fi
    if _pg_as "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        pg_log "cluster in $data is already running"
        return 0
    fi
    # setsid: a Ctrl-C meant for the API must not reach the server; the caller stops it.
    _pg_as setsid "$PG_BIN/pg_ctl" -D "$data" -l "$top/server.log" -w -t 60 \
        -o "-p $port -k $top/socket -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${PG_FSYNC:-on} -c synchronous_commit=${PG_SYNC_COMMIT:-on} -c full_page_writes=${PG_FSYNC:-on} ${PG_EXTRA_OPTS:-}" \
        start >/dev/null || { tail -n 30 "$top/server.log" >&2; return 1; }
    pg_log "PostgreSQL running on 127.0.0.1:$port (data in $data)"
}

pg_stop() {
    local data="$1"
    if [ -f "$data/postmaster.pid" ]; then
        _pg_as "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

pg_url() {
    local data="$1" port="$2" db="$3"
    echo "postgres://liaison:$(cat "$(_pg_password_file "$data")")@127.0.0.1:$port/$db"
}

pg_psql() {
    local data="$1" port="$2"; shift 2
    PGPASSWORD="$(cat "$(_pg_password_file "$data")")" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$port" -U liaison -d postgres "$@"
}

pg_createdb() {
    local data="$1" port="$2" name="$3" template="${4:-}"
    if [ -n "$(pg_psql "$data" "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
        return 0
    fi
    if [ -n "$template" ]; then
        pg_psql "$data" "$port" -c "CREATE DATABASE \"$name\" TEMPLATE \"$template\""
    else
        pg_psql "$data" "$port" -c "CREATE DATABASE \"$name\""
    fi
}

pg_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
