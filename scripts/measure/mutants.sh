#!/usr/bin/env bash
# Mutation testing of one plugin with cargo-mutants, the compliance suites as the test: each mutant
# of the plugin's source is built and the plugin's matrix runs against it; a mutant the matrix
# fails is killed, one it passes survived. Prints the kill rate of the plugin and of each file.
#
#   bash scripts/measure/mutants.sh redis                        the whole plugin
#   bash scripts/measure/mutants.sh redis --shard 1/8            one shard of it (several sittings)
#   bash scripts/measure/mutants.sh redis -f plugins/redis/src/keys.rs
#   bash scripts/measure/mutants.sh memstore --shard 3/40
#
# Extra arguments go to cargo-mutants. Its unmutated baseline tests the mutated package only
# (cargo-mutants 27.1.0 ignores --test-package there), so this script runs the baseline itself, the
# same `cargo test -p prism-suites --test compliance -- <plugin>::`, and skips cargo-mutants' own. It mutates a git worktree of HEAD under
# ~/.cache/prism-suite/mutants/ (its own target directory there, kept between sittings, so a
# sitting does not rebuild the workspace), never this checkout. Results: the worktree's
# mutants.out/ (cargo-mutants' own outcomes.json, caught.txt, missed.txt, ...), and a summary
# line per file printed at the end; commit that summary under docs/mutants/ to add a sitting's
# numbers to the total. The files a plugin's matrix cannot see (its deliberate faults, which only
# the self-checks turn on) are excluded.
#
# Cost on 2 cores: a redis mutant rebuilds the plugin binary (the matrix's build step) and runs
# its ~300 cases, about half a minute; a memstore mutant also rebuilds the suites and the
# compliance test binary, which link memstore in-process, about two minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
plugin=${1:?usage: mutants.sh <memstore|redis|postgres|kafka> [cargo-mutants args...]}
shift

case "$plugin" in
memstore) package=prism-memstore filter="memstore::" exclude=plugins/memstore/src/faults.rs ;;
redis) package=prism-redis filter="redis::" exclude=plugins/redis/src/faults.rs ;;
postgres) package=prism-postgres filter="postgres::" exclude=/dev/null ;;
kafka) package=prism-kafka filter="kafka::" exclude=/dev/null ;;
*) echo "mutants: unknown plugin $plugin (memstore, redis, postgres, kafka)" >&2; exit 2 ;;
esac

cache=${PRISM_MUTANTS_CACHE:-$HOME/.cache/prism-suite/mutants}
tools=$HOME/.cache/prism-suite/tools/cargo-mutants
mutants=$tools/bin/cargo-mutants
if [ ! -x "$mutants" ]; then
    echo "mutants: installing cargo-mutants into $tools (once; about 5 minutes on 2 cores)"
    cargo install --locked cargo-mutants --version 27.1.0 --root "$tools"
fi

work=$cache/worktree
mkdir -p "$cache"
if [ ! -d "$work/.git" ] && [ ! -f "$work/.git" ]; then
    git -C "$repo" worktree add --detach "$work" HEAD >/dev/null
fi
git -C "$work" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"
git -C "$work" reset --quiet --hard

export CARGO_TARGET_DIR=$cache/target
cd "$work"
# The matrix's own build step builds the plugin binaries; built here first, the baseline does not
# pay it. The baseline: the unmutated plugin passes its matrix, else no mutant means anything.
cargo build --quiet --workspace --bins
echo "mutants: baseline, the unmutated $plugin matrix"
cargo test --quiet -p prism-suites --test compliance -- "$filter"

excludes=()
[ "$exclude" != /dev/null ] && excludes=(-e "$exclude")
status=0
"$mutants" mutants --in-place --package "$package" --test-package "prism-suites" \
    --baseline skip "${excludes[@]}" --timeout 300 --build-timeout 900 "$@" \
    -- --test compliance -- "$filter" || status=$?
# cargo-mutants exits 2 when mutants survived, 3 on timeouts: both are results, not failures.
case $status in 0 | 2 | 3) ;; *) echo "mutants: cargo-mutants failed (exit $status)" >&2; exit "$status" ;; esac

python3 - "$work/mutants.out/outcomes.json" "$plugin" <<'EOF'
import collections, json, sys
outcomes = json.load(open(sys.argv[1]))["outcomes"]
per_file = collections.defaultdict(collections.Counter)
for o in outcomes:
    scenario = o.get("scenario")
    if not isinstance(scenario, dict) or "Mutant" not in scenario:
        continue
    per_file[scenario["Mutant"]["file"]][o["summary"]] += 1
def line(name, c):
    viable = c["CaughtMutant"] + c["MissedMutant"] + c["Timeout"]
    killed = c["CaughtMutant"] + c["Timeout"]
    rate = f"{100 * killed / viable:.1f}%" if viable else "-"
    return (f"{name}: {rate} killed ({killed} of {viable} viable: {c['CaughtMutant']} caught, "
            f"{c['Timeout']} timed out, {c['MissedMutant']} missed; {c['Unviable']} unviable)")
total = collections.Counter()
for f in sorted(per_file):
    print(line(f, per_file[f]))
    total += per_file[f]
print(line(f"{sys.argv[2]} (this run)", total))
EOF
