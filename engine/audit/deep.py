"""The deep check: do the case and task tables say what the event log says?

Commands change rows and log events in one transaction, so each case's row and its task
rows must equal what folding its events gives. Someone who edits those tables behind the
log (closes a task, changes who completed it or its data, or deletes a case's events and
leaves the case) is caught here, with the first difference named: which case, which task,
which field, what the log says and what the row says. The log itself is checked by
``verify``; this trusts it and checks the rows against it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from engine.audit.case_log import LoggedEvent, logged
from engine.cases.deployment import pins_of
from engine.events.types import (
    CaseCancelled,
    CaseCompleted,
    CasePurged,
    CaseResumed,
    CaseStarted,
    CaseSuspended,
    DueRecomputed,
    TaskCancelled,
    TaskClaimed,
    TaskCompleted,
    TaskReady,
    TaskReassigned,
    TaskUnclaimed,
)
from engine.store.db import read_session
from engine.store.tables import Case, Event, TaskRow

# Cases are checked a page at a time, their events and tasks fetched in one query each.
PAGE_SIZE = 200


@dataclass(frozen=True)
class RowDifference:
    """The first row that disagrees with the log."""

    case_id: int
    task_id: int | None
    field: str
    log_says: str
    row_says: str
    message: str


@dataclass
class _Task:
    element_id: str
    role: str
    status: str = "ready"
    assignee: str | None = None
    completed_by: str | None = None
    due_at: datetime | None = None
    data: Any = None


@dataclass
class _Case:
    process_key: str | None = None
    version: int | None = None
    started_by: str | None = None
    status: str = "missing"
    called: dict[str, int] = field(default_factory=dict)  # pinned called versions
    tasks: dict[int, _Task] = field(default_factory=dict)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def fold(events: list[LoggedEvent]) -> _Case:
    """What the case and task rows must hold after these events (in chain order)."""
    case = _Case()
    for e in events:
        body, task = e.body, case.tasks.get(e.task_id) if e.task_id is not None else None
        if isinstance(body, CaseStarted):
            case.process_key, case.version, case.started_by = e.process_key, e.version, e.actor
            case.status, case.called = "running", dict(body.called)
        elif isinstance(body, CaseCompleted):
            case.status = "completed"
        elif isinstance(body, CaseSuspended):
            case.status = "suspended"
        elif isinstance(body, CaseResumed):
            case.status = "running"
        elif isinstance(body, CaseCancelled):
            case.status = "cancelled"
        elif isinstance(body, CasePurged):
            case.status = "purged"
            for each in case.tasks.values():
                each.data = None
        elif isinstance(body, TaskReady) and e.task_id is not None:
            case.tasks[e.task_id] = _Task(body.element_id, body.role, due_at=_instant(body.due_at))
        elif task is None:
            continue
        elif isinstance(body, TaskClaimed):
            task.status, task.assignee = "claimed", e.actor
        elif isinstance(body, TaskReassigned):
            task.status, task.assignee = "claimed", body.to
        elif isinstance(body, TaskUnclaimed):
            task.status, task.assignee = "ready", None
        elif isinstance(body, TaskCompleted):
            task.status, task.completed_by, task.data = "completed", e.actor, body.data
            task.assignee = task.assignee or e.actor
        elif isinstance(body, TaskCancelled):
            task.status = "cancelled"
        elif isinstance(body, DueRecomputed):
            task.due_at = _instant(body.due_at)
    return case


def deep_check(db: Engine) -> RowDifference | None:
    """Compare every case's and task's stored rows with its log; the first difference."""
    with read_session(db, snapshot=True) as session:
        after = 0
        while True:
            ids = _case_ids(session, after)
            if not ids:
                return _orphan_events(session)
            found = _check_page(session, ids)
            if found is not None:
                return found
            after = ids[-1]
            session.expunge_all()


def _case_ids(session: Session, after: int) -> list[int]:
    """The next page of case ids: from the case table and from the log, so neither hides."""
    rows = session.exec(
        select(Case.id).where(col(Case.id) > after).order_by(col(Case.id)).limit(PAGE_SIZE)
    ).all()
    return [i for i in rows if i is not None]


def _check_page(session: Session, ids: list[int]) -> RowDifference | None:
    events: dict[int, list[LoggedEvent]] = defaultdict(list)
    query = select(Event).where(col(Event.case_id).in_(ids)).order_by(col(Event.chain_seq))
    for event in session.exec(query).all():
        assert event.case_id is not None
        events[event.case_id].append(logged(event))
    tasks: dict[int, dict[int, TaskRow]] = defaultdict(dict)
    for row in session.exec(select(TaskRow).where(col(TaskRow.case_id).in_(ids))).all():
        assert row.id is not None
        tasks[row.case_id][row.id] = row
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(ids))).all()}
    for case_id in ids:
        found = _compare(case_id, cases[case_id], fold(events[case_id]), tasks[case_id])
        if found is not None:
            return found
    return None


def _compare(
    case_id: int, row: Case, expected: _Case, tasks: dict[int, TaskRow]
) -> RowDifference | None:
    def diff(task_id: int | None, name: str, log: object, stored: object) -> RowDifference:
        what = f"case {case_id}" + (f" task {task_id}" if task_id is not None else "")
        return RowDifference(
            case_id, task_id, name, str(log), str(stored),
            f"{what}: {name} is {stored!r} in the table but the event log says {log!r}: the "
            "row was changed behind the log (or the log lost events)",
        )  # fmt: skip

    case_fields: tuple[tuple[str, object, object], ...] = (
        ("status", expected.status, row.status),
        ("process_key", expected.process_key, row.process_key),
        ("version", expected.version, row.version),
        ("started_by", expected.started_by, row.started_by),
        # A case runs its call activities on these versions; replay on the logged ones.
        ("called_versions", expected.called, pins_of(row.called_versions)),
    )
    for name, log, stored in case_fields:
        if log != stored:
            return diff(None, name, log, stored)
    for task_id in sorted(set(expected.tasks) | set(tasks)):
        want, have = expected.tasks.get(task_id), tasks.get(task_id)
        if want is None or have is None:
            return diff(task_id, "existence", want is not None, have is not None)
        stored_data = json.loads(have.data) if have.data is not None else None
        fields: tuple[tuple[str, object, object], ...] = (
            ("element_id", want.element_id, have.element_id),
            ("role", want.role, have.role),
            ("status", want.status, have.status),
            ("assignee", want.assignee, have.assignee),
            ("completed_by", want.completed_by, have.completed_by),
            ("due_at", want.due_at, have.due_at),
            ("data", want.data, stored_data),
        )
        for task_field, log_value, row_value in fields:
            if log_value != row_value:
                return diff(task_id, task_field, log_value, row_value)
    return None


def _orphan_events(session: Session) -> RowDifference | None:
    """A case the log knows but the case table does not (its row was deleted)."""
    known = select(Case.id)
    orphan = session.exec(
        select(Event.case_id)
        .where(col(Event.case_id).is_not(None), col(Event.case_id).not_in(known))
        .limit(1)
    ).first()
    if orphan is None:
        return None
    return RowDifference(
        orphan, None, "existence", "True", "False",
        f"case {orphan}: the event log has its events but the case table has no row: the row "
        "was deleted behind the log",
    )  # fmt: skip
