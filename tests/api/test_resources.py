"""Case, deadline, process and audit routes over real HTTP, with each error status, and the
error format itself (problem JSON, language, unknown routes)."""

from __future__ import annotations

from engine.cases import service
from tests.api.conftest import Api
from tests.factories import P6, open_task

P6_XML = P6.read_bytes()  # the version populate() deployed


def test_start_a_case_read_it_and_its_timeline(api: Api) -> None:
    malee = api.client("malee")
    started = malee.post("/api/v1/cases", json={"process": "website_posting",
                                                "data": {"title": "ข่าวกรมอนามัย"}})  # fmt: skip
    assert started.status_code == 201, started.text
    case = started.json()
    assert case["data"] == {"title": "ข่าวกรมอนามัย"}
    assert [t["element_id"] for t in case["tasks"]] == ["upload"]
    assert malee.get(f"/api/v1/cases/{case['id']}").json()["status"] == "running"
    timeline = malee.get(f"/api/v1/cases/{case['id']}/timeline").json()
    assert [e["type"] for e in timeline["entries"]] == ["case_started", "task_ready"]
    assert api.client("auditor").get(f"/api/v1/cases/{case['id']}").status_code == 200
    assert api.client("admin").get(f"/api/v1/cases/{case['id']}").status_code == 403
    assert malee.get("/api/v1/cases/999").status_code == 404
    assert malee.get("/api/v1/cases/999/timeline").status_code == 404


def test_starting_a_case_refuses_bad_input_and_wrong_people(api: Api) -> None:
    malee = api.client("malee")
    unknown = malee.post("/api/v1/cases", json={"process": "no_such", "data": {}})
    assert unknown.status_code == 404
    assert "deploy it with" in unknown.json()["detail"]
    not_object = malee.post("/api/v1/cases", json={"process": "website_posting", "data": 3})
    assert not_object.status_code == 422
    assert not_object.json()["errors"][0]["field"] == "body.data"
    assert malee.post("/api/v1/cases", content=b"{", headers={"Content-Type": "application/json"}
                      ).status_code == 422  # fmt: skip
    assert api.client("auditor").post(
        "/api/v1/cases", json={"process": "website_posting"}).status_code == 403  # fmt: skip
    assert service.inbox(api.ctx, role="doh_it_officer") == []


def test_suspend_resume_and_cancel_a_case_with_a_reason(api: Api) -> None:
    case_id = service.start(api.ctx, "website_posting", {"title": "ข่าว"}, "malee").id
    owner, somchai = api.client("owner"), api.client("somchai")
    task_id = open_task(api.ctx, case_id).id
    held = owner.post(f"/api/v1/cases/{case_id}/suspend", json={"reason": "รอเอกสาร"})
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "suspended"
    assert held.json()["actions"] == ["cancel", "resume", "view_case"]
    assert somchai.post(f"/api/v1/tasks/{task_id}/claim").status_code == 409
    again = owner.post(f"/api/v1/cases/{case_id}/suspend", json={"reason": "ซ้ำ"})
    assert again.status_code == 409 and "suspended" in again.json()["detail"]
    assert owner.post(f"/api/v1/cases/{case_id}/resume", json={"reason": ""}).status_code == 422
    assert owner.post(f"/api/v1/cases/{case_id}/resume", json={"reason": "ครบ"}).status_code == 200
    assert somchai.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert somchai.post(f"/api/v1/cases/{case_id}/cancel", json={"reason": "x"}).status_code == 403
    gone = owner.post(f"/api/v1/cases/{case_id}/cancel", json={"reason": "ซ้ำกับเรื่องเดิม"})
    assert gone.json()["status"] == "cancelled"
    assert [t["status"] for t in gone.json()["tasks"]] == ["cancelled"]
    timeline = owner.get(f"/api/v1/cases/{case_id}/timeline").json()
    assert [e["type"] for e in timeline["entries"]][2:] == [
        "case_suspended",
        "case_resumed",
        "task_claimed",
        "case_cancelled",
        "task_cancelled",
    ]
    assert owner.post("/api/v1/cases/999/cancel", json={"reason": "x"}).status_code == 404


