#!/usr/bin/env bash
# Builds the local test image `prism-local/nisshi:0.8.1` from the nisshi binary that
# scripts/setup-kafka.sh installed and the libraries it links (ldd), with `docker import`: no
# container registry is needed. It reads the broker settings from the environment that
# registry/backends/kafka.yaml gives every image (LISTENER_URL, ADVERTISED_LISTENER_URL,
# STORAGE_ENGINE, ...), so it runs where Apache Kafka's official image would.
# Skips when the image exists; PRISM_REBUILD_IMAGES=1 rebuilds it.
#
# Then, when the registry's image (`apache/kafka:3.9.1`) is not present and cannot be pulled,
# tags the local image with that name, as build-redis.sh does for redis:7, so that plain
# `cargo test` and `cargo nextest run` find an image with nothing exported. The stand-in says what
# it is: its label `prism-suite.broker` (`docker image inspect apache/kafka:3.9.1`), and nisshi's
# first log line. A later run that can pull the official image replaces the stand-in;
# PRISM_KAFKA_IMAGE still overrides either.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=0.8.1
IMAGE="${PRISM_LOCAL_KAFKA_IMAGE:-prism-local/nisshi:$VERSION}"
OFFICIAL="apache/kafka:3.9.1"
LABEL="prism-suite.broker"

# Tags $IMAGE as $OFFICIAL unless the official image is present or can be pulled.
tag_official() {
    local broker
    broker=$(docker image inspect "$OFFICIAL" --format "{{index .Config.Labels \"$LABEL\"}}" 2>/dev/null) || broker=absent
    if [ "$broker" = "<no value>" ] || { [ "$broker" != absent ] && [ -z "$broker" ]; }; then
        return 0 # the real one
    fi
    if timeout 60 docker pull -q "$OFFICIAL" >/dev/null 2>&1; then
        echo "build-kafka: pulled $OFFICIAL"
        return 0
    fi
    docker tag "$IMAGE" "$OFFICIAL"
    echo "build-kafka: $OFFICIAL cannot be pulled here; tagged $IMAGE (nisshi $VERSION) as $OFFICIAL"
}

if ! docker info >/dev/null 2>&1; then
    echo "build-kafka: no docker daemon answers; run scripts/setup-docker.sh first" >&2
    exit 1
fi
if [ "${PRISM_REBUILD_IMAGES:-0}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "build-kafka: $IMAGE present"
    tag_official
    exit 0
fi
bash scripts/setup-kafka.sh >/dev/null
server="$(readlink -f "$(command -v "nisshi-$VERSION")")"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/data" "$root/tmp" "$root/etc"
cp "$server" "$root/usr/bin/nisshi"
# The binary and every library it loads, at the same paths as on the host (ld.so included).
ldd "$server" | awk '/=> \//{print $3} /^[[:space:]]*\/lib/{print $1}' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
echo "nisshi:x:999:999::/data:/usr/sbin/nologin" >"$root/etc/passwd"
echo "nisshi:x:999:" >"$root/etc/group"
chmod 1777 "$root/tmp"
chown 999:999 "$root/data"

tar -C "$root" -c . | docker import \
    --change 'WORKDIR /data' \
    --change 'USER nisshi' \
    --change 'EXPOSE 9092' \
    --change 'ENTRYPOINT ["/usr/bin/nisshi", "broker"]' \
    --change "LABEL $LABEL=\"nisshi $VERSION\"" \
    --change "LABEL org.opencontainers.image.description=\"nisshi $VERSION (a Kafka-API broker) from crates.io, built by prism-suite scripts/images/build-kafka.sh\"" \
    - "$IMAGE" >/dev/null
echo "build-kafka: built $IMAGE (nisshi $VERSION)"
tag_official
