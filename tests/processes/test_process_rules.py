"""The process files: they parse, follow the project rules, and match the manuals' roles.

Each rule is also shown to fail: a broken copy of a real file (edited here with lxml) must
produce a violation with the rule's name, the element's id and a message that says what to
fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.bpmn.dialects import properties_of
from engine.bpmn.process_rules import NS, RuleViolation, check_process_rules
from engine.roles import RoleCatalogue, RoleCatalogueError, UnknownRoleError

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
BPMN_FILES = sorted(PROCESSES.glob("*.bpmn"))
P6 = PROCESSES / "website_posting.bpmn"
P8 = PROCESSES / "news_production.bpmn"


@pytest.fixture(scope="module")
def roles() -> RoleCatalogue:
    return RoleCatalogue.load(PROCESSES / "roles.toml")


# --- the real files --------------------------------------------------------------------------


def test_there_is_one_file_per_manual_process() -> None:
    assert {f.stem for f in BPMN_FILES} == {
        "network_communication", "pr_campaign", "pr_network_building", "news_publishing",
        "coordination", "website_posting", "minister_coordination", "news_production",
        "office_website_publishing",
    }  # fmt: skip


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_process_parses_with_spiff_and_schema(path: Path) -> None:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(path))
    spec = parser.get_spec(path.stem)
    assert spec.name == path.stem


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_process_has_no_rule_violations(path: Path, roles: RoleCatalogue) -> None:
    assert check_process_rules(path, roles) == []


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_process_follows_file_conventions(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    processes = root.findall("bpmn:process", NS)
    assert len(processes) == 1
    process = processes[0]
    assert process.get("id") == path.stem
    assert process.get("isExecutable") == "true"
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in process.get("name", "")), "Thai name"
    assert (process.findtext("bpmn:documentation", namespaces=NS) or "").strip()
    for task in process.iterfind("bpmn:userTask", NS):
        props = _props(task)
        assert props["form"].startswith(("p", "escalation_")), task.get("id")
        assert "source" in props, task.get("id")
        assert (task.findtext("bpmn:documentation", namespaces=NS) or "").strip(), task.get("id")
    for timer in process.iter(f"{{{NS['bpmn']}}}timeDate"):
        event = timer.getparent().getparent()
        assert event.get("cancelActivity") == "false"
        assert timer.text == "due_at"


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.stem)
def test_gateway_fields_are_named_in_the_deciding_task(path: Path) -> None:
    """A branch reads a form field; the task before the gateway must document that field."""
    root = etree.parse(str(path)).getroot()
    flows = root.findall(".//bpmn:sequenceFlow", NS)
    by_target = {f.get("targetRef"): f.get("sourceRef") for f in flows}
    for flow in flows:
        condition = flow.findtext("bpmn:conditionExpression", namespaces=NS)
        if not condition:
            continue
        field = condition.split("==")[0].strip()
        deciding = root.find(f".//bpmn:userTask[@id='{by_target[flow.get('sourceRef')]}']", NS)
        assert deciding is not None, flow.get("id")
        documentation = deciding.findtext("bpmn:documentation", namespaces=NS) or ""
        assert f"`{field}`" in documentation, (flow.get("id"), field)
        assert condition.split("==")[1].strip() in documentation, (flow.get("id"), condition)


# --- the roles of the manual's steps ---------------------------------------------------------

# (process id, task id) -> the role the manual says does that step. Written from the manuals
# in /work/shared/seeds, not from the BPMN files, so a lane moved by mistake shows up here.
MANUAL_ROLES: dict[tuple[str, str], str] = {
    # P1, 000 §5.2: steps 1-4 and 6 สพป./สนข./สปข.1-8/ส.ปชส.; step 5 and 7 เครือข่ายฯ
    ("network_communication", "build_network"): "prd_pr_unit",
    ("network_communication", "create_channel"): "prd_pr_unit",
    ("network_communication", "set_key_message"): "prd_pr_unit",
    ("network_communication", "publish_on_platform"): "prd_pr_unit",
    ("network_communication", "republish"): "prd_network_member",
    ("network_communication", "answer_questions"): "prd_pr_unit",
    ("network_communication", "network_exchange"): "prd_network_member",
    # P2, 001 §9: ประชาสัมพันธ์ does every step; ผอ.สพท. approves (§5.1.7)
    ("pr_campaign", "study_data"): "esao_pr_officer",
    ("pr_campaign", "set_issue"): "esao_pr_officer",
    ("pr_campaign", "make_plan"): "esao_pr_officer",
    ("pr_campaign", "design_media"): "esao_pr_officer",
    ("pr_campaign", "review_media"): "esao_pr_officer",
    ("pr_campaign", "propose_publishing"): "esao_pr_officer",  # §9 step 6: ประชาสัมพันธ์
    ("pr_campaign", "approve_publishing"): "esao_director",
    ("pr_campaign", "publish"): "esao_pr_officer",
    ("pr_campaign", "monitor"): "esao_pr_officer",
    # P3, 001 §9: ประชาสัมพันธ์; ผอ.สพท. signs the appointment order (§5.2.4)
    ("pr_network_building", "study_rules"): "esao_pr_officer",
    ("pr_network_building", "set_channels"): "esao_pr_officer",
    ("pr_network_building", "make_register"): "esao_pr_officer",
    ("pr_network_building", "appoint_network"): "esao_director",
    ("pr_network_building", "set_criteria"): "esao_pr_officer",
    ("pr_network_building", "endorse_criteria"): "esao_director",  # §5.2.5
    ("pr_network_building", "make_joint_plan"): "esao_pr_officer",
    ("pr_network_building", "develop_media"): "esao_pr_officer",
    ("pr_network_building", "hold_activities"): "esao_pr_officer",
    ("pr_network_building", "evaluate"): "esao_pr_officer",
    # P4, 001 §9: ประชาสัมพันธ์; ผอ.สพท. approves publishing (§5.5)
    ("news_publishing", "consider_issue"): "esao_pr_officer",
    ("news_publishing", "assign_officer"): "esao_pr_officer",
    ("news_publishing", "gather_news"): "esao_pr_officer",
    ("news_publishing", "write_news"): "esao_pr_officer",
    ("news_publishing", "present_to_director"): "esao_pr_officer",
    ("news_publishing", "approve_publishing"): "esao_director",
    ("news_publishing", "publish_and_store"): "esao_pr_officer",
    ("news_publishing", "evaluate"): "esao_pr_officer",
    # P5, 001: (reading) the Administration Group's PR work; ผอ.สพท. appoints (step 4)
    ("coordination", "study_mission"): "esao_pr_officer",
    ("coordination", "analyse_work"): "esao_pr_officer",
    ("coordination", "appoint_staff"): "esao_pr_officer",
    ("coordination", "approve_appointment"): "esao_director",
    ("coordination", "prepare_information"): "esao_pr_officer",
    ("coordination", "report_results"): "esao_pr_officer",
    # P6, 002 §3-4: ผู้รับผิดชอบ writes (2) and sends the files (4.1); หัวหน้างาน/หัวหน้าฝ่าย/
    # ผอ.กพร. consider (3); the IT officer of กพร. uploads (4.2); ผู้รับผิดชอบ verifies and stores
    ("website_posting", "write_release"): "doh_web_pr_officer",
    ("website_posting", "consider_release"): "doh_release_approver",
    ("website_posting", "send_files"): "doh_web_pr_officer",
    ("website_posting", "upload"): "doh_it_officer",
    ("website_posting", "verify"): "doh_web_pr_officer",
    ("website_posting", "store"): "doh_web_pr_officer",
    # P7, 003 ความรับผิดชอบ: เจ้าหน้าที่สำนักงานรัฐมนตรี
    ("minister_coordination", "receive_order"): "mo_officer",
    ("minister_coordination", "consider_order"): "mo_officer",
    ("minister_coordination", "coordinate_informally"): "mo_officer",
    ("minister_coordination", "coordinate_formally"): "mo_officer",
    # ระบบการติดตามงาน: หัวหน้าสำนักงานรัฐมนตรี หัวหน้ากลุ่ม/งาน
    ("minister_coordination", "check_progress"): "mo_head",
    # P8, 004 หน้าที่ความรับผิดชอบ and ขั้นตอนการปฏิบัติงาน
    ("news_production", "receive_agenda"): "esao_pr_officer",
    ("news_production", "select_and_assign"): "esao_admin_director",
    ("news_production", "plan_news"): "esao_pr_officer",
    ("news_production", "collect_information"): "esao_pr_officer",
    ("news_production", "write_news"): "esao_pr_officer",
    ("news_production", "self_check"): "esao_pr_officer",
    ("news_production", "source_check"): "esao_news_source",
    # 2.4: ผอ.กลุ่มอำนวยการ หรือ รอง ผอ.สพท. หรือ ผอ.สพท.
    ("news_production", "director_check"): "esao_news_checker",
    ("news_production", "publish_news"): "esao_pr_officer",
    ("news_production", "follow_up_write_news"): "esao_admin_director",
    ("news_production", "follow_up_publish_news"): "esao_admin_director",
    # P9, 004 ภาคผนวก §5 steps 1-5
    ("office_website_publishing", "prepare_information"): "esao_requester",
    ("office_website_publishing", "check_content"): "esao_group_director",
    ("office_website_publishing", "request_permission"): "esao_requester",
    ("office_website_publishing", "permit_publication"): "esao_director",
    ("office_website_publishing", "send_file"): "esao_requester",
    ("office_website_publishing", "publish_on_website"): "esao_webmaster",
    ("office_website_publishing", "check_published"): "esao_group_director",
}


def _lanes_by_node(path: Path) -> dict[str, str]:
    """Node id -> the role of its lane (the lane's `role` property; its name is Thai)."""
    root = etree.parse(str(path)).getroot()
    return {
        (ref.text or "").strip(): properties_of(lane).get("role") or lane.get("name")
        for lane in root.iter(f"{{{NS['bpmn']}}}lane")
        for ref in lane.findall("bpmn:flowNodeRef", NS)
    }


def test_every_user_task_is_in_the_manuals_role_table() -> None:
    """No user task escapes the check against the manual (a new task needs a row above)."""
    listed = set(MANUAL_ROLES)
    for path in BPMN_FILES:
        root = etree.parse(str(path)).getroot()
        for task in root.iter(f"{{{NS['bpmn']}}}userTask"):
            assert (path.stem, task.get("id")) in listed, (path.stem, task.get("id"))


@pytest.mark.parametrize("key", sorted(MANUAL_ROLES), ids=lambda k: f"{k[0]}.{k[1]}")
def test_step_is_in_the_lane_of_the_role_the_manual_names(key: tuple[str, str]) -> None:
    process, element = key
    lanes = _lanes_by_node(PROCESSES / f"{process}.bpmn")
    assert lanes.get(element) == MANUAL_ROLES[key]


def test_p6_keeps_the_charts_loop_after_the_approval() -> None:
    """The §3 chart's upload / verify / fix-or-store loop exactly as drawn, after §4's steps
    2 (write), 3 (the superior considers, with its send-back) and 4.1 (send the files)."""
    root = etree.parse(str(P6)).getroot()
    flows = {
        (f.get("sourceRef"), f.get("targetRef")): f.findtext(
            "bpmn:conditionExpression", namespaces=NS
        )
        for f in root.iter(f"{{{NS['bpmn']}}}sequenceFlow")
    }
    tasks = {t.get("id") for t in root.iter(f"{{{NS['bpmn']}}}userTask")}
    assert tasks == {"write_release", "consider_release", "send_files", "upload", "verify", "store"}
    assert flows[("start", "write_release")] is None
    assert flows[("write_release", "consider_release")] is None
    assert flows[("release_gateway", "send_files")] == 'decision == "approve"'
    assert flows[("release_gateway", "write_release")] == 'decision == "revise"'
    assert flows[("send_files", "upload")] is None
    assert flows[("upload", "verify")] is None
    assert flows[("verify", "verify_result")] is None
    assert flows[("verify_result", "upload")] == 'decision == "fix"'
    assert flows[("verify_result", "store")] == 'decision == "ok"'
    assert flows[("store", "end")] is None


def test_p8_standards_depend_on_news_type() -> None:
    root = etree.parse(str(P8)).getroot()
    write = root.find(".//bpmn:userTask[@id='write_news']", NS)
    props = _props(write)
    assert props["due.news_type=meeting_summary"] == "meeting_ended_at + 3 hours"
    assert props["due.news_type=inspection"] == "inspection_ended_at + 24 hours"
    assert props["due.news_type=press_conference"] == "press_conference_at - 3 hours"
    publish = _props(root.find(".//bpmn:userTask[@id='publish_news']", NS))
    assert publish["due.news_type=press_conference"] == "press_conference_at + 1 hours"
    # The manual's other news have no standard: they run with no due time, not an error.
    assert "other news" in props["due_none"] and "other news" in publish["due_none"]


# --- each rule fails on a broken copy --------------------------------------------------------


def _props(task: Any) -> dict[str, str]:
    return {
        p.get("name"): p.get("value")
        for p in task.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
        )
    }


