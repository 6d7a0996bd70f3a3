"""Use cases on cases and tasks: start, claim, unclaim, complete, inbox, show.

Each command reads the clock once, runs in one transaction (``write_session``) and writes
case state, task rows and events together. The case row carries ``lock_version``: saving
state is ``UPDATE ... WHERE lock_version = <what we loaded>``, so of two commands that
raced on one case exactly one wins and the other is refused with ``StaleCase`` and rolls
back, leaving the case as the winner wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, or_, select

from engine import clock, events, form_submission, runtime, task_due
from engine.context import Prflow
from engine.definitions import CompiledDefinition
from engine.deployment import compiled_row, require_latest
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.events import EventType
from engine.expressions import DUE_AT, DueResolver
from engine.store.db import read_session, write_session
from engine.store.tables import Case, Definition, PendingTimer, TaskRow
from engine.users import UnknownRole, UserView, get_user, known_roles, require_role

READY, CLAIMED, COMPLETED, CANCELLED = "ready", "claimed", "completed", "cancelled"
OPEN = (READY, CLAIMED)
PURGED = "purged"  # a case past its retention whose data was cleared (engine.audit.retention)


class TaskNotOpen(Conflict):
    def __init__(self, task_id: int, status: str, by: str | None) -> None:
        self.task_id = task_id
        self.status = status
        who = f" by {by}" if by else ""
        super().__init__(f"task {task_id} is already {status}{who}; refresh your inbox")


class StaleCase(Conflict):
    def __init__(self, case_id: int, expected: int, actual: int | None) -> None:
        self.case_id = case_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"case {case_id} changed since it was read (version {expected}, now {actual}); "
            "reload the task and submit again"
        )


@dataclass(frozen=True)
class TaskView:
    id: int
    case_id: int
    process_key: str
    version: int
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
    due_text: str | None
    due_at: datetime | None
    data: dict[str, Any] | None


@dataclass(frozen=True)
class CaseView:
    id: int
    process_key: str
    process_name: str
    version: int
    status: str
    lock_version: int
    started_at: datetime
    started_by: str
    completed_at: datetime | None
    data: dict[str, Any]
    tasks: list[TaskView]


def check_data(data: object, what: str) -> dict[str, Any]:
    """Case and form data is a JSON object whose keys can be read by conditions."""
    if not isinstance(data, dict):
        raise InvalidInput(
            f'{what} must be a JSON object like {{"decision": "ok"}}, not {type(data).__name__}'
        )
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise InvalidInput(
                f"{what}: field name {key!r} is not allowed; use letters, digits "
                "and '_' (not first), e.g. meeting_ended_at"
            )
        if key == DUE_AT:
            raise InvalidInput(f"{what}: field name {DUE_AT!r} is reserved for task due times")
    return data


def start(ctx: Prflow, process_key: str, data: Mapping[str, Any], actor: str) -> CaseView:
    data = check_data(data, "case data")
    now = clock.now()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        definition = require_latest(session, process_key)
        assert definition.id is not None
        compiled = compiled_row(definition)
        lanes = {info.role for info in compiled.user_tasks.values()}
        if not (lanes & set(user.roles)) and "process_owner" not in user.roles:
            raise Forbidden(
                actor,
                f"start a {process_key} case",
                f"it needs one of the roles {', '.join(sorted(lanes))}",
            )
        workflow = runtime.new_workflow(compiled, data, due_resolver(ctx, compiled, now), now)
        case = Case(
            definition_id=definition.id,
            process_key=definition.key,
            version=definition.version,
            status="running",
            state=runtime.serialize(workflow),
            serializer_version=runtime.SERIALIZER_VERSION,
            lock_version=0,
            started_at=now,
            started_by=actor,
            calendar_fingerprint=ctx.calendar.fingerprint,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        events.append_for_case(
            session, case, at=now, type=EventType.CASE_STARTED, actor=actor,
            payload={"data": data, "definition_id": definition.id},
        )  # fmt: skip
        mirror_and_save(ctx, session, case, definition, compiled, workflow, now, actor, 0)
        view = _case_view(session, case, definition.name, workflow)
    ctx.keep_workflow(view.id, view.lock_version, workflow)
    return view


def claim(ctx: Prflow, task_id: int, actor: str) -> TaskView:
    now = clock.now()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        row = _task(session, task_id, lock=True)
        require_role(user, row.role, f"claim task {task_id}")
        if row.status != READY:
            raise TaskNotOpen(task_id, row.status, row.assignee or row.completed_by)
        _transition(session, row, READY, status=CLAIMED, assignee=actor, claimed_at=now)
        _event(session, row, EventType.TASK_CLAIMED, actor, now, {})
        return _task_view(session, row)


def unclaim(ctx: Prflow, task_id: int, actor: str) -> TaskView:
    now = clock.now()
    with write_session(ctx.db) as session:
        get_user(session, actor)
        row = _task(session, task_id, lock=True)
        if row.status != CLAIMED:
            raise TaskNotOpen(task_id, row.status, row.completed_by)
        if row.assignee != actor:
            raise Forbidden(actor, f"unclaim task {task_id}", f"it is claimed by {row.assignee}")
        _transition(session, row, CLAIMED, status=READY, assignee=None, claimed_at=None)
        _event(session, row, EventType.TASK_UNCLAIMED, actor, now, {})
        return _task_view(session, row)


def complete(
    ctx: Prflow,
    task_id: int,
    data: Mapping[str, Any],
    actor: str,
    expected_version: int | None = None,
) -> TaskView:
    """Complete a task with its form data and move the case on until it waits again.

    ``expected_version`` is the case's ``lock_version`` when the form was opened: if the
    case moved on since, the completion is refused instead of applied to a case the person
    did not see.
    """
    data = check_data(data, f"form data of task {task_id}")
    now = clock.now()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        row = _task(session, task_id, lock=True)
        require_role(user, row.role, f"complete task {task_id}")
        if row.status not in OPEN:
            raise TaskNotOpen(task_id, row.status, row.completed_by)
        if row.status == CLAIMED and row.assignee != actor:
            raise Forbidden(actor, f"complete task {task_id}", f"it is claimed by {row.assignee}")
        case = _case(session, row.case_id)
        if expected_version is not None and expected_version != case.lock_version:
            raise StaleCase(case.id, expected_version, case.lock_version)  # type: ignore[arg-type]
        definition = _definition(ctx, session, case.definition_id)
        # Checked against the version's own forms before anything is stepped.
        data = form_submission.checked(session, definition, row.form, row.case_id, data)
        compiled = compiled_row(definition)
        workflow = load_workflow(ctx, case, compiled, now)
        runtime.complete_task(workflow, row.spiff_task_id, data, now)
        # No conditional UPDATE here, unlike claim: a racing completion of this task must
        # also save the case, and the case's lock_version check refuses the loser.
        implicit_claim = row.status == READY
        if implicit_claim:
            row.assignee, row.claimed_at = actor, now
        row.status, row.completed_at, row.completed_by = COMPLETED, now, actor
        row.data = json.dumps(data, ensure_ascii=False, sort_keys=True)
        session.add(row)
        if implicit_claim:
            _event(session, row, EventType.TASK_CLAIMED, actor, now, {"implicit": True})
        _event(session, row, EventType.TASK_COMPLETED, actor, now, {"data": data})
        mirror_and_save(
            ctx, session, case, definition, compiled, workflow, now, actor, case.lock_version
        )
        view = _task_view(session, row)
        new_version = case.lock_version
    ctx.keep_workflow(view.case_id, new_version, workflow)
    return view


def inbox(ctx: Prflow, *, actor: str | None = None, role: str | None = None) -> list[TaskView]:
    """Open tasks, most urgent first: a user's (their roles' ready tasks and their own
    claimed ones) or a role's."""
    with read_session(ctx.db) as session:
        query = select(TaskRow)
        if actor is not None:
            user: UserView = get_user(session, actor)
            query = query.where(
                or_(
                    (col(TaskRow.status) == READY) & col(TaskRow.role).in_(user.roles),
                    (col(TaskRow.status) == CLAIMED) & (col(TaskRow.assignee) == actor),
                )
            )
        else:
            query = query.where(col(TaskRow.status).in_(OPEN))
        if role is not None:
            known = known_roles(ctx.roles)
            if role not in known:
                raise UnknownRole(role, known)
            query = query.where(col(TaskRow.role) == role)
        query = query.order_by(col(TaskRow.due_at).is_(None), col(TaskRow.due_at), col(TaskRow.id))
        return [_task_view(session, row) for row in session.exec(query).all()]


