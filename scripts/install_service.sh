#!/usr/bin/env bash
# Make Debian's orthanc service load the plugin from this checkout.
#
#   scripts/install_service.sh [--config-folder /etc/orthanc] [--data-source dicom-json|dicom-web]
#
# Run scripts/install.sh first. Then this:
#   - replaces python.json of the configuration folder, which Debian ships with
#     "PythonScript" set to its sample.py (every orthanc-python reads that key, and
#     it wins over "Python"."Path"), and keeps the original as python.json.orig;
#   - writes ohif.json with the "OHIF" section, unless the folder has one already
#     (Orthanc 1.13 refuses a top-level key that stands in two files);
#   - checks that the user orthanc, whom the service runs as, can read the
#     plugin, its dependencies and the OHIF bundle.
# Then restart the service: systemctl restart orthanc
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
folder=/etc/orthanc
data_source=dicom-json
while [ $# -gt 0 ]; do
    case "$1" in
        --config-folder) folder="${2:?--config-folder needs a folder}"; shift 2 ;;
        --data-source) data_source="${2:?--data-source needs dicom-json or dicom-web}"; shift 2 ;;
        *) echo "install_service: unknown option $1 (--config-folder DIR, --data-source dicom-json|dicom-web)" >&2; exit 2 ;;
    esac
done
case "$data_source" in
    dicom-json | dicom-web) ;;
    *) echo "install_service: --data-source is dicom-json or dicom-web, not '$data_source'" >&2; exit 2 ;;
esac
log() { printf 'install_service: %s\n' "$*"; }
fail() { printf 'install_service: %s\n' "$*" >&2; exit 1; }

[ -f "$folder/orthanc.json" ] || fail "$folder has no orthanc.json: is Debian's orthanc installed? (apt-get install orthanc)"
script="$root/ohif_plugin/plugin.py"
library=$(ls /usr/lib/orthanc/libOrthancPython.so.* 2>/dev/null | head -1)
[ -n "$library" ] || fail "orthanc-python is not installed (apt-get install orthanc-python)"
embedded=$(ldd "$library" | grep -oE 'libpython3\.[0-9]+' | head -1)
site_packages="$root/.venv/lib/python${embedded#libpython}/site-packages"
[ -d "$site_packages" ] || fail "no $site_packages for the Python that $(basename "$library") embeds: run scripts/install.sh"
[ -f "$root/static/ohif-dist/index.html" ] || fail "the OHIF bundle is missing: run scripts/install.sh"

# The service's user must reach every file through every parent folder.
id orthanc >/dev/null 2>&1 || fail "there is no user orthanc: is Debian's orthanc installed?"
for path in "$script" "$site_packages/pydicom/__init__.py" "$root/static/ohif-dist/index.html"; do
    if ! runuser -u orthanc -- test -r "$path"; then
        fail "the user orthanc cannot read $path. Put the checkout where it can (e.g. /opt/ohif-plugin) or give it access: chmod o+rx on each parent folder."
    fi
done

if [ -f "$folder/python.json" ] && [ ! -f "$folder/python.json.orig" ] && ! grep -q "$script" "$folder/python.json"; then
    cp -p "$folder/python.json" "$folder/python.json.orig"
    log "kept Debian's $folder/python.json as python.json.orig"
fi
cat >"$folder/python.json" <<EOF
{
  // Written by $root/scripts/install_service.sh (Debian's original: python.json.orig).
  "PythonScript" : "$script",
  "PythonVerbose" : false
}
EOF
log "wrote $folder/python.json: PythonScript = $script"

if grep -lqs '"OHIF"' "$folder"/*.json; then
    log "kept the \"OHIF\" section found in $(grep -ls '"OHIF"' "$folder"/*.json | tr '\n' ' ')"
else
    cat >"$folder/ohif.json" <<EOF
{
  // The OHIF plugin (see $root/README.md for every key).
  "OHIF" : {
    "DataSource" : "$data_source"
  }
}
EOF
    log "wrote $folder/ohif.json: DataSource = $data_source"
fi
log "done: restart Orthanc (systemctl restart orthanc), then open http://localhost:8042/ohif/"
