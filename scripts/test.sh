#!/usr/bin/env bash
# Every test of the project, as CI runs it: formatting, lints, the whole workspace under
# `cargo test`, then the compliance matrix again under nextest (a process per test, which is how
# most users run it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace
echo "== cargo nextest run (compliance matrix, a process per test)"
cargo nextest run -p prism-suites --test compliance --no-fail-fast
