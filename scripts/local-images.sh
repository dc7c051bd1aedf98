# Sourced by scripts/test.sh and scripts/matrix.sh after scripts/setup.sh: no container registry is
# reachable on the project's machines, so point the docker provider at the images built locally by
# scripts/images/ when they exist. A user with internet access who runs `cargo test` directly gets
# the registry's official image (redis:7); a value already set wins.
if docker image inspect prism-local/redis:7 >/dev/null 2>&1; then
    export PRISM_REDIS_IMAGE="${PRISM_REDIS_IMAGE:-prism-local/redis:7}"
    export PRISM_FIXTURE_REDIS_IMAGE="${PRISM_FIXTURE_REDIS_IMAGE:-prism-local/redis:7}"
fi
if docker image inspect prism-local/postgres:15 >/dev/null 2>&1; then
    export PRISM_POSTGRES_IMAGE="${PRISM_POSTGRES_IMAGE:-prism-local/postgres:15}"
fi
