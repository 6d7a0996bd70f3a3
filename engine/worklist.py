"""The worklist as pages, and task/case views that carry their unit.

Stand-in for the engine-seams work's ``engine/views.py`` until it is merged: the HTTP API
asks these functions, so swapping them is one import.

``worklist`` pages a person's open tasks by ``(due_at, id)``, tasks without a time limit
last, with a keyset cursor: each page is a handful of index range scans (one per role the
person holds, one for their claimed tasks), each ``LIMIT``-ed and merged, so a page costs
the same at task 10 and at task 100,000. ``unit`` on ``UnitTask``/``UnitCase`` is the
case's unit, the starter's unit, which the permission rules for supervisors read.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine import service
from engine.context import Prflow
from engine.errors import InvalidInput, NotFound
from engine.service import CLAIMED, READY, CaseView, TaskView
from engine.store.db import read_session
from engine.store.tables import Case, TaskRow, User
from engine.users import UserView

MAX_PAGE = 200


class Scope(StrEnum):
    MINE = "mine"  # tasks I claimed
    ROLES = "roles"  # ready tasks of my roles and tasks I claimed


@dataclass(frozen=True)
class UnitTask(TaskView):
    unit: str = ""
    case_version: int = 0


@dataclass(frozen=True)
class UnitCase(CaseView):
    unit: str = ""


@dataclass(frozen=True)
class WorkItem:
    """One worklist row: enough to list, sort and act on a task (``case_version`` is the
    ``If-Match`` a completion sends)."""

    id: int
    case_id: int
    case_version: int
    process_key: str
    element_id: str
    name: str
    role: str
    form: str | None
    status: str
    assignee: str | None
    created_at: datetime
    due_text: str | None
    due_at: datetime | None


@dataclass(frozen=True)
class Page:
    items: list[WorkItem]
    next_cursor: str | None


@dataclass(frozen=True)
class Filters:
    scope: Scope = Scope.ROLES
    role: str | None = None
    process: str | None = None
    due_before: datetime | None = None


def _encode(due_at: datetime | None, task_id: int) -> str:
    raw = json.dumps([due_at.isoformat() if due_at else None, task_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime | None, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, task_id = json.loads(raw)
        if not isinstance(task_id, int):
            raise ValueError(task_id)
        return (datetime.fromisoformat(due) if due else None), task_id
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as err:
        raise InvalidInput(
            "cursor is not one this server gave out; start again without it"
        ) from err


_COLUMNS = (
    col(TaskRow.id), col(TaskRow.case_id), col(Case.lock_version), col(Case.process_key),
    col(TaskRow.element_id), col(TaskRow.name), col(TaskRow.role), col(TaskRow.form),
    col(TaskRow.status), col(TaskRow.assignee), col(TaskRow.created_at), col(TaskRow.due_text),
    col(TaskRow.due_at),
)  # fmt: skip


def worklist(
    ctx: Prflow, user: UserView, filters: Filters, *, cursor: str | None = None, limit: int = 50
) -> Page:
    """One page of ``user``'s open tasks, soonest due first."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit {limit} must be between 1 and {MAX_PAGE}")
    position = _decode(cursor) if cursor else None
    branches = [[col(TaskRow.status) == CLAIMED, col(TaskRow.assignee) == user.login]]
    if filters.scope is Scope.ROLES:
        roles = [r for r in user.roles if filters.role in (None, r)]
        branches += [[col(TaskRow.status) == READY, col(TaskRow.role) == r] for r in roles]
    items: list[WorkItem] = []
    with read_session(ctx.db) as session:
        for branch in branches:
            items += _branch(session, branch, filters, position, limit + 1)
    items.sort(key=_order)
    page = items[:limit]
    last = page[-1] if page else None
    more = len(items) > limit
    return Page(page, _encode(last.due_at, last.id) if more and last else None)


