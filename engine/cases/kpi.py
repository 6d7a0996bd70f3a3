"""On-time share of completed work: the KPI the manuals set (P8: 80% within the standard).

``on_time_share`` counts the completed tasks that had a due time and were completed in a
period ``[since, until)``: on time means ``completed_at <= due_at`` (``deadlines.is_on_time``),
late otherwise. It also gives the median time a task took from arriving (``created_at``) to
completion, both as clock time and as working time (office hours only), because a task that
arrived on Friday afternoon and was done on Monday morning took three days of clock time
but a few working hours. Tasks without a time limit (``due_none``) are not counted.

Counts and medians are computed in SQL (``views.completed_figures``): each completion
stored its clock and working time when it happened (migration 0008 backfilled older ones),
so the report no longer walks the calendar for every task of the period. The working time
is the one counted by the calendar in force when the task was completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.cases.overdue import require_process
from engine.cases.views import CompletedFilter, completed_figures
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.store.db import read_session
from engine.worktime.calendar import require_aware


@dataclass(frozen=True)
class OnTimeReport:
    """On-time figures for the completed tasks that match the filters."""

    process: str | None
    step: str | None
    role: str | None
    since: datetime | None
    until: datetime | None
    total: int
    on_time: int
    late: int
    share: float | None  # on_time / total; None when nothing was completed
    target: float
    meets_target: bool | None
    median_taken: timedelta | None  # clock time, created_at -> completed_at
    median_working_taken: timedelta | None  # office time only


def on_time_share(
    ctx: Prflow,
    *,
    process: str | None = None,
    step: str | None = None,
    role: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    target: float | None = None,
) -> OnTimeReport:
    """On-time share of tasks completed in ``[since, until)`` (either end open if None)."""
    if since is not None:
        require_aware(since, "since")
    if until is not None:
        require_aware(until, "until")
    if since is not None and until is not None and until <= since:
        raise InvalidInput(
            f"the period ends ({until.isoformat()}) before it starts ({since.isoformat()}); "
            "give an until after since"
        )
    if target is None:
        target = ctx.settings.kpi_target  # P8: ร้อยละ 80 of releases within the standard
    if not 0 < target <= 1:
        raise InvalidInput(f"target {target!r} must be a share between 0 and 1, e.g. 0.8")
    f = CompletedFilter(process=process, step=step, role=role, since=since, until=until)
    with read_session(ctx.db, autocommit=True) as session:
        if process is not None:
            require_process(session, process)
        figures = completed_figures(session, f)
    total, on_time = figures.total, figures.on_time
    share = on_time / total if total else None
    return OnTimeReport(
        process=process,
        step=step,
        role=role,
        since=since,
        until=until,
        total=total,
        on_time=on_time,
        late=total - on_time,
        share=share,
        target=target,
        meets_target=None if share is None else share >= target,
        median_taken=figures.median_elapsed,
        median_working_taken=figures.median_working,
    )
