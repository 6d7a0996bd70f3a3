"""The case page: the timeline in working time and the diagram with the path taken.

The diagram is drawn in the browser by bpmn-js's viewer (served by the app itself) from
``/cases/{id}/diagram.json``: the BPMN XML and which steps are done, current and overdue,
which ``static/case.js`` marks with CSS classes.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from api.deps import Ctx
from api.web import text
from api.web.pages import PageShell, Session, render
from engine import clock
from engine.audit import timeline as audit_timeline
from engine.cases import case_pages, permissions, service
from engine.cases.permissions import Action
from engine.cases.views import CaseView

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class TimelineRow:
    step: str
    role: str
    ready_at: str
    completed_at: str
    completed_by: str
    waiting: str
    working: str
    verdict: str
    verdict_key: str


@dataclass(frozen=True)
class CasePage:
    """Context of ``case.html``: the case, its tasks' timings, and what the user may do."""

    case: CaseView
    rows: list[TimelineRow]
    actions: frozenset[Action]


@router.get("/cases/{case_id}")
def case_page(case_id: int, ctx: Ctx, signed: Session, shell: PageShell) -> Response:
    case = service.show(ctx, case_id)
    permissions.require(signed.user, Action.VIEW_CASE, case)
    timings = audit_timeline.timeline(ctx, case_id, clock.now()).tasks
    names = case_pages.step_names(ctx, case.process_key, case.version, case.id)
    rows = [
        TimelineRow(
            names.get(t.step, t.step),
            t.role,
            shell.when(t.ready_at),
            shell.when(t.completed_at),
            t.completed_by or t.claimed_by or "",
            text.duration_words(shell.lang, t.waiting),
            text.duration_words(shell.lang, t.working),
            shell.t(f"verdict_{t.verdict}"),
            str(t.verdict),
        )
        for t in timings
    ]
    page = CasePage(case, rows, permissions.case_actions(signed.user, case))
    return render(shell, "case.html", page)


@router.get("/cases/{case_id}/diagram.json")
def case_diagram(case_id: int, ctx: Ctx, signed: Session) -> Response:
    permissions.require(signed.user, Action.VIEW_CASE, service.show(ctx, case_id))
    drawn = case_pages.diagram(ctx, case_id, clock.now())
    return JSONResponse({
        "xml": drawn.xml, "done": sorted(drawn.done), "current": sorted(drawn.current),
        "overdue": sorted(drawn.overdue), "flows": sorted(drawn.flows_taken),
    })  # fmt: skip
