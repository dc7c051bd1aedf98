#!/usr/bin/env bash
# Ends a short run against a provisioned backend (tests/fixtures/instances: a real Redis; then the
# Kafka backend: a broker and the prism-kafka plugin, PRISM_LEAK_BACKEND=kafka; then PostgreSQL: a
# server, its data directory and the prism-postgres plugin, PRISM_LEAK_BACKEND=postgres) in each way
# a run can end, and checks that nothing is left behind: for every provider available here (docker,
# native) and every ending (normal, failing case, panicking case, Ctrl-C of cargo test, Ctrl-C of
# cargo nextest, SIGKILL of a test process under cargo test and under nextest), it counts the
# containers, redis-server, nisshi and postgres processes, plugin processes and run supervisors of its own runs, and the
# run directories left in its TMPDIR, before and after (allowing the supervisors a few seconds),
# prints a table with each provider's time to ready, and exits 1 on any leftover. "during" is
# containers/servers/plugins/supervisors while a hanging run is alive (before it ends).
#
# Other engineers' and CI's runs on the same machine and docker daemon are not counted: the check
# runs with a TMPDIR of its own, and counts only containers labelled with its runs' directory
# (prism-suite.runs=<TMPDIR>/prism-suite/runs) and processes whose environment has that TMPDIR.
#
#   bash scripts/leak-check.sh                 # every provider available
#   bash scripts/leak-check.sh native          # one provider
set -uo pipefail
# Job control: each background run gets a process group of its own, as in a terminal, and keeps
# SIGINT (a non-interactive shell would start it with SIGINT ignored, so Ctrl-C could not be played).
set -m
# A shell started with SIGINT already ignored (`(cmd &)`, nohup-style launchers) cannot reset it,
# and its children inherit that: the hanging probes are started with SIGINT reset, else a Ctrl-C
# row would test nothing and end only when the probe's 300 s hang ran out (seen: a CI run 25 min longer).
hang=(env --default-signal=INT)
cd "$(dirname "$0")/.."

unset PRISM_FIXTURE_REDIS_URL PRISM_FIXTURE_REDIS_IMAGE
logs="target/prism/leak-check"
mkdir -p "$logs"
# The fixture uses the registry's name, redis:7 (tagged from the local image by the set-up).
image="redis:7"

providers=("$@")
if [ "${#providers[@]}" -eq 0 ]; then
    if docker info >/dev/null 2>&1 && docker image inspect "$image" >/dev/null 2>&1; then
        providers+=(docker)
    else
        echo "leak-check: docker or $image unavailable; skipping the docker provider" >&2
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

# Built above with the caller's TMPDIR; the runs get one of their own.
TMPDIR="$(mktemp -d /tmp/prism-leak-check.XXXXXX)"
export TMPDIR
runs="$TMPDIR/prism-suite/runs"
trap 'rm -rf "$TMPDIR"' EXIT

# Whether process $1's environment has our TMPDIR (every process a run starts inherits it).
ours() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qxF "TMPDIR=$TMPDIR"; }
count_ours() {
    local n=0 pid
    for pid in "$@"; do ours "$pid" && n=$((n + 1)); done
    echo "$n"
}
containers() { docker ps -aq --filter "label=prism-suite.runs=$runs" 2>/dev/null | wc -l; }
# A native server runs in its instance's directory under our runs' (redis-server rewrites the
# memory /proc/<pid>/environ shows, for its process title).
servers() {
    local n=0 pid
    for pid in $(pgrep -x redis-server) $(pgrep -x nisshi-0.8.1) $(pgrep -x postgres); do
        case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$runs"/*) n=$((n + 1)) ;; esac
    done
    echo "$n"
}
# shellcheck disable=SC2046
plugins() { count_ours $(pgrep -f '^[^ ]*/prism-[a-z]+-plugin'); }
# The run supervisors: test binaries re-executed with PRISM_SUITE_SUPERVISOR set.
supervisors() {
    local n=0 pid
    for pid in $(pgrep -f 'deps/instances-'); do
        ours "$pid" && tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -q '^PRISM_SUITE_SUPERVISOR=' && n=$((n + 1))
    done
    echo "$n"
}
run_dirs() { find "$runs" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

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

# SIGKILLs the test process (the test binary) running under the run started as $1, not the run's
# supervisor (the same binary in its supervisor role).
kill_test_process() {
    local pid
    for pid in $(descendants "$1"); do
        if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'deps/instances-' &&
            ! tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -q '^PRISM_SUITE_SUPERVISOR='; then
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
            PRISM_LEAK_MODE=hang "${hang[@]}" "${probe_test[@]}" >"$log" 2>&1 &
            pgid=$!
            wait_hanging "$log" || echo "leak-check: probe never hung ($log)" >&2
            during="$(containers)/$(servers)/$(plugins)/$(supervisors)"
            if [ "$ending" = ctrl-c-cargo-test ]; then
                kill -INT -- "-$pgid" # what a terminal's Ctrl-C does: SIGINT to the foreground group
            else
                kill_test_process "$pgid"
            fi
            wait "$pgid" ;;
        ctrl-c-nextest | sigkill-test-process-nextest)
            PRISM_LEAK_MODE=hang "${hang[@]}" "${probe_nextest[@]}" >"$log" 2>&1 &
            pgid=$!
            wait_hanging "$log" || echo "leak-check: probe never hung ($log)" >&2
            during="$(containers)/$(servers)/$(plugins)/$(supervisors)"
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

rows=()
leaks=0
# backend/provider pairs: the Redis fixture through each provider, then the Kafka backend (a broker
# and the prism-kafka plugin) through each of them that can serve it.
targets=()
for provider in "${providers[@]}"; do targets+=("fixture_redis/$provider"); done
for provider in "${providers[@]}"; do
    case "$provider" in
        docker) docker image inspect apache/kafka:3.9.1 >/dev/null 2>&1 && targets+=(kafka/docker) ;;
        native) command -v nisshi-0.8.1 >/dev/null 2>&1 && targets+=(kafka/native) ;;
    esac
