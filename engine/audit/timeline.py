"""A case's timeline: every event in order, and how long each task waited and took.

Built from the event log alone (not from task rows), so it shows what the evidence says.
Per task:

- **waiting time**: office time the task spent ready, unclaimed (ready → claimed; an
  unclaim starts a new wait);
- **working time**: office time it spent claimed, up to completion (claimed → completed);
- **due** and a verdict: completed by the due time is ``on_time``, after it ``late``; a
  task still open is ``open`` or, past its due time at ``now``, ``overdue``.

Both durations count office time on the working calendar (a task claimed Friday 16:00 and
completed Monday 09:00 took one working hour), because that is what time limits count. A
completion without a claim (completing a ready task claims it implicitly) has zero working
time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from engine import clock
from engine.audit.case_log import LoggedEvent, case_events
from engine.context import Prflow
from engine.errors import NotFound
from engine.events.types import EventType, TaskReady, TaskReassigned
from engine.store.db import read_session
from engine.worktime.calendar import WorkingCalendar
from engine.worktime.deadlines import is_on_time


class Verdict(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    OPEN = "open"
    OVERDUE = "overdue"
    NO_LIMIT = "no_limit"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class TimelineEntry:
    """One event as an auditor reads it."""

    seq: int
    at: datetime
    type: str
    actor: str
    role: str | None
    step: str | None
    task_id: int | None
    process_key: str | None
    version: int | None
    payload: dict[str, Any]


@dataclass
class TaskTiming:
    """One task's life from the log: when it appeared, was taken, was done, and how fast."""

    task_id: int
    step: str
    role: str
    ready_at: datetime
    due_at: datetime | None
    due_text: str | None
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    cancelled_at: datetime | None = None
    waiting: timedelta = timedelta(0)
    working: timedelta = timedelta(0)
    verdict: Verdict = Verdict.OPEN


@dataclass(frozen=True)
class Timeline:
    case_id: int
    process_key: str | None
    version: int | None
    now: datetime
    entries: list[TimelineEntry]
    tasks: list[TaskTiming] = field(default_factory=list)


def timeline(ctx: Prflow, case_id: int, now: datetime | None = None) -> Timeline:
    """The timeline of one case; open tasks are judged at ``now`` (default: the clock)."""
    now = now or clock.now()
    with read_session(ctx.db, snapshot=True) as session:
        logged = case_events(session, case_id)
    if not logged:
        raise NotFound("case", case_id, "the event log has no events for it")
    first = logged[0]
    return Timeline(
        case_id=case_id,
        process_key=first.process_key,
        version=first.version,
        now=now,
        entries=[_entry(e) for e in logged],
        tasks=task_timings(logged, ctx.calendar, now),
    )


def task_timings(
    logged: list[LoggedEvent], calendar: WorkingCalendar, now: datetime
) -> list[TaskTiming]:
    """Fold a case's events into one ``TaskTiming`` per task, in the order tasks appeared."""
    tasks: dict[int, TaskTiming] = {}
    # Start of the current wait (ready) or the current work (claimed), per task.
    since: dict[int, datetime] = {}
    for event in logged:
        if event.task_id is None:
            continue
        if isinstance(event.body, TaskReady):
            tasks[event.task_id] = TaskTiming(
                task_id=event.task_id,
                step=event.element_id or "?",
                role=event.role or "?",
                ready_at=event.at,
                due_at=_instant(event.body.due_at),
                due_text=event.body.due_text,
            )
            since[event.task_id] = event.at
            continue
        task = tasks.get(event.task_id)
        if task is None:
            continue  # an event for a task whose appearance is not logged: replay reports it
        start = since.get(event.task_id, event.at)
        elapsed = calendar.working_time_between(start, event.at)
        since[event.task_id] = event.at
        if event.type == EventType.TASK_CLAIMED:
            task.waiting += elapsed
            if task.claimed_at is None:
                task.claimed_at = event.at
            task.claimed_by = event.actor
        elif event.type == EventType.TASK_REASSIGNED:
            # Time before a hand-over counts as it was: waiting if unclaimed, else working.
            if task.claimed_by is None:
                task.waiting += elapsed
            else:
                task.working += elapsed
            task.claimed_at = task.claimed_at or event.at
            task.claimed_by = event.body.to if isinstance(event.body, TaskReassigned) else None
        elif event.type == EventType.TASK_UNCLAIMED:
            task.working += elapsed
            task.claimed_by = None
        elif event.type == EventType.TASK_COMPLETED:
            task.working += elapsed
            task.completed_at, task.completed_by = event.at, event.actor
        elif event.type == EventType.TASK_CANCELLED:
            task.cancelled_at = event.at
    for task in tasks.values():
        task.verdict = _verdict(task, now)
    return list(tasks.values())


def _verdict(task: TaskTiming, now: datetime) -> Verdict:
    if task.completed_at is not None:
        if task.due_at is None:
            return Verdict.NO_LIMIT
        return Verdict.ON_TIME if is_on_time(task.completed_at, task.due_at) else Verdict.LATE
    if task.cancelled_at is not None:
        return Verdict.CANCELLED
    if task.due_at is not None and now > task.due_at:
        return Verdict.OVERDUE
    return Verdict.OPEN


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _entry(event: LoggedEvent) -> TimelineEntry:
    return TimelineEntry(
        seq=event.seq,
        at=event.at,
        type=event.type,
        actor=event.actor,
        role=event.role,
        step=event.element_id,
        task_id=event.task_id,
        process_key=event.process_key,
        version=event.version,
        payload=dataclasses.asdict(event.body),
    )
