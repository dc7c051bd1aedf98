#!/usr/bin/env bash
# Makes a docker daemon answer, for the docker provider of real backends: installs docker.io when no
# docker is there, starts dockerd in the background when `docker info` fails, and waits until it
# answers. Exits 0 when docker answers, 1 (with the reason) when it cannot run here: the native
# provider then serves the backends, so callers may go on.
#
# In this project's sandbox a plain `dockerd` works (overlay2, default bridge, iptables NAT). The
# docker provider publishes every container port on 127.0.0.1 only (never on all interfaces), so
# nothing a test run starts is reachable from the network. Extra daemon flags go in
# PRISM_DOCKERD_FLAGS (for example `--storage-driver=vfs --iptables=false` where overlayfs or
# iptables are missing).
set -uo pipefail

log="${PRISM_DOCKERD_LOG:-/tmp/prism-dockerd.log}"

if docker info >/dev/null 2>&1; then
    exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "setup-docker: no dockerd and no way to install it here (needs root and apt-get); install docker, or use the native provider" >&2
        exit 1
    fi
    echo "setup-docker: installing docker.io"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; }; then
        echo "setup-docker: apt-get install docker.io failed" >&2
        exit 1
    fi
fi
if docker info >/dev/null 2>&1; then
    exit 0 # the package's service started it
fi
if [ "$(id -u)" != 0 ]; then
    echo "setup-docker: dockerd is installed but not running, and only root can start it here" >&2
    exit 1
fi
echo "setup-docker: starting dockerd in the background (log: $log)"
# setsid: the daemon must outlive this script and the test run that called it.
# shellcheck disable=SC2086
setsid dockerd ${PRISM_DOCKERD_FLAGS:-} >"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        echo "setup-docker: dockerd answers"
        exit 0
    fi
    sleep 0.5
done
echo "setup-docker: dockerd did not answer within 30 s; last lines of $log:" >&2
tail -n 15 "$log" >&2
exit 1
