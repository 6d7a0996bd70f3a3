"""The timer sweep: fire due BPMN timers and keep due times in step with the calendar.

``sweep(ctx, now)`` reads the clock once and does two jobs, one case per write transaction:

- **Fire due timers.** Cases come from ``pending_timer`` rows (``fire_at < now``), so the
  sweep never loads a case that has nothing to do. A timer fires once its time is
  *strictly* past ``now``, as SpiffWorkflow's own ``has_fired`` has it; it decides against
  ``now``, not the wall clock (``engine.bpmn.timer_events``), so one pass is one instant. Each
  fired timer is logged as a ``timer_fired`` event; the follow-up tasks it opens are
  mirrored into task rows by ``stepping.mirror_and_save``. A cycle timer (a reminder,
  ``R3/PT4H``) logs one event per firing with its repetition number; its ``pending_timer``
  row then moves to the next repetition, and goes after the last one or when the reminded
  task ends. Repetitions that fell due while no sweep ran fire as **one** firing (the
  latest, with ``missed`` counting the others; ``engine.bpmn.timer_events``).
- **Recompute due times after a calendar change.** A running case remembers the calendar
  fingerprint its due times were computed with. When ``ctx.calendar.fingerprint`` differs,
  the open tasks' ``due_at`` are recomputed from their ``created_at`` (the instant they
  arrived), the waiting ``due_at`` boundary timers are moved to match (SpiffWorkflow keeps
  the fire time in the boundary task's internal ``event_value``; ``pending_timer`` mirrors
  it), each change is logged as ``due_recomputed``, and the new fingerprint is stored. This
  runs before firing, so a timer moved later does not fire at its old time and one moved
  earlier fires in the same pass.

Exactly once with several sweepers
    The case row is locked with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers and the clause is dropped there), so
    parallel sweepers skip each other's cases, and the work is re-checked under the lock, so
    a sweeper that queued a case another one has just finished finds nothing left to do.
    Behind that, the optimistic ``lock_version`` check makes a racing save fail with
    ``StaleCase``, which the sweep counts as skipped: the next pass picks the case up.

Lock order (PostgreSQL)
    A completion locks its task row, then the event chain head, then the case row. The
    sweep locks the case row, then the case's open task rows, then the chain head. If any
    open task row is already locked, a completion is in flight on that case, and the sweep
    skips it rather than wait: waiting there could close a cycle with that completion.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from engine import clock
from engine.bpmn.definitions import CompiledDefinition
from engine.cases import runtime, task_due
from engine.cases.deployment import compiled_case, pins_of
from engine.cases.status import OPEN_TASK, CaseStatus
from engine.cases.stepping import DueTimes, StaleCase, load_workflow, mirror_and_save
from engine.context import Prflow
from engine.errors import EngineError
from engine.events import chain as events
from engine.events.types import DueRecomputed, TimerFired
from engine.store.db import read_session, write_session
from engine.store.tables import Case, Definition, PendingTimer, TaskRow

# Not a valid login (users.py allows no ':'), so the log can never confuse it with a person.
_log = logging.getLogger(__name__)

SWEEP_ACTOR = "system:sweep"


@dataclass(frozen=True)
class FiredTimer:
    """A BPMN timer the sweep fired."""

    case_id: int
    element_id: str
    spiff_task_id: str
    fire_at: datetime
    repetition: int | None = None  # a cycle timer's repetition, counting from 1


@dataclass(frozen=True)
class RecomputedDue:
    """An open task whose due time moved because the calendar changed."""

    case_id: int
    task_id: int
    element_id: str
    old_due_at: datetime | None
    new_due_at: datetime | None


@dataclass(frozen=True)
class SweepFailure:
    """A case the sweep could not move on; it stays as it was and is retried next pass."""

    case_id: int
    error: str


@dataclass(frozen=True)
class SweepResult:
    """What one sweep pass did, as of ``now``."""

    now: datetime
    fired: list[FiredTimer] = field(default_factory=list)
    recomputed: list[RecomputedDue] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)  # cases changed and saved
    skipped: list[int] = field(default_factory=list)  # busy: another writer had them
    failed: list[SweepFailure] = field(default_factory=list)


@dataclass
class _CaseOutcome:
    fired: list[FiredTimer]
    recomputed: list[RecomputedDue]
    lock_version: int
    workflow: Any


class _Busy(Exception):
    """Another writer holds the case or one of its open task rows; try again next pass."""


def sweep(ctx: Prflow, now: datetime | None = None) -> SweepResult:
    """One pass over every case with a due timer or a due time from an older calendar."""
    now = now if now is not None else clock.now()
    fingerprint = ctx.calendar.fingerprint
    result = SweepResult(now=now)
    for case_id in _candidates(ctx, now, fingerprint):
        try:
            outcome = _sweep_case(ctx, case_id, now, fingerprint)
        except (_Busy, StaleCase):
            result.skipped.append(case_id)
            continue
        except Exception as err:
            # One broken case (say a condition reading a missing field, or a fault of ours)
            # must not hold up the timers of every other case; its transaction rolled back
            # and it is reported, with the traceback in the log for a programming error.
            if not isinstance(err, EngineError):
                _log.exception("sweep failed on case %s", case_id)
            result.failed.append(SweepFailure(case_id, f"{type(err).__name__}: {err}"))
            continue
        if outcome is None:
            continue
        result.cases.append(case_id)
        result.fired.extend(outcome.fired)
        result.recomputed.extend(outcome.recomputed)
        # Only after the commit: a rolled-back step must never leave its workflow cached.
        ctx.keep_workflow(case_id, outcome.lock_version, outcome.workflow)
    return result


def _candidates(ctx: Prflow, now: datetime, fingerprint: str) -> list[int]:
    with read_session(ctx.db) as session:
        # A suspended case's timers wait until it is resumed.
        due = session.exec(
            select(PendingTimer.case_id)
            .join(Case, col(Case.id) == col(PendingTimer.case_id))
            .where(col(PendingTimer.fire_at) < now, Case.status == CaseStatus.RUNNING)
            .distinct()
        ).all()
        stale = session.exec(
            select(Case.id).where(
                Case.status == CaseStatus.RUNNING,
                col(Case.calendar_fingerprint) != fingerprint,
            )
        ).all()
    return sorted({*due, *(case_id for case_id in stale if case_id is not None)})


def _sweep_case(ctx: Prflow, case_id: int, now: datetime, fingerprint: str) -> _CaseOutcome | None:
    with write_session(ctx.db) as session:
        case = _lock_case(session, case_id)
        if case.status != CaseStatus.RUNNING:
            return None
        recalibrate = case.calendar_fingerprint != fingerprint
        due = session.exec(
            select(PendingTimer).where(
                PendingTimer.case_id == case_id, col(PendingTimer.fire_at) < now
            )
        ).all()
        if not recalibrate and not due:
            return None  # another sweeper did it between our query and our lock
        definition = session.get(Definition, case.definition_id)
        assert definition is not None  # a foreign key guarantees it
        compiled = compiled_case(session, definition, pins_of(case.called_versions))
        loaded_version = case.lock_version
        dues = DueTimes(ctx, compiled, now)
        workflow = load_workflow(ctx, case, compiled, dues)
        recomputed: list[RecomputedDue] = []
        if recalibrate:
            recomputed = _recompute_due(ctx, session, case, compiled, workflow, now)
            session.execute(
                update(Case).where(col(Case.id) == case_id).values(calendar_fingerprint=fingerprint)
            )
        fired = _fire(session, case, workflow, now)
        mirror_and_save(session, case, compiled, workflow, dues, now, SWEEP_ACTOR, loaded_version)
        return _CaseOutcome(fired, recomputed, case.lock_version, workflow)


def _lock_case(session: Session, case_id: int) -> Case:
    case = session.exec(
        select(Case).where(Case.id == case_id).with_for_update(skip_locked=True)
    ).first()
    if case is None:
        raise _Busy(case_id)
    open_count = session.exec(
        select(func.count())
        .select_from(TaskRow)
        .where(TaskRow.case_id == case_id, col(TaskRow.status).in_(OPEN_TASK))
    ).one()
    locked = session.exec(
        select(TaskRow.id)
        .where(TaskRow.case_id == case_id, col(TaskRow.status).in_(OPEN_TASK))
        .with_for_update(skip_locked=True)
    ).all()
    if len(locked) < open_count:
        raise _Busy(case_id)
    return case


def _fire(session: Session, case: Case, workflow: Any, now: datetime) -> list[FiredTimer]:
    """Fire what is due and log one ``timer_fired`` event per timer that fired."""
    assert case.id is not None
    waiting = runtime.waiting_timers(workflow)
    ran = runtime.fire_due_timers(workflow, now)
    fired: list[FiredTimer] = []
    for timer in waiting:
        spiff_task = runtime.find_task(workflow, timer.spiff_task_id)
        # A cycle timer stays waiting between repetitions: it fired if its count moved on.
        cycle = (
            runtime.cycle_fired(spiff_task, timer)
            if timer.repetition is not None and spiff_task is not None
            else None
        )
        # A timer also leaves WAITING when it is cancelled (its task was interrupted or
        # completed); only a timer that fired went on to run (``ran`` is read before
        # compaction, which drops an event-based gateway whose timer won).
        if cycle is None and (timer.repetition is not None or timer.spiff_task_id not in ran):
            continue
        fire_at = cycle.fire_at if cycle is not None else timer.fire_at
        # A boundary timer belongs to the task it is attached to; an intermediate one (or
        # an event-based gateway's, gone with its finished history) to none.
        boundary = spiff_task is not None and runtime.is_boundary(spiff_task)
        attached = runtime.attached_task(spiff_task) if boundary else None
        row = (
            session.exec(select(TaskRow).where(TaskRow.spiff_task_id == str(attached.id))).first()
            if attached is not None
            else None
        )
        events.append_for_case(
            session,
            case,
            TimerFired(
                element_id=timer.element_id,
                spiff_task_id=timer.spiff_task_id,
                fire_at=fire_at.isoformat(),
                attached_to=runtime.element_id(attached) if attached is not None else None,
                repetition=cycle.repetition if cycle is not None else None,
                missed=cycle.missed if cycle is not None else 0,
            ),
            at=now,
            actor=SWEEP_ACTOR,
            task_id=row.id if row is not None else None,
        )
        fired.append(
            FiredTimer(
                case.id,
                timer.element_id,
                timer.spiff_task_id,
                fire_at,
                cycle.repetition if cycle is not None else None,
            )
        )
    return fired


def _recompute_due(
    ctx: Prflow,
    session: Session,
    case: Case,
    compiled: CompiledDefinition,
    workflow: Any,
    now: datetime,
) -> list[RecomputedDue]:
    """Recompute the open tasks' due times on the current calendar; move their timers."""
    assert case.id is not None
    rows = session.exec(
        select(TaskRow)
        .where(TaskRow.case_id == case.id, col(TaskRow.status).in_(OPEN_TASK))
        .order_by(col(TaskRow.id))
    ).all()
    timers_of = runtime.due_at_timers(workflow)
    changes: list[RecomputedDue] = []
    for row in rows:
        spiff_task = runtime.find_task(workflow, row.spiff_task_id)
        info = compiled.user_tasks.get(row.element_id)
        if spiff_task is None or info is None:
            continue  # mirror_and_save cancels rows whose workflow task is gone
        due_text, due = task_due.due_at(info, row.created_at, spiff_task.data, ctx.calendar)
        moved = _move_timers(session, timers_of.get(row.spiff_task_id, []), due)
        if due == row.due_at and due_text == row.due_text and not moved:
            continue
        old = row.due_at
        row.due_text, row.due_at = due_text, due
        session.add(row)
        assert row.id is not None
        events.append_for_case(
            session,
            case,
            DueRecomputed(
                element_id=row.element_id,
                role=row.role,
                due_text=due_text,
                old_due_at=old.isoformat() if old else None,
                due_at=due.isoformat() if due else None,
                calendar_fingerprint=ctx.calendar.fingerprint,
                timers=moved,
            ),
            at=now,
            actor=SWEEP_ACTOR,
            task_id=row.id,
        )
        changes.append(RecomputedDue(case.id, row.id, row.element_id, old, due))
    return changes


def _move_timers(
    session: Session, timers: Sequence[Any], due: datetime | None
) -> list[dict[str, str]]:
    """Set each boundary timer's fire time to ``due`` in the workflow and its pending row."""
    moved: list[dict[str, str]] = []
    if due is None:
        return moved
    value = due.isoformat()
    for spiff_task in timers:
        if runtime.timer_value(spiff_task) == value:
            continue
        runtime.set_timer_value(spiff_task, value)
        session.execute(
            update(PendingTimer)
            .where(col(PendingTimer.spiff_task_id) == str(spiff_task.id))
            .values(fire_at=due)
        )
        moved.append(
            {
                "element_id": runtime.element_id(spiff_task),
                "spiff_task_id": str(spiff_task.id),
                "fire_at": value,
            }
        )
    return moved
