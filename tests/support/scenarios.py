"""Whole cases written as the manuals' steps, and a driver that plays them on the engine.

A :class:`Scenario` is one path through one process: the data the case starts with and, in
order, every user task that must open (element id and the role the manual names for that
step) with the form data its completion carries. :func:`drive` plays a scenario through the
real service layer (``start``, ``inbox``, ``complete``, ``show``) at a frozen instant, so due
times are deterministic, and fails with the scenario's name and step number as soon as the
engine opens anything else.

:data:`SCENARIOS` takes every outgoing flow of every exclusive gateway and every send-back
loop of the nine processes at least once; ``tests/processes/test_paths.py`` proves it from
the diagrams, so a branch added to a diagram without a scenario fails the suite.

Usage::

    add_people(ctx, people_for_all_roles())
    deploy(ctx, REPO_PROCESSES_DIR)
    case_id = drive(ctx, scenario, people_for_all_roles())
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from freezegun import freeze_time

from engine.cases import service
from engine.cases.views import CaseView, TaskView
from engine.context import Prflow
from engine.forms.definitions import FormCatalogue
from engine.roles import RoleCatalogue
from engine.settings import REPO_PROCESSES_DIR
from tests.support.form_data import filled

__all__ = [
    "MONDAY_MORNING",
    "SCENARIOS",
    "Scenario",
    "ScenarioFailed",
    "Step",
    "drive",
    "login_for",
    "people_for_all_roles",
    "scenario",
]

# Monday 9 March 2026, 09:00 in Bangkok: a plain working day (no holiday that week), so
# working-day limits and P8's clock-time standards both land on simple instants.
MONDAY_MORNING = "2026-03-09T02:00:00+00:00"

Ends = Literal["completed", "running"]


class ScenarioFailed(AssertionError):
    """The engine did not do what the scenario says the manual does."""


@dataclass(frozen=True)
class Step:
    """One user task that must be the case's only open task, and how it is completed.

    ``role`` is the manual's role for the step (a ``roles.toml`` id); ``data`` is the form
    data, including the decision fields the following gateway reads; ``drive`` fills the
    form's other required fields with valid values (``tests.support.form_data``).
    """

    element_id: str
    role: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """One path through one process, played at the frozen instant ``at`` (ISO, with offset).

    ``ends="completed"``: after the last step the case is completed with no task open.
    ``ends="running"``: the case is still running after the last step (a prefix of a case,
    e.g. to test timers); open tasks are then the caller's to check.
    """

    name: str
    process_key: str
    start_data: Mapping[str, Any]
    steps: list[Step]
    ends: Ends = "completed"
    at: str = MONDAY_MORNING


def people_for_all_roles(
    roles_file: Path = REPO_PROCESSES_DIR / "roles.toml",
) -> dict[str, list[str]]:
    """One user per catalogue role, login ``u_<role>``, plus ``owner`` (process_owner).

    The result is the ``people`` argument of ``tests.factories.add_people`` and of
    :func:`drive`.
    """
    people = {f"u_{role}": [role] for role in RoleCatalogue.load(roles_file).ids}
    people["owner"] = ["process_owner"]
    return people


def login_for(role: str, people: Mapping[str, list[str]]) -> str:
    """The login that acts for ``role``: ``u_<role>`` if it holds it, else the first holder."""
    preferred = f"u_{role}"
    if role in people.get(preferred, ()):
        return preferred
    for login in sorted(people):
        if role in people[login]:
            return login
    raise ScenarioFailed(f"nobody in people holds role {role!r}; add a user with it")


def drive(ctx: Prflow, scenario: Scenario, people: Mapping[str, list[str]]) -> int:
    """Play ``scenario`` on ``ctx`` and return the case id.

    The processes must be deployed and ``people`` added (``tests.factories``). The case is
    started by the holder of the first step's role (a lane role, as ``start`` requires).
    Before each step the case must have exactly one open task, with the step's element id
    and role, and it must be in the acting user's inbox; it is then completed by that user
    with the step's data. At the end the case status must match ``scenario.ends``.
    """
    if not scenario.steps:
        raise ScenarioFailed(f"{scenario.name}: a scenario needs at least one step")
    with freeze_time(scenario.at):
        starter = login_for(scenario.steps[0].role, people)
        case = service.start(ctx, scenario.process_key, dict(scenario.start_data), starter)
        for number, step in enumerate(scenario.steps, start=1):
            where = f"{scenario.name}, step {number} ({step.element_id})"
            task = _the_open_task(ctx, case.id, step, where)
            actor = login_for(step.role, people)
            # The task must reach the person, not just exist: the inbox is the worklist.
            if task.id not in {t.id for t in service.inbox(ctx, actor=actor)}:
                raise ScenarioFailed(f"{where}: task {task.id} is not in {actor}'s inbox")
            data = filled(_forms().get(task.form or ""), step.data, lambda r: login_for(r, people))
            service.complete(ctx, task.id, data, actor)
        done = service.show(ctx, case.id)
    left = _open_tasks(done)
    if scenario.ends == "completed" and (done.status != "completed" or left):
        raise ScenarioFailed(
            f"{scenario.name}: after the last step the case is {done.status} with open "
            f"tasks {_describe(left)}; expected completed with none"
        )
    if scenario.ends == "running" and done.status != "running":
        raise ScenarioFailed(f"{scenario.name}: the case is {done.status}, expected running")
    return case.id


@cache
def _forms() -> FormCatalogue:
    return FormCatalogue.load([REPO_PROCESSES_DIR / "forms"])


def scenario(name: str) -> Scenario:
    """The scenario of :data:`SCENARIOS` with this name."""
    for candidate in SCENARIOS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no scenario {name!r}; known: {', '.join(s.name for s in SCENARIOS)}")


def _open_tasks(case: CaseView) -> list[TaskView]:
    return [t for t in case.tasks if t.status in service.OPEN]


def _describe(tasks: list[TaskView]) -> str:
    return "[" + ", ".join(f"{t.element_id} ({t.role})" for t in tasks) + "]"


def _the_open_task(ctx: Prflow, case_id: int, step: Step, where: str) -> TaskView:
    case = service.show(ctx, case_id)
    left = _open_tasks(case)
    if case.status != "running" or len(left) != 1:
        raise ScenarioFailed(
            f"{where}: expected the single open task {step.element_id} ({step.role}); the "
            f"case is {case.status} with open tasks {_describe(left)}"
        )
    task = left[0]
    if (task.element_id, task.role) != (step.element_id, step.role):
        raise ScenarioFailed(
            f"{where}: expected {step.element_id} ({step.role}), "
            f"the engine opened {task.element_id} ({task.role})"
        )
    return task


# --- the scenarios ---------------------------------------------------------------------------
# Roles, as the manuals name them (tests/processes/test_process_rules.py MANUAL_ROLES).
PRD_UNIT, NETWORK = "prd_pr_unit", "prd_network_member"
PR, DIRECTOR, ADMIN_DIRECTOR = "esao_pr_officer", "esao_director", "esao_admin_director"
NEWS_SOURCE, REQUESTER = "esao_news_source", "esao_requester"
GROUP_DIRECTOR, WEBMASTER = "esao_group_director", "esao_webmaster"
DOH_IT, DOH_PR, DOH_APPROVER = "doh_it_officer", "doh_web_pr_officer", "doh_release_approver"
MO_OFFICER, MO_HEAD = "mo_officer", "mo_head"
NEWS_CHECKER = "esao_news_checker"

OK: Mapping[str, str] = {"decision": "ok"}
FIX: Mapping[str, str] = {"decision": "fix", "reason": "แก้ไขตามข้อสังเกต"}
APPROVE: Mapping[str, str] = {"decision": "approve"}
REVISE: Mapping[str, str] = {"decision": "revise", "reason": "ปรับปรุงตามข้อสังเกต"}

# P8 event times, consistent with MONDAY_MORNING (09:00 +07:00): the meeting ended half an
# hour ago (write_news due 11:30), the inspection at 08:00 (due Tuesday 08:00), the press
# conference is Tuesday 14:00 (production due Tuesday 11:00). No standard has passed while
# a scenario is played at the frozen instant, so no escalation timer fires.
P8_MEETING_ENDED_AT = "2026-03-09T08:30:00+07:00"
P8_INSPECTION_ENDED_AT = "2026-03-09T08:00:00+07:00"
P8_PRESS_CONFERENCE_AT = "2026-03-10T14:00:00+07:00"


def _p1(answers: list[str]) -> Scenario:
    """P1: publish, then the network re-publishes; each "yes" is one question round."""
    steps = [
        Step("build_network", PRD_UNIT, {"project": "เครือข่ายสื่อมวลชนภูมิภาค"}),
        Step("create_channel", PRD_UNIT, {"channel": "LINE OpenChat"}),
        Step("set_key_message", PRD_UNIT, {"key_message": "มาตรการป้องกันฝุ่น PM2.5"}),
        Step("publish_on_platform", PRD_UNIT, {"url": "https://example.go.th/pm25"}),
    ]
    for answer in answers:
        steps.append(Step("republish", NETWORK, {"questions": answer}))
        if answer == "yes":
            steps += [
                Step("answer_questions", PRD_UNIT, {"answer": "ตอบข้อสอบถามแล้ว"}),
                Step("network_exchange", NETWORK, {}),
            ]
    return Scenario(f"p1_questions_{'_'.join(answers)}", "network_communication", {}, steps)


def _p8(name: str, news_type: str, checks: list[tuple[str, Mapping[str, str]]]) -> Scenario:
    """P8 for one news type; ``checks`` are the check tasks after each writing, in order."""
    assign: dict[str, str] = {"newsworthy": "yes", "news_type": news_type}
    collected: dict[str, str] = {"method": "documents"}
    if news_type == "press_conference":
        assign["press_conference_at"] = P8_PRESS_CONFERENCE_AT
    elif news_type == "meeting_summary":
        collected.update(method="meeting", meeting_ended_at=P8_MEETING_ENDED_AT)
    elif news_type == "inspection":
        collected.update(method="inspection", inspection_ended_at=P8_INSPECTION_ENDED_AT)
    steps = [
        Step("receive_agenda", PR, {}),
        Step("select_and_assign", ADMIN_DIRECTOR, assign),
        Step("plan_news", PR, {"category": "proactive"}),
        Step("collect_information", PR, collected),
        Step("write_news", PR, {"headline": "ผอ.สพป.เลย เขต 3 ประชุมผู้บริหารสถานศึกษา"}),
    ]
    roles = {"self_check": PR, "source_check": NEWS_SOURCE, "director_check": NEWS_CHECKER}
    for element_id, data in checks:
        steps.append(Step(element_id, roles[element_id], data))
        if data["decision"] == "fix":
            steps.append(Step("write_news", PR, {"headline": "ฉบับแก้ไข"}))
    steps.append(Step("publish_news", PR, {"channels": ["website", "facebook", "line"]}))
    return Scenario(name, "news_production", {"title": "วาระงานประจำวัน"}, steps)


_ALL_CHECKS_OK = [("self_check", OK), ("source_check", OK), ("director_check", OK)]

SCENARIOS: list[Scenario] = [
    # P1: two question rounds (the loop back to republish, taken twice), then none.
    _p1(["yes", "yes", "no"]),
    # P2: the director sends the media back once, then approves.
    Scenario(
        "p2_revise_then_approve",
        "pr_campaign",
        {"title": "รณรงค์รับสมัครนักเรียน"},
        [
            Step("study_data", PR, {}),
            Step("set_issue", PR, {"issue": "รับสมัครนักเรียน"}),
            Step("make_plan", PR, {}),
            Step("design_media", PR, {"media": "infographic"}),
            Step("review_media", PR, {}),
            Step("propose_publishing", PR, {}),
            Step("approve_publishing", DIRECTOR, REVISE),
            Step("design_media", PR, {"media": "infographic v2"}),
            Step("review_media", PR, {}),
            Step("propose_publishing", PR, {}),
            Step("approve_publishing", DIRECTOR, APPROVE),
            Step("publish", PR, {}),
            Step("monitor", PR, {}),
        ],
    ),
    # P3: the director does not sign the first register, signs the revised one; sends the
    # joint criteria back once (§5.2.5), then endorses them.
    Scenario(
        "p3_revise_then_approve",
        "pr_network_building",
        {"title": "เครือข่ายประชาสัมพันธ์โรงเรียน"},
        [
            Step("study_rules", PR, {}),
            Step("set_channels", PR, {}),
            Step("make_register", PR, {"members": 12}),
            Step("appoint_network", DIRECTOR, REVISE),
            Step("make_register", PR, {"members": 14}),
            Step("appoint_network", DIRECTOR, APPROVE),
            Step("set_criteria", PR, {}),
            Step("endorse_criteria", DIRECTOR, REVISE),
            Step("set_criteria", PR, {}),
            Step("endorse_criteria", DIRECTOR, APPROVE),
            Step("make_joint_plan", PR, {}),
            Step("develop_media", PR, {}),
            Step("hold_activities", PR, {}),
            Step("evaluate", PR, {}),
        ],
    ),
    # P4: the director sends the news back to writing once, then approves.
    Scenario(
        "p4_revise_then_approve",
        "news_publishing",
        {"title": "ผลงานเด่นประจำเดือน"},
        [
            Step("consider_issue", PR, {}),
            Step("assign_officer", PR, {"officer": "u_esao_pr_officer"}),
            Step("gather_news", PR, {}),
            Step("write_news", PR, {}),
            Step("present_to_director", PR, {}),
            Step("approve_publishing", DIRECTOR, REVISE),
            Step("write_news", PR, {}),
            Step("present_to_director", PR, {}),
            Step("approve_publishing", DIRECTOR, APPROVE),
            Step("publish_and_store", PR, {}),
            Step("evaluate", PR, {}),
        ],
    ),
    # P5: the director sends the appointment back once, then approves.
    Scenario(
        "p5_revise_then_approve",
        "coordination",
        {"title": "ประสานงานการประชุมเครือข่ายสถานศึกษา"},
        [
            Step("study_mission", PR, {}),
            Step("analyse_work", PR, {}),
            Step("appoint_staff", PR, {}),
            Step("approve_appointment", DIRECTOR, REVISE),
            Step("appoint_staff", PR, {}),
            Step("approve_appointment", DIRECTOR, APPROVE),
            Step("prepare_information", PR, {}),
            Step("report_results", PR, {}),
        ],
    ),
    # P6: the superior sends the release back once (§4 step 3), then the chart's loop: two
    # fixes (taken twice), then ok.
    Scenario(
        "p6_revise_fix_fix_ok",
        "website_posting",
        {"title": "ข่าวกรมอนามัย"},
        [
            Step("write_release", DOH_PR, {"headline": "กรมอนามัยแนะวิธีป้องกันโรคลมแดด"}),
            Step("consider_release", DOH_APPROVER, REVISE),
            Step("write_release", DOH_PR, {"headline": "กรมอนามัยแนะ 5 วิธีป้องกันโรคลมแดด"}),
            Step("consider_release", DOH_APPROVER, APPROVE),
            Step("send_files", DOH_PR, {}),
            *(
                step
                for _ in range(2)
                for step in (
                    Step("upload", DOH_IT, {"url": "https://example.go.th/news/1"}),
                    Step("verify", DOH_PR, FIX),
                )
            ),
            Step("upload", DOH_IT, {"url": "https://example.go.th/news/1"}),
            Step("verify", DOH_PR, OK),
            Step("store", DOH_PR, {}),
        ],
    ),
    # P7: informal only; formal only; both in one matter (informal, then formal too), where
    # the head's follow-up asks for more coordination once.
    Scenario(
        "p7_informal",
        "minister_coordination",
        {"title": "ข้อสั่งการรัฐมนตรี"},
        [
            Step("receive_order", MO_OFFICER, {}),
            Step("consider_order", MO_OFFICER, {"process": "main", "channel": "informal"}),
            Step("coordinate_informally", MO_OFFICER, {"formal_too": "no"}),
            Step("check_progress", MO_HEAD, OK),
        ],
    ),
    Scenario(
        "p7_formal",
        "minister_coordination",
        {"title": "ข้อสั่งการรัฐมนตรี"},
        [
            Step("receive_order", MO_OFFICER, {}),
            Step("consider_order", MO_OFFICER, {"process": "support", "channel": "formal"}),
            Step("coordinate_formally", MO_OFFICER, {}),
            Step("check_progress", MO_HEAD, OK),
        ],
    ),
    Scenario(
        "p7_both_then_more",
        "minister_coordination",
        {"title": "ข้อสั่งการรัฐมนตรี"},
        [
            Step("receive_order", MO_OFFICER, {}),
            Step("consider_order", MO_OFFICER, {"process": "main", "channel": "informal"}),
            Step("coordinate_informally", MO_OFFICER, {"formal_too": "yes"}),
            Step("coordinate_formally", MO_OFFICER, {}),
            Step("check_progress", MO_HEAD, FIX),
            Step("consider_order", MO_OFFICER, {"process": "main", "channel": "formal"}),
            Step("coordinate_formally", MO_OFFICER, {}),
            Step("check_progress", MO_HEAD, OK),
        ],
    ),
    # P8: not newsworthy; then each news type, each taking one check's send-back.
    Scenario(
        "p8_not_newsworthy",
        "news_production",
        {"title": "วาระงานประจำวัน"},
        [
            Step("receive_agenda", PR, {}),
            Step("select_and_assign", ADMIN_DIRECTOR, {"newsworthy": "no"}),
        ],
    ),
    _p8("p8_meeting_summary_self_fix", "meeting_summary", [("self_check", FIX), *_ALL_CHECKS_OK]),
    _p8(
        "p8_inspection_source_fix",
        "inspection",
        [("self_check", OK), ("source_check", FIX), *_ALL_CHECKS_OK],
    ),
    _p8(
        "p8_press_conference_director_fix",
        "press_conference",
        [("self_check", OK), ("source_check", OK), ("director_check", FIX), *_ALL_CHECKS_OK],
    ),
    # P8: news the manual gives no service standard (proactive news) still runs to its end.
    _p8("p8_other_news_no_standard", "other", _ALL_CHECKS_OK),
    # P9: content fix, then permission revise (back to step 1), then published fix, then ok.
    Scenario(
        "p9_fixes_then_published",
        "office_website_publishing",
        {"title": "ประกาศรับสมัครครูอัตราจ้าง"},
        [
            Step("prepare_information", REQUESTER, {}),
            Step("check_content", GROUP_DIRECTOR, FIX),
            Step("prepare_information", REQUESTER, {}),
            Step("check_content", GROUP_DIRECTOR, OK),
            Step("request_permission", REQUESTER, {}),
            Step("permit_publication", DIRECTOR, REVISE),
            Step("prepare_information", REQUESTER, {}),
            Step("check_content", GROUP_DIRECTOR, OK),
            Step("request_permission", REQUESTER, {}),
            Step("permit_publication", DIRECTOR, {"decision": "permit"}),
            Step("send_file", REQUESTER, {"sent_by": "email"}),
            Step("publish_on_website", WEBMASTER, {}),
            Step("check_published", GROUP_DIRECTOR, FIX),
            Step("send_file", REQUESTER, {"sent_by": "email"}),
            Step("publish_on_website", WEBMASTER, {}),
            Step("check_published", GROUP_DIRECTOR, OK),
        ],
    ),
    # P9: the director refuses; the case ends unpublished.
    Scenario(
        "p9_refused",
        "office_website_publishing",
        {"title": "ข้อมูลที่ไม่อนุญาตให้เผยแพร่"},
        [
            Step("prepare_information", REQUESTER, {}),
            Step("check_content", GROUP_DIRECTOR, OK),
            Step("request_permission", REQUESTER, {}),
            Step("permit_publication", DIRECTOR, {"decision": "refuse"}),
        ],
    ),
]
