"""Overdue lists and on-time figures on cases made at frozen times (figures by hand).

The week of Monday 20 April 2026 has no holidays. Times are Bangkok (UTC+7); office hours
08:30-12:00 and 13:00-16:30, so a full working day is 7 hours. "write" has 2 working hours
and escalates to the admin director; "approve", "follow_up" and P6's steps 1 working day,
due at close of business of the next working day.

    Fri 17 09:00  case A starts: A.write due Fri 11:00
    Fri 17 10:30  A.write done (on time)          A.approve due Mon 20 16:30
    Fri 17 14:00  case D (P6) starts: D.upload due Mon 20 16:30
    Mon 20 13:00  case B starts: B.write due Mon 15:00
    Mon 20 15:30  sweep: B's timer fires          B.follow_up due Tue 21 16:30
    Mon 20 16:00  D.upload done (on time)         D.verify due Tue 21 16:30
    Tue 21 09:00  B.write done (late)             B.approve due Wed 22 16:30
    Wed 22 08:30  case C starts: C.write due Wed 10:30
    Wed 22 09:00  D.verify done, "ok" (late)      D.store due Thu 23 16:30
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from engine.cases import kpi, service, timers
from engine.cases.overdue import due_soon, overdue
from engine.context import Prflow
from engine.errors import InvalidInput
from tests.deadlines.conftest import open_step, set_up

BKK = ZoneInfo("Asia/Bangkok")


def bkk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=BKK)


def h(hours: float) -> timedelta:
    return timedelta(hours=hours)


@pytest.fixture
def week(ctx: Prflow) -> dict[str, int]:
    """The week above; returns case ids by letter."""
    set_up(ctx)
    cases: dict[str, int] = {}

    def start(letter: str, key: str, actor: str, at: datetime) -> None:
        with freeze_time(at):
            cases[letter] = service.start(ctx, key, {}, actor).id

    def done(letter: str, step: str, actor: str, at: datetime, **data: str) -> None:
        with freeze_time(at):
            service.complete(ctx, open_step(ctx, cases[letter], step).id, data, actor)

    start("A", "escalation_demo", "writer", bkk(17, 9))
    done("A", "write", "writer", bkk(17, 10, 30))
    start("D", "website_posting", "malee", bkk(17, 14))
    start("B", "escalation_demo", "writer", bkk(20, 13))
    fired = timers.sweep(ctx, bkk(20, 15, 30).astimezone(UTC))
    assert [(f.case_id, f.element_id) for f in fired.fired] == [(cases["B"], "due_write")]
    done("D", "upload", "somchai", bkk(20, 16))
    done("B", "write", "writer", bkk(21, 9))
    start("C", "escalation_demo", "writer", bkk(22, 8, 30))
    done("D", "verify", "malee", bkk(22, 9), decision="ok")
    return cases


def test_overdue_lists_open_tasks_past_due_oldest_first(ctx: Prflow, week: dict[str, int]) -> None:
    a, b, c = week["A"], week["B"], week["C"]
    now = bkk(22, 10)
    found = overdue(ctx, now)
    # A.approve: late all of Tuesday (7h) and Wednesday 08:30-10:00 (1h30) = 8h30.
    # B.follow_up: due Tuesday 16:30, late Wednesday 08:30-10:00 = 1h30.
    # Not listed: B.approve (Wed 16:30), C.write (Wed 10:30), D.store (Thu), done tasks.
    assert [(t.case_id, t.element_id, t.due_at, t.lateness) for t in found] == [
        (a, "approve", bkk(20, 16, 30), h(8.5)),
        (b, "follow_up", bkk(21, 16, 30), h(1.5)),
    ]
    assert [(t.role, t.unit, t.status) for t in found] == [
        ("esao_director", "สำนักงานเขตพื้นที่การศึกษา", "ready"),
        ("esao_admin_director", "กลุ่มอำนวยการ สพท.", "ready"),
    ]
    # Exactly at its due time C.write is still on time; 15 minutes later it is late.
    assert [t.case_id for t in overdue(ctx, bkk(22, 10, 30))] == [a, b]
    later = overdue(ctx, bkk(22, 10, 45))
    assert [(t.case_id, t.element_id, t.lateness) for t in later] == [
        (a, "approve", h(8.5) + timedelta(minutes=45)),
        (b, "follow_up", h(1.5) + timedelta(minutes=45)),
        (c, "write", timedelta(minutes=15)),
    ]


def test_overdue_filters_by_role_unit_and_process(ctx: Prflow, week: dict[str, int]) -> None:
    now = bkk(22, 10)
    assert [t.case_id for t in overdue(ctx, now, role="esao_director")] == [week["A"]]
    # The unit of the admin director's role; the PR officer's role is in it too, but the PR
    # officer's open task (C.write) is not late yet.
    by_unit = overdue(ctx, now, unit="กลุ่มอำนวยการ สพท.")
    assert [(t.case_id, t.element_id) for t in by_unit] == [(week["B"], "follow_up")]
    assert overdue(ctx, now, process="website_posting") == []
    assert len(overdue(ctx, now, process="escalation_demo")) == 2
    with pytest.raises(InvalidInput, match="unknown role 'nobody'"):
        overdue(ctx, now, role="nobody")
    with pytest.raises(InvalidInput, match="unknown unit 'x'"):
        overdue(ctx, now, unit="x")
    with pytest.raises(InvalidInput, match=r"unknown process 'p99'.*escalation_demo"):
        overdue(ctx, now, process="p99")


def test_due_soon_lists_tasks_with_two_working_hours_or_less(
    ctx: Prflow, week: dict[str, int]
) -> None:
    # At 10:00: C.write has 30 minutes left; B.approve 2h + 3h30 = 5h30 (not soon).
    soon = due_soon(ctx, bkk(22, 10))
    assert [(t.case_id, t.element_id, t.time_left) for t in soon] == [
        (week["C"], "write", timedelta(minutes=30))
    ]
    # At 15:00: C.write is late; B.approve has 1h30 left; D.store (Thu 16:30) 8h30.
    soon = due_soon(ctx, bkk(22, 15))
    assert [(t.case_id, t.element_id, t.time_left) for t in soon] == [
        (week["B"], "approve", h(1.5))
    ]


def test_on_time_share_of_completed_tasks(ctx: Prflow, week: dict[str, int]) -> None:
    report = kpi.on_time_share(ctx)
    # Done with a due: A.write on time (took 1h30 clock, 1h30 working); D.upload on time
    # (Fri 14:00 -> Mon 16:00: 74h clock; 2h30 Fri + 6h30 Mon = 9h working); B.write late
    # (Mon 13:00 -> Tue 09:00: 20h; 3h30 + 0h30 = 4h); D.verify late (Mon 16:00 ->
    # Wed 09:00: 41h; 0h30 + 7h + 0h30 = 8h). Medians: (20h + 41h) / 2 = 30h30 clock and
    # (4h + 8h) / 2 = 6h working. 2 of 4 on time: 50%, below the 80% target.
    assert (report.total, report.on_time, report.late, report.share) == (4, 2, 2, 0.5)
    assert (report.target, report.meets_target) == (0.8, False)
    assert (report.median_taken, report.median_working_taken) == (h(30.5), h(6))

    mine = kpi.on_time_share(ctx, process="escalation_demo", step="write")
    # A.write and B.write: 1 of 2; medians (1h30 + 20h) / 2 and (1h30 + 4h) / 2.
    assert (mine.total, mine.on_time, mine.share) == (2, 1, 0.5)
    assert (mine.median_taken, mine.median_working_taken) == (h(10.75), h(2.75))

    it = kpi.on_time_share(ctx, role="doh_it_officer")
    assert (it.total, it.on_time, it.share, it.meets_target) == (1, 1, 1.0, True)
    assert (it.median_taken, it.median_working_taken) == (h(74), h(9))

    # Completed Monday 00:00 up to Wednesday 00:00: D.upload (on time) and B.write (late).
    period = kpi.on_time_share(ctx, since=bkk(20, 0), until=bkk(22, 0))
    assert (period.total, period.on_time, period.late) == (2, 1, 1)

    nothing = kpi.on_time_share(ctx, step="approve")
    assert (nothing.total, nothing.share, nothing.meets_target) == (0, None, None)
    assert nothing.median_taken is None
    with pytest.raises(InvalidInput, match="before it starts"):
        kpi.on_time_share(ctx, since=bkk(22, 0), until=bkk(20, 0))
