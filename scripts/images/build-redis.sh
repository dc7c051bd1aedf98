#!/usr/bin/env bash
# Builds the local test image `prism-local/redis:7` from the Debian redis-server binary and the
# libraries it links (ldd), with `docker import`: no container registry is needed. It behaves like
# the official `redis:7` for the tests: redis-server on 6379, reachable through a published port
# (protected mode off), logging "Ready to accept connections" to stdout, no persistence.
# Skips when the image exists; PRISM_REBUILD_IMAGES=1 rebuilds it.
#
# Then, when the registry's image name (`redis:7`, as registry/backends/redis.yaml names it) is
# not present and cannot be pulled, tags the local image with that name: plain `cargo test` and
# `cargo nextest run` then find it with nothing exported. An image that can be pulled (a machine
# with internet access) is left alone; PRISM_REDIS_IMAGE still overrides either.
set -euo pipefail

IMAGE="${PRISM_LOCAL_REDIS_IMAGE:-prism-local/redis:7}"
OFFICIAL="redis:7"

# Tags $IMAGE as $OFFICIAL unless $OFFICIAL is present or can be pulled.
tag_official() {
    if docker image inspect "$OFFICIAL" >/dev/null 2>&1; then
        return 0
    fi
    if timeout 60 docker pull -q "$OFFICIAL" >/dev/null 2>&1; then
        echo "build-redis: pulled $OFFICIAL"
        return 0
    fi
    docker tag "$IMAGE" "$OFFICIAL"
    echo "build-redis: $OFFICIAL cannot be pulled here; tagged $IMAGE as $OFFICIAL"
}

if ! docker info >/dev/null 2>&1; then
    echo "build-redis: no docker daemon answers; run scripts/setup-docker.sh first" >&2
    exit 1
fi
if [ "${PRISM_REBUILD_IMAGES:-0}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "build-redis: $IMAGE present"
    tag_official
    exit 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
    echo "build-redis: installing redis-server (its binary goes into the image)"
    apt-get install -y -qq redis-server >/dev/null
fi

server="$(readlink -f "$(command -v redis-server)")"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/data" "$root/tmp" "$root/etc"
cp "$server" "$root/usr/bin/redis-server"
# The binary and every library it loads, at the same paths as on the host (ld.so included).
ldd "$server" | awk '/=> \//{print $3} /^[[:space:]]*\/lib/{print $1}' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
echo "redis:x:999:999::/data:/usr/sbin/nologin" >"$root/etc/passwd"
echo "redis:x:999:" >"$root/etc/group"
chmod 1777 "$root/tmp"
chown 999:999 "$root/data"

tar -C "$root" -c . | docker import \
    --change 'WORKDIR /data' \
    --change 'USER redis' \
    --change 'EXPOSE 6379' \
    --change 'CMD ["/usr/bin/redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"]' \
    --change 'LABEL org.opencontainers.image.description="redis-server from Debian, built by prism-suite scripts/images/build-redis.sh"' \
    - "$IMAGE" >/dev/null
echo "build-redis: built $IMAGE ($(redis-server --version | awk '{print $3}'))"
tag_official
