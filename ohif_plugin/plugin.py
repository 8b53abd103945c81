"""The script Orthanc runs: ``"PythonScript"`` (orthanc-python 4.0) or ``"Python": {"Path"}``.

orthanc-python puts only this file's folder on ``sys.path``. Replace it by
the repository root, so that the package is imported as ``ohif_plugin``, and
add the site-packages of the repository's ``.venv`` (built from Debian's
``/usr/bin/python3``, the interpreter that orthanc-python embeds).
"""

import site
import sys
from pathlib import Path


def _make_package_importable() -> None:
    package_folder = Path(__file__).resolve().parent
    root = package_folder.parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != package_folder]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for site_packages in sorted((root / ".venv" / "lib").glob(f"{version}/site-packages")):
        site.addsitedir(str(site_packages))
    sys.path.insert(0, str(root))


_make_package_importable()

from ohif_plugin.orthanc_adapter.startup import load  # noqa: E402

PLUGIN = load()
