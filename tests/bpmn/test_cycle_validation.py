"""Cycle timers at validate: accepted where they run, refused elsewhere with fitting advice.

They run as repeating reminders on non-interrupting boundary events only; every refusal
names the file's line and the event's own id, and says what to write instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from engine.bpmn.definitions import InvalidDefinition, Problem, read_source, validate
from tests.bpmn.scenario import ROLES

C7 = Path(__file__).parent / "diagrams" / "camunda7_reminder.bpmn"
CYCLE = '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R3/PT4H</bpmn:timeCycle>'


def write(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = C7.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "c7_reminder.bpmn"
    path.write_text(text, encoding="utf-8")
    return path


def cycle_problem(tmp_path: Path, *edits: tuple[str, str]) -> Problem:
    with pytest.raises(InvalidDefinition) as refused:
        validate(read_source(write(tmp_path, *edits)), ROLES)
    timers = [p for p in refused.value.problems if p.rule == "timer"]
    assert len(timers) == 1, refused.value.problems
    [problem] = timers
    assert problem.line is not None and problem.element_id, problem
    assert "Allowed:" not in problem.message  # not the condition grammar
    return problem


@pytest.mark.parametrize(
    "cycle",
    ["R3/PT4H", "R/P1D", "R1/P1W", "R3/2026-06-08T09:00:00+07:00/PT4H", "R2/PT1M", '"R3/PT4H"'],
)
def test_a_repeating_interval_on_a_non_interrupting_boundary_is_accepted(
    tmp_path: Path, cycle: str
) -> None:
    path = write(tmp_path, ("R3/PT4H", cycle))
    assert validate(read_source(path), ROLES).key == "c7_reminder"


def cycle_as(cycle: str) -> tuple[str, str]:
    return ("R3/PT4H", cycle)


@pytest.mark.parametrize(
    ("cycle", "advice"),
    [
        ("0 0 9 * * ?", "is a cron expression, which prflow does not read; write an ISO-8601"),
        ("*/5 * * * *", "cron expression"),
        ("every day", "not a time prflow can read; write an ISO-8601 repeating interval"),
        ("R3/PT30S", "repeats every 30 s; reminders repeat no more often than every 1 minute"),
        ("R3/PT0.1S", "repeats every 0.1 s"),
        ("R3/PT0S", "repeats every 0 s"),
        ("R-1/PT4H", "not a time prflow can read; write an ISO-8601 repeating interval"),
        ('=cycle(duration("PT4H"))', "not a time prflow can read; write an ISO-8601"),
        ("R0/PT4H", "repeats 0 times, so it never fires"),
        ("R5000/P1D", "repeats 5000 times; at most 1000"),
        ("R3/P1M", "counts years or months, whose length varies; write days or weeks"),
        ("R3/P4000D", "at most 3650 days apart"),
        ("R3/P99999999999D", "is too long to be a date"),
        ("R3/2026-06-08T09:00:00/PT4H", "no UTC offset; write one, e.g. 2026-06-08T09:00:00+07"),
        ("R3/2566-06-08T09:00:00+07:00/PT4H", "outside the years 1900-2200"),
        ("R3/PT4H/2026-06-09T09:00:00+07:00", "not a repeating interval prflow reads"),
        ("R3/PTXH", "is not an ISO-8601 duration"),
    ],
)  # fmt: skip
def test_a_cycle_prflow_cannot_run_is_refused_with_what_to_write(
    tmp_path: Path, cycle: str, advice: str
) -> None:
    problem = cycle_problem(tmp_path, cycle_as(cycle))
    assert problem.element_id == "Event_1remind" and problem.element_name == "เตือนทุก 4 ชั่วโมง"
    assert advice in problem.message, problem.message


def test_a_cycle_on_an_interrupting_boundary_is_told_to_untick_interrupting(
    tmp_path: Path,
) -> None:
    problem = cycle_problem(tmp_path, ('cancelActivity="false" ', ""))
    assert problem.element_id == "Event_1remind"
    assert "interrupting boundary event" in problem.message
    assert 'cancelActivity="false"' in problem.message and "timeDuration" in problem.message


def test_a_cycle_on_an_intermediate_event_is_told_to_wait_once(tmp_path: Path) -> None:
    wait = (
        '<bpmn:intermediateCatchEvent id="Event_0wait" name="รอ"><bpmn:incoming>Flow_0rm2'
        "</bpmn:incoming><bpmn:outgoing>Flow_0rm5</bpmn:outgoing><bpmn:timerEventDefinition "
        'id="Timer_0w">' + CYCLE + "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="Flow_0rm5" sourceRef="Event_0wait" targetRef="Event_0sent2k" />'
        '\n    <bpmn:endEvent id="Event_0sent2k"'
    )
    problem = cycle_problem(
        tmp_path,
        ('<bpmn:endEvent id="Event_0sent2k"', wait),
        ('targetRef="Event_0sent2k" />', 'targetRef="Event_0wait" />'),
    )
    assert problem.element_id == "Event_0wait" and problem.element_name == "รอ"
    assert "intermediate event, which waits once: use a timeDuration" in problem.message


def test_a_cycle_on_a_start_event_is_told_cases_are_started_by_people(tmp_path: Path) -> None:
    timer = (
        '<bpmn:startEvent id="StartEvent_1" name="มีข่าวต้องเขียน"><bpmn:timerEventDefinition '
        'id="Timer_0s">' + CYCLE.replace("R3/PT4H", "R/P1D") + "</bpmn:timerEventDefinition>"
    )
    problem = cycle_problem(
        tmp_path, ('<bpmn:startEvent id="StartEvent_1" name="มีข่าวต้องเขียน">', timer)
    )
    assert problem.element_id == "StartEvent_1"
    assert "start cases on a schedule" in problem.message and "prflow start" in problem.message


PUBLIC_TIMERS = sorted(
    path
    for path in (Path(__file__).parent / "public").glob("*/*.bpmn")
    if "timerEventDefinition" in path.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("path", PUBLIC_TIMERS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_public_diagrams_timer_refusals_name_the_event_and_give_timer_advice(
    sqlite_url: str, path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["validate", str(path), "--executable"], env={"PRFLOW_DATABASE_URL": sqlite_url}
    )
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert result.exit_code == 2
    for line in result.stderr.splitlines():
        if not line.endswith("(timer)"):
            continue
        assert re.search(r"\.bpmn:\d+ \[[^\]]+\]", line), line
        assert "Allowed:" not in line and "condition" not in line, line
        assert re.search(r"PT4H|PT3H|R3/PT4H", line), line  # says what to write


def test_the_public_sub_second_cycle_is_refused_for_its_interval(sqlite_url: str) -> None:
    path = Path(__file__).parent / "public" / "spiffworkflow" / "timer-cycle.bpmn"
    result = CliRunner().invoke(
        app, ["validate", str(path)], env={"PRFLOW_DATABASE_URL": sqlite_url}
    )
    [line] = [line for line in result.stderr.splitlines() if line.endswith("(timer)")]
    assert "[CatchMessage]" in line and "'R2/PT0.1S' repeats every 0.1 s" in line
