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
from sqlmodel import Session, col, select

from engine import service
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.service import CLAIMED, READY, CaseView, TaskView
from engine.store.db import read_session
from engine.store.tables import Case, TaskRow, User
from engine.users import UserView, get_user

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


def worklist(
    ctx: Prflow, login: str, filters: Filters, *, cursor: str | None = None, limit: int = 50
) -> Page:
    """One page of ``login``'s open tasks, soonest due first."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit {limit} must be between 1 and {MAX_PAGE}")
    position = _decode(cursor) if cursor else None
    with read_session(ctx.db) as session:
        user = get_user(session, login)
        parts = [col(TaskRow.status) == CLAIMED, col(TaskRow.assignee) == login]
        branches = [parts]
        if filters.scope is Scope.ROLES:
            roles = [r for r in user.roles if filters.role in (None, r)]
            branches += [[col(TaskRow.status) == READY, col(TaskRow.role) == r] for r in roles]
        rows: list[TaskRow] = []
        for branch in branches:
            rows += _branch(session, branch, filters, position, limit + 1)
        rows.sort(key=_order)
        rows = rows[: limit + 1]
        more = len(rows) > limit
        rows = rows[:limit]
        items = _items(session, rows)
    last = rows[-1] if rows else None
    next_cursor = _encode(last.due_at, last.id) if more and last and last.id else None
    return Page(items, next_cursor)


def _order(row: TaskRow) -> tuple[bool, datetime | None, int]:
    return (row.due_at is None, row.due_at, row.id or 0)


def _branch(
    session: Session,
    conditions: list[ColumnElement[bool]],
    filters: Filters,
    position: tuple[datetime | None, int] | None,
    limit: int,
) -> list[TaskRow]:
    rows: list[TaskRow] = []
    # Two index-ordered scans: tasks with a due time, then those without (NULLS LAST).
    for with_due in (True, False):
        query = select(TaskRow).where(*conditions)
        if filters.role is not None:
            query = query.where(col(TaskRow.role) == filters.role)
        if filters.process is not None:
            query = query.join(Case, col(Case.id) == col(TaskRow.case_id)).where(
                col(Case.process_key) == filters.process
            )
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
        rows += session.exec(query.limit(limit - len(rows))).all()
        if len(rows) >= limit:
            break
    return rows


def _items(session: Session, rows: list[TaskRow]) -> list[WorkItem]:
    case_ids = {row.case_id for row in rows}
    cases = {
        case_id: (key, version)
        for case_id, key, version in session.exec(
            select(Case.id, Case.process_key, Case.lock_version).where(col(Case.id).in_(case_ids))
        ).all()
    }
    items = []
    for row in rows:
        assert row.id is not None
        key, version = cases[row.case_id]
        items.append(
            WorkItem(
                row.id,
                row.case_id,
                version,
                key,
                row.element_id,
                row.name,
                row.role,
                row.form,
                row.status,
                row.assignee,
                row.created_at,
                row.due_text,
                row.due_at,
            )
        )
    return items


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
    """A task with its case's unit and version (``NotFound`` if there is no such task)."""
    view = service.task(ctx, task_id)
    with read_session(ctx.db) as session:
        unit, version = _starter_unit(session, view.case_id)
    task: UnitTask = _as(UnitTask, view, unit=unit, case_version=version)
    return task


def get_case(ctx: Prflow, case_id: int) -> UnitCase:
    view = service.show(ctx, case_id)
    with read_session(ctx.db) as session:
        unit, _ = _starter_unit(session, case_id)
    case: UnitCase = _as(UnitCase, view, unit=unit)
    return case


def user(ctx: Prflow, login: str) -> UserView:
    with read_session(ctx.db) as session:
        return get_user(session, login)
