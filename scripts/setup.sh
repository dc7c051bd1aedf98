#!/usr/bin/env bash
# What a fresh machine needs before the tests: a Rust toolchain (expected on the machine),
# cargo-nextest, and the real backends' servers, docker daemon and local images
# (scripts/setup-backends.sh; docker being unavailable is tolerated). Idempotent; prints what it
# installs.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo not found; install Rust (https://rustup.rs) first" >&2
    exit 1
fi
if ! cargo nextest --version >/dev/null 2>&1; then
    echo "setup: installing cargo-nextest"
    cargo install --locked cargo-nextest
fi
bash "$(dirname "$0")/setup-backends.sh"
