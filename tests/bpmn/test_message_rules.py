"""Message elements are refused precisely where prflow cannot run them: the file, line,
element id and name of each problem, and what to draw instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.definitions import InvalidDefinition, Problem, read_source, validate
from tests.bpmn.scenario import ROLES

DIAGRAMS = Path(__file__).parent / "diagrams"
RACE = DIAGRAMS / "bpmnio_reply_race.bpmn"
OPINION = DIAGRAMS / "camunda7_opinion.bpmn"
REPLY_DEF = (
    '<bpmn:messageEventDefinition id="MessageEventDefinition_0r" messageRef="Message_0reply" />'
)
MESSAGE = '<bpmn:message id="Message_0reply" name="agency_reply" />'


def refused(tmp_path: Path, source: Path, *edits: tuple[str, str]) -> list[Problem]:
    text = source.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidDefinition) as caught:
        validate(read_source(path, executable=True), ROLES)
    for problem in caught.value.problems:
        assert problem.file == str(path) and problem.line and problem.element_id, problem
    return caught.value.problems


def only(found: list[Problem], element_id: str) -> Problem:
    [problem] = [p for p in found if p.element_id == element_id]
    return problem


def test_the_modelers_message_diagrams_validate() -> None:
    for path in (RACE, OPINION):
        compiled = validate(read_source(path, executable=True), ROLES)
        assert compiled.message_roles  # each waiting element with its lane's role
    opinion = validate(read_source(OPINION), ROLES)
    assert opinion.message_roles == {
        "Activity_0wait": "esao_director", "Event_0withdraw": "esao_director",
    }  # fmt: skip


def test_a_catch_event_without_a_message_ref_is_refused_with_its_name(tmp_path: Path) -> None:
    found = refused(tmp_path, RACE, (REPLY_DEF, '<bpmn:messageEventDefinition id="M0" />'))
    problem = only(found, "Event_0reply")
    assert (
        problem.element_name == "หน่วยงานตอบ" and problem.line == 33
    )  # the event, not its definition
    assert "names none (no messageRef)" in problem.message and "Message_0reply" in problem.message


def test_a_message_ref_to_no_message_is_refused(tmp_path: Path) -> None:
    found = refused(tmp_path, RACE, ('messageRef="Message_0reply"', 'messageRef="Message_9"'))
    assert "'Message_9', which is not a bpmn:message" in only(found, "Event_0reply").message


def test_a_message_without_a_name_is_refused(tmp_path: Path) -> None:
    found = refused(tmp_path, RACE, (MESSAGE, '<bpmn:message id="Message_0reply" />'))
    assert "has no name" in only(found, "Message_0reply").message


def test_two_messages_with_one_name_are_refused_as_ambiguous(tmp_path: Path) -> None:
    found = refused(
        tmp_path, RACE, (MESSAGE, MESSAGE + '<bpmn:message id="Message_1" name="agency_reply" />')
    )
    problem = only(found, "Message_1")
    assert "used by 2 messages" in problem.message and "ambiguous" in problem.message


def test_a_receive_task_without_a_message_is_refused(tmp_path: Path) -> None:
    found = refused(tmp_path, OPINION, (' messageRef="Message_0op2n1s"', ""))
    problem = only(found, "Activity_0wait")
    assert problem.element_name == "รอความเห็นจากหน่วยงาน" and "no messageRef" in problem.message


def test_message_start_events_and_non_interrupting_boundaries_say_why(tmp_path: Path) -> None:
    found = refused(
        tmp_path, OPINION,
        ('<bpmn:outgoing>Flow_0o1</bpmn:outgoing>',
         '<bpmn:outgoing>Flow_0o1</bpmn:outgoing>'
         '<bpmn:messageEventDefinition id="M_s" messageRef="Message_0op2n1s" />'),
        ('attachedToRef="Activity_0review"',
         'attachedToRef="Activity_0review" cancelActivity="false"'),
    )  # fmt: skip
    assert "started by a person" in only(found, "StartEvent_1").message
    assert "non-interrupting" in only(found, "Event_0withdraw").message


def test_correlation_stays_refused_the_case_id_is_the_correlation(tmp_path: Path) -> None:
    found = refused(
        tmp_path, RACE,
        (MESSAGE, MESSAGE + '<bpmn:correlationProperty id="cp" name="cp" />'),
    )  # fmt: skip
    assert "correlationProperty is not supported" in only(found, "cp").message


def test_an_event_based_gateway_refuses_targets_other_than_catch_events(tmp_path: Path) -> None:
    found = refused(
        tmp_path, RACE,
        ('<bpmn:sequenceFlow id="Flow_r3" sourceRef="Gateway_0race" targetRef="Event_0reply" />',
         '<bpmn:sequenceFlow id="Flow_r3" sourceRef="Gateway_0race" targetRef="Activity_0use" />'
         '<bpmn:sequenceFlow id="Flow_r3b" sourceRef="Gateway_0race" targetRef="Event_0reply" />'),
    )  # fmt: skip
    problem = only(found, "Activity_0use")
    assert "event-based gateway 'Gateway_0race' leads to a userTask" in problem.message
    assert problem.element_name == "ใช้คำตอบ"


def test_an_event_based_gateway_races_one_timer_at_most(tmp_path: Path) -> None:
    second = (
        '<bpmn:intermediateCatchEvent id="Event_1late" name="ครบ 3 ชั่วโมง">'
        "<bpmn:incoming>Flow_rx</bpmn:incoming><bpmn:outgoing>Flow_ry</bpmn:outgoing>"
        '<bpmn:timerEventDefinition id="T2"><bpmn:timeDuration>PT3H</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="Flow_rx" sourceRef="Gateway_0race" targetRef="Event_1late" />'
        '<bpmn:sequenceFlow id="Flow_ry" sourceRef="Event_1late" targetRef="Activity_0chase" />'
    )
    found = refused(tmp_path, RACE, ("</bpmn:process>", second + "</bpmn:process>"))
    assert any(
        p.element_id == "Event_1late" and "one timer per gateway" in p.message for p in found
    ), found


def test_a_camunda_8_correlation_key_is_refused_not_ignored(tmp_path: Path) -> None:
    text = RACE.read_text(encoding="utf-8").replace(
        'xmlns:spiffworkflow="', 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
        'xmlns:spiffworkflow="',
    )  # fmt: skip
    source = tmp_path / "source.bpmn"
    source.write_text(text, encoding="utf-8")
    subscription = (
        '<bpmn:message id="Message_0reply" name="agency_reply"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements>'
        "</bpmn:message>"
    )
    found = refused(tmp_path, source, (MESSAGE, subscription))
    problem = only(found, "Message_0reply")
    assert "'=orderId' is not read" in problem.message and "the correlation" in problem.message
