"""Cycle timers (reminders) run the same on one live workflow and across save/restore.

Each scenario runs twice (``tests.bpmn.scenario.run_both``): live, and saved, compiled
afresh and restored between every step, as separate commands (a sweep, a completion) do.
``R3/PT4H`` on the Camunda 7 diagram opens a reminder task for the director every four
hours while the officer's task is open, at most three times.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.cases import runtime
from tests.bpmn.scenario import NOW, Outcome, Sweep, compile_fresh, no_due, run_both

DIAGRAMS = Path(__file__).parent / "diagrams"
C7 = DIAGRAMS / "camunda7_reminder.bpmn"
IO = DIAGRAMS / "bpmnio_reminder_subprocess.bpmn"
WRITE, CHASE, TIMER = "Activity_0write7", "Activity_1chase3", "Event_1remind"


def at(hours: float) -> Sweep:
    return Sweep(NOW + timedelta(hours=hours))


def iso(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def test_a_reminder_fires_every_four_hours_three_times_then_its_timer_is_gone() -> None:
    for steps, chases, timers in [
        ([at(3.9)], 0, ((TIMER, iso(4), 1),)),
        ([at(4.1)], 1, ((TIMER, iso(8), 2),)),
        ([at(4.1), at(8.1)], 2, ((TIMER, iso(12), 3),)),
        ([at(4.1), at(8.1), at(12.1)], 3, ()),
        ([at(4.1), at(8.1), at(12.1), at(40)], 3, ()),  # spent: no fourth reminder
    ]:
        outcome = run_both(C7, {}, steps)
        assert outcome.open == (WRITE,) + (CHASE,) * chases, steps
        assert outcome.timers == timers, steps


def test_a_timer_due_exactly_now_waits_for_the_next_sweep() -> None:
    outcome = run_both(C7, {}, [at(4)])
    assert outcome.open == (WRITE,) and outcome.timers == ((TIMER, iso(4), 1),)


def test_finishing_the_task_stops_the_reminders_and_keeps_the_open_ones() -> None:
    outcome = run_both(C7, {}, [at(5), (WRITE, {"text": "ข่าว"}), at(30)])
    assert outcome.open == (CHASE,) and outcome.timers == () and not outcome.completed
    done = run_both(C7, {}, [at(5), (WRITE, {}), at(30), (CHASE, {})])
    assert done.completed and done.open == ()


def test_finishing_the_task_before_the_first_reminder_ends_the_case() -> None:
    outcome = run_both(C7, {}, [at(1), (WRITE, {})])
    assert outcome.completed and outcome.timers == ()


def test_the_reminder_path_runs_to_its_end_each_time() -> None:
    steps = [at(4.1), (CHASE, {}), at(8.1), (CHASE, {}), at(12.1), (CHASE, {}), (WRITE, {})]
    outcome = run_both(C7, {}, steps)
    assert outcome.completed and outcome.done == (CHASE, CHASE, CHASE, WRITE)


@pytest.mark.parametrize("hours", [12.5, 200])
def test_after_a_downtime_the_overdue_reminders_fire_once(hours: float) -> None:
    outcome = run_both(C7, {}, [at(hours)])
    assert outcome.open == (WRITE, CHASE) and outcome.timers == ()


def test_after_a_shorter_downtime_the_schedule_keeps_its_grid() -> None:
    outcome = run_both(C7, {}, [at(9)])  # 4 h and 8 h overdue: one reminder, next at 12 h
    assert outcome.open == (WRITE, CHASE) and outcome.timers == ((TIMER, iso(12), 3),)


def daily(steps: list[Sweep | tuple[str, dict[str, object]]]) -> Outcome:
    return run_both(IO, {}, steps)


def test_an_unbounded_daily_reminder_on_a_subprocess_runs_until_the_subprocess_ends() -> None:
    nudge = "Event_0nudge"
    days = [Sweep(NOW + timedelta(days=d, minutes=1)) for d in (1, 2, 3)]
    outcome = daily([*days])
    assert outcome.open == ("Activity_0draft",)
    assert outcome.timers == ((nudge, (NOW + timedelta(days=4)).isoformat(), 4),)
    outcome = daily([*days, ("Activity_0draft", {}), Sweep(NOW + timedelta(days=9))])
    assert outcome.open == ("Activity_0publish",) and outcome.timers == ()
    outcome = daily([*days, ("Activity_0draft", {}), ("Activity_0publish", {})])
    assert outcome.completed


def test_a_cycle_with_a_first_instant_starts_there(tmp_path: Path) -> None:
    path = tmp_path / "first_instant.bpmn"
    xml = C7.read_text(encoding="utf-8")
    path.write_text(xml.replace("R3/PT4H", "R2/2026-06-08T10:30:00+07:00/PT1H"), "utf-8")
    first = (NOW + timedelta(hours=1.5)).isoformat()  # NOW is 09:00 Bangkok
    assert run_both(path, {}, []).timers == ((TIMER, first, 1),)
    outcome = run_both(path, {}, [at(1.6)])
    assert outcome.open == (WRITE, CHASE)
    assert outcome.timers == ((TIMER, (NOW + timedelta(hours=2.5)).isoformat(), 2),)
    assert run_both(path, {}, [at(1.6), at(2.6)]).open == (WRITE, CHASE, CHASE)


def test_finished_repetitions_leave_the_saved_state() -> None:
    """A daily reminder that only reaches an end event does not grow the case's state."""
    compiled = compile_fresh(IO)
    workflow = runtime.new_workflow(compiled, {}, no_due, NOW)
    sizes = []
    for day in range(1, 31):
        runtime.fire_due_timers(workflow, NOW + timedelta(days=day, minutes=1))
        sizes.append(len(runtime.serialize(workflow)))
    assert sizes[-1] <= sizes[1] * 1.05, sizes
    assert runtime.waiting_timers(workflow)[0].repetition == 31
