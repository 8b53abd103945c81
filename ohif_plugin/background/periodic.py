"""A background thread that calls one action at a fixed interval (the metrics' push)."""

from __future__ import annotations

from collections.abc import Callable

from ohif_plugin.background.thread import BackgroundThread


class Periodic(BackgroundThread):
    """Calls ``action`` every ``interval`` seconds until stopped; an error goes to ``on_error``.

    orthanc-python 4.0 has no metrics-refresh callback, so the metrics are
    pushed this way (and on every status request).
    """

    def __init__(
        self, name: str, interval: float, action: Callable[[], None], on_error: Callable[[Exception], None]
    ) -> None:
        super().__init__(name, niceness=None)
        self._interval = interval
        self._action = action
        self._on_error = on_error

    def run(self) -> None:
        while not self.stopping.wait(self._interval):
            try:
                self._action()
            except Exception as error:  # keep publishing
                self._on_error(error)
