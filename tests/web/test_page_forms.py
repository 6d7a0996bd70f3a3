"""Page forms over real HTTP (no browser needed): signed-out redirects, CSRF on page forms,
deploying from the process page with problems shown in place, the audit page, roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from engine.accounts import passwords
from engine.cases import deployment, service
from tests.factories import P6
from tests.web.conftest import PASSWORD, Site

BROKEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="broken" isExecutable="true"><bpmn:startEvent id="start"/></bpmn:process>
</bpmn:definitions>"""


@contextmanager
def _client(site: Site, login: str) -> Iterator[httpx.Client]:
    """A client signed in through the sign-in form, as a browser would."""
    with httpx.Client(base_url=site.url, follow_redirects=False) as client:
        token = _csrf(client.get("/sign-in").text)
        signed = client.post("/sign-in", data={"login": login, "password": PASSWORD,
                                               "csrf_token": token})  # fmt: skip
        assert signed.status_code == 303, signed.text
        yield client


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@pytest.fixture
def owner(site: Site) -> Iterator[httpx.Client]:
    passwords.set_password(site.ctx, "owner", PASSWORD)
    with _client(site, "owner") as client:
        yield client


def test_signed_out_pages_go_to_sign_in_and_forms_are_refused(site: Site) -> None:
    with httpx.Client(base_url=site.url, follow_redirects=False) as anonymous:
        assert anonymous.get("/").headers["location"] == "/sign-in"
        for path in ("/tasks/1", "/cases/1", "/overdue", "/processes", "/audit"):
            response = anonymous.get(path, headers={"accept": "text/html"})
            assert response.status_code == 303, path
            assert response.headers["location"] == f"/sign-in?next={path.replace('/', '%2F')}"
        assert anonymous.post("/tasks/bulk-claim", data={"task": "1"}).status_code == 401


def test_page_forms_need_the_session_token(site: Site) -> None:
    with _client(site, "somchai") as officer:
        refused = officer.post("/tasks/bulk-claim", data={"task": "1", "csrf_token": "forged"},
                               headers={"accept": "text/html"})  # fmt: skip
        assert refused.status_code == 403
        assert "รหัสความปลอดภัยของแบบฟอร์มไม่ถูกต้อง" in refused.text
        token = _csrf(officer.get("/").text)
        nothing = officer.post("/tasks/bulk-claim", data={"csrf_token": token})
        assert nothing.headers["location"] == "/?done=none_selected"


def test_owner_deploys_from_the_page_and_sees_problems_in_place(
    site: Site, owner: httpx.Client
) -> None:
    page = owner.get("/processes")
    assert "การสื่อสารประชาสัมพันธ์ทางเว็บไซต์" in page.text and 'type="file"' in page.text
    token = _csrf(page.text)
    refused = owner.post("/processes", data={"csrf_token": token},
                         files={"files": ("broken.bpmn", BROKEN, "application/xml")})  # fmt: skip
    assert refused.status_code == 422
    assert 'id="problems"' in refused.text and "broken.bpmn" in refused.text
    assert {v.key for v in deployment.versions(site.ctx)} == {"website_posting"}

    p6 = P6.read_bytes()  # the version the site deployed
    same = owner.post("/processes", data={"csrf_token": token},
                      files={"files": ("website_posting.bpmn", p6, "application/xml")})  # fmt: skip
    assert same.headers["location"] == "/processes?done=unchanged"
    assert "ไม่มีการเปลี่ยนแปลง" in owner.get(same.headers["location"]).text


def test_pages_follow_the_permission_function(site: Site, owner: httpx.Client) -> None:
    with _client(site, "somchai") as officer:
        inbox = officer.get("/").text
        assert 'href="/overdue"' not in inbox and 'href="/audit"' not in inbox
        assert 'type="file"' not in officer.get("/processes").text
        assert officer.get("/overdue", headers={"accept": "text/html"}).status_code == 403
        assert officer.get("/audit", headers={"accept": "text/html"}).status_code == 403
        token = _csrf(inbox)
        upload = officer.post("/processes", data={"csrf_token": token},
                              files={"files": ("x.bpmn", BROKEN, "application/xml")})  # fmt: skip
        assert upload.status_code == 403
    with _client(site, "ops") as ops:
        assert 'href="/overdue"' in ops.get("/").text


def test_auditor_verifies_the_chain_and_downloads_the_log(site: Site) -> None:
    passwords.set_password(site.ctx, "auditor", PASSWORD)
    with _client(site, "auditor") as auditor:
        page = auditor.get("/audit?verify=1")
        assert page.status_code == 200
        assert 'id="chain-result"' in page.text and "บันทึกครบถ้วน" in page.text
        xes = auditor.get("/api/v1/audit/export?format=xes")
        assert xes.status_code == 200 and "<log" in xes.text


