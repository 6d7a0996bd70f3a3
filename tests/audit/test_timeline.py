"""Timeline numbers at frozen times, worked out by hand on the office calendar.

Week of Monday 8 June 2026 (no holidays), office hours 08:30-12:00 and 13:00-16:30 Bangkok.
P6 steps are due "1 working day": close of business of the next working day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time

from engine.audit.timeline import Verdict, timeline
from engine.cases import service
from engine.context import Prflow
from tests.factories import open_task


def bkk(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in June 2026 given in Bangkok wall time (UTC+7)."""
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def at(day: int, hour: int, minute: int = 0) -> freeze_time:  # type: ignore[valid-type]
    return freeze_time(bkk(day, hour, minute))


def test_waiting_working_and_verdicts_match_a_hand_count(p6: Prflow) -> None:
    with at(8, 9):  # Monday 09:00: upload ready, due Tuesday 16:30
        case = service.start(p6, "website_posting", {}, "malee")
        upload = open_task(p6, case.id)
    with at(8, 10):
        service.claim(p6, upload.id, "somchai")
    with at(8, 14):  # verify ready, due Tuesday 16:30
        service.complete(p6, upload.id, {}, "somchai")
        verify = open_task(p6, case.id)
    with at(9, 9):
        service.claim(p6, verify.id, "malee")
    with at(10, 9):  # Wednesday: verify is late; store ready, due Thursday 16:30
        service.complete(p6, verify.id, {"decision": "ok"}, "malee")

    found = timeline(p6, case.id, now=bkk(11, 17))  # Thursday 17:00
    first, second, third = found.tasks
    assert (first.step, first.role, first.due_at) == ("upload", "doh_it_officer", bkk(9, 16, 30))
    assert first.waiting == timedelta(hours=1)  # 09:00-10:00
    assert first.working == timedelta(hours=3)  # 10:00-14:00 less the lunch hour
    assert first.verdict is Verdict.ON_TIME
    assert second.waiting == timedelta(hours=3)  # Mon 14:00-16:30 + Tue 08:30-09:00
    assert second.working == timedelta(hours=7)  # Tue 09:00-16:30 less lunch + Wed 08:30-09:00
    assert (second.claimed_by, second.completed_by) == ("malee", "malee")
    assert second.verdict is Verdict.LATE
    assert (third.step, third.due_at, third.verdict) == ("store", bkk(11, 16, 30), Verdict.OVERDUE)
    assert timeline(p6, case.id, now=bkk(11, 10)).tasks[2].verdict is Verdict.OPEN

    kinds = [(e.type, e.step, e.actor) for e in found.entries]
    assert kinds[:4] == [
        ("case_started", None, "malee"),
        ("task_ready", "upload", "malee"),
        ("task_claimed", "upload", "somchai"),
        ("task_completed", "upload", "somchai"),
    ]
    assert {(e.process_key, e.version) for e in found.entries} == {("website_posting", 1)}
    assert [e.seq for e in found.entries] == sorted(e.seq for e in found.entries)


def test_an_unclaim_starts_a_new_wait(p6: Prflow) -> None:
    with at(8, 9):
        case = service.start(p6, "website_posting", {}, "malee")
        upload = open_task(p6, case.id)
    with at(8, 9, 30):
        service.claim(p6, upload.id, "somchai")
    with at(8, 11):
        service.unclaim(p6, upload.id, "somchai")
    with at(8, 13, 30):
        service.claim(p6, upload.id, "somchai")
    with at(8, 14):
        service.complete(p6, upload.id, {}, "somchai")
        verify = open_task(p6, case.id)
        # Completed straight from the inbox: claimed implicitly, zero waiting and working.
        service.complete(p6, verify.id, {"decision": "ok"}, "malee")

    first, second, _store = timeline(p6, case.id, now=bkk(8, 15)).tasks
    # Ready 09:00-09:30 and 11:00-13:30 (less the lunch hour); claimed 09:30-11:00, 13:30-14:00.
    assert first.waiting == timedelta(minutes=30 + 60 + 30)
    assert first.working == timedelta(minutes=90 + 30)
    assert (second.waiting, second.working) == (timedelta(0), timedelta(0))
    assert second.verdict is Verdict.ON_TIME
