"""Timer events that fire only when prflow says so, as of an instant it names.

SpiffWorkflow's timer events compare against ``datetime.now()`` whenever a workflow steps.
That makes firing a side effect of whatever command happens to step the case (a completion
could fire an overdue escalation with nothing in the log), and an audit replay, run long
after the fact, would fire every timer at once. prflow's compiled specs use the subclasses
below instead (``install`` swaps them in after parsing): a timer reads "now" from the step
context that ``engine.cases.runtime`` sets, and fires only inside ``firing(now)`` — the timer
sweep's explicit, logged act, and the replay of a logged ``timer_fired`` event.

Cycle timers (``R3/PT4H``: reminders)
    Run on non-interrupting boundary events only (``engine.bpmn.definitions`` refuses them
    elsewhere). SpiffWorkflow 3.2.0 reads the schedule from the wall clock and hangs each
    repetition's path under the waiting boundary task itself, so when the reminded task
    finishes and its waiting timer is cancelled, the reminder tasks already opened vanish
    with it. ``GatedCycle`` instead:

    - arms the schedule as of the step that opened the task (``R3/PT4H``: first at arrival
      + 4 h; ``R3/2026-06-08T09:00+07:00/PT4H``: first at that instant), an unbounded
      ``R/P1D`` capped at ``engine.bounds.MAX_CYCLE_REPETITIONS``;
    - fires only inside ``firing(now)``, like the other timers; each repetition runs a
      completed *copy* of the boundary event, a sibling of the waiting one, whose outgoing
      path runs as a one-off non-interrupting timer's would and outlives the reminded task;
    - after a long downtime fires **once** for all the repetitions that fell due (the
      latest of them, ``missed`` counting the others, which are spent): five overdue
      reminders at once would open five identical tasks. The schedule keeps its grid: the
      next repetition is the first one still ahead, and the last stays where it was;
    - after its last repetition stays waiting, spent (no next instant, so no
      ``pending_timer`` row), until the reminded task ends and cancels it.

    The schedule lives in the waiting task's internal ``event_value`` (SpiffWorkflow's own
    keys ``cycles`` = repetitions left, ``next``, ``duration`` in seconds, plus ``done`` and
    ``last``), so it is saved and restored with the case.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from engine import bounds


@dataclass(frozen=True)
class _StepClock:
    now: datetime
    may_fire: bool


_STEP: ContextVar[_StepClock | None] = ContextVar("prflow_step_clock", default=None)


@contextmanager
def stepping(now: datetime, *, may_fire: bool = False) -> Iterator[None]:
    """Run workflow steps as of ``now``; timers fire only when ``may_fire`` is set."""
    token = _STEP.set(_StepClock(now, may_fire))
    try:
        yield
    finally:
        _STEP.reset(token)


def _clock() -> _StepClock:
    step = _STEP.get()
    if step is None:
        raise RuntimeError("workflow stepped outside engine.bpmn.timer_events.stepping(now)")
    return step


def _fired(my_task: Any, fire_at: datetime) -> bool:
    step = _clock()
    # Strictly after, as SpiffWorkflow's own check has it.
    if step.may_fire and fire_at < step.now:
        my_task._set_internal_data(event_fired=True)
    return bool(my_task._get_internal_data("event_fired", False))


class GatedTimeDate(TimeDateEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=value)
        return _fired(my_task, TimerEventDefinition.parse_time_or_duration(value))


class GatedDuration(DurationTimerEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            # The duration counts from the step's instant, not from the wall clock.
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            start = _clock().now
            value = (
                start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
            ).isoformat()
            my_task._set_internal_data(event_value=value)
        return _fired(my_task, TimerEventDefinition.get_datetime(value))


@dataclass(frozen=True)
class Cycle:
    """An ISO-8601 repeating interval as prflow runs it."""

    repetitions: int | None  # None: unbounded (``R/P1D``)
    start: datetime | None  # the first repetition; None: one interval after arming
    interval: timedelta


_CYCLE = re.compile(r"R(\d*)/(?:([^/]+)/)?(P[^/]*)")


def parse_cycle(text: str) -> Cycle:
    """Read ``R<n>/<duration>``, ``R/<duration>`` or ``R<n>/<start>/<duration>``.

    Raises ``ValueError`` saying what is wrong in the owner's terms; the bounds (minimum
    interval, repetitions) are the validator's to check.
    """
    match = _CYCLE.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            "it is not a repeating interval prflow reads; write R<times>/<interval> "
            "such as R3/PT4H, R/P1D for every day until the task is done, or "
            "R3/<first instant with offset>/<interval>"
        )
    repetitions = int(match[1]) if match[1] else None
    start = None
    if match[2] is not None:
        try:
            start = datetime.fromisoformat(match[2])
        except ValueError:
            raise ValueError(
                f"{match[2]!r} is not a date and time; write e.g. 2026-06-08T09:00:00+07:00"
            ) from None
        if start.tzinfo is None:
            raise ValueError(
                f"the first instant {match[2]!r} has no UTC offset; write one, e.g. "
                f"{match[2]}+07:00, or it would be read in the server's zone"
            )
    try:
        parts = TimerEventDefinition.parse_iso_duration(match[3])
    except Exception:
        raise ValueError(f"{match[3]!r} is not an ISO-8601 duration such as PT4H or P1D") from None
    if parts.get("years") or parts.get("months"):
        raise ValueError(
            f"the interval {match[3]!r} counts years or months, whose length varies; "
            "write days or weeks (P30D, P4W)"
        )
    try:
        interval = timedelta(
            weeks=parts.get("weeks", 0),
            days=parts.get("days", 0),
            hours=parts.get("hours", 0),
            minutes=parts.get("minutes", 0),
            seconds=parts.get("seconds", 0),
        )
    except OverflowError:  # e.g. P99999999999D: beyond any date, so beyond any limit too
        raise ValueError(f"the interval {match[3]!r} is too long to be a date") from None
    return Cycle(repetitions, start, interval)


@dataclass(frozen=True)
class CycleState:
    """Where a cycle timer's schedule stands."""

    left: int  # repetitions still to fire
    done: int  # repetitions spent (fired, or folded into a catch-up firing)
    next_at: datetime | None  # the next repetition; None once spent
    last_at: datetime | None  # the nominal instant of the last repetition fired
    missed: int  # repetitions the last firing stood in for besides its own