def test_pages_name_roles_as_people_know_them(site: Site) -> None:
    """Staff read the lane's Thai title, not the role id the engine keys it by."""
    service.start(site.ctx, "website_posting", {"title": "ข่าว"}, "malee")
    with _client(site, "somchai") as officer:
        inbox = officer.get("/").text
    assert "เจ้าหน้าที่งาน IT ของ กพร." in inbox
    assert "· doh_it_officer" not in inbox


def test_people_start_cases_of_their_processes_from_the_start_page(site: Site) -> None:
    with _client(site, "malee") as malee:
        inbox = malee.get("/").text
        assert 'href="/start"' in inbox
        listed = malee.get("/start").text
        assert 'href="/start/website_posting"' in listed
        form = malee.get("/start/website_posting").text
        token = _csrf(form)
        started = malee.post("/start/website_posting",
                             data={"csrf_token": token, "subject": "ข่าวสงกรานต์"})  # fmt: skip
        assert started.status_code == 303
        location = started.headers["location"]
        assert re.fullmatch(r"/cases/\d+\?done=started", location)
        case_id = int(location.split("/")[2].split("?")[0])
        assert service.show(site.ctx, case_id).data == {"subject": "ข่าวสงกรานต์"}
        assert "เริ่มเรื่องใหม่แล้ว" in malee.get(location).text
        missing = malee.get("/start/no_such", headers={"accept": "text/html"})
        assert missing.status_code == 404 and "website_posting" in missing.text
        forged = malee.post("/start/website_posting", data={"csrf_token": "x", "subject": "y"})
        assert forged.status_code == 403
    passwords.set_password(site.ctx, "auditor", PASSWORD)
    with _client(site, "auditor") as auditor:
        assert 'href="/start"' not in auditor.get("/").text
        assert 'href="/start/' not in auditor.get("/start").text
        token = _csrf(auditor.get("/start").text)
        refused = auditor.post("/start/website_posting", data={"csrf_token": token},
                               headers={"accept": "text/html"})  # fmt: skip
        assert refused.status_code == 404
    assert len(service.inbox(site.ctx, role="doh_it_officer")) == 1


def test_case_and_task_controls_follow_the_permission_function(site: Site) -> None:
    case_id = service.start(site.ctx, "website_posting", {"title": "ข่าว"}, "malee").id
    task_id = service.inbox(site.ctx, role="doh_it_officer")[0].id
    service.claim(site.ctx, task_id, "somchai")
    with _client(site, "somchai") as somchai:
        assert 'id="manage-case"' not in somchai.get(f"/cases/{case_id}").text
        task_page = somchai.get(f"/tasks/{task_id}").text
        assert 'id="unclaim"' in task_page and 'id="reassign-form"' not in task_page
        token = _csrf(task_page)
        refused = somchai.post(f"/cases/{case_id}/cancel", data={"csrf_token": token,
                               "reason": "x"}, headers={"accept": "text/html"})  # fmt: skip
        assert refused.status_code == 403
        back = somchai.post(f"/tasks/{task_id}/unclaim", data={"csrf_token": token})
        assert back.headers["location"] == f"/tasks/{task_id}?done=unclaimed"
    with _client(site, "boss") as boss:
        case_page = boss.get(f"/cases/{case_id}").text
        assert 'id="case-suspend"' in case_page and 'id="case-resume"' not in case_page
        token = _csrf(case_page)
        task_page = boss.get(f"/tasks/{task_id}").text
        assert 'value="somsri"' in task_page and 'value="malee"' not in task_page
        handover = {"csrf_token": token, "to": "somsri", "reason": "ลาป่วย"}
        handed = boss.post(f"/tasks/{task_id}/reassign", data=handover)
        assert handed.status_code == 303
        assert service.task(site.ctx, task_id).assignee == "somsri"
        no_reason = boss.post(f"/cases/{case_id}/suspend", data={"csrf_token": token,
                              "reason": ""}, headers={"accept": "text/html"})  # fmt: skip
        assert no_reason.status_code == 422
        held = boss.post(f"/cases/{case_id}/suspend",
                         data={"csrf_token": token, "reason": "รอเอกสาร"})  # fmt: skip
        assert held.headers["location"] == f"/cases/{case_id}?done=suspended"
        page = boss.get(held.headers["location"]).text
        assert "พักเรื่องไว้" in page and 'id="case-resume"' in page
        unknown = boss.post(f"/cases/{case_id}/archive",
                            data={"csrf_token": token, "reason": "x"})  # fmt: skip
        assert unknown.status_code in (404, 422)
    assert service.show(site.ctx, case_id).status == "suspended"
