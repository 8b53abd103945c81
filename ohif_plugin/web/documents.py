"""GET /instances/{id}/ohif-pdf: an encapsulated PDF that the cross-origin isolated viewer can embed.

Orthanc's own ``/instances/{id}/pdf`` lacks the Cross-Origin-Resource-Policy
header, so Chromium refuses to embed it in the viewer page.
"""

from __future__ import annotations

from ohif_plugin.responses import SECURITY_HEADERS, Response
from ohif_plugin.summaries.media import PDF_MIME_TYPE


def document_response(document: bytes | None) -> Response:
    """Orthanc's PDF with the security headers; 404 for an unknown instance or one that is no PDF."""
    if document is None:
        return Response(404, b"Unknown instance, or not an encapsulated PDF", headers=dict(SECURITY_HEADERS))
    return Response(200, document, PDF_MIME_TYPE, headers=dict(SECURITY_HEADERS))
