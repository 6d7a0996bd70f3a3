"""JUEL and FEEL conditions become safe expressions, or are refused naming the piece."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.bpmn import dialects
from engine.bpmn.expressions import evaluate


@pytest.mark.parametrize(
    ("modeler", "ours", "data", "value"),
    [
        ("${approved}", "approved", {"approved": True}, True),
        ("${decision == 'approve'}", "decision == 'approve'", {"decision": "approve"}, True),
        ("${decision eq 'approve' and not urgent}", "decision == 'approve' and not urgent",
         {"decision": "approve", "urgent": True}, False),
        ("${count > 2 && !late}", "count > 2 and not late", {"count": 3, "late": False}, True),
        ('=decision = "approve"', 'decision == "approve"', {"decision": "approve"}, True),
        ("=approved = true or count >= 3", "approved == True or count >= 3",
         {"approved": False, "count": 1}, False),
        ('=not(cancelled) and kind != "x"', 'not ( cancelled ) and kind != "x"',
         {"cancelled": False, "kind": "y"}, True),
        ('decision == "fix"', 'decision == "fix"', {"decision": "fix"}, True),
    ],
)  # fmt: skip
def test_a_modeler_condition_is_translated_and_evaluates_the_same(
    modeler: str, ours: str, data: dict[str, object], value: bool
) -> None:
    assert dialects.translate(modeler) == ours
    assert evaluate(ours, data) is value


@pytest.mark.parametrize(
    ("modeler", "piece"),
    [
        ("${execution.getVariable('x') == 1}", "execution.getVariable('x')"),
        ("${empty reviewers}", "empty"),
        ("=count(items) > 2", "count(items)"),
        ("=a && b", "&&"),
        ("${x = 1}", "="),
    ],
)
def test_a_condition_with_no_safe_equivalent_names_the_exact_piece(
    modeler: str, piece: str
) -> None:
    with pytest.raises(dialects.Untranslatable) as refused:
        dialects.translate(modeler)
    assert refused.value.piece == piece


def _task(attributes: str, extensions: str = "") -> etree._Element:
    xml = (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"><bpmn:process id="p">'
        f'<bpmn:userTask id="t" {attributes}>{extensions}</bpmn:userTask>'
        "</bpmn:process></bpmn:definitions>"
    )
    return etree.fromstring(xml)


def _properties(root: etree._Element) -> dict[str, str]:
    return dialects.properties_of(root.find(".//{*}userTask"))


def test_camunda7_attributes_become_prflow_properties() -> None:
    root = _task(
        'camunda:candidateGroups="esao_director" camunda:formKey="embedded:app:forms/p2_ok.html" '
        'camunda:dueDate="P2D"',
        '<bpmn:extensionElements><camunda:properties><camunda:property name="source" '
        'value="§4" /></camunda:properties></bpmn:extensionElements>',
    )
    assert dialects.normalize(root) == []
    assert _properties(root) == {
        "source": "§4", "role": "esao_director", "form": "p2_ok", "due": "P2D",
    }  # fmt: skip


def test_zeebe_extensions_become_prflow_properties() -> None:
    root = _task(
        "",
        '<bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="esao_director" />'
        '<zeebe:formDefinition formId="p2_ok" /><zeebe:taskSchedule dueDate="PT3H" />'
        '<zeebe:properties><zeebe:property name="due" value="1 working day" />'
        "</zeebe:properties></bpmn:extensionElements>",
    )
    assert dialects.normalize(root) == []
    # Our own 'due' property (here via zeebe:properties) wins over the modeler's due date.
    assert _properties(root) == {"due": "1 working day", "role": "esao_director", "form": "p2_ok"}


@pytest.mark.parametrize(
    ("attributes", "refusal"),
    [
        ('camunda:assignee="somchai"', "names people"),
        ('camunda:candidateUsers="somchai,malee"', "names people"),
        ('camunda:candidateGroups="a,b"', "exactly one role"),
        ('camunda:dueDate="${dateTime().plusDays(1)}"', "is an expression"),
    ],
)
def test_what_prflow_cannot_honour_is_refused_with_the_reason(
    attributes: str, refusal: str
) -> None:
    [problem] = dialects.normalize(_task(attributes))
    assert refusal in problem.message and problem.element.get("id") == "t"


def test_a_lane_role_property_names_the_role_and_keeps_the_thai_header_in_the_file() -> None:
    root = etree.fromstring(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
        '<bpmn:process id="p"><bpmn:laneSet><bpmn:lane id="L" name="นักประชาสัมพันธ์">'
        '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="role" '
        'value="esao_pr_officer" /></spiffworkflow:properties></bpmn:extensionElements>'
        "</bpmn:lane></bpmn:laneSet></bpmn:process></bpmn:definitions>".encode()
    )
    dialects.normalize(root)
    assert root.find(".//{*}lane").get("name") == "esao_pr_officer"


@pytest.mark.parametrize(
    ("saved", "read"),
    [("PT3H", '"PT3H"'), ("=P1D", '"P1D"'), ("R3/PT1H", '"R3/PT1H"'),
     ("2026-04-10T15:00:00+07:00", '"2026-04-10T15:00:00+07:00"'), ('"PT3H"', '"PT3H"'),
     ("due_at", "due_at")],
)  # fmt: skip
def test_bare_iso_timer_values_are_read_as_literals(saved: str, read: str) -> None:
    root = etree.fromstring(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        f"<bpmn:timeDuration>{saved}</bpmn:timeDuration></bpmn:definitions>"
    )
    dialects.normalize(root)
    assert root[0].text == read
