"""``prflow demo``: real cases of the nine manuals on the configured database.

It adds one demo person per role (Thai names), deploys ``processes/``, and moves a case of
every process to a telling point — P6 through its approval and two fixes to the end, P8 a meeting
summary four hours after the meeting (past its three-hour standard, so the timer sweep
escalates it to the group director), P9 a page sent back for correction — then prints the
cases, every inbox, late work, the P6 event log and the check of the hash chain. All of it
goes through the same engine calls a person's commands use; running it again adds
another set of cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import typer

from cli import output
from engine import clock
from engine.audit.case_log import chained_events
from engine.audit.verify import verify_chain
from engine.cases import deployment, overdue, service, timers
from engine.cases.views import CaseView
from engine.context import Prflow

THAI_NAMES = [
    "สมชาย ใจดี", "มาลี ศรีสุข", "ประเสริฐ วงศ์ไทย", "สุดา แก้วมณี", "วิชัย ทองคำ",
    "นภา รุ่งเรือง", "อนันต์ สายสุวรรณ", "พรทิพย์ บุญมา", "ธีระ มั่นคง", "กาญจนา พูลสวัสดิ์",
    "ชัยวัฒน์ ปัญญาดี", "รัตนา จันทร์เพ็ญ", "สมศักดิ์ ดวงดี", "อรุณี แสงทอง", "ปิยะ ศักดิ์ศรี",
]  # fmt: skip
SYSTEM_PEOPLE = {"owner": "process_owner", "auditor": "auditor", "ops": "ops",
                 "supervisor": "supervisor", "admin": "admin"}  # fmt: skip
# The demo supervisor oversees the unit whose people run P6 (กพร. กรมอนามัย).
SUPERVISED_ROLE = "doh_it_officer"


@dataclass
class Story:
    """A case to start and the steps to take in it: (element id, form data)."""

    process_key: str
    start_data: dict[str, Any]
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    note: str = ""


def stories() -> list[Story]:
    now = clock.now()
    meeting_ended = (now - timedelta(hours=4)).isoformat(timespec="minutes")
    today = now.date().isoformat()
    return [
        Story("website_posting", {"title": "กรมอนามัยแนะวิธีป้องกันโรคลมแดด"}, [
            ("write_release", {"headline": "กรมอนามัยแนะวิธีป้องกันโรคลมแดด"}),
            ("consider_release", {"decision": "revise", "reason": "เพิ่มอินโฟกราฟิก"}),
            ("write_release", {"headline": "กรมอนามัยแนะวิธีป้องกันโรคลมแดด พร้อมอินโฟกราฟิก"}),
            ("consider_release", {"decision": "approve"}),
            ("send_files", {"sent_by": "email"}),
            ("upload", {"url": "https://example.go.th/news/heatstroke"}),
            ("verify", {"decision": "fix", "reason": "แก้คำบรรยายภาพ"}),
            ("upload", {"url": "https://example.go.th/news/heatstroke"}),
            ("verify", {"decision": "fix", "reason": "เพิ่มแหล่งที่มา"}),
            ("upload", {"url": "https://example.go.th/news/heatstroke"}),
            ("verify", {"decision": "ok", "checked": ["title", "content", "pictures"]}),
            ("store", {"stored_at": "https://example.go.th/archive/2569"}),
        ], "sent back once by the superior, two fixes, then stored: completed"),
        Story("news_production", {"agenda": "ประชุมผู้บริหารประจำเดือน"}, [
            ("receive_agenda", {"agenda_kind": "daily", "agenda_date": today}),
            ("select_and_assign", {"newsworthy": "yes", "news_type": "meeting_summary",
                                   "topic": "ประชุมผู้บริหารประจำเดือน",
                                   "officer": "esao-pr-officer"}),
            ("plan_news", {"category": "policy"}),
            ("collect_information", {"method": "meeting", "meeting_ended_at": meeting_ended}),
        ], "meeting ended 4 hours ago: 3-hour standard missed"),
        Story("office_website_publishing", {"subject": "ประกาศผลการจัดซื้อจัดจ้าง"}, [
            ("prepare_information", {"details": "ประกาศผลการจัดซื้อจัดจ้าง ไตรมาส ๑",
                                     "sources_cited": True, "no_copyright_infringement": True}),
            ("check_content", {"decision": "fix", "reason": "แนบเอกสารไม่ครบ"}),
        ], "content sent back to the requester"),
        Story("pr_campaign", {"campaign": "รณรงค์ลดการใช้พลาสติก"}, [
            ("study_data", {"summary": "ผลประเมินปีที่แล้วชี้ว่าโรงเรียนใช้พลาสติกมาก"}),
            ("set_issue", {"issue": "ลดการใช้พลาสติกในโรงเรียน"}),
            ("make_plan", {"channels": ["website", "facebook"], "summary": "รณรงค์ ๓ เดือน"}),
            ("design_media", {"media": "อินโฟกราฟิก ๓ ชิ้น"}),
            ("review_media", {"reviewed": True}),
            ("propose_publishing", {"subject": "ขออนุมัติเผยแพร่สื่อรณรงค์ลดการใช้พลาสติก"}),
        ], "waiting for the director's approval"),
        Story("network_communication", {"network": "อสม. จังหวัดเลย"}, [
            ("build_network", {"project": "เครือข่าย อสม. จังหวัดเลย"}),
            ("create_channel", {"channel": "กลุ่ม LINE อสม. เลย", "platform": "line"}),
            ("set_key_message", {"key_message": "ป้องกันไข้เลือดออกหน้าฝน"}),
            ("publish_on_platform", {"url": "https://example.go.th/dengue"}),
        ], "network members re-publishing"),
        Story("minister_coordination", {"order": "หนังสือสั่งการด่วน"}, [
            ("receive_order", {"received_as": "formal", "subject": "หนังสือสั่งการด่วน",
                               "document_number": "ศธ ๐๒๐๑/๑๒๓"}),
            ("consider_order", {"process": "main", "channel": "informal"}),
            ("coordinate_informally", {"formal_too": "yes", "means": ["phone", "line"],
                                       "result": "ฝ่ายการเมืองรับทราบ ขอหนังสือเป็นทางการ"}),
        ], "informal contact made, formal letter under way"),
        Story("pr_network_building", {}, [
            ("study_rules", {"summary": "ศึกษาระเบียบการแต่งตั้งเครือข่าย"}),
        ], "setting channels"),
        Story("news_publishing", {}, [("consider_issue", {"issue": "ผลงานเด่นประจำเดือน"})],
              "assigning an officer"),
        Story("coordination", {}, [], "just started"),
    ]  # fmt: skip


def run_demo(ctx: Prflow) -> None:
    logins = people(ctx)
    deployed = deployment.deploy(ctx, [ctx.settings.processes_dir], "owner")
    typer.echo(f"deployed {len(deployed)} processes "
               f"({sum(d.created for d in deployed)} new versions)\n")  # fmt: skip
    cases = play(ctx, logins, stories())
    swept = timers.sweep(ctx)
    typer.echo(f"timer sweep: {len(swept.fired)} escalation(s) fired\n")
    _print_cases([(service.show(ctx, case_id), note) for case_id, note in cases])
    _print_inboxes(ctx, logins)
    _print_overdue(ctx)
    _print_log(ctx, cases[0][0])
    chain = verify_chain(ctx.db, ctx.keyring)
    typer.echo(f"\naudit: event chains {'intact' if chain.ok else 'BROKEN'} "
               f"({chain.checked} events)")  # fmt: skip


def play(ctx: Prflow, logins: dict[str, str], told: list[Story]) -> list[tuple[int, str]]:
    """Start each story's case and take its steps as the people of its roles; case ids."""
    cases: list[tuple[int, str]] = []
    for story in told:
        starter = logins[_first_role(ctx, story.process_key)]
        case = service.start(ctx, story.process_key, story.start_data, starter)
        for element_id, data in story.steps:
            task = next(t for t in service.show(ctx, case.id).tasks
                        if t.element_id == element_id and t.status in service.OPEN)  # fmt: skip
            service.complete(ctx, task.id, data, logins[task.role])
        cases.append((case.id, story.note))
    return cases


