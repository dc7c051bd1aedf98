#!/usr/bin/env bash
# Wall time of the whole memstore matrix (in-process and out-of-process backends) under
# `cargo test` and `cargo nextest run`, after a build, RUNS times each (default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
cargo test --no-run --quiet -p prism-suites --test compliance 2>/dev/null
cargo build --quiet --workspace --bins

time_of() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    awk "BEGIN { printf \"%.2f\", $end - $start }"
}
for i in $(seq 1 "$runs"); do
    echo "run $i: cargo test $(time_of cargo test -q -p prism-suites --test compliance) s," \
        "cargo nextest run $(time_of cargo nextest run -p prism-suites --test compliance) s"
done
