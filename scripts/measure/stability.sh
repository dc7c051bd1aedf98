#!/usr/bin/env bash
# Runs a group of interfaces of the memstore matrix RUNS times under `cargo test` and RUNS times
# under `cargo nextest run`, stopping at the first failing run, and prints each run's wall time.
#
#   bash scripts/measure/stability.sh GROUP [RUNS]
#   GROUP: messaging (pubsub, stream, queue) | data (list, set, sortedset, timeseries, graph,
#          document) | keyvalue | all                                              RUNS default 20
set -euo pipefail
cd "$(dirname "$0")/../.."
group=${1:?usage: stability.sh messaging|data|keyvalue|all [RUNS]}
runs=${2:-20}
case "$group" in
    messaging) models="pubsub stream queue" ;;
    data) models="list set sortedset timeseries graph document" ;;
    keyvalue) models="keyvalue" ;;
    all) models="keyvalue pubsub stream queue list set sortedset timeseries graph document" ;;
    *) echo "unknown group $group" >&2; exit 2 ;;
esac
# Interface module names start with `<model>_`; `::set_` alone would also match keyvalue's
# `set_get_delete` case, so filters name `::<model>_<flavor>::` modules via the registry.
ifaces=$(grep -hoE '^  - [a-z_]+' registry/backends/memstore.yaml | sed 's/  - //' | sort -u)
filters=() ; regex=""
for m in $models; do
    for i in $ifaces; do
        case "$i" in "${m}"_*) filters+=("::$i::"); regex="${regex:+$regex|}$i" ;; esac
    done
done
cargo test --no-run --quiet -p prism-suites --test compliance 2>/dev/null
cargo build --quiet --workspace --bins
secs() { awk "BEGIN { printf \"%.2f\", $2 - $1 }"; }
log=target/prism/stability-failure.log
mkdir -p target/prism
failed() {
    echo "$out" >"$log"
    # The harness's message: from "case ... failed" to the end of the plugin output.
    echo "$out" | awk '/^case .* failed$/ { p = 1 } p && /^$/ { exit } p' | head -40
    echo "$1 run $2 FAILED (full output in $log)"
    exit 1
}
for runner in cargo-test nextest; do
    for i in $(seq 1 "$runs"); do
        start=$(date +%s.%N)
        if [ "$runner" = cargo-test ]; then
            out=$(cargo test -q -p prism-suites --test compliance -- "${filters[@]}" 2>&1) || failed "$runner" "$i"
            line=$(echo "$out" | grep 'test result')
        else
            out=$(cargo nextest run -p prism-suites --test compliance -E "test(/::($regex)::/)" 2>&1) || failed "$runner" "$i"
            line=$(echo "$out" | grep 'Summary')
        fi
        echo "$runner run $i: $(secs "$start" "$(date +%s.%N)") s wall | $(echo "$line" | sed 's/^ *//')"
    done
done
