#!/usr/bin/env bash
# The real-time half of `make bench`: the release server on PostgreSQL
# driven by the load tool of benches/load (many WebSocket clients in one
# process). Scenarios (BENCH_WS_SCENARIOS, default all four):
#   fanout-50    C=1,000 subscribers in one chat room, one publisher at
#                R=50 messages/s (BENCH_FANOUT_SECS seconds of messages)
#   fanout-1000  the same at R=1,000 messages/s
#   idle         C=10,000 connections joined to `items`, held 10 s
#   agents       5,000 agents on /ws/agent heartbeating every second:
#                server CPU, RSS and database row writes per second
# Each scenario gets a freshly started server, so RSS figures are its own.
# The server's CPU time and RSS are read from /proc/<pid> by the load tool,
# so they do not depend on how fast the tool itself is; the tool shares the
# two cores with the server (and PostgreSQL), which bounds deliveries/s.
#
# Knobs: BENCH_DATABASE_URL, BENCH_SERVER_BIN (as in scripts/bench.sh),
# BENCH_WS_SCENARIOS, BENCH_FANOUT_CONNECTIONS (1000), BENCH_FANOUT_SECS
# (10), BENCH_IDLE_CONNECTIONS (10000), BENCH_AGENTS (5000),
# BENCH_AGENTS_SECS (30).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib/bench.sh
source "$root/scripts/lib/bench.sh"
scenarios="${BENCH_WS_SCENARIOS:-fanout-50 fanout-1000 idle agents}"
fanout_connections="${BENCH_FANOUT_CONNECTIONS:-1000}"
fanout_secs="${BENCH_FANOUT_SECS:-10}"
idle_connections="${BENCH_IDLE_CONNECTIONS:-10000}"
agent_count="${BENCH_AGENTS:-5000}"
agent_secs="${BENCH_AGENTS_SECS:-30}"
require psql curl python3

log "building the server and the load tool (release)"
server_bin="$(server_binary)"
cargo build --quiet --release --manifest-path benches/load/Cargo.toml
load_bin="${CARGO_TARGET_DIR:-$root/benches/load/target}/release/load"

# Both ends hold thousands of sockets.
ulimit -n "$(ulimit -Hn)"
bench_database

export WS_MAX_CONNECTIONS_PER_USER=100000

results=()
run_load() { # mode args...
    local out="$work/load-$1-$RANDOM.txt"
    "$load_bin" "$@" --url "ws://${server_url#http://}" --server-pid "$server_pid" | tee "$out" >&2
    results+=("$(grep '^RESULT ' "$out")")
}

for scenario in $scenarios; do
    log "$scenario"
    start_server warn
    token="$(python3 scripts/lib/seed.py token "$server_url")"
    case "$scenario" in
        fanout-*)
            rate="${scenario#fanout-}"
            run_load fanout --token "$token" --connections "$fanout_connections" \
                --rate "$rate" --messages "$((rate * fanout_secs))"
            ;;
        idle)
            run_load idle --token "$token" --connections "$idle_connections" --hold 10
            ;;
        agents)
            log "registering $agent_count agents"
            python3 scripts/lib/seed.py agents "$server_url" "$token" "$agent_count" "$work/agent-tokens"
            stats="psql '$database_url' -qAtc 'SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables'"
            run_load agents --tokens "$work/agent-tokens" --interval 1 --warmup 10 \
                --duration "$agent_secs" --stats-cmd "$stats"
            ;;
        *) log "unknown scenario $scenario"; exit 1 ;;
    esac
    stop_server
done

echo
echo "$(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)); server, PostgreSQL and load tool share them"
for result in "${results[@]}"; do
    read -r _ mode rest <<<"$result"
    case "$mode" in
        fanout)
            read -r c r m got expected per_s p50 p99 max rss us closed <<<"$rest"
            printf '| fanout C=%s R=%s/s M=%s | %s of %s delivered, %s/s | p50 %s ms, p99 %s ms, max %s ms | RSS %s MiB | %s µs CPU/delivery | %s closed |\n' \
                "$c" "$r" "$m" "$got" "$expected" "$per_s" "$p50" "$p99" "$max" "$rss" "$us" "$closed"
            ;;
        idle)
            read -r c before after per <<<"$rest"
            printf '| idle C=%s | RSS %s MiB before, %s MiB with them | %s bytes/connection |\n' "$c" "$before" "$after" "$per"
            ;;
        agents)
            read -r n hb cpu before after writes dropped <<<"$rest"
            printf '| agents N=%s | %s heartbeats/s | server CPU %s %% of a core | RSS %s → %s MiB | %s DB row writes/s | %s dropped |\n' \
                "$n" "$hb" "$cpu" "$before" "$after" "$writes" "$dropped"
            ;;
    esac
done
