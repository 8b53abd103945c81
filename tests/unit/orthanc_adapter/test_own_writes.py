"""Telling the plugin's own writes from changes behind its back (ohif_plugin.orthanc_adapter.own_writes)."""

from __future__ import annotations

from ohif_plugin.orthanc_adapter.own_writes import OwnWrites


def test_each_write_has_one_echo() -> None:
    own = OwnWrites()
    own.wrote("a")
    own.wrote("a")
    assert [own.is_echo("a") for _ in range(3)] == [True, True, False]
    assert own.is_echo("never-written") is False


def test_a_failed_write_has_no_echo() -> None:
    own = OwnWrites()
    own.wrote("a")
    own.failed("a")
    assert own.is_echo("a") is False
    own.failed("a")  # nothing to forget: no error
    assert own.is_echo("a") is False


def test_the_oldest_writes_are_forgotten_beyond_the_capacity() -> None:
    own = OwnWrites(capacity=2)
    for instance_id in ("a", "b", "c"):
        own.wrote(instance_id)
    assert [own.is_echo(instance_id) for instance_id in ("a", "b", "c")] == [False, True, True]
