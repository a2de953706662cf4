#!/usr/bin/env bash
# The README's "Walk-through with curl" section, run verbatim as a test.
#
# What it does: builds the server and the example agent, starts the server
# on a free port with its default settings (rate limits on) on a fresh
# SQLite database in a temporary folder, extracts the section's ```sh
# blocks (scripts/readme_blocks.py), rewrites 127.0.0.1:8080 to that port
# and runs the blocks in order in one bash (`set -euo pipefail`). `curl` there is a function around the real curl that fails the
# run on a status >= 400 — unless the README marks the line with the status
# it expects as a trailing comment (`# 401 problem+json`), which must then
# be the status exactly. Every process started (the server, the agent the
# README starts in the background) is stopped on exit, whatever happens.
#
# Knobs (environment): BACKEND_API_BIN (a server binary to use instead of
# building one), WALKTHROUGH_TIMEOUT (seconds for the blocks, default 300).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

log() { printf '==> %s\n' "$*" >&2; }

log "building the server and the example agent"
cargo build --quiet -p server --bin backend-api --example agent
binary="${BACKEND_API_BIN:-$target_dir/debug/backend-api}"

work="$(mktemp -d -t backend-api-readme.XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
groups=()

# Each process is started as the leader of its own process group, so
# stopping the group also stops whatever it started in the background.
cleanup() {
    local status=$?
    for group in "${groups[@]}"; do
        kill -TERM -- "-$group" 2>/dev/null || true
    done
    for group in "${groups[@]}"; do
        wait "$group" 2>/dev/null || true
    done
    if [[ $status -ne 0 && -f "$work/server.log" ]]; then
        log "server log (last 40 lines of $work/server.log):"
        tail -n 40 "$work/server.log" >&2 || true
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT INT TERM

# The defaults, except where the server listens and keeps its data: no
# inherited setting (a developer's RATE_LIMIT_ENABLED=false, say) applies.
while IFS='=' read -r name _; do
    case "$name" in
        APP_* | DATABASE_* | BROKER_* | JWT_* | SECRET_KEY | RATE_LIMIT_* | CORS_* | TRUSTED_PROXIES | \
            MAX_BODY_BYTES | WS_* | OAUTH_* | ACCESS_TOKEN_* | REFRESH_* | EVENT_* | OTEL_* | \
            MAIL_* | FRONTEND_URL | REQUIRE_VERIFIED_EMAIL)
            unset "$name" ;;
    esac
done < <(env)

# The server and the blocks run in the scratch folder: the default
# DATABASE_URL (sqlite://data/app.db) and the generated secrets land in
# its data/, and the command line the README runs finds the same ones.
log "starting the server on $base (data in $work/data)"
(cd "$work" && APP_ADDR="127.0.0.1:$port" LOG_FORMAT=json RUST_LOG=warn \
    exec setsid "$binary" serve) >"$work/server.log" 2>&1 &
groups+=($!)
for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$base/health/ready" 2>/dev/null && break
    kill -0 "${groups[0]}" 2>/dev/null || { log "the server exited"; exit 1; }
    sleep 0.2
done
curl -fsS -o /dev/null "$base/health/ready"

python3 "$root/scripts/readme_blocks.py" "$root/README.md" "Walk-through with curl" \
    "127.0.0.1:$port" >"$work/walkthrough.sh"

cat >"$work/prelude.sh" <<'EOF'
set -euo pipefail
# The real curl, checked: a status >= 400 fails the run unless the README
# line expects exactly that status (EXPECT_STATUS, set by readme_blocks.py).
curl() {
    local headers status
    headers="$(mktemp)"
    command curl -D "$headers" "$@" || { rm -f "$headers"; return 1; }
    status="$(awk '/^HTTP\//{code=$2} END{print code}' "$headers")"
    rm -f "$headers"
    if [[ -n "${EXPECT_STATUS:-}" && "$status" != "$EXPECT_STATUS" ]] ||
        [[ -z "${EXPECT_STATUS:-}" && "$status" -ge 400 ]]; then
        printf '\nREADME walk-through: curl %s → %s (expected %s)\n' \
            "$*" "$status" "${EXPECT_STATUS:-< 400}" >&2
        kill -TERM "$WALKTHROUGH_SHELL"
        return 22
    fi
}
WALKTHROUGH_SHELL=$$
# The README's `cargo run` works from the checkout; here it runs in the
# scratch folder, so cargo is told where the checkout's manifest is.
cargo() {
    local subcommand=$1
    shift
    command cargo "$subcommand" --manifest-path "$WALKTHROUGH_ROOT/Cargo.toml" "$@"
}
EOF

log "running the README's walk-through"
(cd "$work" && WALKTHROUGH_ROOT="$root" \
    exec setsid bash -c "source prelude.sh; source walkthrough.sh") >"$work/walkthrough.log" 2>&1 &
walk=$!
groups+=("$walk")
deadline=$((SECONDS + ${WALKTHROUGH_TIMEOUT:-300}))
while kill -0 "$walk" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
done
walk_status=0
if kill -0 "$walk" 2>/dev/null; then
    log "the walk-through did not finish within ${WALKTHROUGH_TIMEOUT:-300} s"
    walk_status=1
else
    wait "$walk" || walk_status=$?
fi
if ((walk_status != 0)); then
    log "the README walk-through failed (exit $walk_status); its output:"
    cat "$work/walkthrough.log" >&2
    exit 1
fi
log "README walk-through passed"
