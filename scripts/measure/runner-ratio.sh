#!/usr/bin/env bash
# Wall time of one backend's matrix under `cargo test` and under `cargo nextest run`, after a
# build, alternating RUNS times (default 5), with the medians and their ratio; and how many backend
# instances and plugin processes each nextest run started (from PRISM_SUITE_EVENTS).
#
#   bash scripts/measure/runner-ratio.sh redis 5
#   PRISM_REDIS_PROVIDER=native bash scripts/measure/runner-ratio.sh redis
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
backend=${1:-redis}
runs=${2:-5}
events=$(mktemp)
trap 'rm -f "$events"' EXIT

cargo test --no-run --quiet -p prism-suites --test compliance 2>/dev/null
cargo build --quiet --workspace --bins

# shellcheck source=scripts/measure/timing.sh
source "$here/timing.sh"

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
