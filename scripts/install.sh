#!/usr/bin/env bash
# Install what the plugin needs on Debian 12 (bookworm), 13 (trixie) or testing,
# idempotently:
#   - Debian packages: orthanc, orthanc-python, orthanc-dicomweb, python3-venv;
#   - .venv/ at the repository root, created from the Python that this
#     orthanc-python embeds (read off the library: 3.11 on bookworm, 3.13 on
#     trixie), with the plugin and its dependencies;
#   - the OHIF bundle in static/ohif-dist/ (scripts/build_ohif_dist.sh).
#
# Usage: scripts/install.sh [--with-tests]
#   --with-tests  also the test tools: Chromium, nginx, PostgreSQL, and the
#                 Python test dependencies (pytest, Playwright, highdicom...).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
with_tests=0
for argument in "$@"; do
    case "$argument" in
        --with-tests) with_tests=1 ;;
        *) echo "install: unknown option $argument (only --with-tests)" >&2; exit 2 ;;
    esac
done

log() { printf 'install: %s\n' "$*"; }

packages=(orthanc orthanc-python orthanc-dicomweb python3-venv ca-certificates curl)
if [ "$with_tests" = 1 ]; then
    packages+=(chromium chromium-driver nginx-light postgresql orthanc-postgresql ffmpeg)
fi
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    . "$root/scripts/apt.sh"
    APT_PREFIX=""
    [ "$(id -u)" = 0 ] || APT_PREFIX="sudo"
    log "installing Debian packages: ${missing[*]}"
    # The packages' scripts try to (re)start the orthanc service; on machines
    # without an init system that fails harmlessly.
    apt_get update -qq
    apt_get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The orthanc-python library Debian installed (.so.4.0 on bookworm, .so.5.0 on trixie),
# and the Python it embeds: the plugin's dependencies must be built for that one.
python_plugin=$(ls /usr/lib/orthanc/libOrthancPython.so.* 2>/dev/null | head -1)
[ -n "$python_plugin" ] || { echo "install: orthanc-python is not installed (no /usr/lib/orthanc/libOrthancPython.so.*)" >&2; exit 1; }
embedded=$(ldd "$python_plugin" | grep -oE 'libpython3\.[0-9]+' | head -1)
python="/usr/bin/python${embedded#libpython}"
[ -n "$embedded" ] && [ -x "$python" ] || {
    echo "install: cannot find the Python that $python_plugin embeds (ldd says '${embedded:-nothing}')" >&2; exit 1; }

version="${embedded#libpython}"
venv_version=$("$root/.venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
if [ -n "$venv_version" ] && [ "$venv_version" != "$version" ]; then
    log "re-creating .venv: it was made for Python $venv_version, orthanc-python embeds $version"
    rm -rf "$root/.venv/bin" "$root/.venv/include" "$root/.venv/pyvenv.cfg"
fi
if [ ! -x "$root/.venv/bin/python" ]; then
    log "creating .venv from $python (the interpreter that $(basename "$python_plugin") embeds)"
    "$python" -m venv "$root/.venv"
fi
extras=""
[ "$with_tests" = 1 ] && extras="[test]"
log "installing the plugin and its Python dependencies into .venv"
pip_log="$(mktemp)"
trap 'rm -f "$pip_log"' EXIT
if ! "$root/.venv/bin/python" -m pip install -q --disable-pip-version-check -e "$root$extras" >"$pip_log" 2>&1; then
    tail -30 "$pip_log" >&2
    echo "install: pip failed (above)" >&2
    exit 1
fi
"$root/.venv/bin/python" -c "import pydicom, orjson, zstandard" || {
    echo "install: the Python dependencies did not install" >&2; exit 1; }

bash "$root/scripts/build_ohif_dist.sh"
log "done"
