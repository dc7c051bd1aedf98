#!/usr/bin/env bash
# Installs the Kafka-API broker of the native provider, nisshi, from crates.io, once per machine:
# built into ~/.cache/prism-suite (outside the clone, kept between runs and clones), then linked
# on PATH as `nisshi-<version>`, the name registry/backends/kafka.yaml runs. Idempotent: with the
# binary in the cache it only (re)makes the link.
#
# nisshi's lockfile needs rustc 1.96 (rama 0.4), so it builds with a nightly toolchain; an
# existing one is used when it is recent enough, else `rustup toolchain install nightly`. It is
# built at opt-level 1: 816 s on 2 cores instead of 1509 s at the release default of 3 (that one
# in a CI run, partly beside another build), and the
# Kafka matrix (98 cases, native) runs as fast on either (2.97/3.32 s against 3.02/3.21 s), so
# the uncached CI run stays well inside its hour. Its target directory is cached too, so an
# interrupted build resumes.
#
#   PRISM_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/prism-suite)
#   PRISM_BIN_LINKS   where the link goes (default: the directory of `cargo` on PATH)
set -euo pipefail

VERSION=0.8.1
FEATURES=dynostore,libsql
cache="${PRISM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/prism-suite}"
root="$cache/tools/nisshi-$VERSION"
binary="$root/bin/nisshi"
name="nisshi-$VERSION"

toolchain() {
    local tc version
    for tc in nightly stable; do
        version=$(rustup run "$tc" rustc --version 2>/dev/null | awk '{print $2}') || continue
        # 1.96 or newer (nightlies report 1.97.0-nightly and the like).
        if printf '%s\n' "1.96.0" "${version%%-*}" | sort -V -C; then
            echo "$tc"
            return 0
        fi
    done
    echo "setup-kafka: installing a nightly Rust toolchain (nisshi $VERSION needs rustc >= 1.96)" >&2
    rustup toolchain install nightly --profile minimal >&2
    echo nightly
}

if [ ! -x "$binary" ]; then
    if ! command -v rustup >/dev/null 2>&1; then
        echo "setup-kafka: rustup is needed to build nisshi $VERSION" >&2
        exit 1
    fi
    tc=$(toolchain)
    echo "setup-kafka: building nisshi $VERSION from crates.io with $tc (about 14 minutes on 2 cores; cached in $root)"
    start=$(date +%s)
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo "+$tc" install "nisshi@$VERSION" --locked --no-default-features --features "$FEATURES" \
        --root "$root" --target-dir "$cache/build/nisshi" --quiet
    echo "setup-kafka: built nisshi $VERSION in $(( $(date +%s) - start )) s"
fi

links="${PRISM_BIN_LINKS:-$(dirname "$(command -v cargo)")}"
mkdir -p "$links"
if [ "$(readlink "$links/$name" 2>/dev/null)" != "$binary" ]; then
    ln -sfn "$binary" "$links/$name"
fi
if ! command -v "$name" >/dev/null 2>&1; then
    echo "setup-kafka: linked $links/$name, but $links is not on PATH" >&2
    exit 1
fi
echo "setup-kafka: $name -> $binary ($("$binary" --version))"
