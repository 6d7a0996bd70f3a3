"""Timers fire only when prflow fires them, as of the instant it names — never by the wall
clock as a side effect of some other step (which would leave no ``timer_fired`` event and
make an audit replay fire everything at once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.bpmn.definitions import read_source, validate
from engine.bpmn.timer_events import stepping
from engine.cases import runtime
from engine.roles import RoleCatalogue
from engine.settings import REPO_PROCESSES_DIR

ESCALATION = Path(__file__).parent.parent / "deadlines" / "fixtures" / "escalation_demo.bpmn"
ARRIVED = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)  # long before the wall clock of any run
DUE = ARRIVED + timedelta(hours=3)


def open_steps(workflow: object) -> list[str]:
    return sorted(t.task_spec.bpmn_id for t in runtime.ready_user_tasks(workflow))


@pytest.fixture
def waiting() -> object:
    """A case whose 'write' step has a due_at escalation timer, long overdue by the wall
    clock."""
    compiled = validate(
        read_source(ESCALATION), RoleCatalogue.load(REPO_PROCESSES_DIR / "roles.toml")
    )
    workflow = runtime.new_workflow(compiled, {}, lambda _task: DUE.isoformat(), ARRIVED)
    assert open_steps(workflow) == ["write"]
    [timer] = runtime.waiting_timers(workflow)
    assert timer.fire_at == DUE
    return workflow


def test_stepping_past_the_due_time_fires_nothing_by_itself(waiting: object) -> None:
    with stepping(DUE + timedelta(days=30)):
        waiting.refresh_timers()  # type: ignore[attr-defined]
        waiting.do_engine_steps()  # type: ignore[attr-defined]
    assert open_steps(waiting) == ["write"]


def test_firing_as_of_an_instant_fires_only_what_was_due_before_it(waiting: object) -> None:
    runtime.fire_due_timers(waiting, DUE)  # due at DUE is not yet *past* DUE
    assert open_steps(waiting) == ["write"]
    runtime.fire_due_timers(waiting, DUE + timedelta(seconds=1))
    assert open_steps(waiting) == ["follow_up", "write"]
    assert runtime.waiting_timers(waiting) == []


def test_a_workflow_cannot_step_outside_an_instant(waiting: object) -> None:
    with pytest.raises(RuntimeError, match=r"outside engine\.bpmn\.timer_events\.stepping"):
        waiting.refresh_timers()  # type: ignore[attr-defined]
