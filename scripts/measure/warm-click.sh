#!/usr/bin/env bash
# Click-to-result of one case from the editor: the command rust-analyzer's runnable runs
# (`cargo test --package prism-suites --test compliance -- CASE --exact`), RUNS times (default 5)
# each with a fresh instance (the default) and with a warm one (PRISM_WARM=1, reused between
# runs), on a warm build. Also the two compile steps inside that command, measured alone: cargo's
# own up-to-date check of the test binary (`cargo test --no-run`) and the plugins' build step
# (`cargo build --workspace --bins`, run by the harness once per run); "beyond compile" is the
# warm median minus both. The warm instance it starts is ended at the end (`kill` of its
# supervisor), so nothing stays.
#
#   bash scripts/measure/warm-click.sh [CASE] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
case=${1:-redis::keyvalue_scan::scan_prefix}
runs=${2:-5}
# shellcheck source=scripts/measure/timing.sh
source "$here/timing.sh"

click=(cargo test --quiet --package prism-suites --test compliance -- "$case" --exact)
cargo test --quiet --package prism-suites --test compliance --no-run >/dev/null 2>&1
cargo build --quiet --workspace --bins

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The first warm run starts the instance; its announcement names the supervisor to end it with.
PRISM_WARM=1 PRISM_WARM_IDLE_SECS=120 "${click[@]}" 2>"$log" >/dev/null ||
    { cat "$log" >&2; exit 1; }
supervisor=$(sed -n 's/.*ended now by `kill \([0-9]*\)`.*/\1/p' "$log" | head -1)
[[ -n $supervisor ]] || { echo "warm-click: no warm instance was announced" >&2; cat "$log" >&2; exit 1; }

cold=() warm=() case_only=() check=() build=()
for _ in $(seq 1 "$runs"); do
    cold+=("$(PRISM_WARM=0 wall "${click[@]}")")
    warm+=("$(PRISM_WARM=1 wall "${click[@]}")")
    case_only+=("$(PRISM_WARM=1 PRISM_SKIP_BUILD=1 wall "${click[@]}")")
    check+=("$(wall cargo test --quiet --package prism-suites --test compliance --no-run)")
    build+=("$(wall cargo build --quiet --workspace --bins)")
done
kill "$supervisor"

m() { printf '%s\n' "$@" | median; }
printf '%-40s %s\n' "case" "$case"
printf '%-40s %s s (%s)\n' "fresh instance (default)" "$(m "${cold[@]}")" "${cold[*]}"
printf '%-40s %s s (%s)\n' "warm instance (PRISM_WARM=1)" "$(m "${warm[@]}")" "${warm[*]}"
printf '%-40s %s s (%s)\n' "warm, plugin build step skipped" "$(m "${case_only[@]}")" "${case_only[*]}"
printf '%-40s %s s (%s)\n' "compile: cargo's up-to-date check" "$(m "${check[@]}")" "${check[*]}"
printf '%-40s %s s (%s)\n' "compile: the plugins' build step" "$(m "${build[@]}")" "${build[*]}"
awk -v w="$(m "${warm[@]}")" -v c="$(m "${check[@]}")" -v b="$(m "${build[@]}")" \
    'BEGIN { printf "%-40s %.2f s (target: 0.5 s)\n", "warm, beyond compile", w - c - b }'