def people(ctx: Prflow) -> dict[str, str]:
    """One person per role (login = role id with '_' as '-'); system people by role name."""
    wanted = {role.id: role.id.replace("_", "-") for role in ctx.roles}
    wanted.update({role: login for login, role in SYSTEM_PEOPLE.items()})
    for index, (role, login) in enumerate(sorted(wanted.items())):
        unit_role = SUPERVISED_ROLE if role == "supervisor" else role
        service.ensure_user(
            ctx, login=login, display_name=THAI_NAMES[index % 15],
            unit=ctx.roles.get(unit_role).unit if unit_role in ctx.roles else "prflow",
            roles=[role], actor="demo",
        )  # fmt: skip
    return wanted


def _first_role(ctx: Prflow, process_key: str) -> str:
    return min(service.process(ctx, process_key).start_lanes)


def _print_cases(cases: list[tuple[CaseView, str]]) -> None:
    typer.echo("cases")
    rows = []
    for case, note in cases:
        open_tasks = [t for t in case.tasks if t.status in service.OPEN]
        now_at = ", ".join(f"{t.element_id} ({t.role}, due {output.when(t.due_at)})"
                           for t in open_tasks) or "-"  # fmt: skip
        rows.append([str(case.id), f"{case.process_key} v{case.version}", case.status, now_at,
                     note])  # fmt: skip
    output.table(["case", "process", "status", "open step", "story"], rows)


def _print_inboxes(ctx: Prflow, logins: dict[str, str]) -> None:
    typer.echo("\ninboxes (most urgent first)")
    for login in sorted(logins.values()):
        tasks = service.inbox(ctx, actor=login)
        if tasks:
            steps = ", ".join(f"#{t.id} {t.element_id}" for t in tasks)
            typer.echo(f"  {login:22} {steps}")


def _print_overdue(ctx: Prflow) -> None:
    typer.echo("\nlate work")
    now = clock.now()
    late = overdue.overdue(ctx, now)
    output.table(
        ["task", "case", "step", "role", "due", "late (clock)", "late (office hours)"],
        [[str(t.task_id), str(t.case_id), t.element_id, t.role, output.when(t.due_at),
          _hours(now - t.due_at), _hours(t.lateness)] for t in late],
    )  # fmt: skip


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def _print_log(ctx: Prflow, case_id: int) -> None:
    typer.echo(f"\nevent log of case {case_id} (hash-chained)")
    logged = chained_events(ctx.db, case_id)
    output.table(
        ["seq", "at", "event", "actor", "hash"],
        [[str(e.seq), output.when(e.at), e.type, e.actor, e.hash[:12]] for e in logged],
    )
