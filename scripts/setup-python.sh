#!/usr/bin/env bash
# The Python fixture plugin's environment (plugins/python-kv): a virtualenv with grpcio, its health
# service and grpcio-tools from PyPI, and Python stubs generated from proto/ (what a Python plugin
# author does). Idempotent: the venv is made once, the stubs again only when a proto is newer.
#
# The venv goes to target/python/venv, the stubs to target/python/stubs (where the fixture's
# registry file looks for them). PRISM_PYTHON (default python3) is the interpreter the venv is made
# from.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PRISM_PYTHON:-python3}"
dir="$root/target/python"
venv="$dir/venv"
stubs="$dir/stubs"

if ! command -v "$python" >/dev/null || ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  if [[ "$python" == python3 ]] && command -v apt-get >/dev/null; then
    echo "setup-python: installing python3 and python3-venv" >&2
    apt-get install -y -qq python3 python3-venv >/dev/null
  else
    echo "setup-python: $python with venv is needed (apt-get install python3 python3-venv)" >&2
    exit 1
  fi
fi
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import grpc, grpc_tools, grpc_health' 2>/dev/null; then
  echo "setup-python: creating $venv with grpcio" >&2
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'grpcio==1.*' 'grpcio-tools==1.*' 'grpcio-health-checking==1.*'
fi

newest_proto="$(find "$root/proto/proto" -name '*.proto' -newer "$stubs/.generated" 2>/dev/null | head -1 || true)"
if [[ ! -f "$stubs/.generated" || -n "$newest_proto" ]]; then
  rm -rf "$stubs.tmp" && mkdir -p "$stubs.tmp"
  mapfile -t protos < <(cd "$root/proto/proto" && find . -name '*.proto' | sed 's|^\./||' | sort)
  "$venv/bin/python" -m grpc_tools.protoc -I "$root/proto/proto" \
    --python_out="$stubs.tmp" --grpc_python_out="$stubs.tmp" "${protos[@]}"
  touch "$stubs.tmp/.generated"
  rm -rf "$stubs" && mv "$stubs.tmp" "$stubs"
  echo "setup-python: generated stubs for ${#protos[@]} protos in $stubs" >&2
fi
