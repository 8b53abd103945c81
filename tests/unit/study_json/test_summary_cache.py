"""SummaryCache over an in-memory InstanceStore (ohif_plugin.study_json.summary_cache)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from ohif_plugin.study_json.summary_cache import Assembly, InstanceGone, SummaryCache
from tests.support.dicom_factory import StudySpec, ct_instance, expected_ct_summary, to_bytes
from tests.support.fakes import MemoryStore

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

NOT_DICOM = b"this is not a DICOM file, just some text"


def _encode(value: Any) -> bytes:
    return base64.b64encode(gzip.compress(json.dumps(value).encode("utf-8")))


def _decode(value: bytes) -> Any:
    return json.loads(gzip.decompress(base64.b64decode(value)))


@pytest.fixture
def study() -> StudySpec:
    return StudySpec(study_uid="1.2.840.99.1")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def _add_ct(store: MemoryStore, study: StudySpec, instance_id: str, index: int,
            series_uid: str = "1.2.840.99.1.1") -> dict[str, Any]:
    ds = ct_instance(study, series_uid, index, size=8)
    store.files[instance_id] = to_bytes(ds)
    return expected_ct_summary(study, ds)


# --- summary_of ------------------------------------------------------------------------


def test_valid_stored_summary_is_reused(store: MemoryStore) -> None:
    foreign = {"Version": 2, "0020,000d": "9.9", "0020,000e": "9.9.1", "Unknown": 1}
    store.files["a"] = b"never read"
    store.metadata["a"] = _encode(foreign)
    cache = SummaryCache(store)
    assert cache.summary_of("a") == foreign
    assert store.reads == [] and store.writes == []
    assert (cache.counters.reused, cache.counters.computed, cache.counters.failed) == (1, 0, 0)


@pytest.mark.parametrize(
    "stale",
    [b"garbage", _encode({"Version": 1, "0020,000d": "old"}), _encode({"Version": 2, "0028,0010": "512"})],
    ids=["garbage", "version 1", "wrong type"],
)
def test_stale_stored_summary_is_recomputed_and_replaced(
    store: MemoryStore, study: StudySpec, stale: bytes
) -> None:
    expected = _add_ct(store, study, "a", 0)
    store.metadata["a"] = stale
    cache = SummaryCache(store)
    assert cache.summary_of("a") == expected
    assert _decode(store.metadata["a"]) == expected
    assert (cache.counters.reused, cache.counters.computed) == (0, 1)


def test_missing_summary_is_computed_and_stored(store: MemoryStore, study: StudySpec) -> None:
    expected = _add_ct(store, study, "a", 2)
    cache = SummaryCache(store)
    assert cache.summary_of("a") == expected
    assert store.reads == ["a"]
    assert _decode(store.metadata["a"]) == expected
    assert cache.summary_of("a") == expected  # now from the stored value
    assert store.reads == ["a"]
    assert (cache.counters.reused, cache.counters.computed) == (1, 1)


# --- assemble -------------------------------------------------------------------------------


def assemble_study(cache: SummaryCache, store: MemoryStore, study_id: str) -> Assembly:
    """A study's answer, as the plugin asks for it: its instances listed, then assembled."""
    instance_ids = store.study_instances(study_id)
    assert instance_ids is not None
    return cache.assemble(instance_ids, study_id=study_id)


def test_study_answer(store: MemoryStore, study: StudySpec) -> None:
    first = _add_ct(store, study, "i0", 0)
    second = _add_ct(store, study, "i1", 1)
    store.metadata["i1"] = _encode(second)
    store.studies["s"] = ["i0", "i1"]
    cache = SummaryCache(store)
    assembly = assemble_study(cache, store, "s")
    answer = assembly.answer
    (study_json,) = answer["studies"]
    assert study_json["StudyInstanceUID"] == "1.2.840.99.1"
    assert study_json["PatientName"] == "Doe^Jane"
    assert study_json["NumInstances"] == 2
    assert study_json["Modalities"] == "CT"
    (series,) = study_json["series"]
    assert series["SeriesInstanceUID"] == "1.2.840.99.1.1"
    assert [instance["url"] for instance in series["instances"]] == [
        "dicomweb:../instances/i0/file", "dicomweb:../instances/i1/file"]
    assert [instance["metadata"]["SOPInstanceUID"] for instance in series["instances"]] == [
        first["0008,0018"], second["0008,0018"]]
    assert (cache.counters.reused, cache.counters.computed, cache.counters.failed) == (1, 1, 0)
    assert assembly.left_out == 0


