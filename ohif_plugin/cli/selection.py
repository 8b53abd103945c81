"""Choosing the studies a command works on: every study, some by identifier, or changed since a date."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence

from ohif_plugin.cli.rest_client import NotFound, OrthancClient, OrthancError

ORTHANC_ID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{8}){4}")
"""An Orthanc resource identifier (the SHA-1 of its DICOM UIDs, in five groups)."""
PAGE_SIZE = 1000
"""Studies per /studies?expand request: bounded answers even for huge archives."""


class SelectionError(OrthancError):
    """A requested study does not exist, or a --since date does not parse."""


def parse_since(text: str) -> str:
    """An ISO 8601 date (and time) in Orthanc's LastUpdate format, ``YYYYMMDDTHHMMSS``, UTC.

    Without a time zone the date is taken as UTC, as Orthanc records LastUpdate.
    """
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise SelectionError(
            f"--since {text!r} is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+HH:MM] or YYYYMMDDTHHMMSS (UTC)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y%m%dT%H%M%S")


def resolve_study(client: OrthancClient, reference: str) -> tuple[str, str]:
    """The Orthanc identifier and LastUpdate of a study given by Orthanc ID or StudyInstanceUID."""
    if ORTHANC_ID.fullmatch(reference):
        try:
            study = client.get_json(f"/studies/{reference}")
        except NotFound:
            raise SelectionError(f"no study {reference} in Orthanc at {client.url}") from None
        return reference, str(study.get("LastUpdate", ""))
    for resource in client.post_json("/tools/lookup", reference.encode()):
        if resource.get("Type") == "Study":
            study_id = str(resource["ID"])
            study = client.get_json(f"/studies/{study_id}")
            return study_id, str(study.get("LastUpdate", ""))
    raise SelectionError(f"no study with Orthanc ID or StudyInstanceUID {reference!r} in Orthanc at {client.url}")


def _changed_since(client: OrthancClient, since: str) -> Iterable[str]:
    offset = 0
    while True:
        page = client.get_json(f"/studies?expand&since={offset}&limit={PAGE_SIZE}")
        for study in page:
            if str(study.get("LastUpdate", "")) > since:
                yield str(study["ID"])
        if len(page) < PAGE_SIZE:
            return
        offset += PAGE_SIZE


def select_studies(client: OrthancClient, references: Sequence[str], since: str | None) -> list[str]:
    """Orthanc identifiers of the chosen studies, in order, without duplicates.

    Every reference is checked before any work starts, so a typo costs nothing.
    """
    if references:
        chosen: dict[str, None] = {}
        for reference in references:
            study_id, last_update = resolve_study(client, reference)
            if since is None or last_update > since:
                chosen[study_id] = None
        return list(chosen)
    if since is not None:
        return list(_changed_since(client, since))
    return [str(study_id) for study_id in client.get_json("/studies")]
