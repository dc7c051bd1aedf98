#!/usr/bin/env bash
# Builds the local test image `prism-local/postgres:15` from Debian's PostgreSQL binaries and the
# libraries they link (ldd), with `docker import`: no container registry is needed. It behaves like
# the official `postgres:16` for the tests: the server on 5432 as user postgres, trust
# authentication from any address (the container publishes on 127.0.0.1 only), database and role
# `postgres`, logging "database system is ready to accept connections" to stderr, PGDATA and PATH
# set so that the registry's `args: ["postgres", ...]` work the same in both images. The data
# directory is initialised here, once, so a container starts without initdb.
# Skips when the image exists; PRISM_REBUILD_IMAGES=1 rebuilds it.
#
# Then, when the registry's image name (`postgres:16`, as registry/backends/postgres.yaml names it)
# is not present and cannot be pulled, tags the local image with that name (as build-redis.sh
# does), so plain `cargo test` finds it with nothing exported. PRISM_POSTGRES_IMAGE still overrides.
set -euo pipefail

IMAGE="${PRISM_LOCAL_POSTGRES_IMAGE:-prism-local/postgres:15}"
OFFICIAL="postgres:16"

# Tags $IMAGE as $OFFICIAL unless $OFFICIAL is present or can be pulled.
tag_official() {
    if docker image inspect "$OFFICIAL" >/dev/null 2>&1; then
        return 0
    fi
    if timeout 60 docker pull -q "$OFFICIAL" >/dev/null 2>&1; then
        echo "build-postgres: pulled $OFFICIAL"
        return 0
    fi
    docker tag "$IMAGE" "$OFFICIAL"
    echo "build-postgres: $OFFICIAL cannot be pulled here; tagged $IMAGE as $OFFICIAL"
}

if ! docker info >/dev/null 2>&1; then
    echo "build-postgres: no docker daemon answers; run scripts/setup-docker.sh first" >&2
    exit 1
fi
if [ "${PRISM_REBUILD_IMAGES:-0}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "build-postgres: $IMAGE present"
    tag_official
    exit 0
fi
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r | head -1 || true)"
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
    echo "build-postgres: installing postgresql (its binaries go into the image)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -t/ -k4 -n -r | head -1)"
fi
version="$(basename "$(dirname "$bin")")"
lib="/usr/lib/postgresql/$version/lib"
share="/usr/share/postgresql/$version"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root$bin" "$root$lib" "$root$share" "$root/usr/share" "$root/tmp" "$root/etc" \
    "$root/var/run/postgresql" "$root/var/lib/postgresql"
cp -L "$bin/postgres" "$bin/initdb" "$bin/pg_ctl" "$root$bin/"
cp -a "$lib/." "$root$lib/"
# JIT links all of LLVM (over 100 MB) and is off unless asked for.
rm -rf "$root$lib"/llvmjit* "$root$lib/bitcode"
cp -a "$share/." "$root$share/"
cp -a /usr/share/zoneinfo "$root/usr/share/"
# Every binary and library, with what it loads, at the same paths as on the host (ld.so included).
for f in "$bin/postgres" "$bin/initdb" "$root$lib"/*.so; do
    ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\/lib/{print $1}'
done | sort -u | while read -r so; do
    mkdir -p "$root$(dirname "$so")"
    cp -L "$so" "$root$so"
done

uid=999
gid=999
echo "postgres:x:$uid:$gid::/var/lib/postgresql:/usr/sbin/nologin" >"$root/etc/passwd"
echo "postgres:x:$gid:" >"$root/etc/group"
chmod 1777 "$root/tmp"

# initdb on the host, as an unprivileged user (it refuses root), then owned by the image's user.
data="$root/var/lib/postgresql/data"
mkdir -p "$data"
as=()
if [ "$(id -u)" = 0 ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || user=nobody
    chown "$user" "$data"
    chmod 755 "$root" "$root/var" "$root/var/lib" "$root/var/lib/postgresql"
    as=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups)
fi
"${as[@]}" "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
{
    echo "listen_addresses = '*'"
    echo "unix_socket_directories = '/var/run/postgresql'"
} >>"$data/postgresql.conf"
{
    echo "host all all 0.0.0.0/0 trust"
    echo "host all all ::/0 trust"
} >>"$data/pg_hba.conf"
chown -R "$uid:$gid" "$data" "$root/var/run/postgresql"
chmod 700 "$data"

tar -C "$root" -c . | docker import \
    --change "ENV PATH=$bin:/usr/bin:/bin" \
    --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'USER postgres' \
    --change 'WORKDIR /var/lib/postgresql' \
    --change 'EXPOSE 5432' \
    --change 'CMD ["postgres"]' \
    --change 'LABEL org.opencontainers.image.description="PostgreSQL from Debian, built by prism-suite scripts/images/build-postgres.sh"' \
    - "$IMAGE" >/dev/null
echo "build-postgres: built $IMAGE ($("$bin/postgres" --version))"
tag_official
