"""A summary that cannot be written (say, Orthanc refuses the revision) still shows its instance."""

from __future__ import annotations

import pytest

from ohif_plugin.study_json.summary_cache import SummaryCache
from tests.dicom_factory import StudySpec, ct_instance, expected_ct_summary, to_bytes
from tests.unit.test_cache import MemoryStore

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class RefusingStore(MemoryStore):
    """Every write fails, as a metadata PUT that Orthanc refuses."""

    def store_summary(self, instance_id: str, value: bytes) -> None:
        raise RuntimeError("A bad revision number was provided")


def test_an_unwritable_summary_is_served_and_written_another_time() -> None:
    store = RefusingStore()
    study = StudySpec(study_uid="1.2.840.99.7")
    datasets = [ct_instance(study, "1.2.840.99.7.1", index, size=8) for index in range(3)]
    for index, dataset in enumerate(datasets):
        store.files[f"i{index}"] = to_bytes(dataset)
    store.metadata["i1"] = b"stale"
    store.studies["s"] = ["i0", "i1", "i2"]
    cache = SummaryCache(store)

    answer = cache.study("s")
    assert answer is not None
    instances = answer["studies"][0]["series"][0]["instances"]
    assert [item["url"] for item in instances] == [f"dicomweb:../instances/i{index}/file" for index in range(3)]
    assert cache.summary_of("i1") == expected_ct_summary(study, datasets[1])
    assert cache.counters.failed == 0
    assert store.metadata["i1"] == b"stale"
