"""A one-minute soak (bench/soak.py runs the long one): 16 viewers while 4 clients ingest.

No latency assertion (speed is for bench/ and docs/benchmarks.md): the test
fails on any error, on a deadlock (60 s without a completed request), on a
preload queue that does not drain, and on Orthanc memory that keeps growing.
"""

from __future__ import annotations

from bench.soak import soak
from tests.conftest import ServerFactory

RSS_GROWTH_LIMIT_MB = 150.0
"""Growth of Orthanc's RSS from the first sample after warm-up (10 s) to the end.

Measured on the 2-core machine: about 85 MB in the first 10 s (the bundle
files read once, SQLite and Python warming up), then 10 to 40 MB over the
next 50 s (the ~3,000 ingested instances in Orthanc's index and caches, plus
what every Python REST callback leaks in orthanc-python 4.0). 150 MB is
several times that: a leak of the answers themselves (each first load is
about 14 MB of bundle files, served about 200 times a minute) would pass it
within seconds, while noise and a busy machine do not.
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