def test_deleted_instance_is_skipped(store: MemoryStore, study: StudySpec) -> None:
    _add_ct(store, study, "i0", 0)
    store.studies["s"] = ["i0", "deleted"]
    cache = SummaryCache(store)
    assembly = assemble_study(cache, store, "s")
    answer = assembly.answer
    assert answer["studies"][0]["NumInstances"] == 1
    assert cache.counters.failed == 0
    assert assembly.left_out == 0  # a deleted instance is not missing from the study


def test_unreadable_instance_is_left_out_and_counted(store: MemoryStore, study: StudySpec) -> None:
    _add_ct(store, study, "i0", 0)
    store.files["bad"] = NOT_DICOM
    _add_ct(store, study, "i2", 2)
    store.studies["s"] = ["i0", "bad", "i2"]
    cache = SummaryCache(store)
    assembly = assemble_study(cache, store, "s")
    answer = assembly.answer
    (series,) = answer["studies"][0]["series"]
    assert [instance["url"] for instance in series["instances"]] == [
        "dicomweb:../instances/i0/file", "dicomweb:../instances/i2/file"]
    assert cache.counters.failed == 1
    assert assembly.left_out == 1
    assert cache.counters.computed == 2
    assert "bad" not in store.metadata  # no summary cached for a file that is not DICOM


def test_all_instances_deleted_gives_an_empty_answer(store: MemoryStore) -> None:
    store.studies["s"] = ["gone-1", "gone-2"]
    assert assemble_study(SummaryCache(store), store, "s") == Assembly({"studies": []}, left_out=0)


# --- preload --------------------------------------------------------------------------------


def test_preload_reads_the_file_and_stores_its_summary(store: MemoryStore, study: StudySpec) -> None:
    expected = _add_ct(store, study, "a", 1)
    cache = SummaryCache(store)
    cache.preload("a")
    assert store.reads == ["a"]
    assert _decode(store.metadata["a"]) == expected
    assert cache.counters.computed == 1


def test_preload_of_a_deleted_instance_raises_instance_gone(store: MemoryStore) -> None:
    with pytest.raises(InstanceGone):
        SummaryCache(store).preload("gone")


# --- a study's summaries read at once -------------------------------------------------


def test_a_study_read_at_once_reads_no_summary_alone(study: StudySpec) -> None:
    """Where Orthanc reads every 4202 of a study in one call, no instance is read alone,
    except one added after that read; a stale value from it is still recomputed."""
    store = MemoryStore(reads_at_once=True)
    expected = [_add_ct(store, study, instance_id, index) for index, instance_id in enumerate(["a", "b", "c"])]
    store.studies["s"] = ["a", "b"]
    store.metadata["a"] = _encode(expected[0])
    store.metadata["b"] = b"garbage"
    cache = SummaryCache(store)
    answer = cache.assemble(["a", "b", "c"], study_id="s").answer  # "c" came after the study was read
    assert store.single_summary_reads == ["c"]
    assert store.reads == ["b", "c"]
    assert sorted(store.writes) == ["b", "c"]
    assert len(answer["studies"][0]["series"][0]["instances"]) == 3
    assert (cache.counters.reused, cache.counters.computed) == (1, 2)


def test_without_the_study_read_each_summary_is_read_alone(store: MemoryStore, study: StudySpec) -> None:
    for index, instance_id in enumerate(["a", "b"]):
        store.metadata[instance_id] = _encode(_add_ct(store, study, instance_id, index))
    store.studies["s"] = ["a", "b"]
    SummaryCache(store).assemble(["a", "b"], study_id="s")
    assert store.single_summary_reads == ["a", "b"]
    assert store.reads == []


