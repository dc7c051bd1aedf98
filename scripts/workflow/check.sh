#!/usr/bin/env bash
# The CI workflow, tested here: actionlint on every workflow file, the interface-compliance
# workflow played on this machine (play.py: plan, build and archive, two cells with one failing
# on purpose, summary), and the summary's HTML report opened in headless Chromium (html-check.py).
# Needs the workspace built (scripts/test.sh builds it first); installs chromium with apt-get.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/workflow/lint.sh
# shellcheck source=scripts/workflow/venv.sh
source scripts/workflow/venv.sh
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "workflow-check: installing chromium (apt-get)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "workflow-check: /usr/bin/chromium is missing and cannot be installed here" >&2
        exit 1
    fi
fi
out=target/prism/play
"$WORKFLOW_PY" scripts/workflow/play.py --keep "$out"
report="$out/jobs/summary/target/prism"
"$WORKFLOW_PY" scripts/workflow/html-check.py "$report/report.html" "$report/report.json" \
    --screenshot target/prism/report.png
