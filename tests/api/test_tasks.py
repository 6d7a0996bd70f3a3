"""Task routes over real HTTP on both databases: worklist paging, claim, unclaim, complete
with If-Match, reassign and bulk actions, each error status where it belongs."""

from __future__ import annotations

from datetime import timedelta

from engine.cases import service
from tests.api.conftest import Api
from tests.factories import open_task


def start_p6(api: Api, title: str = "ข่าว") -> int:
    return service.start(api.ctx, "website_posting", {"title": title}, "malee").id


def test_worklist_is_sorted_by_due_time_and_keyset_paged(api: Api) -> None:
    case_ids = [start_p6(api, f"ข่าว {n}") for n in range(5)]
    somchai = api.client("somchai")
    seen: list[dict[str, object]] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = somchai.get("/api/v1/tasks", params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [t["case_id"] for t in seen] == case_ids  # same due minute: id order, no repeats
    assert [t["due_at"] for t in seen] == sorted(t["due_at"] for t in seen)  # type: ignore[type-var]
    assert api.client("malee").get("/api/v1/tasks").json()["items"] == []  # not her role
    mine = somchai.get("/api/v1/tasks", params={"scope": "mine"}).json()
    assert mine["items"] == []


def test_worklist_refuses_bad_paging_input(api: Api) -> None:
    somchai = api.client("somchai")
    bad_cursor = somchai.get("/api/v1/tasks", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["type"] == "/problems/invalid-input"
    bad_limit = somchai.get("/api/v1/tasks", params={"limit": 0})
    assert bad_limit.status_code == 422
    assert bad_limit.json()["errors"][0]["field"] == "query.limit"


def test_claim_unclaim_and_complete_with_if_match(api: Api) -> None:
    case_id = start_p6(api)
    task = open_task(api.ctx, case_id)
    somchai, somsri = api.client("somchai"), api.client("somsri")

    claimed = somchai.post(f"/api/v1/tasks/{task.id}/claim")
    assert claimed.status_code == 200
    assert claimed.json()["assignee"] == "somchai"
    assert "complete" in claimed.json()["actions"]
    taken = somsri.post(f"/api/v1/tasks/{task.id}/claim")
    assert taken.status_code == 409
    assert taken.json()["type"] == "/problems/task-not-open"
    assert somsri.post(f"/api/v1/tasks/{task.id}/unclaim").status_code == 403
    assert api.client("malee").post(f"/api/v1/tasks/{task.id}/claim").status_code == 403
    assert somchai.post(f"/api/v1/tasks/{task.id}/unclaim").json()["status"] == "ready"

    read = somchai.get(f"/api/v1/tasks/{task.id}")
    version = read.json()["case_version"]
    assert read.headers["etag"] == f'"{version}"'  # what If-Match sends back
    url = f"/api/v1/tasks/{task.id}/complete"
    body = {"data": {"url": "https://example.go.th/news/1"}}
    stale = somchai.post(url, json=body, headers={"If-Match": f'"{version + 1}"'})
    assert stale.status_code == 409
    assert stale.json()["type"] == "/problems/stale-case"
    assert somchai.post(url, json=body, headers={"If-Match": "soon"}).status_code == 422
    assert somchai.post(url, json={"data": [1]}).status_code == 422
    assert somchai.post(url, json={"data": {"_x": 1}}).status_code == 422
    done = somchai.post(url, json=body, headers={"If-Match": f'"{version}"'})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    again = somchai.post(url, json=body)
    assert again.status_code == 409
    assert service.show(api.ctx, case_id).tasks[-1].element_id == "verify"


def test_unknown_task_is_404_and_signed_out_is_401(api: Api) -> None:
    somchai = api.client("somchai")
    for method, path in [("GET", "/api/v1/tasks/999"), ("POST", "/api/v1/tasks/999/claim"),
                         ("POST", "/api/v1/tasks/999/unclaim")]:  # fmt: skip
        missing = somchai.request(method, path)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert api.client().request(method, path).status_code == 401


def test_supervisor_reassigns_one_and_many(api: Api) -> None:
    first, second = (open_task(api.ctx, start_p6(api, t)).id for t in ("ก", "ข"))
    boss = api.client("boss")
    moved = boss.post(f"/api/v1/tasks/{first}/reassign", json={"to": "somsri", "reason": "ลาป่วย"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["status"], moved.json()["assignee"]) == ("claimed", "somsri")
    wrong_role = boss.post(
        f"/api/v1/tasks/{first}/reassign", json={"to": "malee", "reason": "ลาป่วย"}
    )
    assert wrong_role.status_code == 422
    nobody = boss.post(f"/api/v1/tasks/{first}/reassign", json={"to": "nobody", "reason": "ลาป่วย"})
    assert nobody.status_code == 404
    refused = api.client("somchai").post(
        f"/api/v1/tasks/{first}/reassign", json={"to": "somchai", "reason": "ลาป่วย"}
    )
    assert refused.status_code == 403

    moves = {"task_ids": [first, second, 999], "to": "somchai", "reason": "ลา"}
    bulk = boss.post("/api/v1/tasks/bulk/reassign", json=moves)
    outcomes = {r["task_id"]: r for r in bulk.json()["results"]}
    assert outcomes[first]["ok"] and outcomes[second]["ok"]
    assert outcomes[999]["problem"]["status"] == 404
    assert service.task(api.ctx, second).assignee == "somchai"


def test_bulk_claim_reports_each_task(api: Api) -> None:
    free, taken = (open_task(api.ctx, start_p6(api, t)).id for t in ("ก", "ข"))
    service.claim(api.ctx, taken, "somsri")
    result = api.client("somchai", **{"Accept-Language": "en"}).post(
        "/api/v1/tasks/bulk/claim", json={"task_ids": [free, taken]}
    )
    assert result.status_code == 200
    free_out, taken_out = result.json()["results"]
    assert free_out["ok"] and free_out["task"]["assignee"] == "somchai"
    assert not taken_out["ok"]
    assert taken_out["problem"]["type"] == "/problems/task-not-open"
    assert taken_out["problem"]["title"] == "The task is no longer open"
    empty = api.client("somchai").post("/api/v1/tasks/bulk/claim", json={"task_ids": []})
    assert empty.status_code == 422


def test_worklist_filters_by_role_process_and_due_time(sqlite_api: Api) -> None:
    case_id = start_p6(sqlite_api)
    task = open_task(sqlite_api.ctx, case_id)
    assert task.due_at is not None
    somchai = sqlite_api.client("somchai")

    def ids(**params: str) -> list[int]:
        return [t["id"] for t in somchai.get("/api/v1/tasks", params=params).json()["items"]]

    assert ids(process="website_posting") == [task.id]
    assert ids(process="news_production") == []
    assert ids(role="doh_web_pr_officer") == []  # a role somchai does not hold shows nothing
    assert ids(due_before=task.due_at.isoformat()) == []
    later = (task.due_at + timedelta(minutes=1)).isoformat()
    assert ids(due_before=later) == [task.id]
    assert somchai.get("/api/v1/tasks", params={"scope": "everyone"}).status_code == 422


def test_a_browser_gets_an_html_error_page(sqlite_api: Api) -> None:
    page = sqlite_api.client(Accept="text/html").post(
        "/sign-in", data={"login": "x", "password": "y"}
    )
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "รหัสความปลอดภัยของแบบฟอร์มไม่ถูกต้อง" in page.text
