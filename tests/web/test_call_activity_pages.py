"""A step of a called process on the pages (real HTTP, no browser): the task page shows the
called version's form and manual text, a completion through it moves the calling case on,
and the case page names the called step."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from engine.accounts import passwords
from engine.cases import case_pages, deployment, service
from tests.bpmn.test_cli_call_activities import CALLED, CALLER, DRAFT, REVIEW
from tests.factories import add_people
from tests.web.conftest import PASSWORD, Site


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_a_called_step_is_worked_on_its_task_page(site: Site) -> None:
    ctx = site.ctx
    add_people(ctx, {"pr": ["esao_pr_officer"], "director": ["esao_director"]})
    passwords.set_password(ctx, "director", PASSWORD)
    deployment.deploy(ctx, [CALLER, CALLED], "owner", executable=True)
    case = service.start(ctx, "c7_call_release", {}, "pr")
    [draft] = [t for t in case.tasks if t.element_id == DRAFT]
    service.complete(ctx, draft.id, {"headline": "ข่าวเด่น"}, "pr")
    [review] = [t for t in service.show(ctx, case.id).tasks if t.status == "ready"]
    assert review.element_id == REVIEW
    # The case's diagram is the caller's: the open called step lights its call activity.
    lit = case_pages.diagram(ctx, case.id, datetime.now(UTC))
    assert "Activity_0callrv" in lit.current and DRAFT in lit.done

    with httpx.Client(base_url=site.url, follow_redirects=False) as client:
        token = _csrf(client.get("/sign-in").text)
        signed = client.post("/sign-in", data={"login": "director", "password": PASSWORD,
                                               "csrf_token": token})  # fmt: skip
        assert signed.status_code == 303
        page = client.get(f"/tasks/{review.id}")
        assert page.status_code == 200
        assert "ตรวจข่าว" in page.text  # the called step's name
        assert "ผู้อำนวยการอ่านข่าวแล้วอนุมัติ" in page.text  # its documentation
        assert 'name="decision"' in page.text and "ไม่อนุมัติ" in page.text  # its form
        lock = re.search(r'name="case_version" value="(\d+)"', page.text)
        assert lock is not None
        done = client.post(f"/tasks/{review.id}/complete", data={
            "csrf_token": _csrf(page.text), "case_version": lock.group(1), "decision": "refuse",
        })  # fmt: skip
        assert done.status_code == 303, done.text
        case_page = client.get(f"/cases/{case.id}")
        assert case_page.status_code == 200 and "ตรวจข่าว" in case_page.text
    assert service.show(ctx, case.id).status == "completed"
    lit = case_pages.diagram(ctx, case.id, datetime.now(UTC))
    assert {"Activity_0callrv", "Event_0refused"} <= lit.done and not lit.current
