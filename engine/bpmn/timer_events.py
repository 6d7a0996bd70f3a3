"""Timer events that fire only when prflow says so, as of an instant it names.

SpiffWorkflow's timer events compare against ``datetime.now()`` whenever a workflow steps.
That makes firing a side effect of whatever command happens to step the case (a completion
could fire an overdue escalation with nothing in the log), and an audit replay, run long
after the fact, would fire every timer at once. prflow's compiled specs use the subclasses
below instead (``install`` swaps them in after parsing): a timer reads "now" from the step
context that ``engine.cases.runtime`` sets, and fires only inside ``firing(now)`` — the timer
sweep's explicit, logged act, and the replay of a logged ``timer_fired`` event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)


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


_GATED = {TimeDateEventDefinition: GatedTimeDate, DurationTimerEventDefinition: GatedDuration}


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
