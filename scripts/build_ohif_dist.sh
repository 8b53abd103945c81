#!/usr/bin/env bash
# Build static/ohif-dist/ from an official, prebuilt OHIF viewer release.
#
# We do not build OHIF from source: the published @ohif/app package already
# ships the production bundle in package/dist/, so fetching it with the
# ordinary npm client is fast, reproducible, and needs only node + npm.
#
# Usage: scripts/build_ohif_dist.sh          (from any directory)
#
# Environment (all optional):
#   OHIF_VERSION + OHIF_INTEGRITY  build another release instead of the pin;
#                                  both must be given, since a version without
#                                  its hash could not be verified.
#   OHIF_DIST_DIR                  output folder (default: <repo>/static/ohif-dist)
#
# Exit codes:
#   0  built, or already up to date (no-op)
#   1  unexpected failure
#   2  bad usage (only one of OHIF_VERSION / OHIF_INTEGRITY set)
#   3  npm or node not found
#   4  download failed
#   5  integrity mismatch
#   6  the package has no dist/ folder
#   7  the build has a layout ohif_plugin/build/bundle.py does not know
set -euo pipefail

# The pinned release, with the registry's published `dist.integrity` for it.
# To move the pin: `npm view @ohif/app@X.Y.Z dist.integrity`, update both.
PINNED_VERSION="3.13.2"
PINNED_INTEGRITY="sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA=="

PACKAGE="@ohif/app"
STAMP_NAME=".ohif-version"

log() { printf 'build_ohif_dist: %s\n' "$*"; }
die() {
    local code="$1"
    shift
    printf 'build_ohif_dist: error: %s\n' "$*" >&2
    exit "$code"
}

# Resolve the repo from the script's own location so any cwd works.
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

if [[ -n "${OHIF_VERSION:-}" || -n "${OHIF_INTEGRITY:-}" ]]; then
    [[ -n "${OHIF_VERSION:-}" && -n "${OHIF_INTEGRITY:-}" ]] ||
        die 2 "OHIF_VERSION and OHIF_INTEGRITY must be set together"
    VERSION="$OHIF_VERSION"
    INTEGRITY="$OHIF_INTEGRITY"
else
    VERSION="$PINNED_VERSION"
    INTEGRITY="$PINNED_INTEGRITY"
fi
[[ "$INTEGRITY" == sha512-* ]] ||
    die 2 "integrity must be a sha512 SRI string (sha512-<base64>), got: $INTEGRITY"

DEST="${OHIF_DIST_DIR:-$REPO_ROOT/static/ohif-dist}"
# The build is rewritten to work under any path prefix (ohif_plugin/build/bundle.py);
# a change to that rewriting must rebuild too, so its hash is in the stamp.
REWRITER="$REPO_ROOT/ohif_plugin/build/bundle.py"
PYTHON="$REPO_ROOT/.venv/bin/python"
[[ -x "$PYTHON" ]] || PYTHON="/usr/bin/python3"
REWRITER_HASH="$(sha256sum "$REWRITER" | cut -d' ' -f1)"
STAMP_WANTED="$(printf 'version=%s\nintegrity=%s\nrewriter=%s' "$VERSION" "$INTEGRITY" "$REWRITER_HASH")"

# Compressed .zst/.gz siblings of the bundle's text and wasm files, made once
# here rather than by Orthanc on every request (ohif_plugin/build/precompress.py).
# Idempotent: only files without an up-to-date sibling are compressed.
precompress() {
    (cd "$REPO_ROOT" && "$PYTHON" -m ohif_plugin.build.precompress "$1") ||
        die 1 "could not precompress the bundle in $1 (see above)"
}

# The stamp is written last, inside the staging folder, so its presence means
# the folder is complete and matches this exact release.
if [[ -f "$DEST/$STAMP_NAME" ]] && [[ "$(cat "$DEST/$STAMP_NAME")" == "$STAMP_WANTED" ]]; then
    log "OHIF $VERSION already built in $DEST"
    precompress "$DEST"
    exit 0
fi

command -v npm >/dev/null 2>&1 || die 3 "npm not found; install Node.js and npm to fetch the OHIF viewer"
command -v node >/dev/null 2>&1 || die 3 "node not found; install Node.js to verify the OHIF download"

TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ohif-dist.XXXXXX")"
STAGING=""
OLD=""
cleanup() {
    rm -rf "$TMP_DIR"
    [[ -z "$STAGING" ]] || rm -rf "$STAGING"
    [[ -z "$OLD" ]] || rm -rf "$OLD"
}
trap cleanup EXIT
# Bash skips the EXIT trap when killed by a signal; exit explicitly so it runs.
trap 'exit 130' INT
trap 'exit 143' TERM

log "fetching $PACKAGE@$VERSION"
# Run inside the temp dir so npm never picks up a package.json around the cwd;
# --ignore-scripts because we only want the tarball, never to run its code.
if ! (cd "$TMP_DIR" && npm pack "$PACKAGE@$VERSION" --ignore-scripts --silent \
    --pack-destination "$TMP_DIR" >"$TMP_DIR/pack.log" 2>&1); then
    cat "$TMP_DIR/pack.log" >&2 || true
    die 4 "could not download $PACKAGE@$VERSION with npm (offline, or no such version?)"
fi
shopt -s nullglob
tarballs=("$TMP_DIR"/*.tgz)
shopt -u nullglob
[[ ${#tarballs[@]} -eq 1 ]] || die 4 "npm pack did not produce exactly one tarball in $TMP_DIR"
TARBALL="${tarballs[0]}"

# npm checks integrity against the registry's metadata; checking against our
# own pinned hash also protects against the metadata itself changing.
log "verifying integrity"
ACTUAL="sha512-$(node -e '
    const c = require("crypto"), fs = require("fs");
    process.stdout.write(c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));
' "$TARBALL")"
if [[ "$ACTUAL" != "$INTEGRITY" ]]; then
    die 5 "integrity mismatch for $PACKAGE@$VERSION
  expected: $INTEGRITY
  actual:   $ACTUAL"
fi

# Stage next to the destination (same filesystem) so the final step is a
# rename: an interrupted build leaves only a hidden staging folder, never a
# half-filled $DEST with a stamp.
mkdir -p "$(dirname "$DEST")"
STAGING="$(mktemp -d "$(dirname "$DEST")/.$(basename "$DEST").staging.XXXXXX")"

log "extracting package/dist"
tar -xzf "$TARBALL" -C "$STAGING" --strip-components=2 package/dist ||
    die 6 "$PACKAGE@$VERSION has no package/dist/ folder"
[[ -f "$STAGING/index.html" ]] || die 6 "$PACKAGE@$VERSION dist/ has no index.html"
log "rewriting for serving under any path prefix"
(cd "$REPO_ROOT" && "$PYTHON" -m ohif_plugin.build.bundle "$STAGING") ||
    die 7 "could not rewrite $PACKAGE@$VERSION for serving under a prefix (see above)"
log "precompressing (zstd 19, gzip 9; a few minutes)"
precompress "$STAGING"
chmod 755 "$STAGING" # mktemp -d creates it 0700
printf '%s\n' "$STAMP_WANTED" >"$STAGING/$STAMP_NAME"

# Swap: move any old build aside, rename the new one in, then drop the old.
if [[ -e "$DEST" ]]; then
    OLD="$(dirname "$DEST")/.$(basename "$DEST").old.$$"
    mv "$DEST" "$OLD"
fi
mv "$STAGING" "$DEST"
STAGING=""

log "built OHIF $VERSION in $DEST ($(du -sh "$DEST" | cut -f1))"
