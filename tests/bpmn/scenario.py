"""Run one scenario twice: on one live workflow, and restored between every step.

The second run does what separate CLI commands do: after each step the state is saved,
the definition compiled afresh (a new process has no parsed spec yet) and the state
restored onto it. A scenario passes only if both runs end in the same state. A diagram
with call activities runs with the called processes' files (``called``), composed as a
case with those versions pinned runs.

A step is ``(element_id, data)`` (complete the first ready task of that element),
``Sweep(at)``: the timer sweep as of ``at``, which later steps then happen at, or
``Message(name, data)``: deliver a message the case waits for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.bpmn.definitions import CompiledDefinition, compose, read_source, validate
from engine.cases import runtime
from engine.roles import RoleCatalogue
from engine.settings import REPO_PROCESSES_DIR

NOW = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)
ROLES = RoleCatalogue.load(REPO_PROCESSES_DIR / "roles.toml")


@dataclass(frozen=True)
class Outcome:
    """What a scenario ends with: comparable between the live and the restored run."""

    completed: bool
    done: tuple[str, ...]  # element ids of the user tasks completed, in order
    open: tuple[str, ...]  # element ids of the user tasks still ready
    data: Mapping[str, Any]
    # (element id, next fire instant, repetition of a cycle) of each waiting timer
    timers: tuple[tuple[str, str, int | None], ...] = ()
    waiting: tuple[str, ...] = ()  # names of the messages the case still waits for


@dataclass(frozen=True)
class Sweep:
    """A scenario step: fire the timers due strictly before ``at``."""

    at: datetime


@dataclass(frozen=True)
class Message:
    """A scenario step: deliver message ``name`` with ``data`` (the case must wait for it)."""

    name: str
    data: Mapping[str, Any] = field(default_factory=dict)


Step = tuple[str, Mapping[str, Any]] | Sweep | Message


def compile_fresh(path: Path, called: Sequence[Path] = ()) -> CompiledDefinition:
    """The definition parsed anew (no cache), with every called process's file composed in."""
    root = validate(read_source(path, executable=True), ROLES)
    each = [validate(read_source(p, executable=True), ROLES) for p in called]
    return compose(root, {c.key: c for c in each})


def no_due(_task: object) -> str:
    raise AssertionError("these scenarios have no due_at timers")


def run(
    path: Path,
    start: Mapping[str, Any],
    steps: Sequence[Step],
    restore_between: bool,
    called: Sequence[Path] = (),
) -> Outcome:
    """Start a case with ``start`` data, then complete, for each step, the first ready
    user task of that element id with the step's data."""
    compiled = compile_fresh(path, called)
    workflow = runtime.new_workflow(compiled, start, no_due, NOW)
    done: list[str] = []
    now = NOW
    for step in steps:
        if restore_between:
            state = runtime.serialize(workflow)
            compiled = compile_fresh(path, called)
            workflow = runtime.restore(state, compiled, no_due)
        if isinstance(step, Sweep):
            now = step.at
            runtime.fire_due_timers(workflow, now)
            continue
        if isinstance(step, Message):
            assert runtime.deliver_message(workflow, step.name, step.data, now), step
            done.append(f"message:{step.name}")
            continue
        element_id, data = step
        open_now = runtime.ready_user_tasks(workflow)
        ready = [t for t in open_now if t.task_spec.bpmn_id == element_id]
        assert ready, (element_id, [t.task_spec.bpmn_id for t in open_now])
        runtime.complete_task(workflow, str(ready[0].id), data, now)
        done.append(element_id)
    if restore_between:
        workflow = runtime.restore(runtime.serialize(workflow), compile_fresh(path, called), no_due)
    final = workflow.last_task.data if runtime.is_completed(workflow) else workflow.data
    return Outcome(
        completed=runtime.is_completed(workflow),
        done=tuple(done),
        open=tuple(sorted(t.task_spec.bpmn_id for t in runtime.ready_user_tasks(workflow))),
        data=dict(final),
        timers=tuple(
            sorted(
                (t.element_id, t.fire_at.isoformat(), t.repetition)
                for t in runtime.waiting_timers(workflow)
            )
        ),
        waiting=tuple(sorted(m.name for m in runtime.waiting_messages(workflow))),
    )


def run_both(
    path: Path,
    start: Mapping[str, Any],
    steps: Sequence[Step],
    called: Sequence[Path] = (),
) -> Outcome:
    """The outcome of the scenario, after proving the live and restored runs agree."""
    live = run(path, start, steps, restore_between=False, called=called)
    restored = run(path, start, steps, restore_between=True, called=called)
    assert restored == live, (live, restored)
    return live
