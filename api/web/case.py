"""The case page: the timeline in working time and the diagram with the path taken.

The diagram is drawn in the browser by bpmn-js's viewer (served by the app itself) from
``/cases/{id}/diagram.json``: the BPMN XML and which steps are done, current and overdue,
which ``static/case.js`` marks with CSS classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response

from api.deps import Ctx
from api.routes.attachments import file_response, upload_bytes
from api.web import text
from api.web.pages import Csrf, PageShell, Session, back, check_csrf, render
from engine import clock
from engine.audit import timeline as audit_timeline
from engine.cases import attachments, case_pages, permissions, service
from engine.cases.permissions import Action
from engine.cases.views import CaseView

router = APIRouter(include_in_schema=False)
CaseChange = Literal["suspend", "resume", "cancel"]
Reason = Annotated[str, Form(min_length=1, max_length=2000)]
_CHANGES = {"suspend": service.suspend, "resume": service.resume, "cancel": service.cancel}
_DONE = {"suspend": "suspended", "resume": "resumed", "cancel": "cancelled"}


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
    files: list[attachments.AttachmentView]


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
    files = attachments.of_case(ctx, case_id, signed.user.login)
    page = CasePage(case, rows, permissions.case_actions(signed.user, case), files)
    return render(shell, "case.html", page)


@router.post("/cases/{case_id}/files")
def attach(
    case_id: int, ctx: Ctx, signed: Session, csrf_token: Csrf,
    file: Annotated[UploadFile, File()],
) -> Response:  # fmt: skip
    """Keep a file on the case (the engine checks who may, its size and its kind)."""
    check_csrf(signed, csrf_token)
    attachments.store(ctx, case_id, file.filename or "", upload_bytes(file), signed.user.login)
    return back(f"/cases/{case_id}", "attached")


@router.get("/files/{attachment_id}")
def download(attachment_id: int, ctx: Ctx, signed: Session) -> Response:
    view, content = attachments.read(ctx, attachment_id, signed.user.login)
    return file_response(view, content)


@router.post("/cases/{case_id}/{change}")
def change_case(
    case_id: int, change: CaseChange, ctx: Ctx, signed: Session, csrf_token: Csrf, reason: Reason
) -> Response:
    """Suspend, resume or cancel: the service checks who may, and that the status allows it."""
    check_csrf(signed, csrf_token)
    permissions.require(signed.user, Action.VIEW_CASE, service.show(ctx, case_id))
    _CHANGES[change](ctx, case_id, signed.user.login, reason)
    return back(f"/cases/{case_id}", _DONE[change])


@router.get("/cases/{case_id}/diagram.json")
def case_diagram(case_id: int, ctx: Ctx, signed: Session) -> Response:
    permissions.require(signed.user, Action.VIEW_CASE, service.show(ctx, case_id))
    drawn = case_pages.diagram(ctx, case_id, clock.now())
    return JSONResponse({
        "xml": drawn.xml, "done": sorted(drawn.done), "current": sorted(drawn.current),
        "overdue": sorted(drawn.overdue), "flows": sorted(drawn.flows_taken),
    })  # fmt: skip
