"""Use cases on cases and tasks: start, claim, unclaim, complete, reassign, cancel, suspend,
resume, deliver a message; and the reads people ask for: worklists, a task, a case.

Each command reads the clock once, asks ``engine.cases.permissions`` whether the user may act,
checks the move against ``engine.cases.status``, and runs in one transaction
(``write_session``) that writes case state, task rows and events together; adapters (CLI,
API) call these and open no session themselves. Stepping a workflow and mirroring it into
rows belongs to ``engine.cases.stepping``; the read models to ``engine.cases.views``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Table, bindparam, cast, literal, update
from sqlmodel import Session, col, or_, select

from engine import bounds, clock
from engine.accounts import users
from engine.accounts.users import UnknownRole, UserView, get_user, known_roles
from engine.bpmn.expressions import DUE_AT
from engine.cases import form_submission, runtime
from engine.cases.deployment import (
    compiled_case,
    compiled_row,
    pin_called,
    pins_of,
    pins_text,
    startable_version,
    step_forms,
)
from engine.cases.messages import MessageNotAwaited, waiting_views
from engine.cases.permissions import Action, case_actions, require
from engine.cases.status import (
    OPEN_TASK,
    CaseNotActive,
    CaseStatus,
    TaskNotOpen,
    TaskStatus,
    move_case,
    move_task,
)
from engine.cases.stepping import (
    HELD_CASE_COLUMNS,
    HELD_TASK_COLUMNS,
    DueTimes,
    HeldCase,
    HeldTask,
    StaleCase,
    load_workflow,
    mirror_and_save,
    no_resolver,
    save_state,
    set_columns,
    task_event,
)
from engine.cases.views import (
    CaseView,
    MessageTarget,
    Page,
    ProcessView,
    TaskFilter,
    TaskView,
    case_state,
    case_view,
    process_view,
    task_page,
    task_view,
    task_view_of,
)
from engine.context import Prflow
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.events import chain as events
from engine.events import types as ev
from engine.store.db import connection_of, read_session, write_session
from engine.store.tables import Case, ChainHead, Definition, PendingTimer, TaskRow, UserRole

OPEN = tuple(sorted(OPEN_TASK))
_MICROSECOND = timedelta(microseconds=1)


def check_data(data: object, what: str) -> dict[str, Any]:
    """Case and form data is a JSON object whose keys can be read by conditions."""
    if not isinstance(data, dict):
        raise InvalidInput(
            f'{what} must be a JSON object like {{"decision": "ok"}}, not {type(data).__name__}'
        )
    bounds.check_json(data, what)  # depth, size, NaN, NUL, dates within 1900-2200
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
        definition = startable_version(session, process_key)
        assert definition.id is not None
        data = form_submission.checked_start(session, definition, data)
        require(user, Action.START, process_view(definition.key, compiled_row(definition)))
        # The called processes' versions are pinned now: a later deploy of one of them
        # changes no running case.
        pins = pin_called(session, definition)
        compiled = compiled_case(session, definition, pins)
        dues = DueTimes(ctx, compiled, now)
        workflow = runtime.new_workflow(compiled, data, dues.resolver(), now)
        case = Case(
            definition_id=definition.id,
            process_key=definition.key,
            version=definition.version,
            status=CaseStatus.RUNNING,
            state="",  # written once, by mirror_and_save
            serializer_version=runtime.SERIALIZER_VERSION,
            lock_version=0,
            started_at=now,
            started_by=actor,
            calendar_fingerprint=ctx.calendar.fingerprint,
            unit=user.unit,
            called_versions=pins_text(pins),
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        events.append_for_case(
            session, case,
            ev.CaseStarted(data=dict(data), definition_id=definition.id, called=pins),
            at=now, actor=actor,
        )  # fmt: skip
        mirror_and_save(session, case, compiled, workflow, dues, now, actor, 0, [])
        view = case_view(session, case.id, _case_data(workflow))
    ctx.keep_workflow(view.id, view.lock_version, workflow)
    return view


def claim(ctx: Prflow, task_id: int, actor: str) -> TaskView:
    now = clock.now()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        row, case = _working(session, task_id, "claim")
        if row.status != TaskStatus.READY:
            raise TaskNotOpen(task_id, row.status, row.assignee or row.completed_by)
        require(user, Action.CLAIM, task_view_of(row, case))
        _transition(session, row, TaskStatus.CLAIMED, assignee=actor, claimed_at=now)
        task_event(session, case, row, ev.TaskClaimed, actor, now)
        return task_view_of(row, case)


def unclaim(ctx: Prflow, task_id: int, actor: str) -> TaskView:
    now = clock.now()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        row, case = _working(session, task_id, "unclaim")
        if row.status != TaskStatus.CLAIMED:
            raise TaskNotOpen(task_id, row.status, row.completed_by)
        require(user, Action.UNCLAIM, task_view_of(row, case))
        _transition(session, row, TaskStatus.READY, assignee=None, claimed_at=None)
        task_event(session, case, row, ev.TaskUnclaimed, actor, now)
        return task_view_of(row, case)


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
        user, row, case, siblings = _with_open_siblings(session, task_id, actor)
        if case.status != CaseStatus.RUNNING and row.status in OPEN_TASK:
            raise CaseNotActive(row.case_id, case.status, f"complete task {task_id}")
        if row.status not in OPEN_TASK:
            raise TaskNotOpen(task_id, row.status, row.completed_by)
        require(user, Action.COMPLETE, task_view_of(row, case))
        if expected_version is not None and expected_version != case.lock_version:
            raise StaleCase(row.case_id, expected_version, case.lock_version)
        definition = _definition(ctx, session, case.definition_id)
        pins = pins_of(case.called_versions)
        # Checked against the forms of the step's own version (the case's, or a called
        # version pinned with it) before anything is stepped.
        forms = step_forms(session, definition, pins, row.element_id)
        data = form_submission.checked(session, forms, row.form, row.case_id, data)
        compiled = compiled_case(session, definition, pins)
        dues = DueTimes(ctx, compiled, now)
        workflow = load_workflow(ctx, case, compiled, dues)
        runtime.complete_task(workflow, row.spiff_task_id, data, now)
        # No conditional UPDATE here, unlike claim: a racing completion of this task must
        # also save the case, and the case's lock_version check refuses the loser.
        implicit_claim = row.status == TaskStatus.READY
        status = move_task(task_id, row.status, TaskStatus.COMPLETED)
        # How long it took is counted once, now, by the calendar in force: the on-time
        # report takes its medians from these columns in SQL.
        done = {
            "status": status.value, "completed_at": now, "completed_by": actor,
            "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
            "elapsed_us": (now - row.created_at) // _MICROSECOND,
            "working_us": dues.calendar.working_time_between(row.created_at, now) // _MICROSECOND,
        }  # fmt: skip
        if implicit_claim:
            done.update(assignee=actor, claimed_at=now)
        set_columns(session, row, **done)
        if implicit_claim:
            task_event(session, case, row, ev.TaskClaimed, actor, now, implicit=True)
        task_event(session, case, row, ev.TaskCompleted, actor, now, data=dict(data))
        mirror_and_save(
            session, case, compiled, workflow, dues, now, actor, case.lock_version, siblings
        )
        view = task_view_of(row, case)
        new_version = case.lock_version
    ctx.keep_workflow(view.case_id, new_version, workflow)
    return view


def deliver_message(
    ctx: Prflow,
    case_id: int,
    name: str,
    data: Mapping[str, Any],
    actor: str,
    expected_version: int | None = None,
) -> CaseView:
    """Deliver message ``name`` with ``data`` (a reply from outside) to a case that waits for it.

    The case id is the correlation: the message goes to this case only, to every event or
    receive task of it that waits for ``name`` (an event-based gateway's message branch
    wins the race, and its timer's pending row goes). ``data``'s fields are merged into the
    case data (``engine.cases.runtime.deliver_message``), checked like form data first.
    Refused, with nothing stored: a case that is not running, a message the case does not
    wait for now (``MessageNotAwaited`` lists what it waits for), someone whose roles may
    not deliver it (``engine.cases.permissions``), bad data.
    """
    name = name.strip()
    if not name:
        raise InvalidInput("name the message to deliver, e.g. prflow message 12 agency_reply")
    data = check_data(data, f"data of message {name!r}")
    now = clock.now()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        header = case_view(session, case_id)
        if Action.VIEW_CASE not in case_actions(user, header):
            # Who may not see the case learns nothing of what it waits for.
            require(user, Action.DELIVER_MESSAGE, MessageTarget(header, name))
        # Lock order (PostgreSQL): the case's open task rows, as a completion takes them
        # first; then the case row, as the sweep takes it first (the sweep skips a case
        # whose task rows are locked, so it gives way); then the chain head. A case waiting
        # only for a message has no open task row: the case row alone orders us and the
        # sweep, and we read the case only once we hold it.
        open_rows = session.exec(
            select(TaskRow)
            .where(TaskRow.case_id == case_id, col(TaskRow.status).in_(OPEN_TASK))
            .order_by(col(TaskRow.id))
            .with_for_update()
        ).all()
        case = session.exec(select(Case).where(Case.id == case_id).with_for_update()).one()
        if case.status != CaseStatus.RUNNING:
            raise CaseNotActive(case_id, case.status, f"deliver message {name!r} to it")
        if expected_version is not None and expected_version != case.lock_version:
            raise StaleCase(case_id, expected_version, case.lock_version)
        definition = _definition(ctx, session, case.definition_id)
        compiled = compiled_case(session, definition, pins_of(case.called_versions))
        dues = DueTimes(ctx, compiled, now)
        workflow = load_workflow(ctx, case, compiled, dues)
        waiting = waiting_views(workflow, compiled)
        if name not in {w.name for w in waiting}:
            raise MessageNotAwaited(case_id, name, list(waiting))
        target = MessageTarget(dataclasses.replace(header, waiting_messages=waiting), name)
        require(user, Action.DELIVER_MESSAGE, target)
        caught = runtime.deliver_message(workflow, name, data, now)
        events.append_for_case(
            session, case,
            ev.MessageDelivered(name=name, data=dict(data), element_id=caught[0].element_id,
                                caught=[m.element_id for m in caught]),
            at=now, actor=actor,
        )  # fmt: skip
        mirror_and_save(
            session, case, compiled, workflow, dues, now, actor, case.lock_version, open_rows
        )
        view = dataclasses.replace(
            case_view(session, case_id, _case_data(workflow)),
            waiting_messages=waiting_views(workflow, compiled),
        )
    ctx.keep_workflow(view.id, view.lock_version, workflow)
    return view


def reassign(
    ctx: Prflow, task_ids: Sequence[int], to: str, actor: str, reason: str
) -> list[TaskView]:
    """Hand open tasks to ``to`` (who must hold each task's role): a supervisor's move within
    their unit, one task or many, all or nothing."""
    reason = _reason(reason, "reassign")
    if not task_ids:
        raise InvalidInput("name at least one task to reassign")
    now = clock.now()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        target = get_user(session, to)
        done = []
        for task_id in sorted(set(task_ids)):  # one lock order, so bulk moves cannot deadlock
            row, case = _task(session, task_id)
            require(user, Action.REASSIGN, task_view_of(row, case))
            if row.role not in target.roles:
                raise InvalidInput(
                    f"task {task_id} needs role {row.role!r} and {to} holds "
                    f"{', '.join(target.roles) or 'none'}; pick someone of that lane"
                )
            before = row.assignee
            _transition(session, row, TaskStatus.CLAIMED, assignee=to, claimed_at=now)
            task_event(session, case, row, ev.TaskReassigned, actor, now,
                       previous=before, to=to, reason=reason)  # fmt: skip
            done.append(task_view_of(row, case))
        return done


def suspend(ctx: Prflow, case_id: int, actor: str, reason: str) -> CaseView:
    """Hold a running case: its tasks cannot be claimed or completed, its timers wait."""
    return _case_admin(ctx, case_id, actor, reason, Action.SUSPEND, CaseStatus.SUSPENDED)


def resume(ctx: Prflow, case_id: int, actor: str, reason: str) -> CaseView:
    """Let a suspended case go on; timers that came due meanwhile fire on the next sweep."""
    return _case_admin(ctx, case_id, actor, reason, Action.RESUME, CaseStatus.RUNNING)


def cancel(ctx: Prflow, case_id: int, actor: str, reason: str) -> CaseView:
    """Stop a case for good: its open tasks are cancelled and its timers dropped."""
    return _case_admin(ctx, case_id, actor, reason, Action.CANCEL, CaseStatus.CANCELLED)


_CASE_EVENTS = {
    Action.SUSPEND: ev.CaseSuspended,
    Action.RESUME: ev.CaseResumed,
    Action.CANCEL: ev.CaseCancelled,
}


def _case_admin(
    ctx: Prflow, case_id: int, actor: str, reason: str, action: Action, to: CaseStatus
) -> CaseView:
    reason = _reason(reason, str(action))
    now = clock.now()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        view = case_view(session, case_id)
        try:
            require(user, action, view)
        except Forbidden:
            move_case(case_id, view.status, to, str(action))  # the status is why: a Conflict
            raise
        case = session.exec(select(Case).where(Case.id == case_id).with_for_update()).one()
        move_case(case_id, case.status, to, str(action))
        events.append_for_case(session, case, _CASE_EVENTS[action](reason), at=now, actor=actor)
        if to == CaseStatus.CANCELLED:
            _cancel_open_tasks(session, case, actor, now)
        save_state(session, case, case.state, case.lock_version, to,
                   completed_at=now if to == CaseStatus.CANCELLED else None)  # fmt: skip
        view = case_view(session, case_id)
    ctx.take_workflow(case_id, -1)  # a cached workflow must not outlive a status change
    return view


def _cancel_open_tasks(session: Session, case: Case, actor: str, now: datetime) -> None:
    rows = session.exec(
        select(TaskRow)
        .where(TaskRow.case_id == case.id, col(TaskRow.status).in_(OPEN_TASK))
        .order_by(col(TaskRow.id))
        .with_for_update()
    ).all()
    for row in rows:
        assert row.id is not None
        row.status = move_task(row.id, row.status, TaskStatus.CANCELLED)
        session.add(row)
        task_event(session, case, row, ev.TaskCancelled, actor, now)
    for timer in session.exec(select(PendingTimer).where(PendingTimer.case_id == case.id)):
        session.delete(timer)


def _reason(reason: str, action: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(f"say why you {action} (--reason TEXT); it is kept in the audit log")
    return reason


def add_user(
    ctx: Prflow, *, login: str, display_name: str, unit: str, roles: list[str], actor: str
) -> UserView:
    """Add a person with roles (the role catalogue's lanes or system roles).

    Until someone holds ``admin`` (a fresh install), anyone may add users; from then on
    only an admin may.
    """
    with write_session(ctx.db) as session:
        if session.exec(select(UserRole.login).where(UserRole.role == "admin")).first():
            require(get_user(session, actor), Action.MANAGE_USERS)
        return users.add_user(session, ctx.roles, login=login, display_name=display_name,
                              unit=unit, roles=roles, now=clock.now(), actor=actor)  # fmt: skip


def ensure_user(
    ctx: Prflow, *, login: str, display_name: str, unit: str, roles: list[str], actor: str
) -> UserView:
    """The user ``login``, added with these roles if they do not exist yet."""
    with write_session(ctx.db) as session:
        try:
            return get_user(session, login)
        except NotFound:
            return users.add_user(session, ctx.roles, login=login, display_name=display_name,
                                  unit=unit, roles=roles, now=clock.now(), actor=actor)  # fmt: skip


def process(ctx: Prflow, process_key: str) -> ProcessView:
    """The newest version of a process as the start permission sees it."""
    with read_session(ctx.db) as session:
        definition = startable_version(session, process_key)
        return process_view(definition.key, compiled_row(definition))


def list_users(ctx: Prflow) -> list[UserView]:
    with read_session(ctx.db) as session:
        return users.list_users(session)


def has_cases(ctx: Prflow) -> bool:
    """Whether any case was ever started (the demo plays its stories into an empty store)."""
    with read_session(ctx.db) as session:
        return session.exec(select(Case.id).limit(1)).first() is not None


# --- reads -----------------------------------------------------------------------------


def inbox(
    ctx: Prflow,
    *,
    actor: str | None = None,
    role: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[TaskView]:
    """One page of open tasks, most urgent first: a user's (their roles' ready tasks and
    their own claimed ones) or a role's."""
    return worklist(ctx, actor=actor, role=role, after=after, limit=limit).items


def worklist(
    ctx: Prflow,
    *,
    actor: str | None = None,
    role: str | None = None,
    process: str | None = None,
    due_before: datetime | None = None,
    mine: bool = False,
    after: str | None = None,
    limit: int | None = None,
) -> Page[TaskView]:
    """A page of open tasks, most urgent first: a user's inbox (their roles' ready tasks and
    the ones they claimed; ``mine``: only those they claimed) or a role's list."""
    with read_session(ctx.db, autocommit=True) as session:
        roles = None
        if role is not None:
            known = known_roles(ctx.roles)
            if role not in known:
                raise UnknownRole(role, known)
            roles = (role,)
        if actor is not None and mine:
            filter_ = TaskFilter(statuses=(TaskStatus.CLAIMED,), roles=roles, assignee=actor,
                                 process=process, due_before=due_before)  # fmt: skip
        elif actor is not None:
            user: UserView = get_user(session, actor)
            filter_ = TaskFilter(roles=roles, inbox_login=actor, inbox_roles=user.roles,
                                 process=process, due_before=due_before)  # fmt: skip
        else:
            filter_ = TaskFilter(roles=roles, process=process, due_before=due_before)
        return task_page(session, filter_, after=after, limit=limit)


def show(ctx: Prflow, case_id: int, actor: str | None = None) -> CaseView:
    """One case with its data and every task so far (``actor``: checked may view it)."""
    with read_session(ctx.db) as session:
        header = case_view(session, case_id)
        if actor is not None:
            require(get_user(session, actor), Action.VIEW_CASE, header)
        if header.status == CaseStatus.PURGED:
            raise Conflict(
                f"case {case_id} was purged after its retention period; its history stays in "
                f"the audit log: prflow audit timeline {case_id}"
            )
        definition_id, called = session.exec(
            select(Case.definition_id, Case.called_versions).where(col(Case.id) == case_id)
        ).one()
        definition = _definition(ctx, session, definition_id)
        compiled = compiled_case(session, definition, pins_of(called))
        workflow = runtime.restore(case_state(session, case_id), compiled, no_resolver)
        view = case_view(session, case_id, _case_data(workflow))
        if view.status not in (CaseStatus.RUNNING, CaseStatus.SUSPENDED):
            return view  # a cancelled case's workflow still "waits"; nothing reaches it
        return dataclasses.replace(view, waiting_messages=waiting_views(workflow, compiled))


def task(ctx: Prflow, task_id: int, actor: str | None = None) -> TaskView:
    with read_session(ctx.db) as session:
        view = task_view(session, task_id)
        if actor is not None:
            require(get_user(session, actor), Action.VIEW, view)
        return view


# --- internals -------------------------------------------------------------------------


def _case_data(workflow: Any) -> dict[str, Any]:
    # After compaction the last task may be gone; the root then holds the newest full data.
    return dict((workflow.last_task or workflow.task_tree).data)


def _transition(session: Session, row: TaskRow, to: TaskStatus, **values: Any) -> None:
    """Move a task row on, only if nobody else moved it since we read it."""
    assert row.id is not None
    move_task(row.id, row.status, to, row.assignee or row.completed_by)
    result = session.execute(
        update(TaskRow)
        .where(col(TaskRow.id) == row.id, col(TaskRow.status) == row.status)
        .values(status=to, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        raise TaskNotOpen(row.id, row.status, row.assignee or row.completed_by)
    session.refresh(row)


def _working(session: Session, task_id: int, action: str) -> tuple[TaskRow, Case]:
    """A task to claim, unclaim or complete: its case must be running (not suspended)."""
    row, case = _task(session, task_id)
    if case.status != CaseStatus.RUNNING and row.status in OPEN_TASK:
        raise CaseNotActive(row.case_id, case.status, f"{action} task {task_id}")
    return row, case


def _task(session: Session, task_id: int) -> tuple[TaskRow, Case]:
    """A task row, locked (PostgreSQL) until the command commits so a claim and a completion
    of one task cannot both act on what they read before the other wrote; and its case."""
    bounds.check_id(task_id, "task id")
    row = session.get(TaskRow, task_id, with_for_update=True)
    if row is None:
        raise NotFound("task", task_id, "see open tasks with: prflow inbox --as LOGIN")
    case = session.get(Case, row.case_id)
    assert case is not None  # a foreign key guarantees it
    if case.status not in (CaseStatus.RUNNING, CaseStatus.SUSPENDED) and row.status in OPEN_TASK:
        raise CaseNotActive(case.id or 0, case.status, f"act on task {task_id}")
    return row, case


_TASKS: Table = TaskRow.__table__  # type: ignore[attr-defined]
_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_HEADS: Table = ChainHead.__table__  # type: ignore[attr-defined]
_T, _C, _H = _TASKS.c, _CASES.c, _HEADS.c
_CASE_CHAIN = literal("case/") + cast(_C.id, String)  # events.chain_of, in SQL
_OF_CASE = select(_T.case_id).where(_T.id == bindparam("task_id")).scalar_subquery()
# Built once, read as plain columns (no ORM objects): a completion's first read, which
# also brings the acting user and their roles (one row per open task and role).
_WITH_OPEN_SIBLINGS = (
    users.with_actor(
        select(  # type: ignore[call-overload]
            *(_T[name] for name in HELD_TASK_COLUMNS),
            *(_C[name].label(f"held_case_{name}") for name in HELD_CASE_COLUMNS),
            _H.seq.label("head_seq"),
            _H.hash.label("head_hash"),
            *(column.label(f"actor_{column.name}") for column in users.ACTOR_COLUMNS),
        )
        .select_from(_TASKS)
        .join(_CASES, _C.id == _T.case_id)
        .outerjoin(_HEADS, _H.chain == _CASE_CHAIN),
        bindparam("actor"),
    )
    .where(
        _T.case_id == _OF_CASE,
        # Plain comparisons, not IN: an IN list is re-rendered for every execution.
        or_(*(_T.status == status for status in sorted(OPEN_TASK)), _T.id == bindparam("task_id")),
    )
    .order_by(_T.id)
    .with_for_update(of=_TASKS)
)
_N_TASK, _N_CASE = len(HELD_TASK_COLUMNS), len(HELD_CASE_COLUMNS)
_ACTOR_AT = _N_TASK + _N_CASE + 2


def _with_open_siblings(
    session: Session, task_id: int, actor: str
) -> tuple[UserView, HeldTask, HeldCase, list[HeldTask]]:
    """The acting user, a task, its case and every open task of that case, in one locked
    read (a completion mirrors the case's open tasks next, so reading them now saves a
    round trip); and where the case's event chain ends, which saves reading it again at
    commit on SQLite."""
    bounds.check_id(task_id, "task id")
    rows = (
        connection_of(session)
        .execute(_WITH_OPEN_SIBLINGS, {"task_id": task_id, "actor": actor})
        .all()
    )
    if not rows:
        get_user(session, actor)  # who acts is refused first, as in every command
        raise NotFound("task", task_id, "see open tasks with: prflow inbox --as LOGIN")
    user = users.user_of(actor, [row[_ACTOR_AT:] for row in rows])
    first = rows[0]
    case = HeldCase(*first[_N_TASK : _N_TASK + _N_CASE])
    tasks: dict[int, HeldTask] = {}
    for row in rows:  # a task comes once per role of the user
        if row[0] not in tasks:
            tasks[row[0]] = HeldTask(*row[:_N_TASK])
    if task_id not in tasks:
        raise NotFound("task", task_id, "see open tasks with: prflow inbox --as LOGIN")
    events.known_head(session, events.chain_of(case.id), first.head_seq, first.head_hash)
    return user, tasks[task_id], case, list(tasks.values())


def _definition(ctx: Prflow, session: Session, definition_id: int) -> Definition:
    # Versions never change once deployed, so one read per engine object is enough.
    definition = ctx.definitions.get(definition_id)
    if definition is None:
        definition = session.get(Definition, definition_id)
        assert definition is not None  # a foreign key guarantees it
        session.expunge(definition)
        ctx.definitions[definition_id] = definition
    return definition
