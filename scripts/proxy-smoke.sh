#!/usr/bin/env bash
# The production topology on loopback, without containers: two backend-api
# instances on a fresh PostgreSQL database with Redis fan-out, nginx in
# front (docker/nginx.conf with loopback upstreams), and a smoke test
# through the proxy (scripts/proxy_smoke.py): health, register, login,
# create an item, a WebSocket event crossing instances, an agent socket, and
# one instance stopped with SIGTERM under load without a failed request.
#
# What it needs and does: installs nginx from Debian when missing (apt-get,
# through sudo when not root); the `websockets` package (pinned, from PyPI)
# in .venv/; PostgreSQL (a database `smoke_*` is created and dropped) and
# Redis. Everything it starts is stopped, and its files removed, on exit.
# Not part of `make test`: `make proxy-smoke`.
#
# Knobs (environment): SMOKE_DATABASE_URL (a server URL whose user may
# create databases; default TEST_DATABASE_URL, else
# postgres://postgres@127.0.0.1:5432/postgres), SMOKE_REDIS_URL (default
# TEST_REDIS_URL, else redis://127.0.0.1:6379), SMOKE_PROFILE (debug, the
# default, or release), BACKEND_API_BIN (a binary to use instead of
# building one), KEEP_LOGS=1 (print where the logs are and keep them).
set -euo pipefail

WEBSOCKETS_VERSION=15.0.1

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
pg_url="${SMOKE_DATABASE_URL:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
redis_url="${SMOKE_REDIS_URL:-${TEST_REDIS_URL:-redis://127.0.0.1:6379}}"
profile="${SMOKE_PROFILE:-debug}"
venv="$root/.venv"

log() { printf '==> %s\n' "$*" >&2; }
as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }

# 1. nginx, from Debian when missing.
nginx_bin="$(command -v nginx || true)"
[[ -z "$nginx_bin" && -x /usr/sbin/nginx ]] && nginx_bin=/usr/sbin/nginx
if [[ -z "$nginx_bin" ]]; then
    log "installing nginx (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y -qq --no-install-recommends nginx >/dev/null ||
        { as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends nginx >/dev/null; }
    nginx_bin=/usr/sbin/nginx
fi

# 2. The WebSocket client library, pinned, in .venv/.
if ! "$venv/bin/python" -c "import websockets, sys; sys.exit(websockets.__version__ != '$WEBSOCKETS_VERSION')" 2>/dev/null; then
    log "installing websockets $WEBSOCKETS_VERSION into .venv/"
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "websockets==$WEBSOCKETS_VERSION"
fi

# 3. The server binary.
if [[ -n "${BACKEND_API_BIN:-}" ]]; then
    binary="$BACKEND_API_BIN"
else
    log "building the server ($profile)"
    if [[ "$profile" == release ]]; then
        cargo build --quiet --release -p server --bin backend-api
    else
        cargo build --quiet -p server --bin backend-api
    fi
    binary="$target_dir/$profile/backend-api"
fi

