"""Replaying a case from its log, and the state of a case at a past instant.

**Replay** rebuilds a case from its start on its pinned definition version (with the
called processes' versions its ``case_started`` event pinned), in a fresh
SpiffWorkflow instance, by re-applying what the log recorded: the case data of
``case_started``, the form data of every ``task_completed``, the firing of timers and every
``message_delivered`` (the same message and data, at its logged point). It
then checks that the tasks the log says appeared (``task_ready``) did appear, in the same
order and with the same roles, that the tasks it says vanished (``task_cancelled``) did
vanish, and that the case ends where the log says. The k-th ``task_ready`` of the log is
matched to the k-th task the replay makes ready, so a completion is applied to the task
the log names (by id) even when the same step appears many times in a loop. A cycle
timer's (reminder's) firing must also be the repetition the log names, at its instant.

The first divergence is returned as data (``Divergence``). A divergence means the log and
the definition disagree: the log was altered, the definition version row was, or the
engine ran the case differently from what it logged. Replay writes nothing.

**State at** an instant is read from the log alone: which tasks were open, with whom, and
whether they were past due then.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from engine.audit.case_log import LoggedEvent, case_events
from engine.bpmn.definitions import CompiledDefinition
from engine.bpmn.expressions import DueResolver
from engine.cases import runtime
from engine.cases.deployment import compiled_case
from engine.cases.stepping import due_resolver
from engine.context import Prflow
from engine.errors import EngineError, NotFound
from engine.events.types import (
    CaseStarted,
    DueRecomputed,
    EventType,
    MessageDelivered,
    TaskCompleted,
    TaskReady,
    TaskReassigned,
    TimerFired,
)
from engine.store.db import read_session
from engine.store.tables import Definition, Event


@dataclass(frozen=True)
class Divergence:
    """Where replay and log first disagree: the event (``seq``), what each side says."""

    seq: int | None
    expected: str  # what the log says
    found: str  # what the replay did
    message: str


@dataclass(frozen=True)
class ReplayResult:
    case_id: int
    process_key: str
    version: int
    ok: bool
    tasks_appeared: int
    completions_applied: int
    divergence: Divergence | None = None


@dataclass(frozen=True)
class OpenTaskAt:
    task_id: int
    step: str
    role: str
    status: str  # ready / claimed
    assignee: str | None
    ready_at: datetime
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class CaseStateAt:
    """A case as it stood at ``at``, according to the log."""

    case_id: int
    at: datetime
    status: str  # not_started / running / suspended / completed / cancelled
    open_tasks: list[OpenTaskAt] = field(default_factory=list)


class _Diverged(Exception):
    def __init__(self, divergence: Divergence) -> None:
        self.divergence = divergence


def replay(ctx: Prflow, case_id: int) -> ReplayResult:
    """Replay one case and compare it with its log."""
    with read_session(ctx.db, snapshot=True) as session:
        logged = case_events(session, case_id)
        if not logged or logged[0].type != EventType.CASE_STARTED:
            raise NotFound("case", case_id, "the event log has no case_started event for it")
        definition = _definition(session, logged[0])
        assert isinstance(logged[0].body, CaseStarted)
        compiled = compiled_case(session, definition, logged[0].body.called)
    return _Replay(ctx, definition, compiled, logged).run()


def replay_all(ctx: Prflow) -> list[ReplayResult]:
    """Replay every case the log knows, in the order they started."""
    with read_session(ctx.db, snapshot=True) as session:
        query = (
            select(Event.case_id)
            .where(Event.type == EventType.CASE_STARTED.value)
            .order_by(col(Event.seq))
        )
        case_ids = [case_id for case_id in session.exec(query).all() if case_id is not None]
    return [replay(ctx, case_id) for case_id in case_ids]


def _definition(session: Session, started: LoggedEvent) -> Definition:
    assert isinstance(started.body, CaseStarted)
    definition_id = started.body.definition_id
    definition = session.get(Definition, definition_id) if definition_id is not None else None
    if definition is None:
        raise NotFound(
            "definition",
            definition_id,
            f"case {started.case_id} was started on it (event seq {started.seq}); "
            "restore the definition table from a backup",
        )
    return definition


class _Replay:
    """One replay run: a fresh workflow driven by one case's events."""

    def __init__(
        self,
        ctx: Prflow,
        definition: Definition,
        compiled: CompiledDefinition,
        logged: list[LoggedEvent],
    ) -> None:
        self.ctx = ctx
        self.definition = definition
        self.compiled = compiled
        self.logged = logged
        self.now = logged[0].at  # the instant of the event being re-applied
        self.workflow: Any = None
        self.seen: set[str] = set()  # spiff ids of tasks that have appeared
        self.appeared: deque[Any] = deque()  # appeared in replay, not yet matched to the log
        self.vanished: set[str] = set()  # vanished in replay, not yet matched to the log
        self.by_task_id: dict[int, Any] = {}  # log task id -> replayed spiff task
        self.tasks_appeared = 0
        self.completions = 0
        self.cancelled = False
        # The due times the log recorded, per step, in order. Escalation timers are set from
        # these, not recomputed: the holiday file may have changed since the case ran.
        self.logged_dues: dict[str, deque[str]] = defaultdict(deque)
        for event in logged:
            if isinstance(event.body, TaskReady) and event.body.due_at is not None:
                self.logged_dues[event.element_id or ""].append(event.body.due_at)

    def run(self) -> ReplayResult:
        try:
            for event in self.logged:
                self.now = event.at
                self.apply(event)
            self.settle(None)
            logged_done = any(e.type == EventType.CASE_COMPLETED for e in self.logged)
            if logged_done != runtime.is_completed(self.workflow):
                raise self.diverged(
                    None,
                    "case completed" if logged_done else "case still running",
                    "case completed" if not logged_done else "case still running",
                    "the case ends in a different state than the log says",
                )
        except _Diverged as stop:
            return self.result(stop.divergence)
        return self.result(None)

    def result(self, divergence: Divergence | None) -> ReplayResult:
        first = self.logged[0]
        return ReplayResult(
            case_id=first.case_id,
            process_key=self.definition.key,
            version=self.definition.version,
            ok=divergence is None,
            tasks_appeared=self.tasks_appeared,
            completions_applied=self.completions,
            divergence=divergence,
        )

    def apply(self, event: LoggedEvent) -> None:
        if self.cancelled:
            return  # a cancelled case never moves again; its tasks' cancellations follow
        if event.type == EventType.CASE_CANCELLED:
            self.cancelled = True
        elif isinstance(event.body, CaseStarted):
            data = event.body.data
            self.step(event, lambda: self._start(data))
        elif event.type == EventType.TASK_READY:
            self.match_ready(event)
        elif event.type == EventType.TASK_CANCELLED:
            self.match_cancelled(event)
        elif event.type == EventType.TASK_COMPLETED:
            self.settle(event)
            self.complete(event)
        elif event.type == EventType.TIMER_FIRED:
            self.settle(event)
            self.step(event, lambda: self._fire_timers(event.at))
            self.match_repetition(event)
        elif event.type == EventType.DUE_RECOMPUTED:
            self.move_timers(event)
        elif isinstance(event.body, MessageDelivered):
            self.settle(event)
            self.step(event, lambda: self._deliver(event))

    def _start(self, data: dict[str, Any]) -> None:
        self.workflow = runtime.new_workflow(self.compiled, data, self.resolver(), self.now)

    def complete(self, event: LoggedEvent) -> None:
        spiff_task = self.by_task_id.get(event.task_id) if event.task_id is not None else None
        if spiff_task is None or not runtime.is_ready(spiff_task):
            raise self.diverged(
                event.seq,
                f"task {event.task_id} ({event.element_id}) ready to complete",
                "no such ready task in the replay",
                f"the log completes task {event.task_id} ({event.element_id}), "
                "which is not ready in the replay",
            )
        data = event.body.data if isinstance(event.body, TaskCompleted) else {}
        task_id = str(spiff_task.id)
        self.step(
            event, lambda: runtime.complete_task(self.workflow, task_id, data, self.now), task_id
        )
        self.completions += 1

    def step(self, event: LoggedEvent, action: Any, completing: str | None = None) -> None:
        """Run one engine step; queue what appeared and what vanished, as the service does
        (``completing`` is the task this step completes: it leaves without a cancellation)."""
        before = {str(t.id) for t in self._ready()} if self.workflow is not None else set()
        try:
            action()
        except EngineError as err:
            raise self.diverged(
                event.seq, f"{event.type} applies", f"the engine refused it: {err}", str(err)
            ) from err
        ready = self._ready()
        for spiff_task in ready:
            if str(spiff_task.id) not in self.seen:
                self.seen.add(str(spiff_task.id))
                self.appeared.append(spiff_task)
        self.vanished |= before - {str(t.id) for t in ready} - {completing}

    def match_ready(self, event: LoggedEvent) -> None:
        if not self.appeared:
            raise self.diverged(
                event.seq,
                f"{event.element_id} ({event.role}) appears",
                "no new task",
                f"the log says task {event.task_id} ({event.element_id}) appeared, "
                "but the replay made no new task ready here",
            )
        spiff_task = self.appeared.popleft()
        info = self.compiled.user_tasks[runtime.element_id(spiff_task)]
        if (info.element_id, info.role) != (event.element_id, event.role):
            raise self.diverged(
                event.seq,
                f"{event.element_id} ({event.role})",
                f"{info.element_id} ({info.role})",
                f"the log says {event.element_id} ({event.role}) appeared next, "
                f"the replay made {info.element_id} ({info.role}) ready",
            )
        assert event.task_id is not None
        self.by_task_id[event.task_id] = spiff_task
        self.tasks_appeared += 1

    def match_cancelled(self, event: LoggedEvent) -> None:
        spiff_task = self.by_task_id.get(event.task_id) if event.task_id is not None else None
        if spiff_task is None or str(spiff_task.id) not in self.vanished:
            raise self.diverged(
                event.seq,
                f"task {event.task_id} ({event.element_id}) cancelled",
                "it is still open in the replay",
                f"the log cancels task {event.task_id} ({event.element_id}), "
                "but the replay did not withdraw it",
            )
        self.vanished.discard(str(spiff_task.id))

    def settle(self, event: LoggedEvent | None) -> None:
        """Before the next step (or at the end): everything the replay did must be logged."""
        seq = event.seq if event is not None else None
        if self.appeared:
            extra = runtime.element_id(self.appeared[0])
            info = self.compiled.user_tasks[extra]
            raise self.diverged(
                seq,
                "no further task",
                f"{info.element_id} ({info.role})",
                f"the replay made {info.element_id} ({info.role}) ready, "
                "but the log never shows it appearing",
            )
        if self.vanished:
            raise self.diverged(
                seq,
                "tasks still open",
                f"{len(self.vanished)} task(s) withdrawn",
                "the replay withdrew open tasks that the log never cancels",
            )

    def _ready(self) -> list[Any]:
        return runtime.ready_user_tasks(self.workflow)

    def _deliver(self, event: LoggedEvent) -> None:
        assert isinstance(event.body, MessageDelivered)
        name = event.body.name
        if not runtime.deliver_message(self.workflow, name, event.body.data, event.at):
            waiting = ", ".join(sorted({m.name for m in runtime.waiting_messages(self.workflow)}))
            raise self.diverged(
                event.seq,
                f"the case waits for message {name!r}",
                f"it waits for {waiting or 'no message'}",
                f"the log delivers message {name!r}, which the replay is not waiting for",
            )

    def _fire_timers(self, at: datetime) -> None:
        # Timers fire only as of an explicit instant (engine.bpmn.timer_events): the logged one.
        runtime.fire_due_timers(self.workflow, at)

    def match_repetition(self, event: LoggedEvent) -> None:
        """A cycle timer's firing must be the repetition the log says, at its instant."""
        body = event.body
        if not isinstance(body, TimerFired) or body.repetition is None:
            return
        logged = (body.repetition, datetime.fromisoformat(body.fire_at))
        fired = runtime.cycle_firings(self.workflow, body.element_id)
        if logged not in fired:
            found = ", ".join(f"repetition {r} due {at.isoformat()}" for r, at in sorted(fired))
            raise self.diverged(
                event.seq,
                f"{body.element_id} repetition {body.repetition} due {body.fire_at}",
                found or "no repetition fired",
                f"the log says cycle timer {body.element_id} fired its repetition "
                f"{body.repetition} here, the replay did not",
            )

    def move_timers(self, event: LoggedEvent) -> None:
        """A sweep moved this task's due time after a calendar change: move its timers."""
        task = self.by_task_id.get(event.task_id) if event.task_id is not None else None
        due = event.body.due_at if isinstance(event.body, DueRecomputed) else None
        if task is None or due is None:
            return
        for boundary in runtime.due_at_timers(self.workflow).get(str(task.id), []):
            runtime.set_timer_value(boundary, due)

    def resolver(self) -> DueResolver:
        def resolve(boundary_task: Any) -> str:
            attached = runtime.attached_task(boundary_task)
            element_id = runtime.element_id(attached)
            if self.logged_dues[element_id]:
                return self.logged_dues[element_id].popleft()
            return due_resolver(self.ctx, self.compiled, self.now)(boundary_task)

        return resolve

    def diverged(self, seq: int | None, expected: str, found: str, message: str) -> _Diverged:
        return _Diverged(Divergence(seq, expected, found, message))


