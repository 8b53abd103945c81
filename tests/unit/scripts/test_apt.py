"""apt_get of scripts/apt.sh: waits while another apt-get or dpkg holds Debian's package lock.

apt-get is a fake on PATH that fails with the lock message a given number of
times, then succeeds; it never touches the machine's packages.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

APT_SH = Path(__file__).resolve().parents[3] / "scripts" / "apt.sh"
LOCK_MESSAGE = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1 (apt-get)"


def fake_apt_get(folder: Path, failures: int, message: str = LOCK_MESSAGE) -> Path:
    """An apt-get that prints ``message`` and fails its first ``failures`` calls, then succeeds;
    each call's arguments are appended to ``calls``."""
    folder.mkdir()
    script = folder / "apt-get"
    script.write_text(
        "#!/bin/bash\n"
        f'echo "$*" >> "{folder}/calls"\n'
        f'count=$(wc -l < "{folder}/calls")\n'
        f'if [ "$count" -le {failures} ]; then echo "{message}" >&2; exit 100; fi\n'
        'echo "apt-get: done"\n'
    )
    script.chmod(0o755)
    return folder


def apt_get(
    folder: Path, *arguments: str, timeout: str | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    environment = {"PATH": f"{folder}:/usr/bin:/bin", "HOME": str(folder)}
    if timeout is not None:
        environment["APT_LOCK_TIMEOUT"] = timeout
    began = time.monotonic()
    done = subprocess.run(
        ["bash", "-c", f'source "{APT_SH}" && apt_get "$@"', "apt_get", *arguments],
        env=environment, capture_output=True, text=True, timeout=60, check=False,
    )
    return done, time.monotonic() - began


def calls(folder: Path) -> list[str]:
    return (folder / "calls").read_text().splitlines()


def test_a_held_lock_is_waited_for_then_apt_get_succeeds(tmp_path: Path) -> None:
    folder = fake_apt_get(tmp_path / "bin", failures=1)
    done, seconds = apt_get(folder, "install", "-y", "orthanc")
    assert done.returncode == 0, done.stderr
    assert len(calls(folder)) == 2
    assert all(call.endswith("install -y orthanc") for call in calls(folder))
    assert "DPkg::Lock::Timeout=" in calls(folder)[0]  # apt itself waits for dpkg's lock
    assert "/var/lib/apt/lists/lock" in done.stderr and "waiting for it" in done.stderr
    assert seconds >= 4.5  # it waited between the two tries


def test_with_no_time_to_wait_a_held_lock_fails_naming_the_lock(tmp_path: Path) -> None:
    folder = fake_apt_get(tmp_path / "bin", failures=100)
    done, seconds = apt_get(folder, "update", timeout="0")
    assert done.returncode == 1
    assert len(calls(folder)) == 1
    assert "Could not get lock /var/lib/apt/lists/lock" in done.stderr
    assert "held Debian's package lock for over 0 s" in done.stderr
    assert seconds < 4


@pytest.mark.parametrize("message", ["E: Unable to locate package orthanc-nothing", "E: Broken packages"])
def test_any_other_failure_is_reported_at_once_without_retrying(tmp_path: Path, message: str) -> None:
    folder = fake_apt_get(tmp_path / "bin", failures=100, message=message)
    done, seconds = apt_get(folder, "install", "-y", "orthanc-nothing")
    assert done.returncode == 1
    assert len(calls(folder)) == 1
    assert message in done.stderr
    assert "waiting" not in done.stderr
    assert seconds < 4
