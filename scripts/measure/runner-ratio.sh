#!/usr/bin/env bash
# Wall time of one backend's matrix under `cargo test` and under `cargo nextest run`, after a
# build, alternating RUNS times (default 5), with the medians and their ratio; and how many backend
# instances and plugin processes each nextest run started (from PRISM_SUITE_EVENTS).
#
#   bash scripts/measure/runner-ratio.sh redis 5
#   PRISM_REDIS_PROVIDER=native bash scripts/measure/runner-ratio.sh redis
set -euo pipefail
cd "$(dirname "$0")/../.."
backend=${1:-redis}
runs=${2:-5}
events=$(mktemp)
trap 'rm -f "$events"' EXIT

cargo test --no-run --quiet -p prism-suites --test compliance 2>/dev/null
cargo build --quiet --workspace --bins

wall() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "runner-ratio: failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    awk "BEGIN { printf \"%.2f\", $end - $start }"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

tests=() nextests=()
for i in $(seq 1 "$runs"); do
    t=$(wall cargo test -q -p prism-suites --test compliance -- "$backend::")
    : >"$events"
    n=$(PRISM_SUITE_EVENTS="$events" wall cargo nextest run -p prism-suites --test compliance -E "test(/^$backend::/)")
    instances=$(grep -c "^instance $backend " "$events" || true)
    plugins=$(grep -c "^plugin $backend " "$events" || true)
    echo "run $i: cargo test $t s, cargo nextest run $n s (nextest started $instances instance(s), $plugins plugin process(es))"
    tests+=("$t") nextests+=("$n")
done
t=$(printf '%s\n' "${tests[@]}" | median)
n=$(printf '%s\n' "${nextests[@]}" | median)
echo "median: cargo test $t s, cargo nextest run $n s, ratio $(awk "BEGIN { printf \"%.2f\", $n / $t }")"
