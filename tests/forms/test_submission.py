"""The engine checks every completion against the version's forms before stepping: bad
fields are refused with Thai and English messages and nothing changes; good values are
stored typed and the case moves on with them."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun import freeze_time

from engine.cases import service
from engine.context import Prflow
from engine.forms.values import FormInvalid
from tests.engine.test_cases import snapshot
from tests.forms.conftest import open_task, step

MONDAY_MORNING = "2026-03-09T02:00:00+00:00"  # 09:00 in Bangkok


def p9_at_request(ctx: Prflow) -> int:
    case = service.start(ctx, "office_website_publishing", {}, "u_esao_requester")
    step(ctx, case.id, "prepare_information")
    step(ctx, case.id, "check_content", {"decision": "ok"})
    return case.id


REQUEST: dict[str, Any] = {
    "request_date": "2026-05-17", "requester_name": "นางสาวสมศรี ใจดี",
    "requester_position": "นักวิชาการศึกษา", "requester_group": "กลุ่มส่งเสริมการจัดการศึกษา",
    "details": "ประกาศรับสมัคร", "topic": "procurement", "subject": "ประกาศ", "delivery": "email",
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "th", "en"),
    [
        ({"requester_name": ""}, "requester_name", "กรุณากรอก", "is required"),
        ({"request_date": 17}, "request_date", "ไม่ใช่วันที่", "is not a date"),
        ({"topic": "gossip"}, "topic", "procurement (ข้อมูลการจัดซื้อจัดจ้าง)", "allowed: structure"),
        ({"request_date": "2026-02-30"}, "request_date", "ไม่ใช่วันที่", "use YYYY-MM-DD"),
        ({"topic": "other"}, "topic_other", "จำเป็นเมื่อ topic = other", "required when topic"),
        ({"delivery": "other"}, "delivery_other", "กรุณากรอก", "required when delivery"),
    ],
)  # fmt: skip
def test_a_bad_field_is_refused_in_both_languages_and_changes_nothing(
    office: Prflow, change: dict[str, Any], field: str, th: str, en: str
) -> None:
    with freeze_time(MONDAY_MORNING):
        case_id = p9_at_request(office)
        task = open_task(office, case_id)
        before = snapshot(office, case_id)
        with pytest.raises(FormInvalid) as refused:
            service.complete(office, task.id, {**REQUEST, **change}, "u_esao_requester")
        assert snapshot(office, case_id) == before
        error = next(e for e in refused.value.errors if e.field == field)
        assert th in error.th and en in error.en
        # The same task still takes the corrected form.
        service.complete(office, task.id, REQUEST, "u_esao_requester")
        assert open_task(office, case_id).element_id == "permit_publication"


def test_p8_news_type_outside_the_choices_is_refused_with_the_allowed_values(
    office: Prflow,
) -> None:
    with freeze_time(MONDAY_MORNING):
        case = service.start(office, "news_production", {}, "u_esao_pr_officer")
        step(office, case.id, "receive_agenda")
        task = open_task(office, case.id)
        before = snapshot(office, case.id)
        chosen = {"newsworthy": "yes", "news_type": "gossip", "topic": "ประชุม",
                  "officer": "u_esao_pr_officer"}  # fmt: skip
        with pytest.raises(FormInvalid) as refused:
            service.complete(office, task.id, chosen, "u_esao_admin_director")
        assert snapshot(office, case.id) == before
        assert "allowed: meeting_summary, inspection, press_conference, other" in str(refused.value)
        assert "ข่าวสรุปการประชุม" in str(refused.value)


def test_values_are_stored_typed_and_time_limits_read_them(office: Prflow) -> None:
    with freeze_time(MONDAY_MORNING):
        case = service.start(office, "news_production", {}, "u_esao_pr_officer")
        step(office, case.id, "receive_agenda")
        step(office, case.id, "select_and_assign", {"newsworthy": "yes",
             "news_type": "meeting_summary"})  # fmt: skip
        step(office, case.id, "plan_news", {"category": "policy"})
        collected = {"method": "meeting", "meeting_ended_at": "2026-03-09T08:30+07:00"}
        done = step(office, case.id, "collect_information", collected)
        assert done.data["meeting_ended_at"] == "2026-03-09T01:30:00+00:00"  # an instant
        write = open_task(office, case.id)
        # Three hours after the meeting ended, read from the typed value.
        assert write.due_at is not None
        assert write.due_at.isoformat() == "2026-03-09T04:30:00+00:00"
        assert service.show(office, case.id).data["news_type"] == "meeting_summary"


def test_the_p9_director_may_refuse_but_must_say_why(office: Prflow) -> None:
    with freeze_time(MONDAY_MORNING):
        case_id = p9_at_request(office)
        service.complete(office, open_task(office, case_id).id, REQUEST, "u_esao_requester")
        permit = open_task(office, case_id)
        decision = {"decision": "refuse", "approver_name": "นายสมชาย",
                    "approver_position": "ผอ.สพป.เลย เขต ๓"}  # fmt: skip
        before = snapshot(office, case_id)
        with pytest.raises(FormInvalid, match="reason"):
            service.complete(office, permit.id, decision, "u_esao_director")
        assert snapshot(office, case_id) == before
        service.complete(office, permit.id, {**decision, "reason": "ละเมิดลิขสิทธิ์"},
                         "u_esao_director")  # fmt: skip
        assert service.show(office, case_id).status == "completed"
