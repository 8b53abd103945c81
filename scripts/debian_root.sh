#!/usr/bin/env bash
# Build (once) a Debian root with another release's Orthanc, for the test matrix:
#   scripts/debian_root.sh bookworm|trixie|forky      -> prints the root's folder
#
# The root is a debootstrap minbase of that release with Debian's orthanc,
# orthanc-python, orthanc-dicomweb and orthanc-postgresql, the plugin's Python
# dependencies built for that release's Python in
# .venv/lib/pythonX.Y/site-packages (plugin.py picks the folder of the running
# version), and the checkout bind-mounted at its own path, /tmp too, so that
# `chroot ROOT /usr/sbin/Orthanc CONFIG` reads the same files as the host.
# Orthanc in the root shares the host's loopback: tests, nginx, PostgreSQL and
# Chromium stay on the host.
#
# Environment: OHIF_DEBIAN_ROOTS (default /var/cache/ohif-plugin/debian-roots), where the
# roots live: outside the checkout, so that nothing walking the checkout walks into them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release="${1:-}"
case "$release" in
    bookworm | trixie | forky) ;;
    *) echo "debian_root: usage: scripts/debian_root.sh bookworm|trixie|forky (got '${release}')" >&2; exit 2 ;;
esac
roots="${OHIF_DEBIAN_ROOTS:-/var/cache/ohif-plugin/debian-roots}"
target="$roots/$release"
log() { printf 'debian_root %s: %s\n' "$release" "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "debian_root: needs root (debootstrap, chroot, mount)" >&2; exit 1; }

# The host's own Debian mirror, as its apt is configured: no host is written here.
mirror() {
    local uri
    uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
    [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
    [ -n "$uri" ] || { echo "debian_root: no Debian mirror found in the host's apt sources" >&2; exit 1; }
    printf '%s\n' "$uri"
}

mounted() { mountpoint -q "$1"; }

# Bind the host's folder at the same path in the root. A mount left by an earlier
# run may show a folder that has since been deleted and made again (a checkout
# cloned afresh at the same path): it is a mount point, but not of this folder, so
# the mount is kept only when it shows the host folder itself (same device and inode).
bind_into_root() {
    local folder="$1"
    mkdir -p "$target$folder"
    if mounted "$target$folder"; then
        [ "$(stat -c %d:%i "$folder")" = "$(stat -c %d:%i "$target$folder")" ] && return 0
        log "$target$folder shows an older $folder: mounting it again"
        umount -l "$target$folder"
    fi
    mount --bind "$folder" "$target$folder"
}

mount_into_root() {
    mkdir -p "$target/proc"
    mounted "$target/proc" || mount -t proc proc "$target/proc"
    bind_into_root /dev
    # The host's /dev/shm as well (a mount of its own), where a benchmark may keep storage in memory.
    if [ -d /dev/shm ] && mountpoint -q /dev/shm; then
        bind_into_root /dev/shm
    fi
    bind_into_root /tmp
    bind_into_root "$root"
    # The machine's name must resolve in the root as it does on the machine: DCMTK makes UIDs (some DICOMweb
    # answers need one) from gethostid(), which looks that name up, holding a lock. Not in the root's
    # /etc/hosts, each lookup asks DNS and, with no answer, waits for its timeout, and every request that
    # makes a UID waits behind it. A copy, not a bind mount: the name is the machine's, read afresh here.
    cp /etc/hosts "$target/etc/hosts"
    [ -e "$target$root/pyproject.toml" ] || {
        echo "debian_root: the checkout $root is not visible in the $release root at $target$root" >&2; exit 1; }
}

in_root() {
    # The host's pip settings point at folders the root does not have.
    env -u PIP_FIND_LINKS -u PIP_CONSTRAINT DEBIAN_FRONTEND=noninteractive chroot "$target" "$@"
}

if [ ! -e "$target/.ohif-root-complete" ]; then
    command -v debootstrap >/dev/null 2>&1 || {
        log "installing debootstrap"
        . "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
        apt_get update -qq
        apt_get install -y -qq --no-install-recommends debootstrap
    }
    # A half-built root (an interrupted run) is built again from nothing.
    if [ -d "$target" ]; then
        for folder in "$target$root" "$target/tmp" "$target/dev/shm" "$target/dev" "$target/proc"; do
            mounted "$folder" && umount -l "$folder"
        done
        rm -rf --one-file-system "$target"
    fi
    mkdir -p "$roots"
    log "debootstrap minbase into $target (a few minutes)"
    # bookworm's debootstrap has no script for forky: Debian's suites all use sid's.
    if ! debootstrap --variant=minbase "$release" "$target" "$(mirror)" /usr/share/debootstrap/scripts/sid \
        >"$roots/$release.debootstrap.log" 2>&1; then
        tail -20 "$roots/$release.debootstrap.log" >&2
        echo "debian_root: debootstrap of $release failed (log: $roots/$release.debootstrap.log)" >&2
        exit 1
    fi
    cp /etc/resolv.conf "$target/etc/resolv.conf" 2>/dev/null || true
    # A mirror that serves a snapshot has Release files past their Valid-Until date
    # (testing's expire within days): apt in the root must still take them.
    echo 'Acquire::Check-Valid-Until "false";' >"$target/etc/apt/apt.conf.d/99ohif-mirror-snapshot"
    # Nothing may start services inside the root.
    printf '#!/bin/sh\nexit 101\n' >"$target/usr/sbin/policy-rc.d"
    chmod +x "$target/usr/sbin/policy-rc.d"
    mount_into_root
    log "installing Orthanc and its plugins"
    in_root apt-get update -qq
    in_root apt-get install -y -qq --no-install-recommends \
        orthanc orthanc-python orthanc-dicomweb orthanc-postgresql python3-pip ca-certificates \
        >"$roots/$release.apt.log" 2>&1 || {
        tail -20 "$roots/$release.apt.log" >&2; echo "debian_root: apt-get install failed in $release" >&2; exit 1; }
    # The host's CA bundle, which may hold a CA that this network's HTTPS needs; as a local
    # CA too, so that a later package install (update-ca-certificates) keeps it.
    cp /etc/ssl/certs/ca-certificates.crt "$target/usr/local/share/ca-certificates/host-bundle.crt"
    cp /etc/ssl/certs/ca-certificates.crt "$target/etc/ssl/certs/ca-certificates.crt"
    touch "$target/.ohif-root-complete"
fi
mount_into_root

# The plugin's dependencies for the Python that this release's orthanc-python embeds.
python_library=$(in_root sh -c 'ldd /usr/lib/orthanc/libOrthancPython.so.*' | grep -oE 'libpython3\.[0-9]+' | head -1)
[ -n "$python_library" ] || { echo "debian_root: cannot tell which Python $release's orthanc-python embeds" >&2; exit 1; }
python="python${python_library#libpython}"
site_packages="$root/.venv/lib/$python/site-packages"
if [ ! -e "$site_packages/.ohif-dependencies" ] || [ "$root/pyproject.toml" -nt "$site_packages/.ohif-dependencies" ]; then
    log "installing the plugin's dependencies for $python into .venv/lib/$python/site-packages"
    mkdir -p "$site_packages"
    requirements=$(in_root "/usr/bin/$python" -c '
import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))' "$root/pyproject.toml")
    # shellcheck disable=SC2086
    in_root "/usr/bin/$python" -m pip install -q --disable-pip-version-check --break-system-packages \
        --upgrade --target "$site_packages" $requirements >"$roots/$release.pip.log" 2>&1 || {
        tail -20 "$roots/$release.pip.log" >&2; echo "debian_root: pip failed in $release" >&2; exit 1; }
    touch "$site_packages/.ohif-dependencies"
fi
printf '%s\n' "$target"
