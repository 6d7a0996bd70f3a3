"""Delivering a message to a case over HTTP: the reply moves the case on, refusals carry
the error table's problem types, and the case (JSON and page) lists what it waits for."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from engine import clock
from engine.accounts import passwords
from engine.audit import replay
from engine.cases import service, timers
from engine.context import Prflow
from engine.errors import Conflict
from tests.api.conftest import PASSWORD, Api
from tests.api.test_security import sign_in
from tests.factories import waiting_for_reply


def test_a_reply_moves_the_case_on_and_its_data_joins_the_case(api: Api, tmp_path: Path) -> None:
    case_id = waiting_for_reply(api.ctx, tmp_path)
    somchai = api.client("somchai")
    before = somchai.get(f"/api/v1/cases/{case_id}").json()
    assert before["waiting_messages"] == [{
        "name": "agency_reply", "element_id": "Event_0reply", "role": "doh_it_officer",
        "element_name": "หน่วยงานตอบ",
    }]  # fmt: skip
    assert "deliver_message" in before["actions"]
    assert (
        "deliver_message"
        not in api.client("auditor").get(f"/api/v1/cases/{case_id}").json()["actions"]
    )
    sent = somchai.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"name": "agency_reply", "data": {"answer": "อนุมัติ"}},
    )
    assert sent.status_code == 200, sent.text
    case = sent.json()
    assert case["data"] == {"answer": "อนุมัติ"} and case["waiting_messages"] == []
    assert [t["element_id"] for t in case["tasks"] if t["status"] == "ready"] == ["Activity_0use"]


def test_refusals_use_the_error_table(api: Api, tmp_path: Path) -> None:
    case_id = waiting_for_reply(api.ctx, tmp_path)
    url = f"/api/v1/cases/{case_id}/messages"
    ops = api.client("ops", **{"Accept-Language": "en"})
    wrong = ops.post(url, json={"name": "nope", "data": {}})
    assert wrong.status_code == 409
    problem = wrong.json()
    assert problem["type"] == "/problems/message-not-awaited"
    assert problem["title"] == "The case is not waiting for this message"
    assert "it waits for 'agency_reply' (at Event_0reply, role doh_it_officer)" in problem["detail"]
    thai = api.client("ops").post(url, json={"name": "nope"}).json()["title"]
    assert thai == "เรื่องนี้ไม่ได้รอข้อความนี้อยู่"
    refused = api.client("auditor").post(url, json={"name": "agency_reply", "data": {}})
    assert (refused.status_code, refused.json()["type"]) == (403, "/problems/forbidden")
    assert "doh_it_officer" in refused.json()["detail"]  # the lane that waits for it
    unseen = api.client("malee").post(url, json={"name": "agency_reply", "data": {}})
    assert unseen.status_code == 403 and "doh_it_officer" not in unseen.json()["detail"]
    bad = ops.post(url, json={"name": "agency_reply", "data": {"_secret": 1}})
    assert (bad.status_code, bad.json()["type"]) == (422, "/problems/invalid-input")
    assert ops.post(url, json={"data": {}}).status_code == 422  # no name
    assert ops.post("/api/v1/cases/999/messages", json={"name": "x"}).status_code == 404
    service.suspend(api.ctx, case_id, "owner", "รอ")
    held = ops.post(url, json={"name": "agency_reply", "data": {}})
    assert held.status_code == 409 and "is suspended" in held.json()["detail"]
    service.resume(api.ctx, case_id, "owner", "ต่อ")
    assert ops.post(url, json={"name": "agency_reply", "data": {"a": 1}}).status_code == 200
    assert ops.post(url, json={"name": "agency_reply", "data": {}}).status_code == 409


def test_the_case_page_lists_the_messages_it_waits_for(api: Api, tmp_path: Path) -> None:
    case_id = waiting_for_reply(api.ctx, tmp_path)
    passwords.set_password(api.ctx, "somchai", PASSWORD)
    browser = api.client(Accept="text/html")
    assert sign_in(browser, "somchai").status_code == 303
    page = browser.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "ข้อความที่เรื่องนี้รออยู่" in page.text and "<code>agency_reply</code>" in page.text
    assert "หน่วยงานตอบ" in page.text and "หรือผู้ดูแลระบบงาน (ops)" in page.text
    assert f"POST /api/v1/cases/{case_id}/messages" in page.text
    browser.cookies.set("prflow_lang", "en")
    assert "Messages this case waits for" in browser.get(f"/cases/{case_id}").text
    browser.cookies.set("prflow_lang", "th")
    service.deliver_message(api.ctx, case_id, "agency_reply", {}, "ops")
    assert "ข้อความที่เรื่องนี้รออยู่" not in browser.get(f"/cases/{case_id}").text


def test_a_reply_racing_the_sweep_and_itself_wins_once_or_loses_cleanly(
    api: Api, tmp_path: Path
) -> None:
    """Two deliveries and a sweep past the timer, at one moment, from separate engines:
    exactly one branch wins, the losers are refused as conflicts (never a server error or a
    deadlock), and the log replays."""
    case_id = waiting_for_reply(api.ctx, tmp_path)
    engines = [Prflow(api.ctx.settings) for _ in range(3)]
    barrier = threading.Barrier(len(engines))
    outcomes: list[object] = []

    def deliver(engine: Prflow) -> None:
        barrier.wait()
        try:
            outcomes.append(service.deliver_message(engine, case_id, "agency_reply", {}, "ops"))
        except Exception as err:  # collected: the assertion below says which are allowed
            outcomes.append(err)

    def sweep(engine: Prflow) -> None:
        barrier.wait()
        outcomes.append(timers.sweep(engine, clock.now() + timedelta(hours=3)))

    threads = [threading.Thread(target=deliver, args=(engines[0],)),
               threading.Thread(target=deliver, args=(engines[1],)),
               threading.Thread(target=sweep, args=(engines[2],))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.close()
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(e, Conflict) for e in errors), errors
    sweeps = [o for o in outcomes if isinstance(o, timers.SweepResult)]
    assert len(sweeps) == 1 and not sweeps[0].failed, sweeps
    fired = len(sweeps[0].fired)
    delivered = len(outcomes) - len(errors) - 1
    assert fired + delivered == 1, outcomes
    case = service.show(api.ctx, case_id)
    assert [t.element_id for t in case.tasks if t.status == "ready"] == [
        "Activity_0use" if delivered else "Activity_0chase"
    ]
    [replayed] = [r for r in replay.replay_all(api.ctx) if r.case_id == case_id]
    assert replayed.ok, replayed