def _broken(tmp_path: Path, edit: Callable[[Any], None], source: Path = P6) -> Path:
    tree = etree.parse(str(source))
    edit(tree.getroot())
    out = tmp_path / source.name
    tree.write(str(out), xml_declaration=True, encoding="UTF-8")
    return out


def _check(
    tmp_path: Path, edit: Callable[[Any], None], roles: RoleCatalogue, source: Path = P6
) -> list[RuleViolation]:
    return check_process_rules(_broken(tmp_path, edit, source), roles)


def _one(root: Any, xpath: str) -> Any:
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) == 1, xpath
    return found[0]


def _remove(root: Any, xpath: str) -> None:
    element = _one(root, xpath)
    element.getparent().remove(element)


def _violation(violations: list[RuleViolation], rule: str, element_id: str) -> RuleViolation:
    matching = [v for v in violations if v.rule == rule and v.element_id == element_id]
    assert matching, f"no {rule} violation on {element_id}: {violations}"
    assert matching[0].line is not None and matching[0].line > 0
    return matching[0]


def test_unknown_lane_role_is_refused_with_the_known_ids(
    tmp_path: Path, roles: RoleCatalogue
) -> None:
    def edit(root: Any) -> None:
        lane = _one(root, "//bpmn:lane[@id='Lane_doh_it_officer']")
        _one(lane, ".//spiffworkflow:property[@name='role']").set("value", "it_guy")

    v = _violation(_check(tmp_path, edit, roles), "known-role", "Lane_doh_it_officer")
    assert "'it_guy'" in v.message and "doh_it_officer" in v.message and "roles.toml" in v.message


