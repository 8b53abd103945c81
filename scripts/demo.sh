#!/usr/bin/env bash
# Install everything, then start Orthanc with the plugin on http://localhost:8042
# (SQLite, dicom-json) with a few sample studies. Ctrl-C stops it.
#
# Environment: OHIF_DEMO_PORT (default 8042), OHIF_DEMO_DATA (default <repo>/demo-data).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${OHIF_DEMO_PORT:-8042}"
data="${OHIF_DEMO_DATA:-$root/demo-data}"

bash "$root/scripts/install.sh"

if curl -s -o /dev/null "http://localhost:$port/"; then
    echo "demo: port $port is already in use (the Debian orthanc service? 'systemctl stop orthanc')," \
         "or choose another with OHIF_DEMO_PORT" >&2
    exit 1
fi

mkdir -p "$data"
"$root/.venv/bin/python" - "$root" "$data" "$port" <<'PYTHON'
import json, sys
root, data, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = {
    "Name": "OHIF demo",
    "HttpPort": port,
    "DicomServerEnabled": False,
    "StorageDirectory": f"{data}/storage",
    "IndexDirectory": f"{data}/storage",
    "RemoteAccessAllowed": False,
    "AuthenticationEnabled": False,
    "Plugins": ["/usr/lib/orthanc/libOrthancPython.so.4.0"],
    "PythonScript": f"{root}/ohif_plugin/plugin.py",
    "OHIF": {"DataSource": "dicom-json", "Preload": True},
}
with open(f"{data}/orthanc.json", "w") as file:
    json.dump(config, file, indent=2)
PYTHON

/usr/sbin/Orthanc "$data/orthanc.json" &
orthanc=$!
trap 'kill "$orthanc" 2>/dev/null; wait "$orthanc" 2>/dev/null' INT TERM EXIT
for _ in $(seq 100); do
    curl -s -o /dev/null "http://localhost:$port/system" && break
    kill -0 "$orthanc" 2>/dev/null || { echo "demo: Orthanc did not start (see above)" >&2; exit 1; }
    sleep 0.2
done
"$root/.venv/bin/python" "$root/scripts/load_samples.py" "http://localhost:$port"
echo
echo "demo: Orthanc Explorer: http://localhost:$port/app/explorer.html"
echo "demo: open a study and click \"Open OHIF viewer\". Ctrl-C stops Orthanc."
wait "$orthanc"
