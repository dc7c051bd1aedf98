#!/usr/bin/env bash
# What `cargo nextest run` costs before any test does work: a throwaway crate with N (default 298,
# the Redis matrix's size) tests that only compare two numbers, run RUNS times (default 3) under
# `cargo nextest run` (with its default double spawn and with NEXTEST_DOUBLE_SPAWN=0) and under
# `cargo test`, with the medians. It is the floor below which no harness change can bring the
# nextest/cargo-test ratio of a matrix (scripts/measure/runner-ratio.sh); the crate lives in
# target/prism/nextest-floor and uses the project's .config/nextest.toml test-threads.
#
#   bash scripts/measure/nextest-floor.sh [N] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
n=${1:-298}
runs=${2:-3}
threads=$(sed -n 's/^test-threads = \([0-9]*\)$/\1/p' .config/nextest.toml | head -1)
crate="$PWD/target/prism/nextest-floor"
mkdir -p "$crate/src" "$crate/tests"
cat >"$crate/Cargo.toml" <<'EOF'
[package]
name = "nextest-floor"
version = "0.1.0"
edition = "2021"
publish = false

[workspace]
EOF
: >"$crate/src/lib.rs"
for i in $(seq 1 "$n"); do
    echo "#[test] fn t$i() { assert_eq!(std::hint::black_box(1) + 1, 2); }"
done >"$crate/tests/many.rs"
cd "$crate"
cargo build --quiet --tests

# shellcheck source=scripts/measure/timing.sh
source "$here/timing.sh"

double=() single=() plain=()
for i in $(seq 1 "$runs"); do
    d=$(wall cargo nextest run --test-threads "${threads:-16}")
    s=$(NEXTEST_DOUBLE_SPAWN=0 wall cargo nextest run --test-threads "${threads:-16}")
    t=$(wall cargo test -q)
    echo "run $i: cargo nextest run $d s, with NEXTEST_DOUBLE_SPAWN=0 $s s, cargo test $t s"
    double+=("$d") single+=("$s") plain+=("$t")
done
echo "median for $n trivial tests: cargo nextest run $(printf '%s\n' "${double[@]}" | median) s," \
    "with NEXTEST_DOUBLE_SPAWN=0 $(printf '%s\n' "${single[@]}" | median) s," \
    "cargo test $(printf '%s\n' "${plain[@]}" | median) s"
