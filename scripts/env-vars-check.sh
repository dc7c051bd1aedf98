#!/usr/bin/env bash
# Fails when the README misses a PRISM_* variable that the sources, scripts or registry files read,
# or when a README link leaves the repository or points at nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
table="$(grep '^|' README.md)"
for var in $(grep -rhoIP '(?<![A-Za-z0-9_])PRISM_[A-Z_]*' --include=*.rs --include=*.sh --include=*.yaml --include=*.yml \
               --include=*.toml --include=*.py --exclude-dir=target --exclude-dir=.git . | sort -u); do
  # `PRISM_` alone is the prefix of names built at run time (PRISM_<BACKEND>_URL).
  if ! grep -qF "\`$var\`" <<<"$table" && ! grep -qF "\`$var<" <<<"$table"; then
    echo "env-vars-check: $var is read but not in the README's table of environment variables" >&2
    status=1
  fi
done
# Markdown links: [text](target) with a relative target must resolve inside the repository.
while IFS= read -r target; do
  target="${target%%#*}"
  case "$target" in ''|http://*|https://*|mailto:*) continue ;; esac
  if [[ "$target" == ../* || "$target" == /* || ! -e "$target" ]]; then
    echo "env-vars-check: README links to $target, which is not in the repository" >&2
    status=1
  fi
done < <(grep -o '\]([^)]*)' README.md | sed 's/^](//; s/)$//')
if grep -n '\.\./shared' README.md >&2; then
  echo "env-vars-check: the README points at ../shared, outside the repository" >&2
  status=1
fi
[[ $status == 0 ]] && echo "env-vars-check: every PRISM_* variable is documented; README links resolve"
exit $status
