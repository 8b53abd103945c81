"""Links into the viewer: which ones redirect, where to, and how the token travels.

Arguments are given as Orthanc 1.10 hands them to a plugin: still percent-encoded.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from ohif_plugin.web.links import Resource, forwarded_query, open_study_link, requested_study_uids, study_json_url

STUDY_UID = "1.2.826.0.1.3680043.8.498.1"
OTHER_STUDY_UID = "1.2.826.0.1.3680043.8.498.2"
SERIES_UID = "1.2.826.0.1.3680043.8.498.3"
STUDY_ID = "11111111-22222222-33333333-44444444-55555555"
OTHER_STUDY_ID = "66666666-77777777-88888888-99999999-aaaaaaaa"

RESOURCES = {
    STUDY_UID: [Resource("Study", STUDY_ID)],
    OTHER_STUDY_UID: [Resource("Study", OTHER_STUDY_ID)],
    SERIES_UID: [Resource("Series", "bbbbbbbb-cccccccc-dddddddd-eeeeeeee-ffffffff")],
}


class RecordingLookup:
    """The resources of a pretend Orthanc, remembering which UIDs were asked for."""

    def __init__(self, resources: dict[str, list[Resource]]) -> None:
        self.resources = resources
        self.asked: list[str] = []

    def __call__(self, uid: str) -> list[Resource]:
        self.asked.append(uid)
        return self.resources.get(uid, [])


def redirect_arguments(location: str) -> list[tuple[str, str]]:
    """The decoded arguments of a query-only Location, in order."""
    parts = urlsplit(location)
    assert parts.scheme == "" and parts.netloc == "" and parts.path == "", location
    return parse_qsl(parts.query, keep_blank_values=True)


@pytest.mark.parametrize("route", ["viewer", "tmtv", "segmentation", "microscopy"])
def test_every_mode_route_with_study_uids_and_no_url_redirects(route: str) -> None:
    assert requested_study_uids(route, {"StudyInstanceUIDs": STUDY_UID}) == [STUDY_UID]


@pytest.mark.parametrize(
    ("path", "arguments"),
    [
        ("viewer", {"url": "../studies/x/ohif-dicom-json", "StudyInstanceUIDs": STUDY_UID}),
        ("viewer", {}),
        ("viewer", {"StudyInstanceUIDs": ""}),
        ("viewer", {"StudyInstanceUIDs": " , "}),
        ("", {"StudyInstanceUIDs": STUDY_UID}),
        ("app-config.js", {"StudyInstanceUIDs": STUDY_UID}),
        ("index.html", {"StudyInstanceUIDs": STUDY_UID}),
    ],
    ids=["url-present", "no-arguments", "empty", "only-commas", "study-list", "app-config", "index-file"],
)
def test_other_requests_are_left_to_the_viewer(path: str, arguments: dict[str, str]) -> None:
    assert requested_study_uids(path, arguments) == []


def test_uids_are_split_on_commas_encoded_or_not_and_both_spellings_count() -> None:
    assert requested_study_uids("viewer", {"StudyInstanceUIDs": f"{STUDY_UID}%2C{OTHER_STUDY_UID}"}) == [
        STUDY_UID,
        OTHER_STUDY_UID,
    ]
    assert requested_study_uids("tmtv", {"studyInstanceUIDs": f" {STUDY_UID} ,{OTHER_STUDY_UID},"}) == [
        STUDY_UID,
        OTHER_STUDY_UID,
    ]


def test_a_known_study_redirects_to_its_dicom_json_url_keeping_every_argument_in_order() -> None:
    arguments = {"hangingprotocolId": "mprAnd3DVolumeViewport", "StudyInstanceUIDs": STUDY_UID, "lang": "fr"}
    answer = open_study_link([STUDY_UID], arguments, RecordingLookup(RESOURCES))
    assert answer.status == 302
    assert answer.location == (
        f"?url=../studies/{STUDY_ID}/ohif-dicom-json&hangingprotocolId=mprAnd3DVolumeViewport"
        f"&StudyInstanceUIDs={STUDY_UID}&lang=fr"
    )
    assert answer.notes == ()
    response = answer.response()
    assert response.status == 302
    assert response.headers["Location"] == answer.location
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_token_goes_into_the_study_url_and_stays_on_the_page() -> None:
    arguments = {"StudyInstanceUIDs": STUDY_UID, "token": "s3cr%2Bt%26x"}  # the link said token=s3cr%2Bt%26x
    answer = open_study_link([STUDY_UID], arguments, RecordingLookup(RESOURCES))
    decoded = redirect_arguments(answer.location)
    assert decoded == [
        ("url", f"../studies/{STUDY_ID}/ohif-dicom-json?token=s3cr%2Bt%26x"),
        ("StudyInstanceUIDs", STUDY_UID),
        ("token", "s3cr+t&x"),
    ]
    # What the viewer fetches, once it decoded url=, carries the token exactly as the link did.
    study_url = decoded[0][1]
    assert urlsplit(study_url).query == "token=s3cr%2Bt%26x"


def test_forwarded_query_keeps_the_token_as_given_and_drops_everything_else() -> None:
    assert forwarded_query({"token": "abc", "StudyInstanceUIDs": STUDY_UID, "lang": "fr"}) == "token=abc"
    assert forwarded_query({"token": "a%2Bb%3D%3D"}) == "token=a%2Bb%3D%3D"
    assert forwarded_query({"lang": "fr"}) == ""
    # Characters that cannot stand in a URL are encoded; what is already encoded is not encoded twice.
    assert forwarded_query({"token": 'a b"<c>#'}) == "token=a%20b%22%3Cc%3E%23"
    assert study_json_url([STUDY_ID], {}) == f"../studies/{STUDY_ID}/ohif-dicom-json"
    assert study_json_url([STUDY_ID], {"token": "t"}) == f"../studies/{STUDY_ID}/ohif-dicom-json?token=t"
    assert study_json_url([STUDY_ID, OTHER_STUDY_ID], {}) == f"../studies/{STUDY_ID},{OTHER_STUDY_ID}/ohif-dicom-json"


def test_an_unknown_uid_answers_a_clear_404() -> None:
    answer = open_study_link(["1.2.3"], {"StudyInstanceUIDs": "1.2.3"}, RecordingLookup(RESOURCES))
    assert answer.status == 404
    assert answer.location == ""
    assert answer.message == "Cannot open the study: 1.2.3 is not the StudyInstanceUID of any study in this Orthanc."
    response = answer.response()
    assert response.body == answer.message.encode()
    assert "Content-Type" not in response.headers  # Orthanc's to set: 1.12 adds its own, and two are an error
    assert "Location" not in response.headers


def test_a_series_uid_is_not_a_study() -> None:
    answer = open_study_link([SERIES_UID], {"StudyInstanceUIDs": SERIES_UID}, RecordingLookup(RESOURCES))
    assert answer.status == 404
    assert answer.message == f"Cannot open the study: {SERIES_UID} is the UID of a series, not a study."


def test_a_value_that_is_not_a_uid_is_never_looked_up_nor_echoed() -> None:
    lookup = RecordingLookup(RESOURCES)
    hostile = "<script>alert(1)</script>"
    answer = open_study_link([hostile], {"StudyInstanceUIDs": hostile}, lookup)
    assert answer.status == 404
    assert "<" not in answer.message and "not a DICOM UID" in answer.message
    assert lookup.asked == []


def test_several_uids_open_every_known_study_in_one_answer_and_the_rest_is_noted() -> None:
    lookup = RecordingLookup(RESOURCES)
    uids = ["1.2.3", OTHER_STUDY_UID, SERIES_UID, STUDY_UID, OTHER_STUDY_UID]
    arguments = {"StudyInstanceUIDs": ",".join(uids), "token": "t"}
    answer = open_study_link(uids, arguments, lookup)
    assert answer.status == 302
    assert answer.location == (
        f"?url=../studies/{OTHER_STUDY_ID},{STUDY_ID}/ohif-dicom-json%3Ftoken%3Dt"
        f"&StudyInstanceUIDs={OTHER_STUDY_UID},{STUDY_UID}&token=t"
    )
    assert lookup.asked == ["1.2.3", OTHER_STUDY_UID, SERIES_UID, STUDY_UID]  # each UID once
    assert answer.notes == (
        "1.2.3 is not the StudyInstanceUID of any study in this Orthanc",
        f"{SERIES_UID} is the UID of a series, not a study",
    )


def test_a_uid_shared_by_two_studies_opens_the_first() -> None:
    shared = RecordingLookup({STUDY_UID: [Resource("Study", STUDY_ID), Resource("Study", OTHER_STUDY_ID)]})
    answer = open_study_link([STUDY_UID], {"StudyInstanceUIDs": STUDY_UID}, shared)
    assert redirect_arguments(answer.location)[0] == ("url", f"../studies/{STUDY_ID}/ohif-dicom-json")
    assert answer.notes == (f"StudyInstanceUID {STUDY_UID} is shared by 2 studies; the first opens",)


def test_none_of_several_uids_known_lists_every_reason() -> None:
    uids = ["1.2.3", SERIES_UID]
    answer = open_study_link(uids, {"StudyInstanceUIDs": ",".join(uids)}, RecordingLookup(RESOURCES))
    assert answer.status == 404
    assert answer.message == (
        "Cannot open the study: 1.2.3 is not the StudyInstanceUID of any study in this Orthanc; "
        f"{SERIES_UID} is the UID of a series, not a study."
    )