def _order(item: WorkItem) -> tuple[bool, datetime | None, int]:
    return (item.due_at is None, item.due_at, item.id)


def _branch(
    session: Session,
    conditions: list[ColumnElement[bool]],
    filters: Filters,
    position: tuple[datetime | None, int] | None,
    limit: int,
) -> list[WorkItem]:
    found: list[WorkItem] = []
    # Two index-ordered scans: tasks with a due time, then those without (NULLS LAST).
    for with_due in (True, False):
        # Plain columns, not ORM objects: building entities cost more than the query itself.
        query = (
            sa_select(*_COLUMNS).join(Case, col(Case.id) == col(TaskRow.case_id)).where(*conditions)
        )
        if filters.role is not None:
            query = query.where(col(TaskRow.role) == filters.role)
        if filters.process is not None:
            query = query.where(col(Case.process_key) == filters.process)
        if filters.due_before is not None:
            query = query.where(col(TaskRow.due_at) < filters.due_before)
        if position is not None:
            due, last_id = position
            if with_due and due is None:
                continue  # the cursor is already past every task with a due time
            if with_due:
                # A row-value comparison keeps the scan an index range on both databases.
                query = query.where(tuple_(col(TaskRow.due_at), col(TaskRow.id)) > (due, last_id))
            elif due is None:
                query = query.where(col(TaskRow.id) > last_id)
        if with_due:
            query = query.where(col(TaskRow.due_at).is_not(None)).order_by(
                col(TaskRow.due_at), col(TaskRow.id)
            )
        else:
            query = query.where(col(TaskRow.due_at).is_(None)).order_by(col(TaskRow.id))
        found += [WorkItem(*row) for row in session.execute(query.limit(limit - len(found)))]
        if len(found) >= limit:
            break
    return found


def _starter_unit(session: Session, case_id: int) -> tuple[str, int]:
    found = session.exec(
        select(User.unit, Case.lock_version)
        .join(Case, col(Case.started_by) == col(User.login))
        .where(col(Case.id) == case_id)
    ).first()
    return (found[0], found[1]) if found else ("", 0)


def _as(cls: type[Any], view: object, **extra: Any) -> Any:
    values = {f.name: getattr(view, f.name) for f in fields(view)}  # type: ignore[arg-type]
    return cls(**values, **extra)


def get_task(ctx: Prflow, task_id: int) -> UnitTask:
    """A task with its case's unit and version (``NotFound`` if there is no such task).

    One query, and never the case's (large) state column: every task route starts here.
    """
    query = (
        sa_select(
            TaskRow,
            col(Case.process_key),
            col(Case.version),
            col(Case.lock_version),
            col(User.unit),
        )
        .join(Case, col(Case.id) == col(TaskRow.case_id))
        .outerjoin(User, col(User.login) == col(Case.started_by))
        .where(col(TaskRow.id) == task_id)
    )
    with read_session(ctx.db) as session:
        found = session.execute(query).first()
    if found is None:
        raise NotFound("task", task_id, "see your open tasks with GET /api/v1/tasks")
    row, process_key, version, case_version, unit = found
    assert row.id is not None
    return UnitTask(
        id=row.id, case_id=row.case_id, process_key=process_key, version=version,
        element_id=row.element_id, name=row.name, role=row.role, form=row.form,
        status=row.status, assignee=row.assignee, created_at=row.created_at,
        claimed_at=row.claimed_at, completed_at=row.completed_at,
        completed_by=row.completed_by, due_text=row.due_text, due_at=row.due_at,
        data=json.loads(row.data) if row.data else None, unit=unit or "",
        case_version=case_version,
    )  # fmt: skip


def get_case(ctx: Prflow, case_id: int) -> UnitCase:
    view = service.show(ctx, case_id)
    with read_session(ctx.db) as session:
        unit, _ = _starter_unit(session, case_id)
    case: UnitCase = _as(UnitCase, view, unit=unit)
    return case
