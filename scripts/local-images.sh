# Sourced by scripts/test.sh and scripts/matrix.sh after scripts/setup.sh. No container registry is
# reachable on the project's machines: scripts/images/build-redis.sh builds the local images and
# tags them with the registry's image names (`redis:7`) when those cannot be pulled, so the docker
# provider needs no variable. This only makes sure the tags exist (a machine whose set-up ran
# before tagging existed), without rebuilding anything; it exports nothing.
if docker image inspect prism-local/redis:7 >/dev/null 2>&1; then
    bash "$(dirname "${BASH_SOURCE[0]}")/images/build-redis.sh" >/dev/null || true
fi
if docker image inspect prism-local/postgres:15 >/dev/null 2>&1; then
    bash "$(dirname "${BASH_SOURCE[0]}")/images/build-postgres.sh" >/dev/null || true
fi
