# Shared by the `make bench` scripts (scripts/bench.sh, scripts/ws-bench.sh):
# source it after `set -euo pipefail`. Defines log, free_port, wait_ready,
# server_binary, bench_database (a fresh PostgreSQL database, dropped with
# every process in `pids` on exit) and start_server / stop_server. Needs
# `root` set to the checkout.

admin_url="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
pids=()
# The server's JWT secret (the bare baseline verifies the same tokens).
bench_jwt_secret=bench-jwt-secret-that-is-long-enough-0123456789

log() { printf '==> %s\n' "$*" >&2; }

# Fails unless every named tool is installed.
require() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || { log "$tool is required"; exit 1; }
    done
}

# The release server binary: BENCH_SERVER_BIN, or a fresh build.
server_binary() {
    if [[ -n "${BENCH_SERVER_BIN:-}" ]]; then
        echo "$BENCH_SERVER_BIN"
    else
        (cd "$root" && cargo build --quiet --release -p server --bin backend-api)
        echo "$target_dir/release/backend-api"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() { # url pid
    for _ in $(seq 1 150); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { log "the server exited"; return 1; }
        sleep 0.2
    done
    log "no answer from $1"
    return 1
}

# Creates a scratch directory `work` and a fresh database `database` at
# `database_url`; both go (with every pid in `pids`) on exit. Logs stay
# in `work` when the run failed.
bench_database() {
    work="$(mktemp -d -t backend-api-bench.XXXXXX)"
    database="bench_$(date +%s)_$$"
    database_url="${admin_url%/*}/$database"
    trap bench_cleanup EXIT INT TERM
    psql "$admin_url" -qAtc "CREATE DATABASE \"$database\"" >/dev/null
}

bench_cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    psql "$admin_url" -qAtc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null 2>&1 || true
    if [[ $status -ne 0 ]]; then
        log "failed; logs kept in $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}

# Starts `server_bin` on `database_url` with fixed secrets, rate limits off
# and JSON logs at level $1 (into $work/server.log); sets `server_url` and
# `server_pid` and waits until it is ready. Settings in the caller's
# environment (DATABASE_MAX_CONNECTIONS, WS_*) apply too.
start_server() { # log level
    local port
    port="$(free_port)"
    server_url="http://127.0.0.1:$port"
    (cd "$work" && APP_ADDR="127.0.0.1:$port" RUST_LOG="$1" DATABASE_URL="$database_url" \
        JWT_SECRET="$bench_jwt_secret" SECRET_KEY=bench-secret-key-that-is-long-enough-0123456789 \
        RATE_LIMIT_ENABLED=false ACCESS_TOKEN_TTL_SECS=3600 LOG_FORMAT=json \
        exec "$server_bin" serve) >>"$work/server.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_ready "$server_url/health/ready" "$server_pid"
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}
