"""The inbox: my open tasks, overdue first and marked, due times in working-time words;
claim one, open one, or select several and claim them at once.

The worklist is sorted by due time, so anything past due comes first. Each row's buttons
come from ``permissions.task_actions``; the claim routes ask ``permissions.require`` again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from api.deps import Ctx
from api.web import text
from api.web.pages import Csrf, PageShell, Session, back, check_csrf, render
from engine import clock
from engine.cases import case_pages, permissions, service
from engine.cases.permissions import Action
from engine.errors import EngineError

router = APIRouter(include_in_schema=False)
INBOX_SIZE = 100


@dataclass(frozen=True)
class InboxRow:
    """One task as the inbox shows it; ``due_words`` is empty for a task with no limit."""

    id: int
    case_id: int
    name: str
    process_key: str
    role: str
    status: str
    assignee: str | None
    due_at: datetime | None
    due_words: str
    overdue: bool
    can_claim: bool


@dataclass(frozen=True)
class InboxPage:
    """Context of ``inbox.html``: the rows, and whether any row can be bulk claimed."""

    rows: list[InboxRow]
    any_claimable: bool


@router.get("/")
def inbox(ctx: Ctx, signed: Session, shell: PageShell) -> Response:
    now = clock.now()
    day = case_pages.working_day(ctx)
    page = service.worklist(ctx, actor=signed.user.login, limit=INBOX_SIZE)
    rows = []
    for item in page.items:
        actions = permissions.task_actions(signed.user, item)
        words = ""
        if item.due_at is not None:
            words = text.due_words(shell.lang, case_pages.time_left(ctx, item.due_at, now), day)
        rows.append(InboxRow(item.id, item.case_id, item.name, item.process_key, item.role,
                             item.status, item.assignee, item.due_at, words,
                             item.due_at is not None and item.due_at < now,
                             Action.CLAIM in actions))  # fmt: skip
    return render(shell, "inbox.html", InboxPage(rows, any(r.can_claim for r in rows)))


@router.post("/tasks/{task_id}/claim")
def claim(task_id: int, ctx: Ctx, signed: Session, csrf_token: Csrf) -> Response:
    check_csrf(signed, csrf_token)
    permissions.require(signed.user, Action.CLAIM, service.task(ctx, task_id))
    service.claim(ctx, task_id, signed.user.login)
    return back(f"/tasks/{task_id}", "claimed")


@router.post("/tasks/bulk-claim")
def bulk_claim(
    ctx: Ctx, signed: Session, csrf_token: Csrf,
    task_ids: Annotated[list[int] | None, Form(alias="task")] = None,
) -> Response:  # fmt: skip
    """Claim every selected task; one refusal stops none of the rest, all are counted."""
    check_csrf(signed, csrf_token)
    if not task_ids:
        return back("/", "none_selected")
    claimed = refused = 0
    for task_id in task_ids[:INBOX_SIZE]:
        try:
            permissions.require(signed.user, Action.CLAIM, service.task(ctx, task_id))
            service.claim(ctx, task_id, signed.user.login)
            claimed += 1
        except EngineError:
            refused += 1
    return back("/", "bulk", n=claimed, refused=refused)