def show(ctx: Prflow, case_id: int) -> CaseView:
    with read_session(ctx.db) as session:
        case = _case(session, case_id)
        if case.status == PURGED:
            raise Conflict(
                f"case {case_id} was purged after its retention period; its history stays in "
                f"the audit log: prflow audit timeline {case_id}"
            )
        definition = _definition(ctx, session, case.definition_id)
        workflow = runtime.restore(case.state, compiled_row(definition), _no_resolver)
        return _case_view(session, case, definition.name, workflow)


def task(ctx: Prflow, task_id: int) -> TaskView:
    with read_session(ctx.db) as session:
        return _task_view(session, _task(session, task_id))


# --- internals -------------------------------------------------------------------------


def due_resolver(ctx: Prflow, compiled: CompiledDefinition, now: datetime) -> DueResolver:
    def resolve(boundary_task: Any) -> str:
        attached = runtime.attached_task(boundary_task)
        info = compiled.user_tasks.get(attached.task_spec.bpmn_id)
        due = None
        if info is not None:
            _, due = task_due.due_at(info, now, attached.data, ctx.calendar)
        if due is None:
            raise InvalidInput(
                f"boundary event {boundary_task.task_spec.bpmn_id} waits for "
                f"{DUE_AT} but task {attached.task_spec.bpmn_id} has no time limit"
            )
        return due.isoformat()

    return resolve


