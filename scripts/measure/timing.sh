# Helpers the measurement scripts source: `wall CMD...` prints CMD's wall time in seconds (output
# discarded; a failing CMD ends the script, naming it), `median` the median of numbers on stdin.
# shellcheck shell=bash

wall() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "$(basename "$0" .sh): failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    awk "BEGIN { printf \"%.2f\", $end - $start }"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
