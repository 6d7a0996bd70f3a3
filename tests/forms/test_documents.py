"""The printed documents: P9's permission form across its three roles (context, HTML, PDF
text and a PNG of page one), the P7 memo layout, and each completed form."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from freezegun import freeze_time

from engine.cases import form_records, service
from engine.context import Prflow
from engine.errors import Forbidden
from forms import documents
from forms.pdf import html_to_pdf
from tests.factories import deploy
from tests.forms.conftest import P9, open_task, step

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PART1 = {
    "request_date": "2026-05-17",
    "requester_name": "นางสาวสมศรี ใจดี",
    "requester_position": "นักวิชาการศึกษา",
    "requester_group": "กลุ่มส่งเสริมการจัดการศึกษา",
    "details": "ประกาศรับสมัครครูอัตราจ้าง ๒ อัตรา",
    "topic": "other",
    "topic_other": "ประกาศรับสมัครบุคลากร",
    "subject": "ประกาศรับสมัครครูอัตราจ้าง",
    "delivery": "email",
}


def play_p9(ctx: Prflow) -> int:
    """P9 through its three roles; the clock moves so each part has its own time."""
    with freeze_time("2026-05-18T02:00:00+00:00") as clock:  # Monday 09:00 Bangkok
        case = service.start(ctx, "office_website_publishing", {}, "u_esao_requester")
        step(ctx, case.id, "prepare_information")
        step(ctx, case.id, "check_content", {"decision": "ok"})
        step(ctx, case.id, "request_permission", PART1)
        step(
            ctx,
            case.id,
            "permit_publication",
            {
                "decision": "permit",
                "approver_name": "นายสมชาย รักเรียน",
                "approver_position": "ผอ.สพป.เลย เขต ๓",
            },
        )
        step(ctx, case.id, "send_file", {"sent_by": "email"})
        clock.move_to("2026-05-19T03:15:00+00:00")  # Tuesday 10:15: the webmaster starts
        publish = open_task(ctx, case.id)
        # The webmaster's part 2 times are the engine's: ready Monday, done Tuesday.
        clock.move_to("2026-05-19T09:45:00+00:00")  # Tuesday 16:45
        step(
            ctx,
            case.id,
            "publish_on_website",
            {
                "url": "https://loei3.go.th/news/1",
                "webmaster_name": "นายเว็บ ดูแล",
                "webmaster_position": "นักวิชาการคอมพิวเตอร์",
            },
        )
        clock.move_to("2026-12-31T17:30:00+00:00")  # 00:30 on 1 January 2570 in Bangkok
        step(
            ctx,
            case.id,
            "check_published",
            {
                "decision": "ok",
                "checker_name": "นายประเสริฐ ตรวจดี",
                "checker_position": "ผู้อำนวยการกลุ่ม",
                "checker_group": "กลุ่มส่งเสริมการจัดการศึกษา",
            },
        )
        assert publish.created_at.isoformat() == "2026-05-18T02:00:00+00:00"
    assert service.show(ctx, case.id).status == "completed"
    return case.id


def test_p9_permission_form_context_holds_every_part(lite: Prflow) -> None:
    deploy(lite, P9)
    case_id = play_p9(lite)
    records = form_records.case_forms(lite, case_id, "u_esao_group_director")
    request = next(t for t in records.case.tasks if t.element_id == "request_permission")
    doc = documents.build(records, request.id)

    assert isinstance(doc, documents.PermissionDocument)
    assert doc.request_date == "๑๗ พฤษภาคม ๒๕๖๙"
    assert (doc.requester.name, doc.requester.position) == ("นางสาวสมศรี ใจดี", "นักวิชาการศึกษา")
    assert [b.label for b in doc.topics if b.ticked] == ["อื่น ๆ (ระบุ)"]
    assert doc.topic_other == "ประกาศรับสมัครบุคลากร"
    assert len(doc.topics) == 7
    assert [b.label for b in doc.delivery if b.ticked] == ["E-mail"]
    assert doc.approver is not None and doc.approver.name == "นายสมชาย รักเรียน"
    assert doc.decision == "อนุญาต"
    # Part 2 from the engine's task times, in Bangkok.
    assert doc.received_at == "๑๘ พฤษภาคม ๒๕๖๙ เวลา ๐๙.๐๐ น."
    assert doc.done_at == "๑๙ พฤษภาคม ๒๕๖๙ เวลา ๑๖.๔๕ น."
    assert doc.webmaster is not None and doc.webmaster.name == "นายเว็บ ดูแล"
    # Part 3: sent on (send_file done), checked on (past midnight in Bangkok: a new BE year).
    assert doc.sent_on == "๑๘ พฤษภาคม ๒๕๖๙"
    assert doc.checked_on == "๑ มกราคม ๒๕๗๐"
    assert doc.checker is not None and doc.checker_group == "กลุ่มส่งเสริมการจัดการศึกษา"
    assert "@font-face" in doc.font_css and "data:font/woff2;base64," in doc.font_css


@pytest.mark.skipif(
    not shutil.which("chromium") or not shutil.which("pdftotext"),
    reason="needs chromium and poppler-utils: make system-packages",
)
def test_p9_permission_form_prints_as_a_pdf_with_every_part(lite: Prflow) -> None:
    deploy(lite, P9)
    case_id = play_p9(lite)
    records = form_records.case_forms(lite, case_id, "u_esao_requester")
    request = next(t for t in records.case.tasks if t.element_id == "request_permission")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = html_to_pdf(
        documents.render(documents.build(records, request.id)), ARTIFACTS / "p9_permission.pdf"
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in (
        "ส่วนที่ ๑ ผู้ขอเผยแพร่ข้อมูลข่าวสารบนเว็บไซต์",
        "วันที่ ๑๗ พฤษภาคม ๒๕๖๙",
        "นางสาวสมศรี ใจดี",
        "ประกาศรับสมัครครูอัตราจ้าง",
        "นายสมชาย รักเรียน",
        "ส่วนที่ ๒ ผู้ดูแลเว็บไซต์",
        "๑๘ พฤษภาคม ๒๕๖๙ เวลา ๐๙.๐๐ น.",
        "๑๙ พฤษภาคม ๒๕๖๙ เวลา ๑๖.๔๕ น.",
        "นายเว็บ ดูแล",
        "ส่วนที่ ๓",
        "นายประเสริฐ ตรวจดี",
        "๑ มกราคม ๒๕๗๐",
    ):
        assert expected in text, expected
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(ARTIFACTS / "p9_permission_page1"),
        ],
        check=True,
    )
    assert (ARTIFACTS / "p9_permission_page1.png").stat().st_size > 10_000


def test_printing_is_only_for_people_who_may_see_the_case(lite: Prflow) -> None:
    deploy(lite, P9)
    case = service.start(lite, "office_website_publishing", {}, "u_esao_requester")
    with pytest.raises(Forbidden, match="may not view case"):
        form_records.case_forms(lite, case.id, "u_doh_it_officer")


def test_the_p7_memo_follows_the_official_layout(lite: Prflow) -> None:
    from engine.settings import REPO_PROCESSES_DIR

    deploy(lite, REPO_PROCESSES_DIR / "minister_coordination.bpmn")
    with freeze_time("2026-05-18T02:00:00+00:00"):
        case = service.start(lite, "minister_coordination", {}, "u_mo_officer")
        step(lite, case.id, "receive_order")
        step(lite, case.id, "consider_order", {"channel": "formal"})
        done = step(
            lite,
            case.id,
            "coordinate_formally",
            {
                "document_kind": "memo_sp",
                "secrecy": "secret",
                "urgency": "most_urgent",
                "agency": "สป. สำนักนโยบายและแผน",
                "phone": "0 2628 5646",
                "number": "ศธ ๐๒๐๑/๑๒",
                "memo_date": "2026-05-18",
                "subject": "ขออนุมัติโครงการ",
                "to": "รมว.ศธ.",
                "matter": "สพฐ. ขออนุมัติโครงการ",
                "facts": [{"text": "ความเป็นมา"}, {"text": "ผล"}],
                "recommendations": [{"text": "เห็นควรอนุมัติ"}],
                "closing_for": "approve",
                "signer_name": "นายปลัด กระทรวง",
                "signer_position": "ปลัดกระทรวงศึกษาธิการ",
            },
        )
    doc = documents.build(form_records.case_forms(lite, case.id, "u_mo_officer"), done.id)
    assert isinstance(doc, documents.MemoDocument)
    assert (doc.heading, doc.secrecy, doc.urgency) == ("บันทึกข้อความ", "ลับมาก", "ด่วนที่สุด")
    assert [[line.th for line in row] for row in doc.header] == [
        ["ส่วนราชการ"],
        ["ที่", "วันที่"],
        ["เรื่อง"],
        ["เรียน"],
    ]
    assert doc.header[1][1].value == "๑๘ พฤษภาคม ๒๕๖๙"
    assert [(p.number, p.items) for p in doc.paragraphs] == [
        ("๑.", []),
        ("๒.", ["ความเป็นมา", "ผล"]),
        ("๔.", ["เห็นควรอนุมัติ"]),
    ]
    assert doc.closing == "จึงเรียนมาเพื่อโปรดอนุมัติ"
    html = documents.render(doc)
    assert html.index("ลับมาก") < html.index("บันทึกข้อความ</h1>") < html.index("ส่วนราชการ")
    assert "๒.๒ ผล" in html and "(นายปลัด กระทรวง)" in html


def test_each_completed_form_prints_with_who_filled_it_and_when(lite: Prflow) -> None:
    deploy(lite, P9)
    case_id = play_p9(lite)
    doc = documents.build(form_records.case_forms(lite, case_id, "u_esao_director"))
    assert isinstance(doc, documents.FormsDocument)
    assert [f.step for f in doc.forms][:2] == [
        "จัดทำข้อมูลและตรวจสอบความถูกต้องครบถ้วน",
        "ผอ.กลุ่มตรวจสอบความถูกต้องของเนื้อหา",
    ]
    check = doc.forms[1]
    assert check.filled_by == "U_Esao_Group_Director"  # the display name add_people gives
    assert check.filled_on == "๑๘ พฤษภาคม ๒๕๖๙ เวลา ๐๙.๐๐ น."
    assert ("ผลการพิจารณา", "ถูกต้อง ครบถ้วน") in [(x.th, x.value) for x in check.lines]
