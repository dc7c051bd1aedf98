#!/usr/bin/env bash
# The main job: run the compliance matrix of registry/backends (the in-memory backend in-process
# and as a plugin process, plus every backend whose plugin can be provided) and print it; the
# Markdown table lands in target/prism/compliance.md. Extra arguments go to prism-matrix
# (e.g. --backend memstore).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck source=scripts/local-images.sh
source scripts/local-images.sh
cargo build --quiet --workspace --bins
cargo run --quiet -p prism-suites --bin prism-matrix -- run --markdown target/prism/compliance.md "$@"
