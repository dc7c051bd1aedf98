#!/usr/bin/env bash
# Provisions what one CI cell's backend needs (scripts/setup-backends.sh installs every backend;
# in-memory backends need nothing). Usage: scripts/ci-provision.sh <backend>
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:?usage: ci-provision.sh <backend>}"
case "$backend" in
    memstore | memstore_*) echo "ci-provision: $backend is in memory: nothing to provision" ;;
    *) bash scripts/setup-backends.sh ;;
esac
