#!/usr/bin/env bash
# A prebuilt test binary runs with the registry compiled into it, never with the YAML of the
# machine it runs on: archives the compliance tests (`cargo nextest archive`), unpacks a copy of
# the sources *without* registry/backends/, and runs the memstore matrix from that archive in
# another directory. It passes only if every memstore case runs and passes, with no registry
# directory anywhere the tests could read one.
#
#   bash scripts/archive-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

work="$(mktemp -d "${TMPDIR:-/tmp}/prism-archive-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
archive="$work/compliance.tar.zst"

started=$(date +%s.%N)
cargo nextest archive -p prism-suites --test compliance --archive-file "$archive"
echo "archive-check: archived in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $started }") s ($(du -h "$archive" | cut -f1))"

# The sources the tests see at run time: the committed tree, minus every registry file.
mkdir -p "$work/src" "$work/elsewhere"
git -C "$repo" archive HEAD | tar -x -C "$work/src"
rm -rf "$work/src/registry/backends"
if find "$work/src" -path '*/registry/backends/*.yaml' | grep -q .; then
    echo "archive-check: a registry file is still in the copy" >&2
    exit 1
fi

cd "$work/elsewhere"
started=$(date +%s.%N)
log="$work/run.log"
status=0
cargo nextest run --archive-file "$archive" --workspace-remap "$work/src" \
    -E 'test(/^memstore::/)' --no-fail-fast >"$log" 2>&1 || status=$?
took=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $started }")
summary=$(grep -E '^ *Summary ' "$log" | tail -1)
echo "archive-check: $summary (${took} s, from $PWD, registry directory absent)"
listed=$(cargo nextest list --archive-file "$archive" --workspace-remap "$work/src" \
    -E 'test(/^memstore::/)' --message-format oneline 2>/dev/null | wc -l)
passed=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
if [ "$status" != 0 ] || [ "$passed" -lt 1 ] || [ "$passed" != "$listed" ]; then
    tail -40 "$log" >&2
    echo "archive-check: FAILED (exit $status, $passed passed of $listed listed)" >&2
    exit 1
fi
echo "archive-check: the archived memstore matrix passes without registry/backends ($passed of $listed)"
