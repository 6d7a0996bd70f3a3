"""An intermediate timer ("wait an hour, then verify") fires through the sweep and replays.

Review found that pruning a case's finished history made a waiting intermediate timer the
root of the task tree, and the sweep then crashed on it for every pass, holding up the
timers of all later cases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time

from engine.audit.replay import replay
from engine.cases import service, timers
from engine.context import Prflow
from tests.factories import P6, add_people, deploy, open_task

T0 = datetime(2026, 2, 2, 3, 0, tzinfo=UTC)  # Monday 10:00 Bangkok


def p6_with_a_waiting_hour(tmp_path: Path) -> Path:
    """P6 with a one-hour intermediate timer between upload and verify (with its DI)."""
    xml = P6.read_text(encoding="utf-8")
    edits = [
        ('<bpmn:sequenceFlow id="Flow_upload_verify" sourceRef="upload" targetRef="verify" />',
         '<bpmn:sequenceFlow id="Flow_upload_verify" sourceRef="upload" targetRef="wait" />\n'
         '    <bpmn:sequenceFlow id="Flow_wait_verify" sourceRef="wait" targetRef="verify" />\n'
         '    <bpmn:intermediateCatchEvent id="wait" name="รอ 1 ชั่วโมง">'
         "<bpmn:incoming>Flow_upload_verify</bpmn:incoming>"
         "<bpmn:outgoing>Flow_wait_verify</bpmn:outgoing><bpmn:timerEventDefinition>"
         '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
         "</bpmn:intermediateCatchEvent>"),
        ("<bpmn:incoming>Flow_upload_verify</bpmn:incoming>\n      <bpmn:outgoing>Flow_verify",
         "<bpmn:incoming>Flow_wait_verify</bpmn:incoming>\n      <bpmn:outgoing>Flow_verify"),
        ("<bpmn:flowNodeRef>upload</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>upload</bpmn:flowNodeRef><bpmn:flowNodeRef>wait</bpmn:flowNodeRef>"),
        ('<bpmndi:BPMNShape id="verify_di"',
         '<bpmndi:BPMNShape id="wait_di" bpmnElement="wait"><dc:Bounds x="500" y="317" '
         'width="36" height="36" /></bpmndi:BPMNShape>\n      <bpmndi:BPMNEdge '
         'id="Flow_wait_verify_di" bpmnElement="Flow_wait_verify"><di:waypoint x="536" y="335" />'
         '<di:waypoint x="590" y="205" /></bpmndi:BPMNEdge>\n      '
         '<bpmndi:BPMNShape id="verify_di"'),
    ]  # fmt: skip
    for old, new in edits:
        assert old in xml, old
        xml = xml.replace(old, new, 1)
    path = tmp_path / "website_posting.bpmn"
    path.write_text(xml, encoding="utf-8")
    return path


def test_an_intermediate_timer_fires_once_and_the_case_replays(ctx: Prflow, tmp_path: Path) -> None:
    add_people(ctx)
    deploy(ctx, p6_with_a_waiting_hour(tmp_path))
    with freeze_time(T0):
        case = service.start(ctx, "website_posting", {}, "malee")
        service.complete(ctx, open_task(ctx, case.id).id, {}, "somchai")
    assert [t.status for t in service.show(ctx, case.id).tasks] == ["completed"]

    early = timers.sweep(ctx, T0 + timedelta(minutes=59))
    assert (early.fired, early.failed) == ([], [])
    swept = timers.sweep(ctx, T0 + timedelta(hours=2))
    assert swept.failed == []
    assert [(f.element_id, f.fire_at) for f in swept.fired] == [("wait", T0 + timedelta(hours=1))]
    assert open_task(ctx, case.id).element_id == "verify"
    assert timers.sweep(ctx, T0 + timedelta(hours=3)).fired == []

    replayed = replay(ctx, case.id)
    assert replayed.ok, replayed.divergence
