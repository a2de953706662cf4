#!/usr/bin/env bash
# `make browser-check` (part of `make test`): Swagger UI, docs/realtime.md's
# browser client and the web console in headless Chromium against a real
# server (scripts/browser_check.py and scripts/console_check.py say what is
# checked; scripts/browser_support.py is what they share). Installs Chromium
# from Debian when missing and a pinned Playwright (Python, from PyPI) into
# .venv/; builds the debug server.
#
# Usage: browser-check.sh [--screenshots DIR]  (PNGs of the console's pages)
#
# Knobs (environment): CHROMIUM (default /usr/bin/chromium), BACKEND_API_BIN
# (a server binary to use instead of building one).
set -euo pipefail

PLAYWRIGHT_VERSION=1.65.3

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
venv="$root/.venv"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

log() { printf '==> %s\n' "$*" >&2; }

if [[ ! -x "$CHROMIUM" ]]; then
    log "installing chromium (Debian)"
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq chromium >/dev/null
fi

if [[ "$("$venv/bin/python" -m pip show playwright 2>/dev/null | sed -n 's/^Version: //p')" != "$PLAYWRIGHT_VERSION" ]]; then
    log "installing playwright $PLAYWRIGHT_VERSION into .venv/"
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "playwright==$PLAYWRIGHT_VERSION"
fi

if [[ -n "${BACKEND_API_BIN:-}" ]]; then
    binary="$BACKEND_API_BIN"
else
    log "building the server"
    cargo build --quiet -p server --bin backend-api
    binary="$target_dir/debug/backend-api"
fi

if [[ "${1:-}" == "--screenshots" ]]; then
    "$venv/bin/python" "$root/scripts/console_check.py" "$binary" --screenshots "$(realpath "$2")"
    exit
fi
"$venv/bin/python" "$root/scripts/browser_check.py" "$binary"
"$venv/bin/python" "$root/scripts/console_check.py" "$binary"
