#!/usr/bin/env bash
# The whole test suite: install what it needs, lint, type-check, then pytest
# (unit tests, integration tests against real Orthanc servers, browser tests).
# Extra arguments go to pytest, e.g. scripts/test.sh -k viewer
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install.sh" --with-tests
cd "$root"
.venv/bin/ruff check ohif_plugin tests bench scripts harness
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
