"""Messages from outside and a message racing a timer, the same live and restored.

Each scenario runs twice (``tests.bpmn.scenario.run_both``): on one live workflow, and
saved, compiled afresh and restored between every step, as separate commands do.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.bpmn.scenario import NOW, Message, Sweep, run_both

DIAGRAMS = Path(__file__).parent / "diagrams"
RACE = DIAGRAMS / "bpmnio_reply_race.bpmn"  # bpmn.io: event-based gateway, message vs PT2H
OPINION = DIAGRAMS / "camunda7_opinion.bpmn"  # Camunda 7: receive task, message boundary
ASK = ("Activity_0ask", {})


def test_the_reply_wins_the_race_and_its_data_joins_the_case() -> None:
    steps = [ASK, Message("agency_reply", {"answer": "ได้"})]
    outcome = run_both(RACE, {"topic": "งบ"}, steps)
    assert outcome.open == ("Activity_0use",) and outcome.waiting == ()
    done = run_both(RACE, {"topic": "งบ"}, [*steps, ("Activity_0use", {})])
    assert done.completed and done.data == {"topic": "งบ", "answer": "ได้"}


def test_the_timer_wins_the_race_when_it_fires_first() -> None:
    outcome = run_both(RACE, {}, [ASK, Sweep(NOW + timedelta(hours=2, seconds=1))])
    assert outcome.open == ("Activity_0chase",) and outcome.waiting == ()


def test_a_timer_not_yet_due_leaves_the_race_open_for_the_reply() -> None:
    steps = [ASK, Sweep(NOW + timedelta(hours=1)), Message("agency_reply", {"answer": "x"})]
    outcome = run_both(RACE, {}, steps)
    assert outcome.open == ("Activity_0use",)


def test_before_either_event_the_case_waits_for_the_reply() -> None:
    outcome = run_both(RACE, {}, [ASK])
    assert outcome.open == () and outcome.waiting == ("agency_reply",)


def test_each_branch_of_the_race_runs_to_its_end() -> None:
    reply = [ASK, Message("agency_reply", {"answer": "ok"}), ("Activity_0use", {})]
    late = [ASK, Sweep(NOW + timedelta(hours=3)), ("Activity_0chase", {})]
    assert run_both(RACE, {}, reply).completed
    assert run_both(RACE, {}, late).completed


def test_a_receive_task_waits_for_its_message_then_the_review_opens() -> None:
    steps = [("Activity_0send", {}), Message("opinion_received", {"opinion": "เห็นด้วย"})]
    outcome = run_both(OPINION, {}, steps)
    assert outcome.open == ("Activity_0review",)
    assert outcome.waiting == ("request_withdrawn",)  # the boundary on the review
    done = run_both(OPINION, {}, [*steps, ("Activity_0review", {})])
    assert done.completed and done.waiting == () and done.data["opinion"] == "เห็นด้วย"


def test_a_message_boundary_event_withdraws_the_task_it_is_attached_to() -> None:
    steps = [
        ("Activity_0send", {}),
        Message("opinion_received", {}),
        Message("request_withdrawn", {"why": "ถอน"}),
    ]
    outcome = run_both(OPINION, {}, steps)
    assert outcome.completed and outcome.open == ()
    assert "Activity_0review" not in outcome.done and outcome.data["why"] == "ถอน"


def test_a_spiff_message_variable_keeps_the_payload_under_one_field(tmp_path: Path) -> None:
    opening = (
        '<bpmn:messageEventDefinition id="MessageEventDefinition_0r" messageRef="Message_0reply"'
    )
    text = RACE.read_text(encoding="utf-8").replace(
        opening + " />",
        opening + ">"
        "<bpmn:extensionElements>"
        "<spiffworkflow:messageVariable>reply</spiffworkflow:messageVariable>"
        "</bpmn:extensionElements></bpmn:messageEventDefinition>",
    )
    assert "messageVariable" in text
    path = tmp_path / "bpmnio_reply_race.bpmn"
    path.write_text(text, encoding="utf-8")
    steps = [ASK, Message("agency_reply", {"answer": "ok"}), ("Activity_0use", {})]
    assert run_both(path, {}, steps).data == {"reply": {"answer": "ok"}}


def test_a_message_caught_inside_an_embedded_subprocess(tmp_path: Path) -> None:
    source = DIAGRAMS / "bpmnio_subprocess.bpmn"
    text = source.read_text(encoding="utf-8")
    for old, new in [
        ("<bpmn:flowNodeRef>Activity_0in</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>Activity_0in</bpmn:flowNodeRef>"
         "<bpmn:flowNodeRef>Event_0sm</bpmn:flowNodeRef>"),
        ('<bpmn:sequenceFlow id="Flow_s1" sourceRef="Event_0s1" targetRef="Activity_0in" />',
         '<bpmn:sequenceFlow id="Flow_s1" sourceRef="Event_0s1" targetRef="Event_0sm" />'
         '<bpmn:intermediateCatchEvent id="Event_0sm" name="รอผลแล็บ">'
         "<bpmn:incoming>Flow_s1</bpmn:incoming><bpmn:outgoing>Flow_sm</bpmn:outgoing>"
         '<bpmn:messageEventDefinition id="M_lab" messageRef="Message_lab" />'
         "</bpmn:intermediateCatchEvent>"
         '<bpmn:sequenceFlow id="Flow_sm" sourceRef="Event_0sm" targetRef="Activity_0in" />'),
        ("<bpmn:incoming>Flow_s1</bpmn:incoming><bpmn:outgoing>Flow_s2</bpmn:outgoing>",
         "<bpmn:incoming>Flow_sm</bpmn:incoming><bpmn:outgoing>Flow_s2</bpmn:outgoing>"),
        ("</bpmn:process>",
         '</bpmn:process><bpmn:message id="Message_lab" name="lab_result" />'),
        ("</bpmndi:BPMNPlane>",
         '<bpmndi:BPMNShape id="Event_0sm_di" bpmnElement="Event_0sm">'
         '<dc:Bounds x="320" y="100" width="36" height="36" /></bpmndi:BPMNShape>'
         '<bpmndi:BPMNEdge id="Flow_sm_di" bpmnElement="Flow_sm">'
         '<di:waypoint x="356" y="118" /><di:waypoint x="380" y="118" /></bpmndi:BPMNEdge>'
         "</bpmndi:BPMNPlane>"),
    ]:  # fmt: skip
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "subprocess_message.bpmn"
    path.write_text(text, encoding="utf-8")
    waiting = run_both(path, {}, [])
    assert waiting.open == () and waiting.waiting == ("lab_result",)
    steps = [Message("lab_result", {"lab": "ผ่าน"}), ("Activity_0in", {}), ("Activity_0after", {})]
    done = run_both(path, {}, steps)
    assert done.completed and done.data["lab"] == "ผ่าน"
