"""Open tasks against their due times: which are past due, and which are due soon.

A question over task rows only (never over workflow state), read at one instant ``now``:

- ``overdue``: open (ready or claimed) tasks whose ``due_at`` is before ``now``, oldest due
  first, each with its lateness in *working* time (``deadlines.lateness``: a task due at
  16:30 and still open at 18:00 is past due but 0 working minutes late).
- ``due_soon``: open tasks not yet past due with at most ``due_soon_hours`` (2) working hours left
  (``deadlines.is_due_soon``; exactly at ``due_at`` a task is still on time).

Filters: ``role`` (the task's lane), ``unit`` (the role catalogue's unit of that role, since
task rows store the role, not the unit) and ``process`` (the process key).

Both are pages of an SQL query in due order (``engine.cases.views``): which tasks are late or due
soon is a range on the indexed sort key, so only the rows of one page are read, and only
they get their working-time lateness computed. ``overdue_count`` counts in the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from engine.cases.views import (
    DueSoonTask,
    OverdueTask,
    Page,
    TaskFilter,
    open_task,
    task_count,
    task_page,
)
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.store.db import read_session
from engine.store.tables import Definition
from engine.worktime.calendar import require_aware
from engine.worktime.deadlines import lateness


def overdue(
    ctx: Prflow,
    now: datetime,
    *,
    role: str | None = None,
    unit: str | None = None,
    process: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[OverdueTask]:
    """One page of open tasks past due at ``now``, oldest due first."""
    return overdue_page(
        ctx, now, role=role, unit=unit, process=process, after=after, limit=limit
    ).items


def overdue_page(
    ctx: Prflow,
    now: datetime,
    *,
    role: str | None = None,
    unit: str | None = None,
    process: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> Page[OverdueTask]:
    require_aware(now, "now")
    with read_session(ctx.db, autocommit=True) as session:
        f = _filter(ctx, session, role=role, unit=unit, process=process, due_before=now)
        page = task_page(session, f, after=after, limit=limit)
    units = _units(ctx)
    calendar = ctx.calendar  # one calendar for the whole page
    items = []
    for task in page.items:
        assert task.due_at is not None
        late = lateness(now, task.due_at, calendar)
        items.append(OverdueTask(**open_task(task, units.get(task.role, "")), lateness=late))
    return Page(items, page.next_cursor)


def overdue_count(
    ctx: Prflow,
    now: datetime,
    *,
    role: str | None = None,
    unit: str | None = None,
    process: str | None = None,
) -> int:
    """How many open tasks are past due at ``now`` (counted in the database)."""
    require_aware(now, "now")
    with read_session(ctx.db, autocommit=True) as session:
        f = _filter(ctx, session, role=role, unit=unit, process=process, due_before=now)
        return task_count(session, f)


def due_soon(
    ctx: Prflow,
    now: datetime,
    *,
    role: str | None = None,
    unit: str | None = None,
    process: str | None = None,
    within: timedelta | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[DueSoonTask]:
    """Open tasks not yet past due with at most ``within`` working time left (default: the
    ``due_soon_hours`` setting), soonest first."""
    require_aware(now, "now")
    if within is None:
        within = ctx.settings.due_soon_within
    calendar = ctx.calendar
    # The last instant with at most ``within`` office time left: the office-time horizon,
    # or, when that falls at a closing time, everything up to the next opening.
    horizon = calendar.add_working_time(now, within)
    if not calendar.is_open(horizon):
        horizon = calendar.next_opening(horizon)
    with read_session(ctx.db, autocommit=True) as session:
        f = _filter(ctx, session, role=role, unit=unit, process=process, due_from=now,
                    due_until=horizon)  # fmt: skip
        page = task_page(session, f, after=after, limit=limit)
    units = _units(ctx)
    found = []
    for task in page.items:
        assert task.due_at is not None
        left = calendar.working_time_between(now, task.due_at)
        if left > within:
            continue  # due exactly at the next opening after a closing horizon
        found.append(DueSoonTask(**open_task(task, units.get(task.role, "")), time_left=left))
    return found


def _units(ctx: Prflow) -> dict[str, str]:
    # A role removed from the catalogue after its tasks opened still has tasks to show.
    return {r.id: r.unit for r in ctx.roles}


def _filter(
    ctx: Prflow,
    session: Session,
    *,
    role: str | None,
    unit: str | None,
    process: str | None,
    due_before: datetime | None = None,
    due_from: datetime | None = None,
    due_until: datetime | None = None,
) -> TaskFilter:
    units = _units(ctx)
    roles: tuple[str, ...] | None = None
    if role is not None:
        if role not in units:
            raise InvalidInput(
                f"unknown role {role!r}; use a role id from processes/roles.toml: "
                f"{', '.join(sorted(units))}"
            )
        roles = (role,)
    if unit is not None:
        of_unit = tuple(sorted(r for r, u in units.items() if u == unit))
        if not of_unit:
            known = sorted(set(units.values()))
            raise InvalidInput(
                f"unknown unit {unit!r}; units in processes/roles.toml: {', '.join(known)}"
            )
        roles = tuple(r for r in of_unit if roles is None or r in roles)
    if process is not None:
        require_process(session, process)
    return TaskFilter(roles=roles, process=process, due_before=due_before, due_from=due_from,
                      due_until=due_until)  # fmt: skip


def require_process(session: Session, process: str) -> None:
    """Refuse a process key nothing was deployed under (a typo must not look like zero)."""
    keys = sorted(set(session.exec(select(Definition.key)).all()))
    if process not in keys:
        raise InvalidInput(
            f"unknown process {process!r}; deployed processes: {', '.join(keys) or 'none'}"
        )
