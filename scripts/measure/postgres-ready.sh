#!/usr/bin/env bash
# Time to ready of a native PostgreSQL, both ways scripts/postgres/native.sh can make its data
# directory: initdb every time (PRISM_POSTGRES_INITDB=1) against copying the cached template.
# "Ready" is the server answering a query on its TCP port. RUNS (default 5) of each, alternating;
# prints each time and the medians.
#
#   bash scripts/measure/postgres-ready.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
native=scripts/postgres/native.sh

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

# One start: init, serve, wait until `SELECT 1` answers; prints milliseconds.
one() {
    local mode=$1 dir port pid start t
    dir="$(mktemp -d)"
    port="$(free_port)"
    start=$(now_ms)
    if [ "$mode" = initdb ]; then
        PRISM_POSTGRES_INITDB=1 sh "$native" init "$dir"
    else
        sh "$native" init "$dir"
    fi
    sh "$native" serve "$dir" "$port" >"$dir/log" 2>&1 &
    pid=$!
    until psql -h 127.0.0.1 -p "$port" -U postgres -Atc 'SELECT 1' >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
        sleep 0.01
    done
    t=$(( $(now_ms) - start ))
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
    echo "$t"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

command -v psql >/dev/null || { echo "postgres-ready: psql is needed (apt-get install postgresql-client)" >&2; exit 1; }
# Warm the template cache once (its own initdb is not what is measured).
warm="$(mktemp -d)"; sh "$native" init "$warm"; rm -rf "$warm"

init_times=() copy_times=()
for i in $(seq 1 "$runs"); do
    init_times+=("$(one initdb)")
    copy_times+=("$(one copy)")
    echo "run $i: initdb ${init_times[-1]} ms, copied template ${copy_times[-1]} ms"
done
echo "median of $runs: initdb $(printf '%s\n' "${init_times[@]}" | median) ms, copied template $(printf '%s\n' "${copy_times[@]}" | median) ms"
