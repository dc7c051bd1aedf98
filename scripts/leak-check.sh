#!/usr/bin/env bash
# Ends a short run against a provisioned backend (tests/fixtures/instances: a real Redis; then the
# Kafka backend: a broker and the prism-kafka plugin) in each way
# a run can end, and checks that nothing is left behind: for every provider available here (docker,
# native) and every ending (normal, failing case, panicking case, Ctrl-C of cargo test, Ctrl-C of
# cargo nextest, SIGKILL of a test process under cargo test and under nextest), it counts the
# containers labelled prism-suite=1, the redis-server and nisshi processes, the plugin processes
# (shared by the run's test processes, stopped by their supervisor) and the runs' directories
# (instance data included) before and after (allowing the watchers a
# few seconds), prints a table with each provider's time to ready, and exits 1 on any
# leftover. "during" is containers/servers/plugins while a hanging run is alive (before it ends).
#
#   bash scripts/leak-check.sh                 # every provider available
#   bash scripts/leak-check.sh native          # one provider
set -uo pipefail
# Job control: each background run gets a process group of its own, as in a terminal, and keeps
# SIGINT (a non-interactive shell would start it with SIGINT ignored, so Ctrl-C could not be played).
set -m
cd "$(dirname "$0")/.."

export PRISM_FIXTURE_REDIS_IMAGE="${PRISM_FIXTURE_REDIS_IMAGE:-prism-local/redis:7}"
unset PRISM_FIXTURE_REDIS_URL
logs="target/prism/leak-check"
mkdir -p "$logs"

providers=("$@")
if [ "${#providers[@]}" -eq 0 ]; then
    if docker info >/dev/null 2>&1 && docker image inspect "$PRISM_FIXTURE_REDIS_IMAGE" >/dev/null 2>&1; then
        providers+=(docker)
    else
        echo "leak-check: docker or $PRISM_FIXTURE_REDIS_IMAGE unavailable; skipping the docker provider" >&2
    fi
    if command -v redis-server >/dev/null 2>&1; then
        providers+=(native)
    else
        echo "leak-check: redis-server not on PATH; skipping the native provider" >&2
    fi
fi
if [ "${#providers[@]}" -eq 0 ]; then
    echo "leak-check: no provider available (run scripts/setup-backends.sh)" >&2
    exit 1
fi

echo "leak-check: building the probe"
cargo build --quiet --workspace --bins || exit 1
cargo test --quiet -p prism-suites --test instances --no-run || exit 1
has_nextest=0
cargo nextest --version >/dev/null 2>&1 && has_nextest=1

containers() { docker ps -aq --filter label=prism-suite=1 2>/dev/null | wc -l; }
servers() { { pgrep -x redis-server; pgrep -x nisshi-0.8.1; } | wc -l; }
# The runs' directories (each instance's data directory and logs live in its run's).
rundirs() { find "${TMPDIR:-/tmp}/prism-suite/runs" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# A plugin process runs the plugin binary itself (its supervisor is an `sh` naming it later on).
plugins() { pgrep -f '^[^ ]*/prism-[a-z]+-plugin' | wc -l; }

probe_test=(cargo test --quiet -p prism-suites --test instances -- --ignored --exact leak_probe --nocapture)
probe_nextest=(cargo nextest run --no-fail-fast -p prism-suites --test instances --run-ignored only -E 'test(=leak_probe)' --no-capture)

# Waits until the probe says it provisioned and hangs (at most 120 s).
wait_hanging() {
    local log=$1
    for _ in $(seq 1 1200); do
        grep -q "leak probe: provisioned; hanging" "$log" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# Every descendant of a pid (nextest puts each test process in a process group of its own).
descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}

# SIGKILLs the test process (the test binary) running under the run started as $1: the one with
# arguments, not the run's supervisor (the same binary re-executed without any).
kill_test_process() {
    local pid
    for pid in $(descendants "$1"); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE 'deps/instances-[0-9a-f]+ -'; then
            kill -KILL "$pid"
        fi
    done
}

# Runs one ending and sets `status` to the run's exit status (no subshell: job control is off in
# subshells).
run_ending() {
    local ending=$1 log=$2 pgid
    during="-"
    case "$ending" in
        normal) PRISM_LEAK_MODE=pass "${probe_test[@]}" >"$log" 2>&1 ;;
        failing-case) PRISM_LEAK_MODE=fail "${probe_test[@]}" >"$log" 2>&1 ;;
        panicking-case) PRISM_LEAK_MODE=panic "${probe_test[@]}" >"$log" 2>&1 ;;
        ctrl-c-cargo-test | sigkill-test-process-cargo-test)
            PRISM_LEAK_MODE=hang "${probe_test[@]}" >"$log" 2>&1 &
            pgid=$!
            wait_hanging "$log" || echo "leak-check: probe never hung ($log)" >&2
            during="$(containers)/$(servers)/$(plugins)"
            if [ "$ending" = ctrl-c-cargo-test ]; then
                kill -INT -- "-$pgid" # what a terminal's Ctrl-C does: SIGINT to the foreground group
            else
                kill_test_process "$pgid"
            fi
            wait "$pgid" ;;
        ctrl-c-nextest | sigkill-test-process-nextest)
            PRISM_LEAK_MODE=hang "${probe_nextest[@]}" >"$log" 2>&1 &
            pgid=$!
            wait_hanging "$log" || echo "leak-check: probe never hung ($log)" >&2
            during="$(containers)/$(servers)/$(plugins)"
            if [ "$ending" = ctrl-c-nextest ]; then
                kill -INT -- "-$pgid"
            else
                kill_test_process "$pgid"
            fi
            wait "$pgid" ;;
    esac
    status=$?
}

