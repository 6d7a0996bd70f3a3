"""Open tasks against their due times: which are past due, and which are due soon.

A question over task rows only (never over workflow state), read at one instant ``now``:

- ``overdue``: open (ready or claimed) tasks whose ``due_at`` is before ``now``, oldest due
  first, each with its lateness in *working* time (``deadlines.lateness``: a task due at
  16:30 and still open at 18:00 is past due but 0 working minutes late).
- ``due_soon``: open tasks not yet past due with at most ``due_soon_hours`` (2) working hours left
  (``deadlines.is_due_soon``; exactly at ``due_at`` a task is still on time).

Filters: ``role`` (the task's lane), ``unit`` (the role catalogue's unit of that role, since
task rows store the role, not the unit) and ``process`` (the process key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from engine.calendar import require_aware
from engine.context import Prflow
from engine.deadlines import is_due_soon, lateness
from engine.errors import InvalidInput
from engine.service import OPEN
from engine.store.db import read_session
from engine.store.tables import Case, Definition, TaskRow


@dataclass(frozen=True)
class OpenTask:
    """An open task with a due time, as a deadline list shows it."""

    task_id: int
    case_id: int
    process_key: str
    version: int
    element_id: str
    name: str
    role: str
    unit: str
    status: str
    assignee: str | None
    created_at: datetime
    due_text: str | None
    due_at: datetime


@dataclass(frozen=True)
class OverdueTask(OpenTask):
    lateness: timedelta  # working time past due_at


@dataclass(frozen=True)
class DueSoonTask(OpenTask):
    time_left: timedelta  # working time until due_at


def overdue(
    ctx: Prflow,
    now: datetime,
    *,
    role: str | None = None,
    unit: str | None = None,
    process: str | None = None,
) -> list[OverdueTask]:
    """Open tasks past due at ``now``, oldest due first."""
    require_aware(now, "now")
    found = []
    calendar = ctx.calendar  # one calendar for the whole list
    for row, case, task_unit in _open_tasks(ctx, role=role, unit=unit, process=process):
        assert row.due_at is not None
        if row.due_at < now:
            late = lateness(now, row.due_at, calendar)
            found.append(OverdueTask(**_fields(row, case, task_unit), lateness=late))
    return found


def due_soon(
    ctx: Prflow,
    now: datetime,
    *,
    role: str | None = None,
    unit: str | None = None,
    process: str | None = None,
    within: timedelta | None = None,
) -> list[DueSoonTask]:
    """Open tasks not yet past due with at most ``within`` working time left (default: the
    ``due_soon_hours`` setting), soonest first."""
    require_aware(now, "now")
    if within is None:
        within = ctx.settings.due_soon_within
    found = []
    calendar = ctx.calendar  # one calendar for the whole list
    for row, case, task_unit in _open_tasks(ctx, role=role, unit=unit, process=process):
        assert row.due_at is not None
        if is_due_soon(now, row.due_at, calendar, within):
            left = calendar.working_time_between(now, row.due_at)
            found.append(DueSoonTask(**_fields(row, case, task_unit), time_left=left))
    return found


def _open_tasks(
    ctx: Prflow, *, role: str | None, unit: str | None, process: str | None
) -> list[tuple[TaskRow, Case, str]]:
    units = {r.id: r.unit for r in ctx.roles}
    query = (
        select(TaskRow, Case)
        .join(Case, col(Case.id) == col(TaskRow.case_id))
        .where(col(TaskRow.status).in_(OPEN), col(TaskRow.due_at).is_not(None))
        .order_by(col(TaskRow.due_at), col(TaskRow.id))
    )
    if role is not None:
        if role not in units:
            raise InvalidInput(
                f"unknown role {role!r}; use a role id from processes/roles.toml: "
                f"{', '.join(sorted(units))}"
            )
        query = query.where(TaskRow.role == role)
    if unit is not None:
        roles_of_unit = sorted(r for r, u in units.items() if u == unit)
        if not roles_of_unit:
            known = sorted(set(units.values()))
            raise InvalidInput(
                f"unknown unit {unit!r}; units in processes/roles.toml: {', '.join(known)}"
            )
        query = query.where(col(TaskRow.role).in_(roles_of_unit))
    with read_session(ctx.db) as session:
        if process is not None:
            require_process(session, process)
            query = query.where(Case.process_key == process)
        rows = session.exec(query).all()
    # A role removed from the catalogue after its tasks opened still has tasks to show.
    return [(row, case, units.get(row.role, "")) for row, case in rows]


def require_process(session: Session, process: str) -> None:
    """Refuse a process key nothing was deployed under (a typo must not look like zero)."""
    keys = sorted(set(session.exec(select(Definition.key)).all()))
    if process not in keys:
        raise InvalidInput(
            f"unknown process {process!r}; deployed processes: {', '.join(keys) or 'none'}"
        )


def _fields(row: TaskRow, case: Case, unit: str) -> dict[str, Any]:
    assert row.id is not None and row.due_at is not None
    return {
        "task_id": row.id,
        "case_id": row.case_id,
        "process_key": case.process_key,
        "version": case.version,
        "element_id": row.element_id,
        "name": row.name,
        "role": row.role,
        "unit": unit,
        "status": row.status,
        "assignee": row.assignee,
        "created_at": row.created_at,
        "due_text": row.due_text,
        "due_at": row.due_at,
    }
