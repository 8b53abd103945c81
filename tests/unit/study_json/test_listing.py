"""A study's listing and the ETag made from it (ohif_plugin.study_json.listing)."""

from __future__ import annotations

import pytest

from ohif_plugin.study_json.listing import ORTHANC_ID, SeriesListing, StudyListing, etag_of


def listing(*series: tuple[str, str, tuple[str, ...]], study_id: str = "study", update: str = "1") -> StudyListing:
    return StudyListing(study_id, update, tuple(SeriesListing(*item) for item in series))


BASE = listing(("s1", "20261122T000000", ("i1", "i2")), ("s2", "20261122T000001", ("i3",)))


def test_instance_ids_keep_orthancs_order_series_after_series() -> None:
    assert BASE.instance_ids == ["i1", "i2", "i3"]


@pytest.mark.parametrize(
    "changed",
    [
        listing(("s1", "20261122T000000", ("i1", "i2")), ("s2", "20261122T000001", ("i3", "i4"))),
        listing(("s1", "20261122T000000", ("i1",)), ("s2", "20261122T000001", ("i3",))),
        listing(("s1", "20261122T000009", ("i1", "i2")), ("s2", "20261122T000001", ("i3",))),
        listing(("s1", "20261122T000000", ("i1", "i2"))),
        listing(("s1", "20261122T000000", ("i1", "i2")), ("s2", "20261122T000001", ("i3",)), study_id="other"),
    ],
    ids=["instance added", "instance deleted", "instance overwritten", "series deleted", "another study"],
)
def test_the_etag_changes_with_the_instances(changed: StudyListing) -> None:
    assert etag_of([changed], "") != etag_of([BASE], "")


def test_the_studys_own_last_update_is_not_part_of_the_etag() -> None:
    """Storing the answer with the study changes the study's LastUpdate, not its answer."""
    later = StudyListing(BASE.study_id, "20991231T235959", BASE.series)
    assert etag_of([later], "") == etag_of([BASE], "")


def test_the_etag_is_weak_and_depends_on_the_query_and_the_study_order() -> None:
    other = listing(("s9", "1", ("i9",)), study_id="other")
    etag = etag_of([BASE], "")
    assert etag.startswith('W/"') and etag.endswith('"')
    assert etag_of([BASE], "token=abc") != etag
    assert etag_of([BASE, other], "") != etag_of([other, BASE], "")


@pytest.mark.parametrize(
    "name", ["ohif_plugin.study_json.listing.__version__", "ohif_plugin.study_json.listing.SUMMARY_VERSION",
             "ohif_plugin.study_json.listing.EXTENSIONS_VERSION"]
)
def test_the_etag_changes_with_the_plugin_and_summary_versions(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new plugin may answer differently for the same instances: no browser may keep the old answer."""
    before = etag_of([BASE], "")
    monkeypatch.setattr(name, "99.0")
    assert etag_of([BASE], "") != before


def test_orthanc_identifiers() -> None:
    assert ORTHANC_ID.fullmatch("6b9e19d9-62094390-5f9ddb01-4a191ae7-9766b715")
    assert not ORTHANC_ID.fullmatch("6b9e19d9-62094390-5f9ddb01-4a191ae7")
    assert not ORTHANC_ID.fullmatch("../6b9e19d9-62094390-5f9ddb01-4a191ae7-9766b715")
