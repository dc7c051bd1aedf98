#!/usr/bin/env bash
# Wall time of the trybuild stage (the compile-fail tests of registry mistakes) from a fresh
# trybuild directory, as on a fresh CI checkout: the test binary is built first and not timed,
# then target/tests/trybuild is removed and the test is run under `time`.
#
#   bash scripts/measure/trybuild.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test --quiet -p prism-suite-macros --test registry_errors --no-run 2>/dev/null
rm -rf target/tests/trybuild
start=$(date +%s.%N)
log=target/prism-measure/trybuild.log
mkdir -p "$(dirname "$log")"
if ! cargo test --quiet -p prism-suite-macros --test registry_errors >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "trybuild stage failed; full output in $log" >&2
    exit 1
fi
end=$(date +%s.%N)
cases=$(ls prism-suite-macros/tests/ui/*.rs | wc -l)
awk -v s="$start" -v e="$end" -v n="$cases" 'BEGIN { printf "trybuild stage: %d cases, %.1f s from a fresh target/tests/trybuild\n", n, e - s }'
