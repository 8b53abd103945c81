"""Upload a few sample studies to an Orthanc: `python scripts/load_samples.py [URL]`.

A generated study with several CT series, a PET series and a multi-frame
series, plus some of pydicom's bundled test files (CT, MR, JPEG 2000, JPEG-LS).

Part of the demo, so it needs only what `scripts/install.sh` installs without
`--with-tests`: the plugin and its dependencies (no requests, no numpy, nothing in
the tests/ folder).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ohif_plugin.cli.rest_client import Connection, OrthancClient, OrthancError
from ohif_plugin.demo.samples import sample_files

UPLOAD_TIMEOUT = 60.0


def load(client: OrthancClient, files: list[bytes]) -> int:
    """Upload ``files``; returns how many studies Orthanc has afterwards. Raises OrthancError."""
    for number, data in enumerate(files, start=1):
        try:
            client.post_json("/instances", data)
        except OrthancError as error:
            raise OrthancError(f"upload {number} of {len(files)} failed: {error}") from None
    return len(client.get_json("/studies"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", default="http://localhost:8042")
    parser.add_argument("--user", default=None)
    parser.add_argument("--password", default=None)
    arguments = parser.parse_args(argv)
    connection = Connection(arguments.url, arguments.user, arguments.password, timeout=UPLOAD_TIMEOUT)
    files = sample_files()
    try:
        client = OrthancClient(connection)
        try:
            studies = load(client, files)
        finally:
            client.close()
    except OrthancError as error:
        print(f"load_samples: {error}", file=sys.stderr)
        return 1
    print(f"load_samples: {len(files)} instances uploaded; Orthanc now has {studies} studies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