# 4. Cleanup of everything below, whatever happens.
tmp="$(mktemp -d -t proxy-smoke.XXXXXX)"
chmod 755 "$tmp" # nginx workers (nobody, when started as root) write temp files here
database="smoke_$(date +%s)_$RANDOM"
database_created=
pids=()
cleanup() {
    local status=$?
    set +e
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    if [[ -n "$database_created" ]]; then
        psql "$pg_url" -qc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null
    fi
    if ((status != 0)); then
        for file in "$tmp"/*.log; do
            [[ -f "$file" ]] && { echo "--- last lines of $(basename "$file")"; tail -n 20 "$file"; } >&2
        done
    fi
    if [[ -n "${KEEP_LOGS:-}" ]]; then log "logs kept in $tmp"; else rm -rf "$tmp"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 5. A fresh database; ports; one broker channel for this run only.
psql "$pg_url" -qc "CREATE DATABASE \"$database\"" >/dev/null
database_created=1
database_url="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$pg_url" "$database")"
read -r port_one port_two port_proxy < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
secrets="$(python3 -c 'import secrets; print(secrets.token_hex(32), secrets.token_hex(32))')"
read -r jwt_secret secret_key <<<"$secrets"

# 6. Two instances, started together (migrations run once, under the
#    advisory lock), production settings, JSON logs.
start_instance() { # name port
    mkdir -p "$tmp/$1"
    (cd "$tmp/$1" && exec env -i PATH="$PATH" HOME="$HOME" \
        APP_ENV=production APP_ADDR="127.0.0.1:$2" \
        DATABASE_URL="$database_url" BROKER_URL="$redis_url" BROKER_CHANNEL="$database" \
        JWT_SECRET="$jwt_secret" SECRET_KEY="$secret_key" \
        TRUSTED_PROXIES=127.0.0.1/32 SHUTDOWN_GRACE_SECS=10 \
        RATE_LIMIT_API_PER_SEC=100000 RATE_LIMIT_API_BURST=100000 \
        LOG_FORMAT=json RUST_LOG=info \
        "$binary" serve >"$tmp/$1.log" 2>&1) &
    pids+=("$!")
}
log "starting two instances on 127.0.0.1:$port_one and :$port_two (database $database)"
start_instance one "$port_one"
pid_one="${pids[-1]}"
start_instance two "$port_two"
pid_two="${pids[-1]}"
wait_ready() { # url pid
    local deadline=$((SECONDS + 60))
    until curl -fs -o /dev/null "$1/health/ready"; do
        kill -0 "$2" 2>/dev/null || { log "the process behind $1 exited"; return 1; }
        ((SECONDS < deadline)) || { log "$1 not ready after 60 s"; return 1; }
        sleep 0.2
    done
}
wait_ready "http://127.0.0.1:$port_one" "$pid_one"
wait_ready "http://127.0.0.1:$port_two" "$pid_two"

# 7. nginx: docker/nginx.conf with loopback upstreams and files under $tmp.
conf="$tmp/nginx.conf"
sed -e "s|server api1:8080|server 127.0.0.1:$port_one|" \
    -e "s|server api2:8080|server 127.0.0.1:$port_two|" \
    -e "s|listen 80;|listen 127.0.0.1:$port_proxy;|" \
    -e "s|access_log /dev/stdout;|access_log $tmp/nginx-access.log;|" \
    -e "s|error_log /dev/stderr warn;|error_log $tmp/nginx-error.log warn;|" \
    -e "s|^worker_processes auto;|worker_processes 2;\npid $tmp/nginx.pid;|" \
    -e "s|^http {|http {\n    client_body_temp_path $tmp/body;\n    proxy_temp_path $tmp/proxy;\n    fastcgi_temp_path $tmp/fastcgi;\n    uwsgi_temp_path $tmp/uwsgi;\n    scgi_temp_path $tmp/scgi;|" \
    docker/nginx.conf >"$conf"
for expected in "127.0.0.1:$port_one" "127.0.0.1:$port_two" "listen 127.0.0.1:$port_proxy" "pid $tmp" "proxy_temp_path"; do
    grep -q "$expected" "$conf" || { log "docker/nginx.conf changed shape: no '$expected' after rewriting"; exit 1; }
done
"$nginx_bin" -t -q -p "$tmp" -e "$tmp/nginx-error.log" -c "$conf"
"$nginx_bin" -p "$tmp" -e "$tmp/nginx-error.log" -c "$conf" -g 'daemon off;' &
pids+=("$!")
proxy="http://127.0.0.1:$port_proxy"
wait_ready "$proxy" "${pids[-1]}"
log "nginx on $proxy"

# 8. The smoke test through the proxy; it stops instance two itself.
"$venv/bin/python" scripts/proxy_smoke.py --proxy "$proxy" \
    --one "http://127.0.0.1:$port_one" --two "http://127.0.0.1:$port_two" --two-pid "$pid_two"
status=0
wait "$pid_two" || status=$?
((status == 0)) || { log "instance two exited with $status after SIGTERM"; exit 1; }
log "proxy smoke test passed"
