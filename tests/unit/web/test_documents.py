"""Encapsulated PDFs answered for the cross-origin isolated viewer (ohif_plugin.web.documents)."""

from __future__ import annotations

from ohif_plugin.responses import SECURITY_HEADERS
from ohif_plugin.web.documents import document_response
from tests.support import media_factory as media


def test_the_document_answer_carries_the_headers_of_the_isolated_viewer() -> None:
    document = media.minimal_pdf()
    response = document_response(document)
    assert (response.status, response.body, response.mime_type) == (200, document, "application/pdf")
    assert response.headers == SECURITY_HEADERS
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"  # else Chromium will not embed it


def test_no_document_is_a_404_with_the_same_headers() -> None:
    response = document_response(None)
    assert response.status == 404
    assert response.mime_type != "application/pdf"
    assert response.headers == SECURITY_HEADERS


def test_each_answer_has_its_own_headers() -> None:
    """An answer's headers are changed downstream (an ETag added, say): never the shared table."""
    first, second = document_response(b"%PDF-1.4"), document_response(None)
    first.headers["X-Test"] = "1"
    assert "X-Test" not in second.headers and "X-Test" not in SECURITY_HEADERS
