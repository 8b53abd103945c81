#!/usr/bin/env bash
# Install everything, then start Orthanc with the plugin on http://localhost:8042
# (SQLite, dicom-json) with a few sample studies. Ctrl-C stops it.
#
# Usage: scripts/demo.sh [--check]
#   --check  the same install and start, then check that the samples, their
#            study JSON and the viewer page are served, stop Orthanc and exit
#            0, or non-zero with the reason. Uses a free loopback port (unless
#            OHIF_DEMO_PORT is set) and a temporary data folder, deleted at the
#            end, so it never touches the demo's own data. CI runs it first.
#
# Environment: OHIF_DEMO_PORT (default 8042), OHIF_DEMO_DATA (default <repo>/demo-data;
# not used by --check).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
check=0
for argument in "$@"; do
    case "$argument" in
        --check) check=1 ;;
        *) echo "demo: unknown option $argument (only --check)" >&2; exit 2 ;;
    esac
done

fail() { echo "demo: FAILED: $*" >&2; exit 1; }

bash "$root/scripts/install.sh" || fail "scripts/install.sh failed (above)"
python="$root/.venv/bin/python"

# orthanc-python's library is named after its version: .so.4.0 on bookworm,
# .so.5.0 on Debian 13, .so.7.1 in testing. Take the one installed (the newest if several).
python_plugin="$(ls /usr/lib/orthanc/libOrthancPython.so.* 2>/dev/null | sort -V | tail -n 1 || true)"
[ -n "$python_plugin" ] ||
    fail "orthanc-python is not installed: no /usr/lib/orthanc/libOrthancPython.so.* (Debian package orthanc-python)"

if [ "$check" = 1 ]; then
    port="${OHIF_DEMO_PORT:-$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
    data="$(mktemp -d /tmp/ohif-demo-check.XXXXXX)"
else
    port="${OHIF_DEMO_PORT:-8042}"
    data="${OHIF_DEMO_DATA:-$root/demo-data}"
fi
url="http://localhost:$port"

if curl -s -o /dev/null "$url/"; then
    [ "$check" = 1 ] && rm -rf "$data"
    fail "port $port is already in use (the Debian orthanc service? 'systemctl stop orthanc')," \
         "or choose another with OHIF_DEMO_PORT"
fi

mkdir -p "$data"
"$python" - "$root" "$data" "$port" "$python_plugin" <<'PYTHON'
import json, sys
root, data, port, python_plugin = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
config = {
    "Name": "OHIF demo",
    "HttpPort": port,
    "DicomServerEnabled": False,
    "StorageDirectory": f"{data}/storage",
    "IndexDirectory": f"{data}/storage",
    "RemoteAccessAllowed": False,
    "AuthenticationEnabled": False,
    "Plugins": [python_plugin],
    # Every orthanc-python release reads "PythonScript" (newer ones also "Python"."Path").
    "PythonScript": f"{root}/ohif_plugin/plugin.py",
    "OHIF": {"DataSource": "dicom-json", "Preload": True},
}
with open(f"{data}/orthanc.json", "w") as file:
    json.dump(config, file, indent=2)
PYTHON

log="$data/orthanc.log"
if [ "$check" = 1 ]; then
    # Orthanc's log goes to a file, shown only when Orthanc fails.
    /usr/sbin/Orthanc "$data/orthanc.json" >"$log" 2>&1 &
else
    /usr/sbin/Orthanc "$data/orthanc.json" &
fi
orthanc=$!

stop_orthanc() {
    kill "$orthanc" 2>/dev/null || true
    wait "$orthanc" 2>/dev/null || true
}
cleanup() {
    stop_orthanc
    if [ "$check" = 1 ]; then rm -rf "$data"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops the demo with the reason and, if Orthanc is not running any more, the end of its log.
fail_with_log() {
    if ! kill -0 "$orthanc" 2>/dev/null && [ -s "$log" ]; then
        echo "demo: the end of Orthanc's log:" >&2
        tail -n 30 "$log" >&2
    fi
    fail "$@"
}

started=0
for _ in $(seq 300); do   # 60 s: a busy machine can be slow to start Orthanc and Python
    if curl -s -o /dev/null "$url/system"; then started=1; break; fi
    kill -0 "$orthanc" 2>/dev/null || break
    sleep 0.2
done
if [ "$started" = 0 ]; then
    kill -0 "$orthanc" 2>/dev/null && fail_with_log "Orthanc did not answer on $url within 60 s"
    if [ "$check" = 1 ]; then fail_with_log "Orthanc did not start"; else fail "Orthanc did not start (see above)"; fi
fi

"$python" "$root/scripts/load_samples.py" "$url" || fail_with_log "loading the samples failed (above)"

if [ "$check" = 1 ]; then
    "$python" "$root/scripts/demo_check.py" "$url" || fail_with_log "the demo does not serve the samples (above)"
    kill -0 "$orthanc" 2>/dev/null || fail_with_log "Orthanc stopped during the checks"
    stop_orthanc
    echo "demo: check passed: installed, started Orthanc on port $port, loaded and served the samples, stopped"
    exit 0
fi

echo
echo "demo: Orthanc Explorer: $url/app/explorer.html"
echo "demo: open a study and click \"Open OHIF viewer\". Ctrl-C stops Orthanc."
wait "$orthanc"
