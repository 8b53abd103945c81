#!/usr/bin/env bash
# The test suite: install what it needs, lint, type-check, then pytest (unit tests,
# integration tests against real Orthanc servers, browser tests).
#
#   scripts/test.sh [--orthanc RELEASE] [pytest arguments]
#
# --orthanc bookworm|trixie|forky: run the integration and browser tests against
# that Debian release's Orthanc. It is this machine's own when the release is
# this machine's; otherwise scripts/debian_root.sh builds (once) a root of that
# release and Orthanc runs chrooted there. Lint, type checks and unit tests run
# only without --orthanc: they do not depend on Orthanc.
# Extra arguments go to pytest, e.g. scripts/test.sh -k viewer
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release=""
if [ "${1:-}" = "--orthanc" ]; then
    release="${2:?scripts/test.sh: --orthanc needs a release: bookworm, trixie or forky}"
    shift 2
fi
bash "$root/scripts/install.sh" --with-tests
cd "$root"
if [ -z "$release" ]; then
    .venv/bin/ruff check ohif_plugin tests bench scripts harness
    .venv/bin/mypy
    .venv/bin/lint-imports
    .venv/bin/python -m bench.render_performance --check
    exec .venv/bin/python -m pytest "$@"
fi
host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$release" != "$host_release" ]; then
    OHIF_DEBIAN_ROOT="$(bash "$root/scripts/debian_root.sh" "$release")"
    export OHIF_DEBIAN_ROOT
fi
exec .venv/bin/python -m pytest tests/integration tests/browser "$@"