done
for provider in "${providers[@]}"; do
    case "$provider" in
        docker) docker image inspect postgres:16 >/dev/null 2>&1 && targets+=(postgres/docker) ;;
        native) ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && targets+=(postgres/native) ;;
    esac
done
for target in "${targets[@]}"; do
    provider=${target#*/}
    export PRISM_LEAK_BACKEND="${target%/*}" PRISM_FIXTURE_REDIS_PROVIDER="$provider" \
        PRISM_KAFKA_PROVIDER="$provider" PRISM_POSTGRES_PROVIDER="$provider"
    unset PRISM_KAFKA_URL PRISM_POSTGRES_URL
    for ending in "${endings[@]}"; do
        c0=$(containers) s0=$(servers) p0=$(plugins) k0=$(supervisors) d0=$(run_dirs)
        log="$logs/${target/\//-}-$ending.log"
        run_ending "$ending" "$log"
        # The supervisor polls the owner every 100 ms and gives a server 2 s after SIGTERM.
        for _ in $(seq 1 100); do
            [ "$(containers)" -le "$c0" ] && [ "$(servers)" -le "$s0" ] && [ "$(plugins)" -le "$p0" ] &&
                [ "$(supervisors)" -le "$k0" ] && [ "$(run_dirs)" -le "$d0" ] && break
            sleep 0.1
        done
        c1=$(containers) s1=$(servers) p1=$(plugins) k1=$(supervisors) d1=$(run_dirs)
        ready=$(grep -o 'ready in [0-9]* ms' "$log" | head -1 | grep -o '[0-9]*')
        verdict=clean
        if [ "$c1" -gt "$c0" ] || [ "$s1" -gt "$s0" ] || [ "$p1" -gt "$p0" ] || [ "$k1" -gt "$k0" ] || [ "$d1" -gt "$d0" ]; then
            verdict=LEFTOVER
            leaks=1
        fi
        # A hanging probe that passed was never interrupted: the ending was not played.
        if [ "$during" != - ] && grep -q '1 passed' "$log"; then
            verdict="$verdict (not interrupted: the probe ran out its hang, see $log)"
            leaks=1
        fi
        if [ -z "$ready" ]; then
            verdict="$verdict (not provisioned, see $log)"
            leaks=1
        fi
        rows+=("$(printf '| %-20s | %-32s | %4s | %4s -> %-4s | %4s -> %-4s | %4s -> %-4s | %4s -> %-4s | %4s -> %-4s | %7s | %8s | %s |' \
            "$target" "$ending" "$status" "$c0" "$c1" "$s0" "$s1" "$p0" "$p1" "$k0" "$k1" "$d0" "$d1" "$during" "${ready:--}" "$verdict")")
        echo "${rows[-1]}"
    done
done

echo
echo "| backend/provider     | ending                           | exit | containers   | servers      | plugins      | supervisors  | run dirs     | during  | ready ms | verdict |"
echo "|----------------------|----------------------------------|------|--------------|--------------|--------------|--------------|--------------|---------|----------|---------|"
printf '%s\n' "${rows[@]}"
if [ "$leaks" = 1 ]; then
    echo "leak-check: FAILED (leftovers or runs that did not provision; logs in $logs)"
    exit 1
fi
echo "leak-check: nothing left behind"
