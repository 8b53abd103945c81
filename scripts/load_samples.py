"""Upload a few sample studies to an Orthanc: `python scripts/load_samples.py [URL]`.

A generated study with several CT series, a PET series and a multi-frame
series, plus some of pydicom's bundled test files (CT, MR, JPEG 2000, JPEG-LS).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import dicom_factory as factory

BUNDLED = ("CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "MR_small_jpeg_ls_lossless.dcm")


def sample_files() -> list[bytes]:
    study = factory.StudySpec(patient_name="Demo^Multiseries", study_description="Demo CT + PET")
    files = list(factory.study_files(study, {"Axial": 24, "Axial thin": 24}, size=128))
    pet_series = factory.generate_uid()
    files += [factory.to_bytes(factory.pet_instance(study, pet_series, index)) for index in range(12)]
    files.append(factory.to_bytes(factory.multiframe_instance(study, frames=10, size=64)))
    files += [factory.bundled_test_file(name) for name in BUNDLED]
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default="http://localhost:8042")
    parser.add_argument("--user", default=None)
    parser.add_argument("--password", default=None)
    arguments = parser.parse_args()
    session = requests.Session()
    if arguments.user:
        session.auth = (arguments.user, arguments.password or "")
    files = sample_files()
    for number, data in enumerate(files, start=1):
        answer = session.post(f"{arguments.url}/instances", data=data, timeout=60)
        if answer.status_code != 200:
            print(f"load_samples: upload {number} failed: {answer.status_code} {answer.text}", file=sys.stderr)
            return 1
    studies = session.get(f"{arguments.url}/studies", timeout=60).json()
    print(f"load_samples: {len(files)} instances uploaded; Orthanc now has {len(studies)} studies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
