#!/bin/sh
# The native PostgreSQL of the test runs (registry/backends/postgres.yaml, instance.native):
#
#   native.sh init DIR        a fresh data directory in DIR/data, trust authentication
#   native.sh serve DIR PORT  exec the server on 127.0.0.1:PORT (no Unix socket), in the foreground
#
# Debian's binaries are found without PATH help (/usr/lib/postgresql/<newest>/bin). `init` copies a
# data directory initialised once per PostgreSQL version and user and cached outside the clone
# (${XDG_CACHE_HOME:-~/.cache}/prism-suite/postgres-<version>-<user>), which is much faster than
# initdb (scripts/measure/postgres-ready.sh measures both); PRISM_POSTGRES_INITDB=1 runs initdb
# every time instead. PostgreSQL refuses to run as root, so as root both steps run as the
# `postgres` user (Debian's package creates it; else `nobody`), which then owns DIR.
set -eu

die() {
    echo "prism-postgres-native: $*" >&2
    exit 127
}

bindir() {
    for b in "${PRISM_POSTGRES_BINDIR:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        [ -n "$b" ] && [ -x "$b/postgres" ] && [ -x "$b/initdb" ] && { echo "$b"; return; }
    done
    p="$(command -v postgres 2>/dev/null || true)"
    [ -n "$p" ] && [ -x "$(dirname "$p")/initdb" ] && { dirname "$p"; return; }
    die "no PostgreSQL server binaries (postgres, initdb): install Debian's postgresql (bash scripts/setup-backends.sh), or point at a running server with PRISM_POSTGRES_URL=<url>"
}

BIN="$(bindir)"
AS=""
if [ "$(id -u)" = 0 ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || user=nobody
    AS="setpriv --reuid=$user --regid=$(id -g "$user") --init-groups"
fi

as_owner() {
    # shellcheck disable=SC2086
    $AS "$@"
}

case "${1:-}" in
init)
    dir="${2:?usage: native.sh init DIR}"
    if [ -n "$AS" ]; then
        chown "$user" "$dir"
        # The server's user must reach DIR: let it traverse (not list) the directories above.
        p="$dir"
        while [ "$p" != / ]; do
            [ -n "$(find "$p" -maxdepth 0 ! -perm -o+x)" ] && chmod o+x "$p"
            p="$(dirname "$p")"
        done
    fi
    if [ "${PRISM_POSTGRES_INITDB:-0}" = 1 ]; then
        as_owner "$BIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
        exit 0
    fi
    version="$("$BIN/postgres" --version | awk '{print $3}')"
    cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/prism-suite/postgres-$version-$(id -un)${AS:+-as-$user}"
    mkdir -p "$cache"
    # One initdb per version and user, even when several runs start at once; the server's user
    # never needs to reach the cache (a root-owned home is fine): copies keep their owner.
    (
        flock 9
        if [ ! -f "$cache/template/PG_VERSION" ]; then
            as_owner "$BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
            rm -rf "$cache/template" "$cache/template.new"
            cp -a "$dir/data" "$cache/template.new"
            mv "$cache/template.new" "$cache/template"
            exit 0
        fi
        cp -a "$cache/template" "$dir/data"
    ) 9>"$cache/lock"
    ;;
serve)
    dir="${2:?usage: native.sh serve DIR PORT}"
    port="${3:?usage: native.sh serve DIR PORT}"
    # Test settings: nothing needs to survive a crash, so no fsync. SIGTERM (how runs stop their
    # servers) is PostgreSQL's "smart" shutdown, which waits for every client to leave; it is
    # passed on as SIGINT, the "fast" shutdown, which ends the sessions.
    $AS "$BIN/postgres" -D "$dir/data" -p "$port" -c listen_addresses=127.0.0.1 \
        -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=200 &
    server=$!
    trap 'kill -INT "$server" 2>/dev/null' TERM INT
    status=0
    while kill -0 "$server" 2>/dev/null; do
        wait "$server" || status=$?
    done
    exit "$status"
    ;;
*)
    die "usage: native.sh init DIR | serve DIR PORT"
    ;;
esac
