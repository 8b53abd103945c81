"""Registering callbacks with Orthanc, and sending the plugin's answers through its REST output.

Every callback is wrapped so that no exception reaches Orthanc: errors go to
Orthanc's log and the server goes on.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

import orthanc

from ohif_plugin.orthanc_adapter.compatibility import StatusSender
from ohif_plugin.responses import Response

logger = logging.getLogger(__name__)

STUDY_ROUTE = "/studies/([ -.0-~]+)/ohif-dicom-json"
DOCUMENT_ROUTE = "/instances/([ -.0-~]+)/ohif-pdf"
STATUS_ROUTE = "/ohif/api/status"
VIEWER_ROOT_ROUTE = "/ohif"
VIEWER_ROUTE = "/ohif/([ -~]*)"
"""Printable ASCII only (the study identifier without "/"): orthanc-python 4.0 cannot make a
Python string of a URI that is not UTF-8 (such as /ohif/%ff) and answers 500 before any
callback runs. Unmatched, such a URI gets Orthanc's own 404. Bundle file names are ASCII."""

RestHandler = Callable[..., None]

send_status = StatusSender()

REGISTERED: list[Callable[..., None]] = []
"""Every callable handed to Orthanc, kept for the life of the process. orthanc-python 5.0
crashes Orthanc at shutdown (SIGSEGV in _Py_Dealloc, called from OrthancPluginFinalize)
when it releases a REST callback of which it held the last reference."""


def send(output: Any, response: Response) -> None:
    for name, value in response.headers.items():
        output.SetHttpHeader(name, value)
    if response.status == 200:
        output.AnswerBuffer(response.body, response.mime_type)
    elif response.status in (302, 304):
        output.SendHttpStatusCode(response.status)
    else:
        send_status(output, response.status, response.body.decode())


def rest_route(handler: RestHandler) -> RestHandler:
    """Answer GET only, and turn any exception into a logged 500."""

    @functools.wraps(handler)
    def guarded(output: Any, uri: str, **request: Any) -> None:
        try:
            if request.get("method") != "GET":
                output.SendMethodNotAllowed("GET")
                return
            handler(output, uri, **request)
        except Exception:
            logger.exception("Error while answering %s", uri)
            with contextlib.suppress(Exception):  # the answer may have started already
                send_status(output, 500, "Internal error in the OHIF plugin: see Orthanc's log")

    return guarded


def register_rest_route(route: str, handler: RestHandler) -> None:
    guarded = rest_route(handler)
    REGISTERED.append(guarded)
    orthanc.RegisterRestCallback(route, guarded)


def logged(callback: Callable[..., None]) -> Callable[..., None]:
    """Never let an exception out of an Orthanc callback."""

    @functools.wraps(callback)
    def guarded(*args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            logger.exception("Error in %s", getattr(callback, "__name__", type(callback).__name__))

    return guarded


def register_on_change(callback: Callable[[int, int, str], None]) -> None:
    guarded = logged(callback)
    REGISTERED.append(guarded)
    orthanc.RegisterOnChangeCallback(guarded)
