"""A progress line on stderr: studies and instances done, rate and time left.

On a terminal the line is redrawn in place a few times a second; otherwise
(a log file, a pipe) a full line is written every few seconds, so that logs
stay readable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

REDRAW_INTERVAL = 0.2
"""Seconds between redraws on a terminal."""
LOG_INTERVAL = 10.0
"""Seconds between lines when stderr is not a terminal."""
BAR_WIDTH = 24


def duration(seconds: float) -> str:
    """Short human duration: 45s, 3m05s, 2h07m."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@dataclass
class Tally:
    """What a run has done so far."""

    studies_total: int
    instances_total: int | None = None
    """Known when every study is selected (Orthanc's statistics); else estimated."""
    studies_done: int = 0
    instances_done: int = 0


def eta_seconds(tally: Tally, elapsed: float) -> float | None:
    """Time left at the rate so far: by instances when their total is known, else by studies."""
    if tally.instances_total is not None and tally.instances_done > 0:
        rate = tally.instances_done / elapsed if elapsed > 0 else 0.0
        left = tally.instances_total - tally.instances_done
        return max(0.0, left / rate) if rate > 0 else None
    if tally.studies_done > 0 and elapsed > 0:
        return (tally.studies_total - tally.studies_done) * elapsed / tally.studies_done
    return None


def render(tally: Tally, elapsed: float, label: str) -> str:
    fraction = tally.studies_done / tally.studies_total if tally.studies_total else 1.0
    filled = round(BAR_WIDTH * fraction)
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    instances = f"{tally.instances_done}"
    if tally.instances_total is not None:
        instances += f"/{tally.instances_total}"
    rate = tally.instances_done / elapsed if elapsed > 0 else 0.0
    eta = eta_seconds(tally, elapsed)
    return (
        f"{label} [{bar}] {tally.studies_done}/{tally.studies_total} studies, {instances} instances, "
        f"{rate:.0f} instances/s, elapsed {duration(elapsed)}, ETA {duration(eta) if eta is not None else '?'}"
    )


@dataclass
class ProgressBar:
    tally: Tally
    stream: TextIO
    label: str
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    _last_drawn: float = field(default=float("-inf"))
    _width: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()
        self._terminal = self.stream.isatty()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def update(self, force: bool = False) -> None:
        now = self.clock()
        interval = REDRAW_INTERVAL if self._terminal else LOG_INTERVAL
        if not force and now - self._last_drawn < interval:
            return
        self._last_drawn = now
        line = render(self.tally, now - self.started, self.label)
        if self._terminal:
            padding = " " * max(0, self._width - len(line))
            self.stream.write("\r" + line + padding)
            self._width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """Draw the final state and end the line."""
        self.update(force=True)
        if self._terminal:
            self.stream.write("\n")
            self.stream.flush()
