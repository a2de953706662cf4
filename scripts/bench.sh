#!/usr/bin/env bash
# `make bench`: the real server on PostgreSQL under wrk on loopback, and
# beside it the bare baseline (benches/bare: one actix-web + sqlx handler
# doing the same JWT check, session query and item select) on the same
# database with the same load, so the cost of the layers is a ratio.
#
# What it does: installs wrk from Debian when missing; builds both release
# binaries; creates a fresh PostgreSQL database; starts the server on it
# (rate limits off, fixed test secrets, default logging to a file); seeds
# a user, a token and BENCH_ITEMS items through the API; then drives, each
# after a short warm-up:
#   get     authenticated GET /api/v1/items/{id}, ids spread over all items
#   list    authenticated GET /api/v1/items?limit=20
#   patch   PATCH /api/v1/items/{id} merging one attribute key
#           (merge-patch+json), spread over 100 items and 8 keys
#   bare    the bare handler's GET /api/v1/items/{id}, same ids
# and prints requests/s, p50 and p99 for each and the real/bare ratio.
# Servers are stopped and the database dropped on exit.
#
# The machine has 2 cores, shared by the server, PostgreSQL and wrk: the
# numbers are what that box does, not what the server does alone.
#
# Knobs (environment): BENCH_DATABASE_URL (the server to create the
# database on; default postgres://postgres@127.0.0.1:5432/postgres),
# BENCH_DURATION (default 15s), BENCH_THREADS (2), BENCH_CONNECTIONS (64),
# BENCH_ITEMS (1000), BENCH_POOL (DATABASE_MAX_CONNECTIONS of both servers,
# default 16), BENCH_WARMUP (3s), BENCH_SCENARIOS (default
# "get list patch bare"; add "get-quiet" for the real GET with
# RUST_LOG=warn, i.e. without the per-request log line), BENCH_SERVER_BIN
# (a release binary of the server to use instead of building one).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib/bench.sh
source "$root/scripts/lib/bench.sh"
duration="${BENCH_DURATION:-15s}"
threads="${BENCH_THREADS:-2}"
connections="${BENCH_CONNECTIONS:-64}"
items="${BENCH_ITEMS:-1000}"
pool="${BENCH_POOL:-16}"
warmup="${BENCH_WARMUP:-3s}"
scenarios="${BENCH_SCENARIOS:-get list patch bare}"

# 1. wrk, from Debian.
if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk (Debian)"
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq wrk >/dev/null
fi
require psql curl python3

# 2. Release builds.
log "building the server and the bare baseline (release)"
server_bin="$(server_binary)"
cargo build --quiet --release --manifest-path benches/bare/Cargo.toml
bare_bin="${CARGO_TARGET_DIR:-$root/benches/bare/target}/release/bare"

# 3. A fresh database, dropped on exit.
bench_database

export DATABASE_MAX_CONNECTIONS="$pool"

# 4. The real server and the seed: a user, its token, the items.
log "starting the server on database $database"
start_server info
log "seeding 1 user and $items items"
token="$(python3 scripts/lib/seed.py token "$server_url")"
python3 scripts/lib/seed.py items "$server_url" "$token" "$items" "$work/ids"

# 5. wrk scripts: ids and keys spread per thread, a parseable summary line.
cat >"$work/common.lua" <<'LUA'
local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("seed", counter)
end
function load_ids(path)
    local ids = {}
    for line in io.lines(path) do
        if #line > 0 then ids[#ids + 1] = line end
    end
    return ids
end
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %d %.1f %.3f %.3f %d\n",
        summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
cat >"$work/get.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local ids, token
function init(args)
    math.randomseed(tonumber(seed) or 1)
    ids = load_ids(args[1])
    token = args[2]
end
function request()
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/api/v1/items/" .. id, { ["Authorization"] = "Bearer " .. token })
end
LUA
cat >"$work/list.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local token
function init(args)
    token = args[2]
end
function request()
    return wrk.format("GET", "/api/v1/items?limit=20", { ["Authorization"] = "Bearer " .. token })
