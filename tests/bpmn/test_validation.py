"""Validation tells a process owner everything at once, on the right element, with advice
that fits that element (issue 11's wrong-advice cases each have a test here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.definitions import InvalidDefinition, Problem, read_source, validate
from tests.bpmn.scenario import ROLES

C7 = Path(__file__).parent / "diagrams" / "camunda7_release_review.bpmn"


def problems(tmp_path: Path, *edits: tuple[str, str], executable: bool = False) -> list[Problem]:
    text = C7.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "c7.bpmn"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidDefinition) as refused:
        validate(read_source(path, executable), ROLES)
    for problem in refused.value.problems:
        assert problem.line is not None and problem.element_id, problem
    return refused.value.problems


def by_element(found: list[Problem]) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = {}
    for problem in found:
        grouped.setdefault(str(problem.element_id), []).append(problem)
    return grouped


def test_every_layer_reports_in_one_round(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        # dialect: a JUEL method call has no safe equivalent
        ("${decision == 'approve'}", "${decision.equals('approve')}"),
        # engine rule: a service task
        ('<bpmn:userTask id="Activity_0draft1"', '<bpmn:serviceTask id="Activity_0draft1"'),
        ("</bpmn:userTask>", "</bpmn:serviceTask>"),
        # project rule: an unknown role in the Thai lane's property
        ('value="esao_director"', 'value="esao_chef"'),
    )
    rules = {(p.element_id, p.rule) for p in found}
    assert ("Flow_1yes", "safe-expression") in rules
    assert ("Activity_0draft1", "supported") in rules
    assert ("Lane_1dir7yb", "known-role") in rules
    [juel] = [p for p in found if p.element_id == "Flow_1yes"]
    assert "\"decision.equals('approve')\" calls a method" in juel.message
    [service] = [p for p in found if p.element_id == "Activity_0draft1" and p.rule == "supported"]
    assert service.element_name == "ร่างข่าว" and "ร่างข่าว" in str(service)
    assert "calls no outside services" in service.message


def test_a_script_problem_names_the_task_that_holds_the_script(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        (
            '<bpmn:extensionElements><camunda:properties><camunda:property name="form" '
            'value="c7_approve" />',
            '<bpmn:extensionElements><camunda:executionListener event="start">'
            '<camunda:script scriptFormat="groovy">x = 1</camunda:script>'
            '</camunda:executionListener><camunda:properties><camunda:property name="form" '
            'value="c7_approve" />',
        ),
    )
    [script] = [p for p in found if "scripts are not run" in p.message]
    assert script.element_id == "Activity_0appr4m" and script.element_name == "อนุมัติ"


def test_two_executable_processes_are_both_named(tmp_path: Path) -> None:
    second = (
        '<bpmn:process id="Process_0other1" name="อีกกระบวนงาน" isExecutable="true">'
        '<bpmn:startEvent id="Event_0x" /></bpmn:process>\n  <bpmndi:BPMNDiagram'
    )
    found = problems(tmp_path, ("<bpmndi:BPMNDiagram", second))
    executable = [p for p in found if p.rule == "executable"]
    assert {p.element_id for p in executable} == {"c7_release_review", "Process_0other1"}
    assert "'Process_0other1'" in executable[0].message and "line" in executable[0].message


def test_is_executable_false_gets_a_one_line_hint_and_executable_accepts_it(
    tmp_path: Path,
) -> None:
    edit = ('isExecutable="true"', 'isExecutable="false"')
    [hint] = problems(tmp_path, edit)
    assert hint.element_id == "c7_release_review" and "--executable" in hint.message
    assert "\n" not in hint.message
    path = tmp_path / "c7.bpmn"
    assert validate(read_source(path, executable=True), ROLES).key == "c7_release_review"


@pytest.mark.parametrize(
    ("timer", "advice"),
    [
        ("<bpmn:timeCycle>R6/PT1S</bpmn:timeCycle>", "cycle timer 'R6/PT1S' repeats every 1 s"),
        ("<bpmn:timeCycle>0 0 9 * * ?</bpmn:timeCycle>", "cycle timer '0 0 9 * * ?'"),
        ("<bpmn:timeDuration>three days</bpmn:timeDuration>", "PT3H"),
    ],
    ids=["cycle", "cron", "free-text"],
)
def test_a_timer_gets_timer_advice_not_the_condition_grammar(
    tmp_path: Path, timer: str, advice: str
) -> None:
    boundary = (
        '<bpmn:boundaryEvent id="Event_1remind" name="เตือน" cancelActivity="false" '
        f'attachedToRef="Activity_0appr4m"><bpmn:timerEventDefinition id="Timer_1">{timer}'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>\n    <bpmn:exclusiveGateway"
    )
    found = by_element(problems(tmp_path, ("<bpmn:exclusiveGateway", boundary)))
    messages = " ".join(p.message for p in found["Event_1remind"] if p.rule == "timer")
    assert advice in messages and "Allowed:" not in messages


def test_an_io_specification_problem_names_its_task(tmp_path: Path) -> None:
    io = (
        '<bpmn:ioSpecification><bpmn:dataInput id="in_1" name="x" /><bpmn:inputSet />'
        "<bpmn:outputSet /></bpmn:ioSpecification>\n      <bpmn:incoming>Flow_0a3</bpmn:incoming>"
    )
    found = problems(tmp_path, ("<bpmn:incoming>Flow_0a3</bpmn:incoming>", io))
    assert any(p.element_id == "Activity_0appr4m" and p.rule == "bpmn" for p in found), found


def test_a_process_with_no_user_task_is_refused_at_validate(tmp_path: Path) -> None:
    text = C7.read_text(encoding="utf-8").replace("bpmn:userTask", "bpmn:manualTask")
    path = tmp_path / "c7.bpmn"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidDefinition) as refused:
        validate(read_source(path), ROLES)
    assert any(
        p.element_id == "c7_release_review" and "no user task" in p.message
        for p in refused.value.problems
    )


def test_message_and_terminate_events_get_advice_that_fits(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        ("<bpmn:incoming>Flow_1yes</bpmn:incoming>",
         "<bpmn:incoming>Flow_1yes</bpmn:incoming>"
         '<bpmn:terminateEventDefinition id="Term_1" />'),
        ("<bpmn:outgoing>Flow_0a1</bpmn:outgoing>",
         "<bpmn:outgoing>Flow_0a1</bpmn:outgoing>"
         '<bpmn:messageEventDefinition id="Msg_1" />'),
    )  # fmt: skip
    grouped = by_element(found)
    assert "Event_0done3k" not in grouped  # terminate end events run
    [message] = grouped["StartEvent_1"]
    assert "started by a person" in message.message  # message start events stay refused
