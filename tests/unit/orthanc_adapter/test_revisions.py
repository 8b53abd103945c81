"""Where the plugin reaches its own Orthanc over HTTP to write revisions (ohif_plugin.orthanc_adapter.revisions)."""

from __future__ import annotations

import ssl

from ohif_plugin.orthanc_adapter.revisions import RevisionWriter


def test_the_own_server_is_reached_on_the_loopback_interface_at_the_configured_port() -> None:
    api = RevisionWriter.from_configuration({"HttpPort": 8043}, "Bearer token")
    assert api is not None
    assert api.base_url == "http://127.0.0.1:8043"


def test_the_default_port_is_orthancs() -> None:
    api = RevisionWriter.from_configuration({}, "Bearer token")
    assert api is not None and api.base_url == "http://127.0.0.1:8042"


def test_with_ssl_the_own_certificate_is_not_checked_against_the_loopback_address() -> None:
    api = RevisionWriter.from_configuration({"SslEnabled": True, "HttpPort": 443}, "Bearer token")
    assert api is not None and api.base_url == "https://127.0.0.1:443"
    assert api._context is not None and api._context.verify_mode == ssl.CERT_NONE


def test_without_http_server_there_is_nothing_to_call() -> None:
    assert RevisionWriter.from_configuration({"HttpServerEnabled": False}, "Bearer token") is None
