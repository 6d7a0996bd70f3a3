"""Reminder cycles through the ``prflow`` command, each command its own parse of the diagram.

The clock is frozen per command (``freeze_time``): cases start at an explicit instant and
``prflow sweep --at`` / ``prflow sweep`` fire the timers due before the instant named.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from tests.bpmn.cli import Prflow, ok
from tests.bpmn.test_cli_diagrams import DIAGRAMS, open_tasks, status
from tests.bpmn.test_cli_diagrams import prflow as prflow  # the fixture

C7 = DIAGRAMS / "camunda7_reminder.bpmn"
IO = DIAGRAMS / "bpmnio_reminder_subprocess.bpmn"
T0 = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)  # Monday 09:00 Bangkok
LATER = T0 + timedelta(days=60)  # "now" while sweeping as of past instants


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def run_at(prflow: Prflow, when: datetime, *args: str) -> str:
    with freeze_time(when):
        return ok(prflow, *args)


def sweep_at(prflow: Prflow, when: datetime) -> dict[str, object]:
    args = ("sweep", "--at", when.isoformat(), "--as", "ops", "--json")
    result: dict[str, object] = json.loads(run_at(prflow, LATER, *args))
    return result


def steps(prflow: Prflow, case: str) -> list[str]:
    return sorted(str(t["element_id"]) for t in open_tasks(prflow, case))


def complete_each(prflow: Prflow, when: datetime, case: str, element: str, login: str) -> None:
    for task in [t for t in open_tasks(prflow, case) if t["element_id"] == element]:
        run_at(prflow, when, "complete", str(task["id"]), "--as", login, "--data", "{}")


@pytest.fixture
def office(prflow: Prflow) -> Prflow:
    ok(prflow, "users", "add", "ops", "--role", "ops")
    return prflow


def test_camunda7_reminders_fire_through_sweep_at_and_the_case_ends(office: Prflow) -> None:
    ok(office, "validate", str(C7))
    ok(office, "deploy", str(C7), "--as", "owner")
    case = run_at(office, T0, "start", "c7_reminder", "--as", "pr").strip()
    assert sweep_at(office, at(3))["fired"] == []
    fired = sweep_at(office, at(4.5))["fired"]
    assert [(f["element_id"], f["repetition"]) for f in fired] == [  # type: ignore[index]
        ("Event_1remind", 1)
    ]
    assert steps(office, case) == ["Activity_0write7", "Activity_1chase3"]
    chase = [t for t in open_tasks(office, case) if t["element_id"] == "Activity_1chase3"]
    assert chase[0]["role"] == "esao_director"
    complete_each(office, at(5), case, "Activity_1chase3", "director")  # that path's end

    # Down from 5 h to 13 h: the 8 h and 12 h reminders fire as one, the last.
    [late] = sweep_at(office, at(13))["fired"]  # type: ignore[misc]
    assert late["repetition"] == 3 and late["fire_at"].startswith("2026-06-08T14:00")
    assert sweep_at(office, at(40))["fired"] == []
    assert steps(office, case) == ["Activity_0write7", "Activity_1chase3"]

    complete_each(office, at(41), case, "Activity_0write7", "pr")
    assert status(office, case) == "running"  # the open reminder outlives its task
    complete_each(office, at(42), case, "Activity_1chase3", "director")
    assert status(office, case) == "completed"
    assert "ok" in ok(office, "audit", "replay", case)
    assert ok(office, "audit", "verify").startswith("ok")


def test_camunda7_task_done_before_any_reminder_ends_at_once(office: Prflow) -> None:
    ok(office, "deploy", str(C7), "--as", "owner")
    case = run_at(office, T0, "start", "c7_reminder", "--as", "pr").strip()
    complete_each(office, at(1), case, "Activity_0write7", "pr")
    assert status(office, case) == "completed"
    assert sweep_at(office, at(30))["fired"] == []


def test_bpmn_io_daily_reminder_on_a_subprocess_runs_to_both_ends(office: Prflow) -> None:
    ok(office, "validate", str(IO))
    ok(office, "deploy", str(IO), "--as", "owner")
    case = run_at(office, T0, "start", "io_reminder", "--as", "pr").strip()
    for day in (1, 2):
        fired = sweep_at(office, T0 + timedelta(days=day, minutes=5))["fired"]
        assert [(f["element_id"], f["repetition"]) for f in fired] == [  # type: ignore[index]
            ("Event_0nudge", day)
        ]
    assert steps(office, case) == ["Activity_0draft"]  # each nudge reached its end event
    third = run_at(office, T0 + timedelta(days=3, hours=1), "sweep")
    assert "fired 1 timer(s)" in third and "Event_0nudge (repetition 3)" in third
    complete_each(office, at(80), case, "Activity_0draft", "pr")
    # The plain sweep, as of the (frozen) clock: the subprocess is done, nothing fires.
    assert "fired 0 timer(s)" in run_at(office, T0 + timedelta(days=5), "sweep")
    complete_each(office, at(81), case, "Activity_0publish", "pr")
    assert status(office, case) == "completed"
    assert "ok" in ok(office, "audit", "replay", case)
