"""Reassigning open tasks to another person (a supervisor's action), one or many.

Stand-in for the engine-seams work's reassign until it is merged. The new assignee must
hold the task's role; the task becomes claimed by them, and a ``task_reassigned`` event
names who moved it from whom to whom. Permission (a supervisor of the case's unit) is the
caller's question to ``engine.permissions``.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from engine import clock, events
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.events import EventType
from engine.service import CLAIMED, OPEN, TaskNotOpen, TaskView, task
from engine.store.db import write_session
from engine.store.tables import Case, TaskRow
from engine.users import get_user


def reassign(ctx: Prflow, task_id: int, to: str, actor: str) -> TaskView:
    now = clock.now()
    with write_session(ctx.db) as session:
        get_user(session, actor)
        assignee = get_user(session, to)
        row = session.get(TaskRow, task_id, with_for_update=True)
        if row is None:
            return task(ctx, task_id)  # raises the engine's NotFound for tasks
        if row.status not in OPEN:
            raise TaskNotOpen(task_id, row.status, row.completed_by)
        if row.role not in assignee.roles:
            raise InvalidInput(
                f"{to} does not hold role {row.role!r} of task {task_id}; "
                "reassign it to someone who does"
            )
        previous = row.assignee
        session.execute(
            update(TaskRow)
            .where(col(TaskRow.id) == task_id)
            .values(status=CLAIMED, assignee=to, claimed_at=now)
        )
        case = session.get(Case, row.case_id)
        assert case is not None
        events.append_for_case(
            session, case, at=now, type=EventType.TASK_REASSIGNED, actor=actor, task_id=task_id,
            payload={"element_id": row.element_id, "role": row.role, "from": previous, "to": to},
        )  # fmt: skip
    return task(ctx, task_id)
