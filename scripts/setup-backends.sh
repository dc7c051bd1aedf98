#!/usr/bin/env bash
# Real backends for the tests, on a fresh machine: the native servers (Debian packages) and, where
# docker can run, a docker daemon plus the local test images built from those packages' binaries
# (no container registry is reachable here). Idempotent. Docker being unavailable is not an
# error: the native provider then serves.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup-backends: installing ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "setup-backends: missing ${need[*]} and cannot apt-get install here; the native provider will not serve them" >&2
    fi
fi
# Debian's package starts a system redis on 6379; the tests start their own on free ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
    systemctl stop redis-server || true
fi

# The Kafka-API broker (nisshi) from crates.io, cached in ~/.cache/prism-suite: a 20-minute build
# the first time on a machine, a link afterwards.
bash scripts/setup-kafka.sh

if bash scripts/setup-docker.sh; then
    bash scripts/images/build-redis.sh
    bash scripts/images/build-postgres.sh
    bash scripts/images/build-kafka.sh
else
    echo "setup-backends: docker is unavailable; real backends use the native provider" >&2
fi
