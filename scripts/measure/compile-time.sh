#!/usr/bin/env bash
# Compile time of the compliance test target per 1,000 generated tests, from synthetic registries
# of N backends that each claim the six keyvalue interfaces. Only the test target is timed: its
# dependencies and the suites library are built first, then tests/compliance.rs is touched.
# Incremental compilation is off, so the timed build compiles every generated test from scratch.
#
#   bash scripts/measure/compile-time.sh [BACKENDS...]     (default: 1 14 27)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/target/prism-measure"
mkdir -p "$out"
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 14 27)

registry() {
    local n=$1 dir="$out/registry-$1"
    rm -rf "$dir" && mkdir -p "$dir"
    for i in $(seq 1 "$n"); do
        printf 'backend: synth_%03d\nplugin: built-in\nimplements: [keyvalue_basic, keyvalue_scan, keyvalue_ttl, keyvalue_transactional, keyvalue_batch, keyvalue_cas]\n' "$i" >"$dir/synth_$i.yaml"
    done
    echo "$dir"
}

export CARGO_INCREMENTAL=0
printf '%-9s %-7s %-9s\n' backends tests seconds
rows=()
for n in "${counts[@]}"; do
    dir=$(registry "$n")
    export PRISM_REGISTRY_DIR="$dir"
    cargo test --no-run --quiet -p prism-suites --test compliance 2>/dev/null
    touch suites/tests/compliance.rs
    start=$(date +%s.%N)
    cargo test --no-run --quiet -p prism-suites --test compliance 2>/dev/null
    end=$(date +%s.%N)
    tests=$(cargo test --quiet -p prism-suites --test compliance -- --list 2>/dev/null | grep -c ': test$')
    secs=$(awk "BEGIN { print $end - $start }")
    printf '%-9s %-7s %-9.2f\n' "$n" "$tests" "$secs"
    rows+=("$tests $secs")
done
unset PRISM_REGISTRY_DIR CARGO_INCREMENTAL
# Restore the real registry's build.
touch suites/tests/compliance.rs
cargo test --no-run --quiet -p prism-suites --test compliance 2>/dev/null

first=(${rows[0]}); last=(${rows[-1]})
awk -v t0="${first[0]}" -v s0="${first[1]}" -v t1="${last[0]}" -v s1="${last[1]}" \
    'BEGIN { printf "per 1000 generated tests: %.2f s (slope between %d and %d tests)\n", (s1 - s0) / (t1 - t0) * 1000, t0, t1 }'