def test_deadline_boards_are_for_ops_supervisors_and_auditors(api: Api) -> None:
    service.start(api.ctx, "website_posting", {"title": "x"}, "malee")
    ops = api.client("ops")
    assert ops.get("/api/v1/overdue").json() == []  # due tomorrow
    assert ops.get("/api/v1/due-soon").status_code == 200
    report = ops.get("/api/v1/reports/on-time", params={"process": "website_posting"}).json()
    assert (report["total"], report["target"]) == (0, 0.8)
    assert ops.get("/api/v1/overdue", params={"role": "nobody"}).status_code == 422
    backwards = ops.get("/api/v1/reports/on-time", params={
        "since": "2026-02-01T00:00:00+07:00", "until": "2026-01-01T00:00:00+07:00"})  # fmt: skip
    assert backwards.status_code == 422
    assert ops.get("/api/v1/reports/on-time", params={"since": "yesterday"}).status_code == 422
    for path in ("/api/v1/overdue", "/api/v1/due-soon", "/api/v1/reports/on-time"):
        assert api.client("somchai").get(path).status_code == 403


def test_deploy_uploads_and_reports_problems_without_deploying(api: Api) -> None:
    owner = api.client("owner")
    same = owner.post("/api/v1/processes", files=[("files", ("website_posting.bpmn", P6_XML))])
    assert same.status_code == 200  # unchanged: no new version
    assert same.json()[0]["created"] is False
    changed = P6_XML.replace(b"</bpmn:definitions>", b"<!-- v2 --></bpmn:definitions>")
    new = owner.post("/api/v1/processes", files=[("files", ("website_posting.bpmn", changed))])
    assert new.status_code == 201
    assert new.json()[0]["version"] == 2
    broken = P6_XML.replace(b'targetRef="store"', b'targetRef="stroe"')
    refused = owner.post("/api/v1/processes", files=[("files", ("mine.bpmn", broken))])
    assert refused.status_code == 422
    problem = refused.json()["problems"][0]
    assert problem["file"] == "mine.bpmn" and problem["line"] and "stroe" in problem["message"]
    versions = owner.get("/api/v1/processes/website_posting/versions").json()
    assert [v["version"] for v in versions] == [1, 2]  # nothing deployed by the refused upload
    assert owner.get("/api/v1/processes/nope/versions").status_code == 404
    not_bpmn = owner.post("/api/v1/processes", files=[("files", ("x.txt", b"hello"))])
    assert not_bpmn.status_code == 422
    assert owner.post("/api/v1/processes").status_code == 422
    assert (
        api.client("malee")
        .post("/api/v1/processes", files=[("files", ("website_posting.bpmn", changed))])
        .status_code
        == 403
    )
    assert len(api.client("malee").get("/api/v1/processes").json()) == 2


def test_audit_verify_and_export_are_for_auditors(api: Api) -> None:
    case_id = service.start(api.ctx, "website_posting", {"title": "x"}, "malee").id
    service.complete(api.ctx, open_task(api.ctx, case_id).id, {"url": "u"}, "somchai")
    auditor = api.client("auditor")
    report = auditor.get("/api/v1/audit/verify").json()
    assert report["ok"] and report["checked"] > 0
    csv = auditor.get("/api/v1/audit/export", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "upload" in csv.text
    xes = auditor.get("/api/v1/audit/export", params={"format": "xes"})
    assert xes.headers["content-type"] == "application/xml"
    assert auditor.get("/api/v1/audit/export", params={"format": "pdf"}).status_code == 422
    for path in ("/api/v1/audit/verify", "/api/v1/audit/export"):
        assert api.client("ops").get(path).status_code == 403


def test_errors_are_problem_json_in_the_askers_language(sqlite_api: Api) -> None:
    thai = sqlite_api.client("malee").get("/api/v1/tasks/999")
    assert thai.headers["content-type"] == "application/problem+json"
    assert thai.json()["title"] == "ไม่พบสิ่งที่ต้องการ"
    assert "task 999" in thai.json()["detail"]
    english = sqlite_api.client("malee", **{"Accept-Language": "en-GB,th;q=0.5"})
    assert english.get("/api/v1/tasks/999").json()["title"] == "Not found"
    chosen = sqlite_api.client("malee", Cookie="prflow_lang=en")
    assert chosen.get("/api/v1/tasks/999").json()["title"] == "Not found"
    nowhere = sqlite_api.client("malee").get("/api/v1/nowhere")
    assert (nowhere.status_code, nowhere.json()["type"]) == (404, "/problems/not-found")
    wrong_method = sqlite_api.client("malee").delete("/api/v1/tasks")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["status"] == 405
