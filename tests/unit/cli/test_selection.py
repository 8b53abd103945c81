"""Which studies a command works on (ohif_plugin.cli.selection)."""

from __future__ import annotations

import pytest

from ohif_plugin.cli.selection import SelectionError, parse_since


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-31", "20240531T000000"),
        ("20240531", "20240531T000000"),
        ("2024-05-31T13:45", "20240531T134500"),
        ("2024-05-31 13:45:07", "20240531T134507"),
        ("20240531T134507", "20240531T134507"),
        ("2024-05-31T13:45:07+02:00", "20240531T114507"),
    ],
)
def test_since_accepts_dates_and_orthanc_timestamps(text: str, expected: str) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "31/05/2024", ""])
def test_since_rejects_anything_else(text: str) -> None:
    with pytest.raises(SelectionError, match="is not a date"):
        parse_since(text)
