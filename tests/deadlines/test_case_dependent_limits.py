"""P8's limits depend on the news type: the director's form cannot leave it out, so every
production step finds its service standard."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from engine.cases import service
from engine.cases.views import TaskView
from engine.context import Prflow
from engine.forms.values import FormInvalid
from engine.settings import REPO_PROCESSES_DIR
from tests.factories import add_people, deploy
from tests.support.scenarios import people_for_all_roles


def open_task(ctx: Prflow, case_id: int) -> TaskView:
    [task] = [t for t in service.show(ctx, case_id).tasks if t.status in service.OPEN]
    return task


def test_a_missing_news_type_is_refused_by_the_directors_form(ctx: Prflow) -> None:
    add_people(ctx, people_for_all_roles())
    deploy(ctx, REPO_PROCESSES_DIR / "news_production.bpmn")
    with freeze_time("2026-03-09T02:00:00+00:00"):  # Monday 09:00 Bangkok
        case = service.start(ctx, "news_production", {}, "u_esao_pr_officer")
        service.complete(ctx, open_task(ctx, case.id).id,
                         {"agenda_kind": "daily", "agenda_date": "2026-03-09"},
                         "u_esao_pr_officer")  # fmt: skip
        assign = open_task(ctx, case.id)
        before = service.show(ctx, case.id)
        # The director forgets the news type.
        chosen = {"newsworthy": "yes", "topic": "ประชุม", "officer": "u_esao_pr_officer"}
        with pytest.raises(FormInvalid) as refused:
            service.complete(ctx, assign.id, chosen, "u_esao_admin_director")
        assert "news_type" in str(refused.value)
        assert "meeting_summary, inspection, press_conference, other" in str(refused.value)
        assert service.show(ctx, case.id) == before
        service.complete(ctx, assign.id, {**chosen, "news_type": "meeting_summary"},
                         "u_esao_admin_director")  # fmt: skip
        service.complete(ctx, open_task(ctx, case.id).id, {"category": "policy"},
                         "u_esao_pr_officer")  # fmt: skip
        service.complete(ctx, open_task(ctx, case.id).id,
                         {"method": "meeting", "meeting_ended_at": "2026-03-09T08:30+07:00"},
                         "u_esao_pr_officer")  # fmt: skip
    write = open_task(ctx, case.id)
    assert (write.element_id, write.due_text) == ("write_news", "meeting_ended_at + 3 hours")


def test_news_without_a_standard_runs_with_no_due_time(ctx: Prflow) -> None:
    add_people(ctx, people_for_all_roles())
    deploy(ctx, REPO_PROCESSES_DIR)
    with freeze_time("2026-03-09T02:00:00+00:00"):
        case = service.start(ctx, "news_production", {}, "u_esao_pr_officer")
        service.complete(ctx, open_task(ctx, case.id).id,
                         {"agenda_kind": "daily", "agenda_date": "2026-03-09"},
                         "u_esao_pr_officer")  # fmt: skip
        service.complete(ctx, open_task(ctx, case.id).id,
                         {"newsworthy": "yes", "news_type": "other", "topic": "ข่าวเชิงรุก",
                          "officer": "u_esao_pr_officer"},
                         "u_esao_admin_director")  # fmt: skip
        service.complete(ctx, open_task(ctx, case.id).id, {"category": "proactive"},
                         "u_esao_pr_officer")  # fmt: skip
        service.complete(ctx, open_task(ctx, case.id).id, {"method": "documents"},
                         "u_esao_pr_officer")  # fmt: skip
    write = open_task(ctx, case.id)
    assert (write.element_id, write.due_text, write.due_at) == ("write_news", None, None)
