#!/usr/bin/env bash
# Every test of the project, as CI runs it: formatting, lints, the whole workspace under
# `cargo test`, the provisioning leak check, the Redis matrix on a machine without docker and
# redis-server (simulated in a mount namespace), then the compliance matrix again under nextest (a
# process per test, which is how most users run it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# shellcheck source=scripts/local-images.sh
source scripts/local-images.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== plugin binaries"
# The harness runs each plugin's `build` step on first use; building the plugins first, in one
# cargo call, keeps that from happening mid-run (their features differ from the test build's, so
# it is a real compile on a fresh checkout) and leaves the step a no-op.
cargo build --workspace --bins
echo "== cargo test --workspace"
cargo test --workspace
echo "== the Redis keyvalue and list suites again, through the native provider"
PRISM_REDIS_PROVIDER=native cargo test -p prism-suites --test compliance -- redis::keyvalue_ redis::list_
echo "== leak check (every way a run can end leaves no container or server behind)"
bash scripts/leak-check.sh
echo "== no docker and no redis-server: every Redis case fails with one clear message, quickly"
bash scripts/no-backends-check.sh
echo "== cargo nextest run (compliance matrix, a process per test)"
cargo nextest run -p prism-suites --test compliance --no-fail-fast
