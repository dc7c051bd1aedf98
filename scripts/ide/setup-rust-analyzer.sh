#!/usr/bin/env bash
# Installs the rust-analyzer that scripts/ide/ide-check.py talks to, once per machine: rustup's
# component cannot be installed here, so it is built from crates.io (`ra_ap_rust-analyzer`, the
# binary crate) into ~/.cache/prism-suite (outside the clone, kept between runs and clones) and
# linked on PATH as `rust-analyzer-<version>`. 0.0.348 is the newest release that builds on
# stable 1.95 (0.0.349 uses the unstable `std::assert_matches`). The build took 15 min 41 s of
# CPU (54 min wall at nice 19 on 2 busy cores). Idempotent: with the binary cached it only links.
#
#   PRISM_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/prism-suite)
#   PRISM_BIN_LINKS   where the link goes (default: the directory of `cargo` on PATH)
set -euo pipefail

VERSION=0.0.348
cache="${PRISM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/prism-suite}"
root="$cache/tools/rust-analyzer-$VERSION"
binary="$root/bin/rust-analyzer"
name="rust-analyzer-$VERSION"

if [ ! -x "$binary" ]; then
    echo "setup-rust-analyzer: building ra_ap_rust-analyzer $VERSION from crates.io (about 16 min of CPU; cached in $root)"
    start=$(date +%s)
    cargo install "ra_ap_rust-analyzer@$VERSION" --locked --root "$root" \
        --target-dir "$cache/build/rust-analyzer" --quiet
    echo "setup-rust-analyzer: built in $(( $(date +%s) - start )) s"
fi
links="${PRISM_BIN_LINKS:-$(dirname "$(command -v cargo)")}"
mkdir -p "$links"
[ "$(readlink "$links/$name" 2>/dev/null)" = "$binary" ] || ln -sfn "$binary" "$links/$name"
echo "setup-rust-analyzer: $name -> $binary"
