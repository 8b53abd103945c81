"""Measuring on a quiet machine: one measurement at a time, once nothing else is busy.

Two benchmark runs (one per Debian release, say) can prepare at the same time, each on a core, and take
turns to measure: a run holds an exclusive lock on a shared file while it measures, and before it starts
it waits until the machine's CPU, less what its own Orthanc and itself use, stays near zero (another run's
preparation, a test suite, a build).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.bench_core import cpu_seconds, log
from harness.orthanc_server import OrthancServer

QUIET_WINDOW = 30.0
"""Seconds over which the other work's CPU is averaged: longer than the lulls of a test suite."""
QUIET_CORES = 0.1
"""Busy cores (other than this run's Orthanc and this process) below which the machine is quiet."""


@dataclass
class Elsewhere:
    """What the rest of the machine used while a run measured, for its result to say."""
    cores: float = 0.0


def machine_busy_seconds() -> float:
    """CPU time spent by every core so far, out of idle (from /proc/stat's first line)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def other_seconds(server: OrthancServer) -> float:
    """CPU time spent so far by everything but ``server`` and this process."""
    return machine_busy_seconds() - cpu_seconds(server) - time.process_time()


def other_cores(server: OrthancServer, window: float = QUIET_WINDOW) -> float:
    """Cores busy on something else than ``server`` and this process, averaged over ``window`` seconds."""
    before = other_seconds(server)
    time.sleep(window)
    return max(0.0, other_seconds(server) - before) / window


@contextmanager
def measuring_alone(server: OrthancServer, lock: Path | None) -> Iterator[Elsewhere]:
    """Holding ``lock`` (when given) on a quiet machine; what the rest of the machine used meanwhile."""
    with open(lock, "a") if lock is not None else open(os.devnull) as handle:
        if lock is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log(f"Waiting for the run that holds {lock} to finish measuring")
                fcntl.flock(handle, fcntl.LOCK_EX)
        while (busy := other_cores(server)) > QUIET_CORES:
            log(f"  waiting for a quiet machine: {busy:.2f} cores busy elsewhere")
        elsewhere, before, started = Elsewhere(), other_seconds(server), time.monotonic()
        yield elsewhere
        elsewhere.cores = max(0.0, other_seconds(server) - before) / (time.monotonic() - started)
        log(f"The rest of the machine used {elsewhere.cores:.2f} cores while this run measured")
