"""A one-minute soak (bench/soak.py runs the long one): 16 viewers while 4 clients ingest.

No latency assertion (speed is for bench/ and docs/performance.md): the test
fails on any error, on a deadlock (60 s without a completed request), on a
preload queue that does not drain, and on Orthanc memory that keeps growing.
"""

from __future__ import annotations

from bench.soak import soak
from tests.conftest import ServerFactory

RSS_GROWTH_LIMIT_MB = 150.0
"""Growth of Orthanc's RSS from the first sample after warm-up (10 s) to the end.

Warm-up (the bundle read once, Python and SQLite starting) is left out. After
it, orthanc-python leaks a little in every REST callback, so some growth is
expected; the limit leaves room for that on a machine several times faster
than the slowest one the suite runs on, while a leak of the answers
themselves (a first viewer load is tens of megabytes of bundle files) would
pass it within seconds.
"""


def test_one_minute_soak_has_no_error_no_deadlock_drains_and_keeps_memory_bounded(
    make_server: ServerFactory,
) -> None:
    server = make_server("soak")
    report = soak(server, duration=60, viewers=16, ingesters=4, watchdog=60, sample_interval=5)
    print("\n".join(report.summary_lines()))

    assert report.requests > 0 and report.ingested > 0
    assert report.errors == []
    assert not report.deadlocked
    assert report.drained, "the preload queue did not drain after the load"
    queue = [sample.queue_length for sample in report.samples]
    assert all(length is not None for length in queue)
    warmed = [sample.rss_megabytes for sample in report.samples if sample.seconds >= 10 and sample.rss_megabytes]
    assert len(warmed) >= 2
    assert warmed[-1] - warmed[0] < RSS_GROWTH_LIMIT_MB, f"Orthanc RSS over time (MB): {warmed}"
    assert server.get("/system").status_code == 200
