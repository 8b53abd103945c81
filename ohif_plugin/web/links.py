"""Links from elsewhere (Orthanc Explorer 2, e-mails, the authorization plugin) into the viewer.

Orthanc Explorer 2 opens ``<RouterBasename><mode>?StudyInstanceUIDs=<uid>``
whatever the data source. The dicom-json source cannot open that: it needs
``url=`` pointing at the study's ohif-dicom-json answer. :func:`open_study_link`
turns such a link into a redirect to that form; several studies go into one
answer (see :mod:`ohif_plugin.study_json.endpoint`), as the dicom-web source would show them.
Tokens in the style of the Orthanc authorization plugin (a ``token`` GET
argument) travel along: into the ``url=`` the viewer fetches, and from there
(:func:`forwarded_query`) into every instance URL of the study answer.

Plain Python: the Orthanc look-up is passed in as a function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from ohif_plugin.responses import SECURITY_HEADERS, Response
from ohif_plugin.web.modes import MODE_ROUTES

STUDY_UIDS_ARGUMENTS = ("StudyInstanceUIDs", "studyInstanceUIDs")
"""The spellings OHIF itself accepts for the studies to open."""

FORWARDED_ARGUMENTS = ("token",)
"""GET arguments that carry access rights: the viewer's links keep them."""

DICOM_UID = re.compile(r"[0-9][0-9.]{0,63}")
RESOURCE_NAMES = {"Patient": "a patient", "Series": "a series", "Instance": "an instance"}

STUDY_SEPARATOR = ","
"""Between the Orthanc IDs of /studies/{id},{id}/ohif-dicom-json (several studies in one answer)."""

SAFE_IN_QUERY_VALUE = "%!$'()*+,/:;=?@"
"""Characters kept as they are when an argument, still percent-encoded, goes back into a query."""


@dataclass(frozen=True)
class Resource:
    """One answer of Orthanc's /tools/lookup: a resource level ("Study", "Series"...) and its Orthanc ID."""

    level: str
    resource_id: str


Lookup = Callable[[str], Sequence[Resource]]
"""The resources of this Orthanc whose DICOM UID is the given one."""


@dataclass(frozen=True)
class LinkAnswer:
    """A redirect (``location`` set) or an error page (``message``)."""

    status: int
    location: str = ""
    message: str = ""
    notes: tuple[str, ...] = field(default=())
    """What the administrator may want to know (logged, not shown)."""

    def response(self) -> Response:
        # Not cached: the study behind a UID can be deleted, or stored again under another ID.
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
        if self.location:
            headers["Location"] = self.location
        return Response(self.status, self.message.encode(), headers=headers)


def _query(pairs: Sequence[tuple[str, str]]) -> str:
    """A URL query from arguments as Orthanc hands them over: still percent-encoded (Orthanc 1.10)."""
    return "&".join(f"{name}={quote(value, safe=SAFE_IN_QUERY_VALUE)}" for name, value in pairs)


def forwarded_query(arguments: Mapping[str, str]) -> str:
    """The URL query (``token=...``) that every URL of a study answer carries, as the link gave it."""
    return _query([(name, arguments[name]) for name in FORWARDED_ARGUMENTS if name in arguments])


def study_json_url(study_ids: Sequence[str], arguments: Mapping[str, str]) -> str:
    """The ``url=`` value of the dicom-json source, relative to the viewer page, with the token if any."""
    query = forwarded_query(arguments)
    url = f"../studies/{STUDY_SEPARATOR.join(study_ids)}/ohif-dicom-json"
    return f"{url}?{query}" if query else url


def requested_study_uids(path: str, arguments: Mapping[str, str]) -> list[str]:
    """The StudyInstanceUIDs of a link the dicom-json source cannot open by itself; empty for any other.

    Only mode routes qualify, and only without ``url=``: a link that already
    says where the study is goes to the viewer untouched. Several UIDs are
    separated by commas (or ``%2C``).
    """
    if path not in MODE_ROUTES or "url" in arguments:
        return []
    for name in STUDY_UIDS_ARGUMENTS:
        uids = [uid.strip() for uid in unquote(arguments.get(name, "")).split(",")]
        if any(uids):
            return [uid for uid in uids if uid]
    return []


def open_study_link(uids: Sequence[str], arguments: Mapping[str, str], lookup: Lookup) -> LinkAnswer:
    """Redirect to the answer of the studies of ``uids`` that this Orthanc has, or say why there is none.

    Every known study opens, in one answer; what is unknown is noted in the
    log (and, if nothing is known, is the 404 page). The Location is a
    query-only relative reference: the browser keeps the path it asked for,
    whatever RouterBasename or proxy prefix that path has. Every other
    argument (token, hangingprotocolId...) is kept, in its order.
    """
    notes: list[str] = []
    found: dict[str, str] = {}  # StudyInstanceUID: Orthanc ID
    for uid in dict.fromkeys(uids):
        if not DICOM_UID.fullmatch(uid):
            notes.append("a value that is not a DICOM UID")  # not echoed: it could be anything
            continue
        resources = lookup(uid)
        studies = [resource for resource in resources if resource.level == "Study"]
        if studies:
            found[uid] = studies[0].resource_id
            if len(studies) > 1:
                notes.append(f"StudyInstanceUID {uid} is shared by {len(studies)} studies; the first opens")
        elif resources:
            notes.append(f"{uid} is the UID of {RESOURCE_NAMES.get(resources[0].level, 'a resource')}, not a study")
        else:
            notes.append(f"{uid} is not the StudyInstanceUID of any study in this Orthanc")
    if not found:
        return LinkAnswer(404, message="Cannot open the study: " + "; ".join(notes) + ".")
    return LinkAnswer(302, location=_viewer_query(found, arguments), notes=tuple(notes))


def _viewer_query(found: Mapping[str, str], arguments: Mapping[str, str]) -> str:
    url = quote(study_json_url(list(found.values()), arguments), safe="/,")
    uids = ",".join(found)
    pairs = [(name, uids if name in STUDY_UIDS_ARGUMENTS else value) for name, value in arguments.items()]
    return f"?url={url}&" + _query(pairs)
