"""A changed process deploys beside the running cases: they finish on their own version.

P6 changed in the manuals' second pass (issue 12): the first version is the §3 chart's
upload / verify / store loop only (kept in ``fixtures/website_posting_v1.bpmn``); the
current file adds §4's writing, approval and sending steps before it. A case started on the
first version keeps its version and runs its loop to the end after the new one is
deployed, while new cases start on the new version.
"""

from __future__ import annotations

from pathlib import Path

from freezegun import freeze_time

from engine.cases import deployment, service
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR
from tests.factories import add_people
from tests.support.scenarios import MONDAY_MORNING, people_for_all_roles

FIRST_P6 = Path(__file__).parent / "fixtures" / "website_posting_v1.bpmn"
WEB_PR, IT = "u_doh_web_pr_officer", "u_doh_it_officer"


def _open(ctx: Prflow, case_id: int) -> service.TaskView:
    (task,) = [t for t in service.show(ctx, case_id).tasks if t.status in service.OPEN]
    return task


def _complete(ctx: Prflow, case_id: int, element_id: str, data: dict[str, str], actor: str) -> None:
    task = _open(ctx, case_id)
    assert task.element_id == element_id
    service.complete(ctx, task.id, data, actor)


@freeze_time(MONDAY_MORNING)
def test_a_case_on_the_previous_p6_runs_to_its_end_after_the_new_p6_is_deployed(
    ctx: Prflow,
) -> None:
    add_people(ctx, people_for_all_roles())
    [first] = deployment.deploy(ctx, [FIRST_P6], "owner")
    assert (first.key, first.version, first.created) == ("website_posting", 1, True)
    old = service.start(ctx, "website_posting", {"title": "ข่าวเดิม"}, WEB_PR)
    _complete(ctx, old.id, "upload", {"url": "https://example.go.th/news/1"}, IT)

    key = "website_posting"
    [second] = deployment.deploy(ctx, [REPO_PROCESSES_DIR / "website_posting.bpmn"], "owner")
    assert (second.version, second.created) == (2, True)
    assert [(v.version, v.running_cases) for v in deployment.versions(ctx, "website_posting")] == [
        (1, 1),
        (2, 0),
    ]

    # The old case goes on through the first version's loop, not the new steps.
    _complete(ctx, old.id, "verify", {"decision": "fix", "reason": "แก้ชื่อเรื่อง"}, WEB_PR)
    _complete(ctx, old.id, "upload", {"url": "https://example.go.th/news/1"}, IT)
    _complete(ctx, old.id, "verify", {"decision": "ok"}, WEB_PR)
    _complete(ctx, old.id, "store", {}, WEB_PR)
    finished = service.show(ctx, old.id)
    assert (finished.version, finished.status) == (1, "completed")
    assert [t.element_id for t in finished.tasks] == [
        "upload", "verify", "upload", "verify", "store",
    ]  # fmt: skip

    # A new case starts on the new version, with §4's first step.
    new = service.start(ctx, "website_posting", {"title": "ข่าวใหม่"}, WEB_PR)
    assert service.show(ctx, new.id).version == 2
    assert _open(ctx, new.id).element_id == "write_release"
    on_each = [(v.version, v.running_cases, v.all_cases) for v in deployment.versions(ctx, key)]
    assert on_each == [(1, 0, 1), (2, 1, 1)]
