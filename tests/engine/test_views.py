"""Worklists as pages: keyset order, filters, and every view query reading an index."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import event, select, text
from sqlmodel import col

from engine.cases import kpi, overdue, service
from engine.cases.views import MAX_PAGE_SIZE, CompletedFilter, completed_figures, task_view
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.store.db import is_sqlite, read_session, write_session
from engine.store.tables import TaskRow
from tests.factories import add_people, deploy, open_task

T0 = datetime(2026, 6, 1, 1, 30, tzinfo=UTC)  # Monday 08:30 in Bangkok
ROLES = ("doh_it_officer", "doh_web_pr_officer")


def _fill(ctx: Prflow, n: int) -> int:
    """A P6 case plus ``n`` extra task rows on it: several roles, shared due times, some
    claimed, some done, some without a limit."""
    add_people(ctx)
    deploy(ctx)
    case = service.start(ctx, "website_posting", {}, "malee")
    with write_session(ctx.db) as session:
        for i in range(n):
            status = ("ready", "ready", "claimed", "completed")[i % 4]
            due = None if i % 7 == 0 else T0 + timedelta(hours=i % 50)
            session.add(
                TaskRow(
                    case_id=case.id, spiff_task_id=f"x-{i}", element_id="upload", name="n",
                    role=ROLES[i % 2], status=status, created_at=T0,
                    assignee="somchai" if status != "ready" else None,
                    completed_at=T0 + timedelta(hours=i % 60) if status == "completed" else None,
                    completed_by="somchai" if status == "completed" else None, due_at=due,
                )
            )  # fmt: skip
    return case.id


def test_pages_walk_every_open_task_once_in_due_order(ctx: Prflow) -> None:
    _fill(ctx, 300)
    seen: list[Any] = []
    cursor = None
    while True:
        page = service.worklist(ctx, role="doh_it_officer", after=cursor, limit=7)
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    with read_session(ctx.db) as session:
        expected = session.exec(
            text("SELECT count(*) FROM task WHERE role = 'doh_it_officer' "
                 "AND status IN ('ready', 'claimed')")  # type: ignore[call-overload]
        ).one()[0]  # fmt: skip
    assert len(seen) == expected == len({t.id for t in seen})
    keys = [(t.due_at or datetime.max.replace(tzinfo=UTC), t.id) for t in seen]
    assert keys == sorted(keys)  # tasks without a limit come last, not first
    assert seen[-1].due_at is None and seen[0].due_at is not None


def test_a_person_sees_their_roles_ready_tasks_and_their_own_claimed_ones(ctx: Prflow) -> None:
    _fill(ctx, 40)
    mine = service.worklist(ctx, actor="somchai", limit=MAX_PAGE_SIZE).items
    assert mine and all(
        (t.status == "ready" and t.role == "doh_it_officer")
        or (t.status == "claimed" and t.assignee == "somchai")
        for t in mine
    )
    assert {t.status for t in mine} == {"ready", "claimed"}


def test_page_size_and_cursor_are_checked(ctx: Prflow) -> None:
    _fill(ctx, 3)
    with pytest.raises(InvalidInput, match=f"between 1 and {MAX_PAGE_SIZE}"):
        service.worklist(ctx, role="doh_it_officer", limit=MAX_PAGE_SIZE + 1)
    with pytest.raises(InvalidInput, match="cursor"):
        service.worklist(ctx, role="doh_it_officer", after="yesterday")


@contextmanager
def _plans(ctx: Prflow) -> Iterator[list[tuple[str, str]]]:
    """Record the plan of every statement that reads ``task``, as the database runs it."""
    plans: list[tuple[str, str]] = []
    sqlite = is_sqlite(ctx.db)

    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        # A UNION ALL of branches (PostgreSQL) starts with "(SELECT".
        if not statement.lstrip(" \n(").upper().startswith("SELECT") or " task" not in statement:
            return
        if not sqlite:
            # Small test tables make a sequential scan (or sorting a few rows) cheapest;
            # what matters is that an index can serve the filter and the order.
            cursor.execute("SET enable_seqscan = off; SET enable_sort = off")
        cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, params)
        rows = cursor.fetchall()
        plan = "\n".join(str(row[-1] if sqlite else row[0]) for row in rows)
        plans.append((statement, plan))

    event.listen(ctx.db, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(ctx.db, "before_cursor_execute", explain)


def test_every_view_query_reads_an_index_in_order(ctx: Prflow) -> None:
    case_id = _fill(ctx, 2000)
    if not is_sqlite(ctx.db):
        with ctx.db.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    now = T0 + timedelta(hours=20)
    with _plans(ctx) as plans:
        first = service.worklist(ctx, role="doh_it_officer", limit=20)
        service.worklist(ctx, role="doh_it_officer", after=first.next_cursor, limit=20)
        service.worklist(ctx, actor="somchai", limit=20)
        overdue.overdue(ctx, now, limit=20)
        overdue.overdue_count(ctx, now, role="doh_it_officer")
        overdue.due_soon(ctx, now)
        kpi.on_time_share(ctx, since=T0, until=T0 + timedelta(days=30))
        service.task(ctx, 1)
        service.show(ctx, case_id)
    assert len(plans) >= 10
    for statement, plan in plans:
        where = f"{statement}\n--- plan ---\n{plan}"
        if _is_report(statement):  # the on-time report's counts and medians
            _assert_period_range_of_done_index(ctx, statement, plan)
            continue
        if is_sqlite(ctx.db):
            assert "INDEX" in plan or "PRIMARY KEY" in plan, where
            assert not any(line.strip() == "SCAN task" for line in plan.splitlines()), where
            if "LIMIT" in statement:
                assert "TEMP B-TREE" not in plan, where  # the index gives the order
        else:
            assert "Seq Scan on task" not in plan and " on task" in plan, where
            assert "Index" in plan, where
            if "LIMIT" in statement:
                assert "Sort" not in plan, where


def test_on_time_counts_match_the_rows(ctx: Prflow) -> None:
    _fill(ctx, 200)
    with read_session(ctx.db) as session:
        figures = completed_figures(session, CompletedFilter())
        total, on_time = figures.total, figures.on_time
        rows = session.exec(
            text("SELECT id FROM task WHERE status = 'completed' AND due_at IS NOT NULL")  # type: ignore[call-overload]
        ).all()
        views = [task_view(session, row[0]) for row in rows]
    assert total == len(views)
    assert on_time == sum(
        1 for v in views if v.completed_at and v.due_at and v.completed_at <= v.due_at
    )


def _is_report(statement: str) -> bool:
    return (
        "sum(CASE" in statement
        or "ORDER BY task.working_us" in statement
        or ("ORDER BY task.elapsed_us" in statement)
    )


def _assert_period_range_of_done_index(ctx: Prflow, statement: str, plan: str) -> None:
    """The report reads one range of ``ix_task_done`` (the period's completions) and nothing
    else: the index covers every column it needs. A SQLite median sorts that range (the
    period's rows, never the table) and reads one or two rows of it."""
    where = f"{statement}\n--- plan ---\n{plan}"
    if is_sqlite(ctx.db):
        assert "COVERING INDEX ix_task_done" in plan, where
        assert not any(line.strip() == "SCAN task" for line in plan.splitlines()), where
        if "LIMIT" in statement:
            assert "ORDER BY" in statement and "OFFSET" in statement, where
    else:  # a few test rows: which index the planner picks is its choice, not a scan
        assert "Index" in plan and "Seq Scan" not in plan, where
        assert "percentile_cont" in statement, where


BKK_MONDAY = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok; no holiday that week


def _old_report(ctx: Prflow, since: datetime, until: datetime) -> tuple[Any, Any]:
    """The medians as the report computed them before 0008: the calendar walked per task."""
    with read_session(ctx.db) as session:
        spans = session.execute(
            select(TaskRow.created_at, TaskRow.completed_at).where(
                TaskRow.status == "completed",
                col(TaskRow.due_at).is_not(None),
                col(TaskRow.completed_at) >= since,
                col(TaskRow.completed_at) < until,
            )
        ).all()
    us = timedelta(microseconds=1)

    def median(values: list[timedelta]) -> timedelta | None:
        if not values:
            return None
        return timedelta(microseconds=statistics.median(v // us for v in values))

    return (
        median([done - created for created, done in spans]),
        median([ctx.calendar.working_time_between(created, done) for created, done in spans]),
    )


def test_the_on_time_report_answers_as_the_calendar_walk_did(ctx: Prflow) -> None:
    """Times stored at completion, medians in SQL: the same answer as walking the calendar
    for each task, on odd and even counts, over nights and a weekend."""
    add_people(ctx)
    deploy(ctx)
    # Completions 2h17m, 9h, 26h... apart: within a day, overnight, across the weekend.
    gaps = [timedelta(minutes=m) for m in (137, 540, 1560, 45, 4380, 333, 61, 2900, 777)]
    at = BKK_MONDAY
    for i, gap in enumerate(gaps):
        with freeze_time(at):
            case_id = service.start(ctx, "website_posting", {"title": f"n{i}"}, "malee").id
        with freeze_time(at + gap):
            service.complete(ctx, open_task(ctx, case_id).id, {"url": "u"}, "somchai")
        if i % 3 == 0:
            with freeze_time(at + gap + gap / 3):
                service.complete(ctx, open_task(ctx, case_id).id, {"decision": "ok"}, "malee")
        at += timedelta(hours=5, minutes=11)
    periods = [
        (BKK_MONDAY, BKK_MONDAY + timedelta(days=30)),
        (BKK_MONDAY + timedelta(hours=20), BKK_MONDAY + timedelta(days=4)),
        (BKK_MONDAY + timedelta(days=1), BKK_MONDAY + timedelta(days=6)),
    ]
    totals = set()
    for since, until in periods:
        report = kpi.on_time_share(ctx, since=since, until=until)
        totals.add(report.total % 2)
        assert (report.median_taken, report.median_working_taken) == _old_report(
            ctx, since, until
        ), (since, until, report)
    assert totals == {0, 1}  # both an even and an odd count of tasks were compared
    with _plans(ctx) as plans:
        kpi.on_time_share(ctx, since=periods[0][0], until=periods[0][1])
    # No row of the period is read into Python: counts (SQLite: two one-row medians too).
    assert len(plans) == (3 if is_sqlite(ctx.db) else 1)
    for statement, plan in plans:
        _assert_period_range_of_done_index(ctx, statement, plan)
