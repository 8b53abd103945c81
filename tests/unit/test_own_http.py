"""Where the plugin reaches its own Orthanc over HTTP, and the test-only preload delay."""

from __future__ import annotations

import ssl

import pytest

from ohif_plugin.orthanc_adapter.revisions import OwnHttpApi
from ohif_plugin.background.preload import DELAY_VARIABLE, delay_from_environment


def test_the_own_server_is_reached_on_the_loopback_interface_at_the_configured_port() -> None:
    api = OwnHttpApi.from_configuration({"HttpPort": 8043}, "Bearer token")
    assert api is not None
    assert api.base_url == "http://127.0.0.1:8043"


def test_the_default_port_is_orthancs() -> None:
    api = OwnHttpApi.from_configuration({}, "Bearer token")
    assert api is not None and api.base_url == "http://127.0.0.1:8042"


def test_with_ssl_the_own_certificate_is_not_checked_against_the_loopback_address() -> None:
    api = OwnHttpApi.from_configuration({"SslEnabled": True, "HttpPort": 443}, "Bearer token")
    assert api is not None and api.base_url == "https://127.0.0.1:443"
    assert api._context is not None and api._context.verify_mode == ssl.CERT_NONE


def test_without_http_server_there_is_nothing_to_call() -> None:
    assert OwnHttpApi.from_configuration({"HttpServerEnabled": False}, "Bearer token") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0.0), ("0.1", 0.1), ("2", 2.0), ("0", 0.0), ("-1", 0.0), ("nan", 0.0), ("inf", 0.0),
     ("1e9", 0.0), ("slow", 0.0), ("", 0.0)],
)
def test_the_preload_delay_is_only_a_sane_number_of_seconds(value: str | None, expected: float) -> None:
    environment = {} if value is None else {DELAY_VARIABLE: value}
    assert delay_from_environment(environment) == expected