def test_node_in_no_lane_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmn:lane/bpmn:flowNodeRef[text()='verify']")

    v = _violation(_check(tmp_path, edit, roles), "lane-membership", "verify")
    assert "in no lane" in v.message and "flowNodeRef" in v.message


def test_node_in_two_lanes_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        lane = _one(root, "//bpmn:lane[@id='Lane_doh_it_officer']")
        ref = etree.SubElement(lane, f"{{{NS['bpmn']}}}flowNodeRef")
        ref.text = "verify"

    v = _violation(_check(tmp_path, edit, roles), "lane-membership", "verify")
    assert "several lanes" in v.message


def test_user_task_without_form_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmn:userTask[@id='verify']//spiffworkflow:property[@name='form']")

    v = _violation(_check(tmp_path, edit, roles), "task-form", "verify")
    assert "'form'" in v.message and "spiffworkflow:property" in v.message


def test_user_task_without_time_limit_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmn:userTask[@id='store']//spiffworkflow:property[@name='due']")

    v = _violation(_check(tmp_path, edit, roles), "task-due", "store")
    assert "'due'" in v.message and "'due_none'" in v.message


def test_unreadable_time_limit_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _one(root, "//bpmn:userTask[@id='upload']//spiffworkflow:property[@name='due']").set(
            "value", "soon-ish"
        )

    v = _violation(_check(tmp_path, edit, roles), "task-due", "upload")
    assert "soon-ish" in v.message


