"""The command line's progress bar and its figures (ohif_plugin.cli.progress)."""

from __future__ import annotations

import io

import pytest

from ohif_plugin.cli.progress import ProgressBar, Tally, duration, eta_seconds, render


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (45.4, "45s"), (185, "3m05s"), (7620, "2h07m")])
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_eta_by_instances_when_their_total_is_known_else_by_studies() -> None:
    assert eta_seconds(Tally(10, 1000, studies_done=1, instances_done=250), 5.0) == pytest.approx(15.0)
    assert eta_seconds(Tally(10, None, studies_done=2, instances_done=250), 5.0) == pytest.approx(20.0)
    assert eta_seconds(Tally(10, None), 5.0) is None


def test_the_progress_line_shows_studies_instances_rate_and_eta() -> None:
    line = render(Tally(4, 400, studies_done=1, instances_done=100), 10.0, "preload")
    assert line == (
        "preload [######------------------] 1/4 studies, 100/400 instances, 10 instances/s, "
        "elapsed 10s, ETA 30s"
    )


def test_the_progress_bar_writes_full_lines_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    now = [0.0]
    bar = ProgressBar(Tally(2), stream, "clear-cache", clock=lambda: now[0])
    bar.update()
    bar.update()  # too soon: nothing drawn
    now[0] = 1.0
    bar.tally.studies_done = 2
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert "\r" not in stream.getvalue()
    assert "2/2 studies" in lines[-1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_redraws_one_line_on_a_terminal() -> None:
    stream = Terminal()
    now = [0.0]
    bar = ProgressBar(Tally(3), stream, "preload", clock=lambda: now[0])
    for step in range(1, 4):
        now[0] = step * 1.0
        bar.tally.studies_done = step
        bar.update()
    bar.finish()
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.count("\r") == 4  # three updates and the final state
    assert text.rstrip().endswith("ETA 0s")
