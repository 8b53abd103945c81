"""The orthanc-python API variants, against stand-ins shaped like each release's RestOutput."""

from __future__ import annotations

import pytest

from ohif_plugin.orthanc_adapter.compatibility import StatusSender, http_compression_default


class OutputOf40:
    """orthanc-python 4.0: SendHttpStatus(status, body, size)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, int]] = []

    def SendHttpStatus(self, status: int, body: str, size: int) -> None:
        self.sent.append((status, body, size))


class OutputOf42:
    """orthanc-python 4.2 and later: SendHttpStatus(status, body); three arguments are a TypeError."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    def SendHttpStatus(self, status: int, body: str) -> None:
        self.sent.append((status, body))


def test_four_zero_gets_the_size_in_bytes() -> None:
    sender, output = StatusSender(), OutputOf40()
    sender(output, 404, "Unknown study é")
    sender(output, 500, "x")
    assert output.sent == [(404, "Unknown study é", 16), (500, "x", 1)]
    assert sender.with_size is True


def test_later_releases_get_two_arguments_each_answer_sent_once() -> None:
    sender, output = StatusSender(), OutputOf42()
    sender(output, 404, "Unknown study")
    sender(output, 503, "unavailable")
    assert output.sent == [(404, "Unknown study"), (503, "unavailable")]
    assert sender.with_size is False


def test_a_type_error_once_the_form_is_known_is_not_swallowed() -> None:
    sender = StatusSender()
    sender(OutputOf42(), 404, "a")
    with pytest.raises(TypeError):
        sender(OutputOf40(), 404, "b")


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.10.1", True), ("1.12.1", True), ("1.12.2", False), ("1.12.7", False), ("1.13.0", False), ("mainline", False)],
)
def test_orthanc_compresses_by_default_up_to_1_12_1(version: str, expected: bool) -> None:
    assert http_compression_default(version) is expected
