"""Every API route called as every role and signed out; allowed or refused from ONE table.

Each call gets fresh data (a new P6 case started by malee, whose first task is the
doh_it_officer lane's), so what one caller did never changes what the next one meets.
"Refused" is 401/403 (or a bulk item refused with 403); anything else passed the gate.
A route missing from the table fails the test, so a new route cannot skip the matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from engine.cases import service
from engine.context import Prflow
from tests.api.conftest import PEOPLE, Api, make_ctx, populate
from tests.api.live import serving
from tests.factories import P6, open_task

LOGINS: list[str | None] = [None, *PEOPLE]
EVERYONE = set(PEOPLE)
OFFICERS = {"somchai", "somsri"}  # doh_it_officer: the lane of P6's first task
BOARDS = {"ops", "boss", "auditor"}
CASE_READERS = {"malee", "somchai", "somsri", "owner", "auditor", "ops", "boss"}


def ready_task(ctx: Prflow) -> dict[str, Any]:
    case_id = service.start(ctx, "website_posting", {"title": "ข่าว"}, "malee").id
    return {"task_id": open_task(ctx, case_id).id, "case_id": case_id}


def claimed_task(ctx: Prflow) -> dict[str, Any]:
    ids = ready_task(ctx)
    service.claim(ctx, ids["task_id"], "somchai")
    return ids


def suspended_case(ctx: Prflow) -> dict[str, Any]:
    ids = ready_task(ctx)
    service.suspend(ctx, ids["case_id"], "owner", "รอเอกสาร")
    return ids


def no_data(ctx: Prflow) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    allowed: set[str]
    arrange: Callable[[Prflow], dict[str, Any]] = no_data
    body: dict[str, Any] | None = None
    files: bool = False


TABLE = [
    Row("GET", "/api/v1/me", EVERYONE),
    Row("GET", "/api/v1/tasks", EVERYONE),
    Row("POST", "/api/v1/tasks/bulk/claim", OFFICERS, ready_task, {"task_ids": ["{task_id}"]}),
    Row("POST", "/api/v1/tasks/bulk/reassign", {"boss"}, ready_task,
        {"task_ids": ["{task_id}"], "to": "somsri", "reason": "ลาป่วย"}),
    Row("GET", "/api/v1/tasks/{task_id}", OFFICERS | BOARDS | {"owner"}, ready_task),
    Row("POST", "/api/v1/tasks/{task_id}/claim", OFFICERS, ready_task),
    Row("POST", "/api/v1/tasks/{task_id}/unclaim", {"somchai"}, claimed_task),
    Row("POST", "/api/v1/tasks/{task_id}/complete", OFFICERS, ready_task,
        {"data": {"url": "https://example.go.th/1"}}),
    Row("POST", "/api/v1/tasks/{task_id}/reassign", {"boss"}, ready_task,
        {"to": "somsri", "reason": "ลาป่วย"}),
    Row("POST", "/api/v1/cases", {"owner", "somchai", "somsri", "malee"}, no_data,
        {"process": "website_posting", "data": {"title": "ข่าว"}}),
    Row("GET", "/api/v1/cases/{case_id}", CASE_READERS, ready_task),
    Row("GET", "/api/v1/cases/{case_id}/timeline", CASE_READERS, ready_task),
    Row("POST", "/api/v1/cases/{case_id}/suspend", {"owner", "boss"}, ready_task,
        {"reason": "รอเอกสาร"}),
    Row("POST", "/api/v1/cases/{case_id}/resume", {"owner", "boss"}, suspended_case,
        {"reason": "เอกสารครบ"}),
    Row("POST", "/api/v1/cases/{case_id}/cancel", {"owner", "boss"}, ready_task,
        {"reason": "ซ้ำกับเรื่องเดิม"}),
    Row("GET", "/api/v1/overdue", BOARDS | {"owner"}),
    Row("GET", "/api/v1/due-soon", BOARDS | {"owner"}),
    Row("GET", "/api/v1/reports/on-time", BOARDS | {"owner"}),
    Row("GET", "/api/v1/processes", EVERYONE),
    Row("POST", "/api/v1/processes", {"owner"}, files=True),
    Row("GET", "/api/v1/processes/{key}/versions", EVERYONE, lambda _: {"key": "website_posting"}),
    Row("GET", "/api/v1/audit/verify", {"auditor"}),
    Row("GET", "/api/v1/audit/export", {"auditor"}),
]  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    path: Path = tmp_path_factory.mktemp("matrix") / "prflow.db"
    ctx = make_ctx(f"sqlite:///{path}")
    try:
        made = populate(ctx)
        with serving(create_app(ctx)) as url:
            yield Api(url, ctx, made)
    finally:
        ctx.close()


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def refused(response: httpx.Response) -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code == 200 and "/bulk/" in str(response.url):
        problem = response.json()["results"][0]["problem"]
        return problem is not None and problem["status"] == 403
    return False


def test_every_api_route_is_in_the_table(world: Api) -> None:
    paths = create_app(world.ctx).openapi()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes == {(row.method, row.path) for row in TABLE}


@pytest.mark.parametrize("row", TABLE, ids=[f"{r.method} {r.path}" for r in TABLE])
def test_each_role_is_allowed_or_refused_as_the_table_says(world: Api, row: Row) -> None:
    outcomes = {}
    for login in LOGINS:
        ids = row.arrange(world.ctx)
        path = row.path.format(**ids)
        client = world.client(login)
        files = [("files", ("website_posting.bpmn", P6.read_bytes()))] if row.files else None
        response = client.request(row.method, path, json=_fill(row.body, ids), files=files)
        assert response.status_code < 500, response.text
        outcomes[login] = not refused(response)
        client.close()
    expected = {login: login in row.allowed for login in LOGINS}
    assert outcomes == expected