def state_at(ctx: Prflow, case_id: int, at: datetime) -> CaseStateAt:
    """The case at instant ``at``, from the log: open tasks, with whom, past due or not."""
    with read_session(ctx.db, snapshot=True) as session:
        logged = case_events(session, case_id)
    if not logged:
        raise NotFound("case", case_id, "the event log has no events for it")
    before = [e for e in logged if e.at <= at]
    if not before:
        return CaseStateAt(case_id, at, "not_started")
    open_tasks: dict[int, OpenTaskAt] = {}
    for event in before:
        if event.task_id is None:
            continue
        if isinstance(event.body, TaskReady):
            due = event.body.due_at
            due_at = datetime.fromisoformat(due) if due is not None else None
            open_tasks[event.task_id] = OpenTaskAt(
                event.task_id, event.element_id or "?", event.role or "?", "ready", None,
                event.at, due_at, due_at is not None and at > due_at,
            )  # fmt: skip
        elif event.type == EventType.TASK_CLAIMED and event.task_id in open_tasks:
            task = open_tasks[event.task_id]
            open_tasks[event.task_id] = _with(task, status="claimed", assignee=event.actor)
        elif event.type == EventType.TASK_REASSIGNED and event.task_id in open_tasks:
            task = open_tasks[event.task_id]
            to = event.body.to if isinstance(event.body, TaskReassigned) else None
            open_tasks[event.task_id] = _with(task, status="claimed", assignee=to)
        elif event.type == EventType.TASK_UNCLAIMED and event.task_id in open_tasks:
            task = open_tasks[event.task_id]
            open_tasks[event.task_id] = _with(task, status="ready", assignee=None)
        elif event.type in (EventType.TASK_COMPLETED, EventType.TASK_CANCELLED):
            open_tasks.pop(event.task_id, None)
    status = "running"
    for event in before:
        status = _CASE_STATUS_AFTER.get(EventType(event.type), status)
    return CaseStateAt(case_id, at, status, list(open_tasks.values()))


_CASE_STATUS_AFTER = {
    EventType.CASE_COMPLETED: "completed",
    EventType.CASE_SUSPENDED: "suspended",
    EventType.CASE_RESUMED: "running",
    EventType.CASE_CANCELLED: "cancelled",
}


def _with(task: OpenTaskAt, **changes: Any) -> OpenTaskAt:
    return replace(task, **changes)
