"""The plugin's reads and writes of Orthanc's data: instances, their summaries, studies' stored answers.

Reads go through Orthanc's internal REST API. Where ``/system`` says
"HasExtendedFind" (Orthanc 1.12.5 and later), ``/tools/find`` reads a whole
level of a study in one call. Writes that replace an existing value go over
HTTP with its revision where "CheckRevisions" asks for one
(:mod:`ohif_plugin.orthanc_adapter.revisions`).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import orthanc

from ohif_plugin.orthanc_adapter.errors import instance_gone, is_revision_conflict, is_unknown
from ohif_plugin.orthanc_adapter.own_writes import OwnWrites
from ohif_plugin.orthanc_adapter.revisions import InstanceMissing, RevisionsUnavailable, RevisionWriter
from ohif_plugin.study_json.listing import ORTHANC_ID, SeriesListing, StudyListing
from ohif_plugin.study_json.stored_answer import ATTACHMENT as ANSWER_ATTACHMENT
from ohif_plugin.study_json.summary_cache import InstanceGone
from ohif_plugin.summaries import METADATA_KEY
from ohif_plugin.web.links import Resource


class OrthancInstanceStore:
    """The :class:`ohif_plugin.study_json.summary_cache.InstanceStore` of this Orthanc, over its REST API.

    ``revisions`` replaces a summary or an answer where the internal API cannot ("CheckRevisions": true).
    """

    def __init__(
        self,
        revisions: RevisionWriter | None = None,
        own_writes: OwnWrites | None = None,
        check_revisions: bool = False,
    ) -> None:
        self.revisions = revisions
        self.check_revisions = check_revisions
        """Orthanc's "CheckRevisions": a value is replaced only with its revision."""
        self.own_writes = own_writes
        """Where the change events of metadata are followed: the summaries this process writes."""
        self.extended_find: bool | None = None
        """Whether this Orthanc's /tools/find reads a study's metadata at once; None until asked."""

    def study_instances(self, study_id: str) -> list[str] | None:
        listing = self.study_listing(study_id)
        return None if listing is None else listing.instance_ids

    def study_listing(self, study_id: str) -> StudyListing | None:
        """The study's series and instances, and when each last changed.

        From /studies/{id} then /series/{id}: far cheaper than
        /studies/{id}/instances, which expands every instance. Where /tools/find
        reads a level at once (Orthanc 1.12.5 and later), one call lists the series
        without their main DICOM tags: Orthanc 1.13 crashes (stack overflow) when a
        plugin reads a series whose tags hold a sequence nested 40 levels deep.
        """
        if not ORTHANC_ID.fullmatch(study_id):
            return None
        if self.has_extended_find():
            return self._study_listing_found(study_id)
        try:
            study = orjson.loads(orthanc.RestApiGet(f"/studies/{study_id}"))
        except orthanc.OrthancException as error:
            if is_unknown(error):
                return None
            raise
        series = []
        for series_id in study.get("Series", []):
            try:
                found = orjson.loads(orthanc.RestApiGet(f"/series/{series_id}"))
            except orthanc.OrthancException as error:
                if is_unknown(error):
                    continue  # deleted since the study was read
                raise
            series.append(SeriesListing(series_id, str(found.get("LastUpdate", "")), tuple(found.get("Instances", []))))
        return StudyListing(study_id, str(study.get("LastUpdate", "")), tuple(series))

    def _study_listing_found(self, study_id: str) -> StudyListing | None:
        try:
            last_update = bytes(orthanc.RestApiGet(f"/studies/{study_id}/metadata/LastUpdate")).decode()
        except orthanc.OrthancException as error:
            if is_unknown(error):
                return None
            raise
        series = tuple(
            SeriesListing(
                str(item["ID"]),
                str(item.get("Metadata", {}).get("LastUpdate", "")),
                tuple(str(instance_id) for instance_id in item.get("Instances", [])),
            )
            for item in _find_in_study("Series", study_id, ["Children", "Metadata"])
        )
        return StudyListing(study_id, last_update, series)

    def has_extended_find(self) -> bool:
        """Whether /system says "HasExtendedFind": /tools/find then takes "ParentStudy" and
        "ResponseContent". An older Orthanc ignores both and would answer every resource it has."""
        if self.extended_find is None:
            capabilities = orjson.loads(orthanc.RestApiGet("/system")).get("Capabilities", {})
            self.extended_find = capabilities.get("HasExtendedFind") is True
        return self.extended_find

    def stored_summary(self, instance_id: str) -> bytes | None:
        # The value alone, not ?expand's JSON of every metadata. Orthanc
        # answers "unknown resource" both for a missing value and a deleted instance;
        # reading the file then tells which (InstanceGone).
        try:
            return bytes(orthanc.RestApiGet(f"/instances/{instance_id}/metadata/{METADATA_KEY}"))
        except orthanc.OrthancException as error:
            if instance_gone(instance_id, error):
                return None
            raise

    def stored_summaries(self, study_id: str) -> dict[str, bytes | None] | None:
        """Every instance's 4202 of the study in one /tools/find (Orthanc 1.12.5 and later),
        far cheaper than one read per instance."""
        if not self.has_extended_find() or not ORTHANC_ID.fullmatch(study_id):
            return None
        try:
            found = _find_in_study("Instance", study_id, ["Metadata"])
        except orthanc.OrthancException as error:
            if is_unknown(error):
                return {}
            raise
        values = {}
        for instance in found:
            value = instance.get("Metadata", {}).get(str(METADATA_KEY))
            values[str(instance["ID"])] = value.encode() if isinstance(value, str) else None
        return values

    def read_dicom(self, instance_id: str) -> bytes:
        try:
            return bytes(orthanc.GetDicomForInstance(instance_id))
        except orthanc.OrthancException as error:
            if instance_gone(instance_id, error):
                raise InstanceGone(instance_id) from None
            raise

    def pdf(self, instance_id: str) -> bytes | None:
        """The encapsulated PDF of an instance; None if unknown or not a PDF."""
        if not ORTHANC_ID.fullmatch(instance_id):
            return None
        try:
            return bytes(orthanc.RestApiGet(f"/instances/{instance_id}/pdf"))
        except orthanc.OrthancException as error:
            if is_unknown(error):
                return None
            raise

    def store_summary(self, instance_id: str, value: bytes, replacing: bool) -> None:
        if self.own_writes is None:
            self._write_summary(instance_id, value, replacing)
            return
        self.own_writes.wrote(instance_id)
        try:
            self._write_summary(instance_id, value, replacing)
        except BaseException:
            self.own_writes.failed(instance_id)
            raise

    def _write_summary(self, instance_id: str, value: bytes, replacing: bool) -> None:
        try:
            self._put(f"/instances/{instance_id}/metadata/{METADATA_KEY}", value, replacing)
        except InstanceMissing:
            raise InstanceGone(instance_id) from None
        except orthanc.OrthancException as error:
            if instance_gone(instance_id, error):
                raise InstanceGone(instance_id) from None
            raise

    def stored_answer(self, study_id: str) -> bytes | None:
        """The study's stored answer (:mod:`ohif_plugin.study_json.stored_answer`), None if it has none."""
        try:
            return bytes(orthanc.RestApiGet(f"/studies/{study_id}/attachments/{ANSWER_ATTACHMENT}/data"))
        except orthanc.OrthancException as error:
            if is_unknown(error):
                return None
            raise

    def store_answer(self, study_id: str, data: bytes, replacing: bool) -> None:
        """Nothing stored for a study deleted meanwhile."""
        try:
            self._put(f"/studies/{study_id}/attachments/{ANSWER_ATTACHMENT}", data, replacing)
        except InstanceMissing:
            return
        except orthanc.OrthancException as error:
            if not is_unknown(error):
                raise

    def _put(self, path: str, value: bytes, replacing: bool) -> None:
        """Write ``value`` at ``path`` (a metadata or an attachment).

        With "CheckRevisions", Orthanc replaces a value only given its revision
        in If-Match, which only its HTTP server takes, and it logs a refused
        internal write as an error: a replacement goes over HTTP from the start.
        A new value needs no revision and takes the internal API; if another
        writer stored one meanwhile, the refusal sends it over HTTP too.
        """
        if replacing and self.check_revisions:
            self._replace(path, value)
            return
        try:
            orthanc.RestApiPut(path, value)
        except orthanc.OrthancException as error:
            if not is_revision_conflict(error):
                raise
            self._replace(path, value)

    def _replace(self, path: str, value: bytes) -> None:
        if self.revisions is None:
            raise RevisionsUnavailable(
                f"cannot replace {path}: \"CheckRevisions\" is on and Orthanc's HTTP server is off"
            )
        self.revisions.replace(path, value)

    def all_studies(self) -> list[str]:
        """Orthanc identifiers of every study, for the backfill."""
        return [str(study_id) for study_id in json.loads(orthanc.RestApiGet("/studies"))]


def _find_in_study(level: str, study_id: str, content: list[str]) -> list[dict[str, Any]]:
    """The study's resources of one level, with ``content`` only, in one /tools/find (ExtendedFind)."""
    query = {"Level": level, "ParentStudy": study_id, "Query": {}, "ResponseContent": content}
    found: list[dict[str, Any]] = orjson.loads(orthanc.RestApiPost("/tools/find", orjson.dumps(query)))
    return found


def lookup_uid(uid: str) -> list[Resource]:
    """The resources whose DICOM UID is ``uid`` (the :data:`ohif_plugin.web.links.Lookup` of this Orthanc)."""
    answer = json.loads(orthanc.RestApiPost("/tools/lookup", uid))
    return [Resource(str(item.get("Type")), str(item.get("ID"))) for item in answer]
