"""The OpenAPI document, exercised by schemathesis: every operation is called with generated
input (a few examples each, to keep the suite fast) and must answer with no 500, a
documented status, a documented content type and a body matching its schema."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from engine.accounts import tokens
from engine.cases import service
from tests.api.conftest import Api, make_ctx, populate
from tests.api.live import serving
from tests.factories import add_people

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
# Someone holding every role, so generated calls get past the gate and reach the engine.
EVERY_ROLE = ["process_owner", "auditor", "ops", "supervisor", "admin", "doh_it_officer",
              "doh_web_pr_officer"]  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    path: Path = tmp_path_factory.mktemp("openapi") / "prflow.db"
    ctx = make_ctx(f"sqlite:///{path}")
    try:
        made = populate(ctx)
        add_people(ctx, {"all": EVERY_ROLE})
        made["all"] = tokens.create(ctx, "all")[0]
        for n in range(3):  # some real ids for generated paths to hit
            service.start(ctx, "website_posting", {"title": f"ข่าว {n}"}, "malee")
        with serving(create_app(ctx)) as url:
            yield Api(url, ctx, made)
    finally:
        ctx.close()


def test_the_document_describes_every_route_with_its_errors(world: Api) -> None:
    document = create_app(world.ctx).openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert {"401", "403", "422"} <= set(operation["responses"]), (method, path)
            assert "application/problem+json" in operation["responses"]["401"]["content"]


def test_every_operation_holds_to_the_document(world: Api) -> None:
    schema = schemathesis.openapi.from_url(f"{world.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {world.tokens['all']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        calls(operation, GenerationMode.POSITIVE, world.url, headers)()
        # An operation without inputs has no invalid input to send.
        with contextlib.suppress(Unsatisfiable):
            calls(operation, GenerationMode.NEGATIVE, world.url, headers)()


def calls(
    operation: Any, mode: GenerationMode, url: str, headers: dict[str, str]
) -> Callable[[], None]:
    """A bounded hypothesis run over one operation: valid input, or input the document
    forbids (which must be refused with a documented 4xx, never a 500)."""

    @settings(max_examples=6, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(data=st.data())
    def call(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(generation_mode=mode))
        case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

    return call  # type: ignore[no-any-return]
