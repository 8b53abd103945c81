"""Answers assembled lately, shared between requests (ohif_plugin.study_json.recent_answers)."""

from __future__ import annotations

import threading

from ohif_plugin.study_json.recent_answers import RecentAnswer, RecentAnswers
from tests.support.fakes import WAIT, wait_until

KEY = ("study", "")


def answer(etag: str = "e1", size: int = 10, complete: bool = True) -> RecentAnswer:
    return RecentAnswer(etag, b"x" * size, complete)


def test_an_answer_is_assembled_once_then_given_from_memory_while_its_etag_holds() -> None:
    recent = RecentAnswers()
    made: list[str] = []

    def assemble(etag: str) -> RecentAnswer:
        made.append(etag)
        return answer(etag)

    assert recent.get(KEY, "e1", lambda: assemble("e1")) == (answer("e1"), True)
    assert recent.get(KEY, "e1", lambda: assemble("e1")) == (answer("e1"), False)
    assert recent.get(KEY, "e2", lambda: assemble("e2")) == (answer("e2"), True)  # the study changed
    assert recent.get(("study", "token=a"), "e2", lambda: assemble("e2")) == (answer("e2"), True)
    assert made == ["e1", "e2", "e2"]
    assert len(recent) == 2


def test_requests_at_once_wait_for_the_one_assembly_under_way() -> None:
    recent = RecentAnswers()
    gate = threading.Event()
    calls: list[int] = []
    results: list[tuple[RecentAnswer, bool]] = []

    def assemble() -> RecentAnswer:
        calls.append(1)
        gate.wait(WAIT)
        return answer()

    threads = [threading.Thread(target=lambda: results.append(recent.get(KEY, "e1", assemble))) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: len(calls) == 1)
    gate.set()
    for thread in threads:
        thread.join(WAIT)
    assert len(calls) == 1
    assert sorted(made for _, made in results) == [False] * 7 + [True]


def test_an_answer_that_left_instances_out_is_not_kept() -> None:
    recent = RecentAnswers()
    calls: list[int] = []

    def assemble() -> RecentAnswer:
        calls.append(1)
        return answer(complete=False)

    recent.get(KEY, "e1", assemble)
    recent.get(KEY, "e1", assemble)
    assert len(calls) == 2 and len(recent) == 0


def test_memory_is_bounded_and_the_least_recently_used_goes_first() -> None:
    recent = RecentAnswers(budget=25)
    recent.get(("a", ""), "e", lambda: answer("e", size=10))
    recent.get(("b", ""), "e", lambda: answer("e", size=10))
    recent.get(("a", ""), "e", lambda: answer("e", size=10))  # a used again
    recent.get(("c", ""), "e", lambda: answer("e", size=10))  # b goes
    assert recent.get(("a", ""), "e", lambda: answer("e", size=10))[1] is False
    assert recent.get(("b", ""), "e", lambda: answer("e", size=10))[1] is True
    recent.get(("big", ""), "e", lambda: answer("e", size=26))
    assert recent.get(("big", ""), "e", lambda: answer("e", size=26))[1] is True  # larger than the budget: never kept


def test_a_request_that_waited_too_long_assembles_on_its_own() -> None:
    recent = RecentAnswers(wait_seconds=0.05)
    gate = threading.Event()
    first = threading.Thread(target=lambda: recent.get(KEY, "e1", lambda: (gate.wait(WAIT), answer())[1]))
    first.start()
    try:
        assert wait_until(lambda: bool(recent._in_flight))
        assert recent.get(KEY, "e1", lambda: answer("mine")) == (answer("mine"), True)
    finally:
        gate.set()
        first.join(WAIT)