end
LUA
cat >"$work/patch.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local ids, token, n
function init(args)
    math.randomseed(tonumber(seed) or 1)
    local all = load_ids(args[1])
    ids = {}
    for i = 1, math.min(100, #all) do ids[i] = all[i] end
    token = args[2]
    n = 0
end
function request()
    n = n + 1
    local id = ids[math.random(#ids)]
    local body = string.format('{"attributes":{"k%d":%d}}', math.random(0, 7), n)
    return wrk.format("PATCH", "/api/v1/items/" .. id, {
        ["Authorization"] = "Bearer " .. token,
        ["Content-Type"] = "application/merge-patch+json",
    }, body)
end
LUA
export BENCH_LUA_DIR="$work"

# CPU counters: the server process's and PostgreSQL's (every `postgres`
# process) CPU time in clock ticks, and the machine's busy and total ticks.
cpu_snapshot() { # server pid
    python3 - "$1" <<'PY'
import os, sys
def ticks(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0
postgres = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if open(f"/proc/{pid}/comm").read().strip() == "postgres":
            postgres += ticks(pid)
    except OSError:
        pass
cpu = [int(x) for x in open("/proc/stat").readline().split()[1:]]
print(ticks(sys.argv[1]), postgres, sum(cpu) - cpu[3] - cpu[4], sum(cpu))
PY
}

results=()
drive() { # name url script server-pid
    local name=$1 url=$2 script=$3 pid=$4 out line before after
    wrk -t"$threads" -c"$connections" -d"$warmup" -s "$work/$script" "$url" -- \
        "$work/ids" "$token" >/dev/null
    out="$work/wrk-$name.txt"
    log "$name: wrk -t$threads -c$connections -d$duration --latency -s $script $url"
    before="$(cpu_snapshot "$pid")"
    wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/$script" "$url" -- \
        "$work/ids" "$token" | tee "$out" >&2
    after="$(cpu_snapshot "$pid")"
    line="$(grep '^RESULT ' "$out")"
    read -r _ requests rps p50 p99 errors <<<"$line"
    if [[ "$requests" -eq 0 || "$errors" -ne 0 ]]; then
        log "$name: $requests requests, $errors errors or non-2xx answers"
        exit 1
    fi
    # Server and PostgreSQL CPU microseconds per request, machine busy %.
    read -r server_us postgres_us busy <<<"$(python3 -c '
import os, sys
b = [int(x) for x in sys.argv[1].split()]
a = [int(x) for x in sys.argv[2].split()]
n, hz = int(sys.argv[3]), os.sysconf("SC_CLK_TCK")
per = lambda i: (a[i] - b[i]) / hz * 1e6 / n
print(f"{per(0):.0f} {per(1):.0f} {100 * (a[2] - b[2]) / max(1, a[3] - b[3]):.0f}")
' "$before" "$after" "$requests")"
    results+=("$name $rps $p50 $p99 $requests $server_us $postgres_us $busy")
}

first_id="$(head -n 1 "$work/ids")"
for scenario in $scenarios; do
    case "$scenario" in
        get) drive get "$server_url/api/v1/items/$first_id" get.lua "$server_pid" ;;
        list) drive list "$server_url/api/v1/items?limit=20" list.lua "$server_pid" ;;
        patch) drive patch "$server_url/api/v1/items/$first_id" patch.lua "$server_pid" ;;
        get-quiet | bare) ;;
        *) log "unknown scenario $scenario"; exit 1 ;;
    esac
done
stop_server

if [[ " $scenarios " == *" get-quiet "* ]]; then
    log "restarting the server with RUST_LOG=warn"
    start_server warn
    drive get-quiet "$server_url/api/v1/items/$first_id" get.lua "$server_pid"
    stop_server
fi

if [[ " $scenarios " == *" bare "* ]]; then
    bare_port="$(free_port)"
    log "starting the bare baseline"
    APP_ADDR="127.0.0.1:$bare_port" DATABASE_URL="$database_url" JWT_SECRET="$bench_jwt_secret" \
        "$bare_bin" >"$work/bare.log" 2>&1 &
    bare_pid=$!
    pids+=("$bare_pid")
    # Any answer (401 without a token) means it listens.
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$bare_port/api/v1/items/$first_id" && break
        sleep 0.1
    done
    drive bare "http://127.0.0.1:$bare_port/api/v1/items/$first_id" get.lua "$bare_pid"
    kill "$bare_pid" 2>/dev/null || true
    wait "$bare_pid" 2>/dev/null || true
fi

# 6. The summary.
echo
echo "$(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), wrk -t$threads -c$connections -d$duration, pool $pool, $items items"
echo
echo "| scenario | requests/s | p50 ms | p99 ms | requests | server CPU µs/req | PostgreSQL CPU µs/req | machine busy |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
get_rps="" bare_rps=""
for result in "${results[@]}"; do
    read -r name rps p50 p99 requests server_us postgres_us busy <<<"$result"
    printf '| %s | %.0f | %.2f | %.2f | %d | %d | %d | %d%% |\n' \
        "$name" "$rps" "$p50" "$p99" "$requests" "$server_us" "$postgres_us" "$busy"
    [[ $name == get ]] && get_rps=$rps
    [[ $name == bare ]] && bare_rps=$rps
done
if [[ -n "$get_rps" && -n "$bare_rps" ]]; then
    echo
    python3 -c "import sys; r = float(sys.argv[1]) / float(sys.argv[2]); print(f'real/bare GET throughput: {r:.2f} ({(1 - r) * 100:.0f}% below the bare handler)')" "$get_rps" "$bare_rps"
fi
