"""P8's limits depend on the news type: a case without one gets a clear form error where
the diagram gives no fallback; the manual's other news run with no standard."""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun import freeze_time

from engine import service
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR
from engine.task_due import NoMatchingLimit
from tests.factories import add_people, deploy
from tests.support.scenarios import people_for_all_roles


def open_task(ctx: Prflow, case_id: int) -> service.TaskView:
    [task] = [t for t in service.show(ctx, case_id).tasks if t.status in service.OPEN]
    return task


def _p8_without_fallback(folder: Path) -> Path:
    """P8 as it was before its other news got due_none: every limit needs a news type."""
    text = (REPO_PROCESSES_DIR / "news_production.bpmn").read_text(encoding="utf-8")
    marker = '<spiffworkflow:property name="due_none" value="No time standard for other news'
    kept = [line for line in text.splitlines(keepends=True) if marker not in line]
    assert len(kept) < len(text.splitlines())
    path = folder / "news_production.bpmn"
    path.write_text("".join(kept), encoding="utf-8")
    return path


def test_a_missing_news_type_is_a_form_error_that_the_next_form_can_mend(
    ctx: Prflow, tmp_path: Path
) -> None:
    add_people(ctx, people_for_all_roles())
    deploy(ctx, _p8_without_fallback(tmp_path))
    with freeze_time("2026-03-09T02:00:00+00:00"):  # Monday 09:00 Bangkok
        case = service.start(ctx, "news_production", {}, "u_esao_pr_officer")
        service.complete(ctx, open_task(ctx, case.id).id, {}, "u_esao_pr_officer")
        # The director forgets the news type.
        service.complete(ctx, open_task(ctx, case.id).id, {"newsworthy": "yes"},
                         "u_esao_admin_director")  # fmt: skip
        service.complete(ctx, open_task(ctx, case.id).id, {}, "u_esao_pr_officer")
        collect = open_task(ctx, case.id)
        before = service.show(ctx, case.id)
        with pytest.raises(NoMatchingLimit) as refused:
            service.complete(ctx, collect.id, {"meeting_ended_at": "2026-03-09T08:30+07:00"},
                             "u_esao_pr_officer")  # fmt: skip
        assert "step 'write_news' takes its time limit from news_type" in str(refused.value)
        assert "meeting_summary, inspection, press_conference" in str(refused.value)
        assert service.show(ctx, case.id) == before
        service.complete(
            ctx, collect.id,
            {"meeting_ended_at": "2026-03-09T08:30+07:00", "news_type": "meeting_summary"},
            "u_esao_pr_officer",
        )  # fmt: skip
    write = open_task(ctx, case.id)
    assert (write.element_id, write.due_text) == ("write_news", "meeting_ended_at + 3 hours")


def test_news_without_a_standard_runs_with_no_due_time(ctx: Prflow) -> None:
    add_people(ctx, people_for_all_roles())
    deploy(ctx, REPO_PROCESSES_DIR)
    with freeze_time("2026-03-09T02:00:00+00:00"):
        case = service.start(ctx, "news_production", {}, "u_esao_pr_officer")
        service.complete(ctx, open_task(ctx, case.id).id, {}, "u_esao_pr_officer")
        service.complete(ctx, open_task(ctx, case.id).id,
                         {"newsworthy": "yes", "news_type": "other"},
                         "u_esao_admin_director")  # fmt: skip
        service.complete(ctx, open_task(ctx, case.id).id, {"category": "proactive"},
                         "u_esao_pr_officer")  # fmt: skip
        service.complete(ctx, open_task(ctx, case.id).id, {}, "u_esao_pr_officer")
    write = open_task(ctx, case.id)
    assert (write.element_id, write.due_text, write.due_at) == ("write_news", None, None)
