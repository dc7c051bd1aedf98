#!/usr/bin/env bash
# End-to-end check of "no docker and no redis-server on the machine" (and no nisshi, no PostgreSQL
# binaries, for the Kafka and PostgreSQL matrices after the Redis one): runs the Redis matrix under
# `cargo test` and `cargo nextest run` in a mount namespace where the docker CLI, dockerd, the
# docker socket and redis-server are hidden (an empty, non-executable file bound over each), and
# checks that every Redis case fails with the one message that says what is missing and how to
# provide it, and that neither run takes long: the first process of a run finds that nothing can
# serve and the run remembers it, so no other process tries again. Target (checked): under 5 s
# for each runner.
# Needs root for `unshare -m`; without it, says so and exits 0 (the unit tests cover the choice).
#
#   bash scripts/no-backends-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
    echo "no-backends-check: skipped (needs root and unshare to hide docker and redis-server)"
    exit 0
fi
if [ "${1:-}" != --inside ]; then
    cargo test --no-run --quiet -p prism-suites --test compliance || exit 1
    cargo build --quiet --workspace --bins || exit 1
    exec unshare -m bash "$0" --inside
fi

# Inside the namespace: hide what would provide a Redis.
hidden=$(mktemp)
chmod 644 "$hidden"
for program in docker dockerd redis-server nisshi-0.8.1 postgres initdb; do
    for path in $(which -a "$program" 2>/dev/null); do
        mount --bind "$hidden" "$path" || exit 1
    done
done
for path in /usr/lib/postgresql/*/bin/postgres /usr/lib/postgresql/*/bin/initdb; do
    [ -e "$path" ] && { mount --bind "$hidden" "$path" || exit 1; }
done
for socket in /var/run/docker.sock /run/docker.sock; do
    [ -S "$socket" ] && { mount --bind "$hidden" "$socket" || exit 1; }
done
unset PRISM_REDIS_URL PRISM_REDIS_PROVIDER PRISM_KAFKA_URL PRISM_KAFKA_PROVIDER PRISM_POSTGRES_URL PRISM_POSTGRES_PROVIDER DOCKER_HOST
logs="target/prism/no-backends"
mkdir -p "$logs"
expected="no redis instance can be provided: no docker daemon answers (\`docker version\`), \`redis-server\` is not on PATH. To provide one: install and start docker (bash scripts/setup-docker.sh); or install \`redis-server\` (bash scripts/setup-backends.sh); or point at a running instance with PRISM_REDIS_URL=<url>"
failed=0
# The same for the Kafka backend (no docker, no nisshi) and PostgreSQL (no docker, no server
# binaries): every case, one message each.
kafka_expected="no kafka instance can be provided: no docker daemon answers (\`docker version\`), \`nisshi-0.8.1\` is not on PATH. To provide one: install and start docker (bash scripts/setup-docker.sh); or install \`nisshi-0.8.1\` (bash scripts/setup-backends.sh); or point at a running instance with PRISM_KAFKA_URL=<url>"
# Native PostgreSQL runs through scripts/postgres/native.sh, whose own message (the next line of
# the failure) says that the server binaries are missing and how to get them.
postgres_expected="postgres via native did not start: init"
limit_s=5

check() {
    local runner=$1 log=$2 started=$3 status=$4 cases=$5 backend=$6 expected=$7 total=$8
    local took messages distinct
    took=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $started }")
    messages=$(grep -cF "plugin:    $expected" "$log")

    distinct=$(grep -o 'plugin:    .*' "$log" | sort -u | wc -l)
    echo "no-backends-check: $runner: exit $status, $cases $backend cases failed, $messages with the expected message, $distinct distinct plugin message(s), ${took} s"
    if [ "$status" = 0 ] || [ "$messages" != "$total" ] || [ "$distinct" != 1 ] || [ "$cases" != "$total" ]; then
        echo "no-backends-check: $runner: FAILED (log: $log)" >&2
        failed=1
    fi
    if awk "BEGIN { exit !($took >= $limit_s) }"; then
        echo "no-backends-check: $runner: took ${took} s, over the ${limit_s} s target (log: $log)" >&2
        failed=1
    fi
}

# How many cases a run of `<backend>::` runs: every test listed under the prefix, less the ignored
# (planned) ones; every one of them must fail with the backend's one message.
runnable() {
    local all ignored
    all=$(cargo test -q -p prism-suites --test compliance -- --list "$1::" 2>/dev/null | grep -c ': test$')
    ignored=$(cargo test -q -p prism-suites --test compliance -- --list --ignored "$1::" 2>/dev/null | grep -c ': test$')
    echo $((all - ignored))
}

# Runs backend $1's matrix under both runners and checks each; $2 is its display name, $3 its message.
check_backend() {
    local backend=$1 shown=$2 message=$3 total started status cases
    total=$(runnable "$backend")
    started=$(date +%s.%N)
    timeout 300 cargo test -q -p prism-suites --test compliance -- "$backend::" >"$logs/$backend-cargo-test.log" 2>&1
    status=$?
    cases=$(grep -oE '[0-9]+ failed' "$logs/$backend-cargo-test.log" | head -1 | grep -oE '[0-9]+')
    check "cargo test" "$logs/$backend-cargo-test.log" "$started" "$status" "${cases:-0}" "$shown" "$message" "$total"
    if cargo nextest --version >/dev/null 2>&1; then
        started=$(date +%s.%N)
        timeout 300 cargo nextest run --no-fail-fast -p prism-suites --test compliance \
            -E "test(/^$backend::/)" >"$logs/$backend-nextest.log" 2>&1
        status=$?
        # nextest names each failure twice (as it happens and in the summary).
        cases=$(grep -E '^ +FAIL \[' "$logs/$backend-nextest.log" | awk '{ print $NF }' | sort -u | wc -l)
        check "cargo nextest run" "$logs/$backend-nextest.log" "$started" "$status" "$cases" "$shown" "$message" "$total"
    fi
}

check_backend redis Redis "$expected"
check_backend kafka Kafka "$kafka_expected"
check_backend postgres PostgreSQL "$postgres_expected"
exit "$failed"
