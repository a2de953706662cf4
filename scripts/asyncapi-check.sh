#!/usr/bin/env bash
# Validates the server's /asyncapi.json with the AsyncAPI parser
# (@asyncapi/parser, pinned in scripts/asyncapi/package-lock.json, run by
# Node): a schema violation or a broken $ref fails the run.
#
# What it does: installs the parser into scripts/asyncapi/node_modules
# (ignored by git) when missing or stale, builds the debug binary (or uses
# BACKEND_API_BIN), starts it on a free port on a fresh SQLite database in
# a temporary folder, saves /asyncapi.json and stops the server, then runs
# scripts/asyncapi/validate.mjs on the file.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
here="$root/scripts/asyncapi"

log() { printf '==> %s\n' "$*" >&2; }

# 1. The parser, exactly as locked (reinstalled when the lock changes).
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.installed-lock.json"; then
    log "installing @asyncapi/parser into scripts/asyncapi/node_modules"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/package-lock.json" "$here/node_modules/.installed-lock.json"
fi

# 2. The server binary.
if [[ -n "${BACKEND_API_BIN:-}" ]]; then
    binary="$BACKEND_API_BIN"
else
    log "building the server"
    cargo build --quiet -p server --bin backend-api
    binary="$target_dir/debug/backend-api"
fi

# 3. The document, from a server on a free port and a fresh database.
work="$(mktemp -d -t backend-api-asyncapi.XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
server_pid=""
cleanup() {
    local status=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -f "$work/server.log" ]]; then
        tail -n 20 "$work/server.log" >&2 || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT INT TERM
(
    cd "$work"
    APP_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$work/app.db?mode=rwc" \
        RUST_LOG=warn exec "$binary" serve
) >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if curl -fsS -o "$work/asyncapi.json" "http://127.0.0.1:$port/asyncapi.json" 2>/dev/null; then
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || { log "the server exited"; exit 1; }
    sleep 0.2
done
[[ -s "$work/asyncapi.json" ]] || { log "no /asyncapi.json"; exit 1; }

# 4. The parser's verdict.
node "$here/validate.mjs" "$work/asyncapi.json"