def test_a_study_served_without_computing_counts_as_a_hit(store: MemoryStore, study: StudySpec) -> None:
    store.files["bad"] = NOT_DICOM
    for index, instance_id in enumerate(["a", "b"]):
        store.metadata[instance_id] = _encode(_add_ct(store, study, instance_id, index))
    _add_ct(store, study, "new", 2)
    cache = SummaryCache(store)
    cache.assemble(["a", "b"])
    assert (cache.counters.studies, cache.counters.study_hits) == (1, 1)
    cache.assemble(["a", "new"])  # a summary computed: served, not a hit
    cache.assemble(["a", "bad"])  # an instance left out: not a hit either
    assert (cache.counters.studies, cache.counters.study_hits) == (3, 1)


def test_preparing_an_answer_counts_nothing_as_served_or_reused(store: MemoryStore, study: StudySpec) -> None:
    store.metadata["a"] = _encode(_add_ct(store, study, "a", 0))
    _add_ct(store, study, "b", 1)
    store.files["bad"] = NOT_DICOM
    cache = SummaryCache(store)
    assembly = cache.prepare(["a", "b", "bad"])
    assert assembly.left_out == 1
    assert len(assembly.answer["studies"][0]["series"][0]["instances"]) == 2
    assert (cache.counters.studies, cache.counters.reused) == (0, 0)
    assert (cache.counters.computed, cache.counters.failed, cache.counters.assemblies) == (1, 1, 1)


# --- a summary that cannot be written ---------------------------------------------------------


class RefusingStore(MemoryStore):
    """Every write fails, as a metadata PUT that Orthanc refuses."""

    def store_summary(self, instance_id: str, value: bytes, replacing: bool) -> None:
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

    assembly = assemble_study(cache, store, "s")
    instances = assembly.answer["studies"][0]["series"][0]["instances"]
    assert [item["url"] for item in instances] == [f"dicomweb:../instances/i{index}/file" for index in range(3)]
    assert assembly.left_out == 0
    assert cache.summary_of("i1") == expected_ct_summary(study, datasets[1])
    assert cache.counters.failed == 0
    assert store.metadata["i1"] == b"stale"


# --- repairs: a summary changed behind the plugin's back ------------------------------------


def test_a_repair_leaves_a_valid_summary_alone(store: MemoryStore, study: StudySpec) -> None:
    store.metadata["a"] = _encode(_add_ct(store, study, "a", 0))
    cache = SummaryCache(store)
    cache.repair("a")
    assert store.reads == [] and store.writes == []
    assert cache.counters.reused == 0  # a repair serves nobody


def test_a_repair_computes_a_deleted_or_damaged_summary_again(store: MemoryStore, study: StudySpec) -> None:
    expected = _add_ct(store, study, "deleted", 0)
    damaged = _add_ct(store, study, "damaged", 1)
    store.metadata["damaged"] = b"not a summary"
    cache = SummaryCache(store)
    cache.repair("deleted")
    cache.repair("damaged")
    assert store.writes == ["deleted", "damaged"]
    assert _decode(store.metadata["deleted"]) == expected
    assert _decode(store.metadata["damaged"]) == damaged
    assert cache.counters.computed == 2


def test_a_repair_of_a_deleted_instance_raises_instance_gone(store: MemoryStore) -> None:
    with pytest.raises(InstanceGone):
        SummaryCache(store).repair("gone")


def test_preload_leaves_a_valid_summary_alone_and_replaces_a_stale_one(store: MemoryStore, study: StudySpec) -> None:
    store.metadata["valid"] = _encode(_add_ct(store, study, "valid", 0))
    expected = _add_ct(store, study, "stale", 1)
    store.metadata["stale"] = b"not a summary"
    cache = SummaryCache(store)
    cache.preload("valid")
    cache.preload("stale")
    assert store.reads == ["stale"] and store.writes == ["stale"]
    assert _decode(store.metadata["stale"]) == expected
