"""What differs between the orthanc-python releases that Debian ships, found by trying.

Debian 12 has orthanc-python 4.0, Debian 13 has 5.0, testing has 7.1. The
plugin adapts to the API it meets, never to a version number: a version says
little about a build (backports, patches), a failed call says exactly.
"""

from __future__ import annotations

from typing import Any


class StatusSender:
    """``RestOutput.SendHttpStatus`` with whichever arguments this orthanc-python takes.

    4.0 takes ``(status, body, size)``; from 4.2 on it takes ``(status, body)`` and
    refuses three with a TypeError, raised before anything is sent. So the form is
    found by trying, once, and kept: a version number would not say which.
    """

    def __init__(self) -> None:
        self.with_size: bool | None = None
        """True for (status, body, size), False for (status, body), None until known."""

    def __call__(self, output: Any, status: int, message: str) -> None:
        if self.with_size is None:
            try:
                output.SendHttpStatus(status, message, len(message.encode()))
                self.with_size = True
                return
            except TypeError:
                self.with_size = False
        if self.with_size:
            output.SendHttpStatus(status, message, len(message.encode()))
        else:
            output.SendHttpStatus(status, message)


def http_compression_default(orthanc_version: str) -> bool:
    """Orthanc's default for "HttpCompressionEnabled": true up to 1.12.1, false from 1.12.2.

    No API tells a configuration default; Orthanc's version does, as its NEWS
    documents the change. A version that is not a number (a "mainline" build)
    is taken as the newest.
    """
    try:
        numbers = tuple(int(part) for part in orthanc_version.split(".")[:3])
    except ValueError:
        return False
    return numbers < (1, 12, 2)
