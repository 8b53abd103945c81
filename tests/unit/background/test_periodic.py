"""An action called at a fixed interval in the background (ohif_plugin.background.periodic)."""

from __future__ import annotations

import threading
import time

from ohif_plugin.background.periodic import Periodic
from tests.support.fakes import WAIT, wait_until


def test_the_action_is_called_every_interval_until_stopped() -> None:
    calls: list[float] = []
    periodic = Periodic("test-periodic", 0.02, lambda: calls.append(time.monotonic()), lambda error: None)
    began = time.monotonic()
    periodic.start()
    try:
        assert wait_until(lambda: len(calls) >= 3)
    finally:
        assert periodic.stop(timeout=WAIT)
    assert calls[0] - began >= 0.02  # the first call comes after one interval, not at once
    count = len(calls)
    time.sleep(0.1)
    assert len(calls) == count  # none after stopping


def test_an_error_goes_to_on_error_and_the_calls_go_on() -> None:
    errors: list[Exception] = []
    calls = 0

    def action() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("metrics refused")

    periodic = Periodic("test-periodic", 0.01, action, errors.append)
    periodic.start()
    try:
        assert wait_until(lambda: calls >= 3)
    finally:
        assert periodic.stop(timeout=WAIT)
    assert [str(error) for error in errors] == ["metrics refused"]


def test_stop_does_not_wait_for_the_interval() -> None:
    periodic = Periodic("test-periodic", 3600, lambda: None, lambda error: None)
    periodic.start()
    began = time.monotonic()
    assert periodic.stop(timeout=WAIT)
    assert time.monotonic() - began < 1.0
    assert not any(thread.name == "test-periodic" and thread.is_alive() for thread in threading.enumerate())
