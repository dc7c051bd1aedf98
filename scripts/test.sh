#!/usr/bin/env bash
# Every test of the project, as CI runs it: formatting, lints, the whole workspace under
# `cargo test`, the Redis, PostgreSQL and Kafka matrices once more through their native servers
# (cargo test and nextest), a nextest archive run without the registry directory, the CI
# workflow linted and played (scripts/workflow/check.sh), the provisioning leak check, every real
# backend's matrix on a machine without docker and without its servers (simulated in a mount
# namespace), then the whole compliance matrix under nextest (a process per test, which is how
# most users run it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The checks below count what each run starts and leaves: a warm instance (kept between runs) of
# the caller's shell would be neither started nor removed by them.
unset PRISM_WARM
bash scripts/setup.sh

# shellcheck source=scripts/local-images.sh
source scripts/local-images.sh

echo "== README: every PRISM_* variable documented, every link inside the repository"
bash scripts/env-vars-check.sh
echo "== the Python fixture plugin's environment (grpcio from PyPI, stubs from proto/)"
# tests/python_plugin.rs (part of the workspace's tests below) runs plugins/python-kv through one
# registry file; its `build` step is this same script, a no-op once it has run.
bash scripts/setup-python.sh
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== plugin binaries"
# The registry's `build` step of every plugin of this workspace is this same command: built here
# first, the step is a no-op during the tests instead of a compile that cases wait on.
cargo build --workspace --bins
echo "== cargo test --workspace"
cargo test --workspace
echo "== the Redis keyvalue and list suites again, through the native provider"
PRISM_REDIS_PROVIDER=native cargo test -p prism-suites --test compliance -- redis::keyvalue_ redis::list_
echo "== the PostgreSQL matrix again, through the native provider, under cargo test and nextest"
PRISM_POSTGRES_PROVIDER=native cargo test -p prism-suites --test compliance -- postgres::
PRISM_POSTGRES_PROVIDER=native cargo nextest run -p prism-suites --test compliance -E 'test(/^postgres::/)'
echo "== the Kafka matrix again, through the native provider (nisshi), under cargo test and nextest"
PRISM_KAFKA_PROVIDER=native cargo test -p prism-suites --test compliance -- kafka::
PRISM_KAFKA_PROVIDER=native cargo nextest run -p prism-suites --test compliance -E 'test(/^kafka::/)'
echo "== a nextest archive runs from another directory with the registry compiled in (no registry/backends)"
bash scripts/archive-check.sh
echo "== the CI workflow: actionlint, played here (plan, build, a passing and a failing cell, summary), its HTML report in headless Chromium"
bash scripts/workflow/check.sh
echo "== leak check (every way a run can end leaves no container or server behind)"
bash scripts/leak-check.sh
echo "== no docker, redis-server, nisshi or PostgreSQL: every case fails with one clear message, quickly"
bash scripts/no-backends-check.sh
echo "== cargo nextest run (compliance matrix, a process per test)"
cargo nextest run -p prism-suites --test compliance --no-fail-fast