def _no_resolver(boundary_task: Any) -> str:
    raise InvalidInput("a read-only view cannot compute due times")


def load_workflow(ctx: Prflow, case: Case, compiled: CompiledDefinition, now: datetime) -> Any:
    assert case.id is not None
    workflow = ctx.take_workflow(case.id, case.lock_version)
    if workflow is None:
        workflow = runtime.restore(case.state, compiled, due_resolver(ctx, compiled, now))
    else:
        workflow.script_engine.due_resolver = due_resolver(ctx, compiled, now)
    return workflow


def mirror_and_save(
    ctx: Prflow,
    session: Session,
    case: Case,
    definition: Definition,
    compiled: CompiledDefinition,
    workflow: Any,
    now: datetime,
    actor: str,
    loaded_version: int,
) -> None:
    """Mirror ready user tasks and waiting timers into rows; save state if nobody raced us."""
    assert case.id is not None
    open_rows = {
        row.spiff_task_id: row
        for row in session.exec(
            select(TaskRow).where(TaskRow.case_id == case.id, col(TaskRow.status).in_(OPEN))
        ).all()
    }
    ready_ids = set()
    for spiff_task in runtime.ready_user_tasks(workflow):
        spiff_id = str(spiff_task.id)
        ready_ids.add(spiff_id)
        if spiff_id in open_rows:
            continue
        info = compiled.user_tasks[spiff_task.task_spec.bpmn_id]
        due_text, due = task_due.due_at(info, now, spiff_task.data, ctx.calendar)
        row = TaskRow(
            case_id=case.id,
            spiff_task_id=spiff_id,
            element_id=info.element_id,
            name=info.name,
            role=info.role,
            form=info.form,
            status=READY,
            created_at=now,
            due_text=due_text,
            due_at=due,
        )
        session.add(row)
        session.flush()
        _event(
            session,
            row,
            EventType.TASK_READY,
            actor,
            now,
            {
                "element_id": row.element_id,
                "role": row.role,
                "due_text": due_text,
                "due_at": due.isoformat() if due else None,
                "spiff_task_id": spiff_id,
            },
            case,
        )
    for spiff_id, row in open_rows.items():
        if spiff_id not in ready_ids:
            row.status = CANCELLED
            session.add(row)
            _event(session, row, EventType.TASK_CANCELLED, actor, now, {}, case)
    if compiled.has_timers:  # otherwise the case can have no pending_timer rows to sync
        _sync_timers(session, case.id, workflow)
    finished = runtime.is_completed(workflow)
    state = runtime.serialize(workflow)
    status = "completed" if finished else "running"
    completed_at = now if finished else None
    result = session.execute(
        update(Case)
        .where(col(Case.id) == case.id, col(Case.lock_version) == loaded_version)
        .values(
            state=state,
            lock_version=loaded_version + 1,
            status=status,
            completed_at=completed_at,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        actual = session.execute(select(Case.lock_version).where(Case.id == case.id)).scalar()
        raise StaleCase(case.id, loaded_version, actual)
    # Tell the ORM what the UPDATE wrote instead of reading the (large) state back.
    for name, value in (("state", state), ("lock_version", loaded_version + 1),
                        ("status", status), ("completed_at", completed_at)):  # fmt: skip
        set_committed_value(case, name, value)
    if finished:
        events.append_for_case(session, case, at=now, type=EventType.CASE_COMPLETED, actor=actor)


def _sync_timers(session: Session, case_id: int, workflow: Any) -> None:
    waiting = {timer.spiff_task_id: timer for timer in runtime.waiting_timers(workflow)}
    stored = session.exec(select(PendingTimer).where(PendingTimer.case_id == case_id)).all()
    for row in stored:
        if row.spiff_task_id not in waiting:
            session.delete(row)
        else:
            waiting.pop(row.spiff_task_id)
    for timer in waiting.values():
        session.add(
            PendingTimer(
                case_id=case_id,
                spiff_task_id=timer.spiff_task_id,
                element_id=timer.element_id,
                fire_at=timer.fire_at,
            )
        )


def _transition(session: Session, row: TaskRow, from_status: str, **values: Any) -> None:
    """Move a task row on, only if nobody else moved it since we read it."""
    result = session.execute(
        update(TaskRow)
        .where(col(TaskRow.id) == row.id, col(TaskRow.status) == from_status)
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        assert row.id is not None
        raise TaskNotOpen(row.id, row.status, row.assignee or row.completed_by)
    session.refresh(row)


def _event(
    session: Session,
    row: TaskRow,
    type: EventType,
    actor: str,
    now: datetime,
    payload: dict[str, Any],
    case: Case | None = None,
) -> None:
    events.append_for_case(
        session, case or _case(session, row.case_id), at=now, type=type, actor=actor,
        task_id=row.id, payload={"element_id": row.element_id, "role": row.role, **payload},
    )  # fmt: skip


def _task(session: Session, task_id: int, lock: bool = False) -> TaskRow:
    """A task row; ``lock`` holds it (PostgreSQL) until the command commits, so a claim and
    a completion of one task cannot both act on what they read before the other wrote."""
    row = session.get(TaskRow, task_id, with_for_update=lock)
    if row is None:
        raise NotFound("task", task_id, "see open tasks with: prflow inbox --as LOGIN")
    return row


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id)
    return case


def _definition(ctx: Prflow, session: Session, definition_id: int) -> Definition:
    # Versions never change once deployed, so one read per engine object is enough.
    definition = ctx.definitions.get(definition_id)
    if definition is None:
        definition = session.get(Definition, definition_id)
        assert definition is not None  # a foreign key guarantees it
        session.expunge(definition)
        ctx.definitions[definition_id] = definition
    return definition


def _task_view(session: Session, row: TaskRow) -> TaskView:
    case = _case(session, row.case_id)
    assert row.id is not None
    return TaskView(
        id=row.id,
        case_id=row.case_id,
        process_key=case.process_key,
        version=case.version,
        element_id=row.element_id,
        name=row.name,
        role=row.role,
        form=row.form,
        status=row.status,
        assignee=row.assignee,
        created_at=row.created_at,
        claimed_at=row.claimed_at,
        completed_at=row.completed_at,
        completed_by=row.completed_by,
        due_text=row.due_text,
        due_at=row.due_at,
        data=json.loads(row.data) if row.data else None,
    )


def _case_view(session: Session, case: Case, name: str, workflow: Any) -> CaseView:
    assert case.id is not None
    rows = session.exec(select(TaskRow).where(TaskRow.case_id == case.id).order_by(col(TaskRow.id)))
    # After compaction the last task may be gone; the root then holds the newest full data.
    data = dict((workflow.last_task or workflow.task_tree).data)
    return CaseView(
        id=case.id,
        process_key=case.process_key,
        process_name=name,
        version=case.version,
        status=case.status,
        lock_version=case.lock_version,
        started_at=case.started_at,
        started_by=case.started_by,
        completed_at=case.completed_at,
        data=data,
        tasks=[_task_view(session, row) for row in rows],
    )
