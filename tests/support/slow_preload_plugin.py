"""A plugin script for Orthanc whose preload queue is small and whose preload is slow.

The fault test that kills Orthanc with a full preload queue runs Orthanc with
this script instead of ``ohif_plugin/plugin.py``
(``OrthancServer(..., plugin_script=SLOW_PRELOAD_PLUGIN)``). The queue holds
2,000 instances, so that filling it takes an upload of a few thousand
instances, not tens of thousands; each preload first waits a second, so that
the worker stays behind ingestion however fast the machine ingests. The
product has no setting for either: they are injected here.

Like ``ohif_plugin/plugin.py``, the script puts the repository root and the
site-packages of the repository's ``.venv`` on ``sys.path`` (orthanc-python
only adds this file's folder).
"""

import site
import sys
import time
from pathlib import Path

PRELOAD_CAPACITY = 2000
PRELOAD_SECONDS = 1.0


def _make_package_importable() -> None:
    support_folder = Path(__file__).resolve().parent
    root = support_folder.parent.parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != support_folder]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for site_packages in sorted((root / ".venv" / "lib").glob(f"{version}/site-packages")):
        site.addsitedir(str(site_packages))
    sys.path.insert(0, str(root))


_make_package_importable()

from ohif_plugin.orthanc_adapter import wiring  # noqa: E402
from ohif_plugin.orthanc_adapter.startup import load  # noqa: E402
from ohif_plugin.study_json.summary_cache import SummaryCache  # noqa: E402

wiring.PRELOAD_CAPACITY = PRELOAD_CAPACITY
_preload = SummaryCache.preload


def _slow_preload(self: SummaryCache, instance_id: str) -> None:
    time.sleep(PRELOAD_SECONDS)
    _preload(self, instance_id)


SummaryCache.preload = _slow_preload  # type: ignore[method-assign]

PLUGIN = load()