def test_unreadable_case_dependent_limit_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        xpath = "//bpmn:userTask[@id='write_news']//spiffworkflow:property"
        _one(root, f"{xpath}[@name='due.news_type=inspection']").set("value", "asap")

    v = _violation(_check(tmp_path, edit, roles, P8), "task-due", "write_news")
    assert "due.news_type=inspection" in v.message and "asap" in v.message


def test_gateway_branch_without_condition_or_default_is_refused(
    tmp_path: Path, roles: RoleCatalogue
) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmn:sequenceFlow[@id='Flow_fix']/bpmn:conditionExpression")

    v = _violation(_check(tmp_path, edit, roles), "gateway-branches", "Flow_fix")
    assert "verify_result" in v.message and "default" in v.message
    assert "conditionExpression" in v.message


def test_gateway_default_flow_needs_no_condition(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmn:sequenceFlow[@id='Flow_ok']/bpmn:conditionExpression")
        _one(root, "//bpmn:exclusiveGateway[@id='verify_result']").set("default", "Flow_ok")

    assert _check(tmp_path, edit, roles) == []


def test_unreachable_step_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmn:sequenceFlow[@id='Flow_ok']")
        _remove(root, "//bpmn:exclusiveGateway/bpmn:outgoing[text()='Flow_ok']")
        _remove(root, "//bpmn:userTask[@id='store']/bpmn:incoming")

    v = _violation(_check(tmp_path, edit, roles), "reachable", "store")
    assert "start event" in v.message and "sequence flow" in v.message


def test_step_that_cannot_end_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmn:sequenceFlow[@id='Flow_store_end']")
        _remove(root, "//bpmn:userTask[@id='store']/bpmn:outgoing")
        _remove(root, "//bpmn:endEvent[@id='end']/bpmn:incoming")

    v = _violation(_check(tmp_path, edit, roles), "can-end", "store")
    assert "end event" in v.message


def test_escalation_path_counts_as_reachable(roles: RoleCatalogue) -> None:
    """Follow-up tasks hang off boundary timers; they are reached through the attachment."""
    assert not [v for v in check_process_rules(P8, roles) if v.rule in {"reachable", "can-end"}]


def test_node_without_shape_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmndi:BPMNShape[@bpmnElement='verify']")

    v = _violation(_check(tmp_path, edit, roles), "diagram", "verify")
    assert "BPMNShape" in v.message


def test_flow_without_edge_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        _remove(root, "//bpmndi:BPMNEdge[@bpmnElement='Flow_fix']")

    v = _violation(_check(tmp_path, edit, roles), "diagram", "Flow_fix")
    assert "BPMNEdge" in v.message


def test_shape_outside_its_lane_is_refused(tmp_path: Path, roles: RoleCatalogue) -> None:
    def edit(root: Any) -> None:
        bounds = _one(root, "//bpmndi:BPMNShape[@bpmnElement='store']/dc:Bounds")
        bounds.set("y", str(float(bounds.get("y")) + 400))

    v = _violation(_check(tmp_path, edit, roles), "diagram", "store")
    assert "outside its lane" in v.message and "doh_web_pr_officer" in v.message


# --- the role catalogue ------------------------------------------------------------------------


def test_catalogue_lists_every_lane_role(roles: RoleCatalogue) -> None:
    used = {role for path in BPMN_FILES for role in _lanes_by_node(path).values()}
    assert used <= {role.id for role in roles}
    assert roles.get("doh_it_officer").th == "เจ้าหน้าที่งาน IT ของ กพร."


def test_unknown_role_lookup_names_the_known_ids(roles: RoleCatalogue) -> None:
    with pytest.raises(UnknownRoleError, match="esao_pr_officer"):
        roles.get("nobody")
    assert "nobody" not in roles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[roles.pr_officer]\nth = "x"\nen = "y"\n', r"\[roles\.pr_officer\].*'unit'"),
        ('[roles.PR-Officer]\nth = "x"\nen = "y"\nunit = "z"\n', r"PR-Officer.*snake_case"),
        ('[roles.pr_officer]\nth = "x"\nen = "y"\nunit = "z"\ncolour = "red"\n', "colour"),
        ("[roles\n", "not valid TOML"),
        ('title = "no roles"\n', r"no \[roles"),
    ],
)
def test_bad_catalogue_names_file_and_entry(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RoleCatalogueError, match=expected) as caught:
        RoleCatalogue.load(path)
    assert str(path) in str(caught.value)