endings=(normal failing-case panicking-case ctrl-c-cargo-test sigkill-test-process-cargo-test)
[ "$has_nextest" = 1 ] && endings+=(ctrl-c-nextest sigkill-test-process-nextest)

# backend/provider pairs: the Redis fixture through each provider, then the Kafka backend (broker
# and prism-kafka plugin) through each provider that can serve it.
targets=()
for provider in "${providers[@]}"; do targets+=("fixture_redis/$provider"); done
for provider in "${providers[@]}"; do
    case "$provider" in
        docker) docker image inspect apache/kafka:3.9.1 >/dev/null 2>&1 && targets+=(kafka/docker) ;;
        native) command -v nisshi-0.8.1 >/dev/null 2>&1 && targets+=(kafka/native) ;;
    esac
done

rows=()
leaks=0
for target in "${targets[@]}"; do
    provider=${target#*/}
    export PRISM_LEAK_BACKEND="${target%/*}" PRISM_FIXTURE_REDIS_PROVIDER="$provider" PRISM_KAFKA_PROVIDER="$provider"
    unset PRISM_KAFKA_URL
    for ending in "${endings[@]}"; do
        c0=$(containers) s0=$(servers) p0=$(plugins) d0=$(rundirs)
        log="$logs/${target/\//-}-$ending.log"
        run_ending "$ending" "$log"
        # The watcher polls every 200 ms and gives a server 2 s after SIGTERM.
        for _ in $(seq 1 50); do
            [ "$(containers)" -le "$c0" ] && [ "$(servers)" -le "$s0" ] && [ "$(plugins)" -le "$p0" ] && [ "$(rundirs)" -le "$d0" ] && break
            sleep 0.1
        done
        c1=$(containers) s1=$(servers) p1=$(plugins) d1=$(rundirs)
        ready=$(grep -o 'ready in [0-9]* ms' "$log" | head -1 | grep -o '[0-9]*')
        verdict=clean
        if [ "$c1" -gt "$c0" ] || [ "$s1" -gt "$s0" ] || [ "$p1" -gt "$p0" ] || [ "$d1" -gt "$d0" ]; then
            verdict=LEFTOVER
            leaks=1
        fi
        if [ -z "$ready" ]; then
            verdict="$verdict (not provisioned, see $log)"
            leaks=1
        fi
        rows+=("$(printf '| %-20s | %-32s | %4s | %4s -> %-4s | %4s -> %-4s | %4s -> %-4s | %4s -> %-4s | %6s | %8s | %s |' \
            "$target" "$ending" "$status" "$c0" "$c1" "$s0" "$s1" "$p0" "$p1" "$d0" "$d1" "$during" "${ready:--}" "$verdict")")
        echo "${rows[-1]}"
    done
done

echo
echo "| backend/provider     | ending                           | exit | containers   | servers      | plugins      | run dirs     | during | ready ms | verdict |"
echo "|----------------------|----------------------------------|------|--------------|--------------|--------------|--------------|--------|----------|---------|"
printf '%s\n' "${rows[@]}"
if [ "$leaks" = 1 ]; then
    echo "leak-check: FAILED (leftovers or runs that did not provision; logs in $logs)"
    exit 1
fi
echo "leak-check: nothing left behind"
