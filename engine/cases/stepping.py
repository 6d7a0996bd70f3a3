"""Mirroring a stepped workflow into rows: task rows, pending timers and the saved state.

After a use case (start, complete, a timer sweep) moves a SpiffWorkflow object on, this
module makes the database say the same: a task row (and ``task_ready`` event) for each new
ready user task, ``task_cancelled`` for rows whose workflow task is gone, ``pending_timer``
rows for the timers now waiting, and the case's state saved with an optimistic check:
``UPDATE ... WHERE lock_version = <what we loaded>``, so of two commands that raced on one
case exactly one wins and the other is refused with ``StaleCase`` and rolls back.

A task's due time is computed once per step (``DueTimes``): the boundary timer that waits
for ``due_at`` asks for it while the workflow runs, and mirroring reads the same answer.

A completion is the engine's hottest path, so its writes here are plain statements built
once (``_SAVE_STATE``, ``_UPDATE_TASK``, ``_INSERT_TASK``) rather than the ORM's unit of
work, and the rows it holds may be ``HeldCase``/``HeldTask`` copies instead of ORM objects:
seven statements in all (issue 8 asks for at most eight; ``tests/engine/test_completion_cost.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from engine.bpmn.definitions import CompiledDefinition
from engine.bpmn.expressions import DUE_AT, DueResolver
from engine.cases import runtime, task_due
from engine.cases.status import OPEN_TASK, CaseStatus, TaskStatus, move_case
from engine.context import Prflow
from engine.errors import Conflict, InvalidInput
from engine.events import chain as events
from engine.events import types as ev
from engine.store.db import connection_of
from engine.store.tables import NO_DUE, Case, PendingTimer, TaskRow
from engine.worktime.calendar import WorkingCalendar

_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_TASKS: Table = TaskRow.__table__  # type: ignore[attr-defined]
_C, _T = _CASES.c, _TASKS.c
# Statements of every step, built once (a completion runs them with new values only).
_SAVE_STATE = update(_CASES).where(
    _C.id == bindparam("case_id_"), _C.lock_version == bindparam("loaded_")
)
_UPDATE_TASK = update(_TASKS).where(_T.id == bindparam("task_id_"))
_INSERT_TASK = insert(_TASKS).returning(_T.id)


@dataclass(slots=True)
class HeldCase:
    """A case as a command read (and holds) it: its columns without an ORM object, which
    the hot path of a completion does not need. The stepping functions take it or a
    ``Case``."""

    id: int
    definition_id: int
    process_key: str
    version: int
    status: str
    state: str
    lock_version: int
    unit: str
    completed_at: datetime | None
    called_versions: str  # the called processes' versions pinned at start (JSON; "" for none)


@dataclass(slots=True)
class HeldTask:
    """A task row as a command read (and locked) it, without an ORM object."""

    id: int
    case_id: int
    spiff_task_id: str
    element_id: str
    name: str
    role: str
    form: str | None
    status: str
    assignee: str | None
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    data: str | None
    due_text: str | None
    due_at: datetime | None
    elapsed_us: int | None
    working_us: int | None


HELD_CASE_COLUMNS = tuple(f.name for f in fields(HeldCase))
HELD_TASK_COLUMNS = tuple(f.name for f in fields(HeldTask))


def _remember(obj: object, values: dict[str, Any]) -> None:
    """Make a held object say what an UPDATE just wrote (an ORM one without a reload)."""
    if hasattr(obj, "_sa_instance_state"):
        for name, value in values.items():
            set_committed_value(obj, name, value)
    else:
        for name, value in values.items():
            setattr(obj, name, value)


class StaleCase(Conflict):
    def __init__(self, case_id: int, expected: int, actual: int | None) -> None:
        self.case_id = case_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"case {case_id} changed since it was read (version {expected}, now {actual}); "
            "reload the task and submit again"
        )


# A step whose limit in this case is the diagram's due_none (P8 news with no service
# standard) is never late: its due_at escalation timer waits for this instant, which never
# comes, and no pending-timer row is kept for it.
NEVER_DUE = datetime(2199, 12, 31, tzinfo=UTC)  # inside the engine's 1900-2200 bounds


class DueTimes:
    """The due times of one step (one instant ``now``), each task computed once."""

    def __init__(self, ctx: Prflow, compiled: CompiledDefinition, now: datetime) -> None:
        self._ctx, self._compiled, self._now = ctx, compiled, now
        self._known: dict[str, tuple[str | None, datetime | None]] = {}
        self._calendar: WorkingCalendar | None = None

    @property
    def calendar(self) -> WorkingCalendar:
        """The working calendar of this step, looked up (and its file checked) once."""
        if self._calendar is None:
            self._calendar = self._ctx.calendar
        return self._calendar

    def of(self, spiff_task: Any) -> tuple[str | None, datetime | None]:
        """(limit text, due instant) of a ready user task arriving at ``now``."""
        key = str(spiff_task.id)
        if key not in self._known:
            info = self._compiled.user_tasks.get(runtime.element_id(spiff_task))
            self._known[key] = (
                task_due.due_at(info, self._now, spiff_task.data, self.calendar)
                if info is not None
                else (None, None)
            )
        return self._known[key]

    def resolver(self) -> DueResolver:
        """What a ``due_at`` boundary timer asks while the workflow runs."""

        def resolve(boundary_task: Any) -> str:
            attached = runtime.attached_task(boundary_task)
            _, due = self.of(attached)
            info = self._compiled.user_tasks.get(runtime.element_id(attached))
            if due is None and info is not None and info.due_none is not None:
                return NEVER_DUE.isoformat()
            if due is None:
                raise InvalidInput(
                    f"boundary event {runtime.element_id(boundary_task)} waits for "
                    f"{DUE_AT} but task {runtime.element_id(attached)} has no time limit"
                )
            return due.isoformat()

        return resolve


def due_resolver(ctx: Prflow, compiled: CompiledDefinition, now: datetime) -> DueResolver:
    """A resolver for one step at ``now`` (replay uses it to re-run logged steps)."""
    return DueTimes(ctx, compiled, now).resolver()


def no_resolver(boundary_task: Any) -> str:
    raise InvalidInput("a read-only view cannot compute due times")


def load_workflow(
    ctx: Prflow, case: Case | HeldCase, compiled: CompiledDefinition, dues: DueTimes
) -> Any:
    """The case's workflow: from the engine's cache if it is at this version, else restored."""
    assert case.id is not None
    workflow = ctx.take_workflow(case.id, case.lock_version)
    if workflow is None:
        return runtime.restore(case.state, compiled, dues.resolver())
    runtime.set_resolver(workflow, dues.resolver())
    return workflow


def mirror_and_save(
    session: Session,
    case: Case | HeldCase,
    compiled: CompiledDefinition,
    workflow: Any,
    dues: DueTimes,
    now: datetime,
    actor: str,
    loaded_version: int,
    loaded_rows: Sequence[TaskRow | HeldTask] | None = None,
) -> None:
    """Mirror ready user tasks and waiting timers into rows; save state if nobody raced us.

    ``loaded_rows``: the case's task rows the caller already read (and locked), at least
    every open one; otherwise they are queried here.
    """
    assert case.id is not None
    # Save first: the UPDATE ... WHERE lock_version takes the case row's lock, so a writer
    # that raced us on this case waits here and is refused as stale before it inserts rows
    # (which would otherwise collide on the task's spiff id instead of saying why).
    finished = runtime.is_completed(workflow)
    status = CaseStatus.COMPLETED if finished else CaseStatus(case.status)
    move_case(case.id, case.status, status, "move it on")
    save_state(session, case, runtime.serialize(workflow), loaded_version, status,
               completed_at=now if finished else None)  # fmt: skip
    if loaded_rows is None:
        loaded_rows = session.exec(
            select(TaskRow).where(TaskRow.case_id == case.id, col(TaskRow.status).in_(OPEN_TASK))
        ).all()
    open_rows = {row.spiff_task_id: row for row in loaded_rows if row.status in OPEN_TASK}
    ready_ids = set()
    connection = connection_of(session)
    for spiff_task in runtime.ready_user_tasks(workflow):
        spiff_id = str(spiff_task.id)
        ready_ids.add(spiff_id)
        if spiff_id in open_rows:
            continue
        info = compiled.user_tasks[runtime.element_id(spiff_task)]
        due_text, due = dues.of(spiff_task)
        values = {
            "case_id": case.id, "spiff_task_id": spiff_id, "element_id": info.element_id,
            "name": info.name, "role": info.role, "form": info.form,
            "status": TaskStatus.READY.value, "created_at": now, "due_text": due_text,
            "due_at": due, "due_sort": due if due is not None else NO_DUE,
        }  # fmt: skip
        # A Core insert on a statement built once (the new row's id comes back with it):
        # no ORM object is needed, the events below carry all that is read of the row.
        new_id = connection.execute(_INSERT_TASK, values).scalar_one()
        task_event(
            session, case, NewTask(new_id, info.element_id, info.role), ev.TaskReady, actor, now,
            due_text=due_text, due_at=due.isoformat() if due else None, spiff_task_id=spiff_id,
        )  # fmt: skip
    for spiff_id, row in open_rows.items():
        if spiff_id not in ready_ids:
            set_columns(session, row, status=TaskStatus.CANCELLED.value)
            task_event(session, case, row, ev.TaskCancelled, actor, now)
    if compiled.has_timers:  # otherwise the case can have no pending_timer rows to sync
        _sync_timers(session, case.id, workflow)
    if finished:
        events.append_for_case(session, case, ev.CaseCompleted(), at=now, actor=actor)


def save_state(
    session: Session,
    case: Case | HeldCase,
    state: str,
    loaded_version: int,
    status: CaseStatus,
    completed_at: datetime | None = None,
) -> None:
    """``UPDATE process_case ... WHERE lock_version = loaded_version``; ``StaleCase`` if not."""
    assert case.id is not None
    values = {
        "state": state,
        "lock_version": loaded_version + 1,
        "status": status.value,
        "completed_at": completed_at,
    }
    session.flush()  # ORM changes staged before this (none on the hot path) go first
    result = connection_of(session).execute(
        _SAVE_STATE, {"case_id_": case.id, "loaded_": loaded_version, **values}
    )
    if result.rowcount != 1:
        actual = session.execute(select(Case.lock_version).where(Case.id == case.id)).scalar()
        raise StaleCase(case.id, loaded_version, actual)
    # Tell the ORM what the UPDATE wrote instead of reading the (large) state back.
    _remember(case, values)


def set_columns(session: Session, row: TaskRow | HeldTask, **values: Any) -> None:
    """``UPDATE task SET ... WHERE id`` for a row the caller holds (and has locked), and the
    held object says the same, without the unit of work (a plain statement built once)."""
    assert row.id is not None
    connection_of(session).execute(_UPDATE_TASK, {"task_id_": row.id, **values})
    _remember(row, values)


class TaskLike(Protocol):
    """What an event about a task reads of it: a stored row or one just inserted."""

    @property
    def id(self) -> int | None: ...
    @property
    def element_id(self) -> str: ...
    @property
    def role(self) -> str: ...


class NewTask(NamedTuple):
    id: int
    element_id: str
    role: str


def task_event(
    session: Session,
    case: Case | HeldCase,
    row: TaskLike,
    kind: type[ev.TaskEvent],
    actor: str,
    now: datetime,
    **fields: Any,
) -> None:
    """Log an event of type ``kind`` about one task of ``case`` (its step and role filled in)."""
    body = kind(element_id=row.element_id, role=row.role, **fields)
    events.append_for_case(session, case, body, at=now, actor=actor, task_id=row.id)


def _sync_timers(session: Session, case_id: int, workflow: Any) -> None:
    waiting = {timer.spiff_task_id: timer for timer in runtime.waiting_timers(workflow)}
    stored = session.exec(select(PendingTimer).where(PendingTimer.case_id == case_id)).all()
    for row in stored:
        timer = waiting.pop(row.spiff_task_id, None)
        if timer is None:
            session.delete(row)
        elif row.fire_at != timer.fire_at:  # a cycle timer moved on to its next repetition
            row.fire_at = timer.fire_at
            session.add(row)
    for timer in waiting.values():
        if timer.fire_at >= NEVER_DUE:
            continue
        session.add(
            PendingTimer(
                case_id=case_id,
                spiff_task_id=timer.spiff_task_id,
                element_id=timer.element_id,
                fire_at=timer.fire_at,
            )
        )