def cycle_state(my_task: Any) -> CycleState | None:
    """The schedule of an armed cycle timer's task; None for any other task."""
    if not isinstance(getattr(my_task.task_spec, "event_definition", None), GatedCycle):
        return None
    value = my_task._get_internal_data("event_value")
    if not isinstance(value, dict):
        return None
    left = int(value["cycles"])
    last = value.get("last")
    return CycleState(
        left=left,
        done=int(value.get("done", 0)),
        next_at=datetime.fromisoformat(value["next"]).astimezone(UTC) if left > 0 else None,
        last_at=datetime.fromisoformat(last).astimezone(UTC) if last else None,
        missed=int(value.get("missed", 0)),
    )


class GatedCycle(CycleTimerEventDefinition):  # type: ignore[misc]
    def has_fired(self, my_task: Any) -> bool:
        # The waiting task itself never completes: each repetition runs a copy of it.
        return False

    def update_task(self, my_task: Any) -> None:
        value = self._armed(my_task)
        step = _clock()
        if not step.may_fire or value["cycles"] <= 0:
            return
        first = datetime.fromisoformat(value["next"])
        if not first < step.now:  # strictly after, as for the other timers
            return
        interval = timedelta(seconds=value["duration"])
        # Every repetition due strictly before now, folded into one firing.
        due = min(-(-(step.now - first) // interval), value["cycles"])
        last = first + (due - 1) * interval
        value = {
            **value,
            "cycles": value["cycles"] - due,
            "next": (first + due * interval).isoformat(),
            "done": value.get("done", 0) + due,
            "last": last.isoformat(),
            "missed": due - 1,
        }
        my_task._set_internal_data(event_value=value)
        _run_repetition(my_task)

    def _armed(self, my_task: Any) -> dict[str, Any]:
        value = my_task._get_internal_data("event_value")
        if isinstance(value, dict):
            return value
        text = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        cycle = parse_cycle(str(text))
        start = cycle.start if cycle.start is not None else _clock().now + cycle.interval
        repetitions = cycle.repetitions
        if repetitions is None or repetitions > bounds.MAX_CYCLE_REPETITIONS:
            repetitions = bounds.MAX_CYCLE_REPETITIONS
        value = {
            "cycles": repetitions,
            "next": start.astimezone(UTC).isoformat(),
            "duration": cycle.interval.total_seconds(),
            "done": 0,
            "last": None,
            "missed": 0,
        }
        my_task._set_internal_data(event_value=value)
        return value


def _run_repetition(waiting: Any) -> None:
    """Run one repetition's path from a completed copy of the waiting boundary task.

    The copy is a sibling under the boundary split, so the split's join (which cancels
    only *waiting* boundary tasks when the reminded task ends) leaves its path alone; it is
    marked triggered so no re-sync of the split's children removes it.
    """
    split = waiting.parent
    _drop_finished_repetitions(waiting)
    fired = split._add_child(waiting.task_spec, TaskState.COMPLETED)
    fired.triggered = True
    fired.data = copy.deepcopy(waiting.data)
    for output in waiting.task_spec.outputs:
        if isinstance(output, BoundaryEventJoin):
            # SpiffWorkflow links every boundary event to the join after the task; only the
            # reminded task's own branch should reach it (a join waiting under a finished
            # repetition would only be cancelled later, and kept its path in the state).
            continue
        child = fired._add_child(output, TaskState.FUTURE)
        child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        child.task_spec._update(child)


def _drop_finished_repetitions(waiting: Any) -> None:
    """Forget earlier repetitions whose paths have run to their end.

    They would stay in the case's saved state until the reminded task ends: each daily
    reminder reaching an end event added 1.5 KiB (``bench/cycles.py``). prflow's events are
    their history, and a finished branch hands nothing on (its end event merges no data
    back). A path that holds an embedded subprocess is kept: the subprocess is registered
    apart from the tree.
    """
    workflow = waiting.workflow
    subprocesses = workflow.top_workflow.subprocesses
    for sibling in list(waiting.parent.children):
        if (
            sibling is waiting
            or not sibling.triggered
            or sibling.task_spec is not waiting.task_spec
        ):
            continue
        subtree, stack = [], [sibling]
        while stack:
            task = stack.pop()
            subtree.append(task)
            stack.extend(task.children)
        if all(t.has_state(TaskState.FINISHED_MASK) and t.id not in subprocesses for t in subtree):
            workflow._remove_task(sibling.id)
            if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
                workflow.last_task = None


_GATED = {
    TimeDateEventDefinition: GatedTimeDate,
    DurationTimerEventDefinition: GatedDuration,
    CycleTimerEventDefinition: GatedCycle,
}


def install(spec: Any) -> None:
    """Swap the timer event definitions of a freshly parsed spec for the gated ones."""
    for task_spec in spec.task_specs.values():
        for definition in event_definitions(task_spec):
            gated = _GATED.get(type(definition))
            if gated is not None:
                definition.__class__ = gated


def event_definitions(task_spec: Any) -> list[Any]:
    """A task spec's event definition, and those an event-based gateway holds for its targets.

    SpiffWorkflow moves the definitions of an event-based gateway's target events onto the
    gateway (one ``MultipleEventDefinition``), so a timer racing a message is found there.
    """
    definition = getattr(task_spec, "event_definition", None)
    if definition is None:
        return []
    return [definition, *getattr(definition, "event_definitions", [])]
