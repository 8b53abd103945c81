"""The demo's Python (scripts/load_samples.py, scripts/demo_check.py) runs with the plugin's dependencies only.

The test venv has the test extras, so a demo that imports requests, numpy or
tests/ would pass here and die on a user's machine (issue 12). Each script
therefore runs in a subprocess where only the standard library, the plugin
and its dependencies can be imported, as in a venv made by ``install.sh``
without ``--with-tests``; ``tests`` and ``harness`` cannot either.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pydicom

from harness.orthanc_server import DEBIAN_ROOT, PYTHON_PLUGIN, RELEASE, REPOSITORY, embedded_python
from ohif_plugin.demo.samples import sample_files
from tests.conftest import ServerFactory

SCRIPTS = REPOSITORY / "scripts"

ALLOWED = ("ohif_plugin", "pydicom", "orjson", "zstandard")
"""Besides the standard library, all that the demo's venv holds: the plugin and its dependencies (pyproject.toml)."""

GUARD = """
import importlib.abc, json, runpy, sys

allowed = set(json.loads(sys.argv[1])) | set(sys.stdlib_module_names)
script, arguments = sys.argv[2], sys.argv[3:]

class DemoVenv(importlib.abc.MetaPathFinder):
    \"\"\"Imports fail as in a venv made by install.sh without --with-tests.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in allowed:
            raise ModuleNotFoundError(f"No module named {name!r} (not installed for the demo)", name=name)
        return None

sys.meta_path.insert(0, DemoVenv())
sys.argv = [script, *arguments]
runpy.run_path(script, run_name="__main__")
"""


def run_guarded(script: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as the demo's venv would: only the standard library and :data:`ALLOWED` import."""
    return subprocess.run(
        [sys.executable, "-c", GUARD, json.dumps(ALLOWED), str(script), *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        cwd="/",
    )


def test_the_guard_refuses_what_the_demo_venv_lacks(tmp_path: Path) -> None:
    """Without this, the tests below would prove nothing: requests is installed here."""
    script = tmp_path / "uses_requests.py"
    script.write_text("import json, pydicom\nimport requests\n")
    process = run_guarded(script)
    assert process.returncode != 0
    assert "ModuleNotFoundError: No module named 'requests'" in process.stderr


def test_load_samples_and_demo_check_need_only_the_plugin_dependencies(make_server: ServerFactory) -> None:
    server = make_server()
    loaded = run_guarded(SCRIPTS / "load_samples.py", server.url)
    assert loaded.returncode == 0, loaded.stderr
    files = sample_files()
    assert f"load_samples: {len(files)} instances uploaded; Orthanc now has 4 studies" in loaded.stdout
    # Two of pydicom's files are one MR image in two transfer syntaxes (one SOP Instance UID): Orthanc keeps one.
    uids = {pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID for data in files}
    assert len(server.get("/instances").json()) == len(uids)

    checked = run_guarded(SCRIPTS / "demo_check.py", server.url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "demo check: all 4 checks passed" in checked.stdout
    for study in server.get("/studies").json():
        assert server.study_json(study).status_code == 200


def test_demo_check_fails_with_the_reason_on_an_empty_orthanc(make_server: ServerFactory) -> None:
    server = make_server()
    checked = run_guarded(SCRIPTS / "demo_check.py", server.url)
    assert checked.returncode == 1
    assert "demo check: FAIL GET /studies: GET /studies lists no study: []" in checked.stdout
    assert "demo check: 2 of 4 checks failed; first: GET /studies lists no study: []" in checked.stderr


def test_the_demo_check_passes_unchanged_on_the_release_under_test() -> None:
    """scripts/demo.sh --check on a copy of the checkout that has no .venv, run in the Debian
    release under test (its root, for trixie and forky): install.sh finds that release's
    orthanc-python and the Python it embeds, and the demo loads and serves the samples.

    The copy gets the built OHIF bundle (hard links), which is the same on every release;
    everything else install.sh does as on a fresh machine of that release.
    """
    copy = Path(tempfile.mkdtemp(prefix="ohif-demo-copy-"))  # /tmp: the same path inside a root
    try:
        tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, check=True).stdout
        for name in filter(None, tracked.decode().split("\0")):
            if (REPOSITORY / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPOSITORY / name, copy / name)
        shutil.copytree(REPOSITORY / "static/ohif-dist", copy / "static/ohif-dist", copy_function=os.link)
        command = ["bash", str(copy / "scripts/demo.sh"), "--check"]
        if DEBIAN_ROOT is not None:
            command = ["chroot", str(DEBIAN_ROOT), *command]
        demo = subprocess.run(command, capture_output=True, text=True, timeout=900, env=without_test_settings())
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, f"{RELEASE}: demo.sh --check failed:\n{output[-4000:]}"
    assert "demo check: all 4 checks passed" in output
    assert f"creating .venv from /usr/bin/python{embedded_python(PYTHON_PLUGIN)}" in output


def without_test_settings() -> dict[str, str]:
    """The environment a user's shell has: none of the variables that point the tests elsewhere."""
    return {name: value for name, value in os.environ.items() if not name.startswith(("OHIF_", "PYTEST_"))}
