"""The task page: its form, what the manual says the step is, the case's history so far,
and the reason when a later step sent it back; completing it from the form.

The form offers the branches the diagram takes after this step (``case_pages.step_info``)
and a notes field; a refused submission re-shows the page with what was typed and why.
Buttons come from ``permissions.task_actions``; completing asks ``permissions.require``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import Ctx
from api.errors import problem
from api.security import CSRF_FIELD
from api.web import task_form, text
from api.web.pages import (
    Csrf,
    PageShell,
    Session,
    Shell,
    back,
    check_csrf,
    checked_form,
    render,
)
from engine import clock
from engine.accounts.users import UserView
from engine.audit import timeline as audit_timeline
from engine.cases import case_pages, permissions, service
from engine.cases.permissions import Action
from engine.cases.views import TaskView
from engine.context import Prflow
from engine.errors import EngineError
from engine.forms.values import FieldError, FormInvalid

router = APIRouter(include_in_schema=False)
MAX_NOTE = 2000


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class HistoryLine:
    at_text: str
    who: str
    what: str
    step: str


@dataclass(frozen=True)
class TaskPage:
    """Context of ``task.html``.

    ``values`` is what the form shows (what was typed, after a refusal); ``error`` the
    refusal; ``choice_field``/``choices`` the branch the step decides, if it decides one.
    """

    task: TaskView
    actions: frozenset[Action]
    step: case_pages.StepInfo
    due_words: str
    overdue: bool
    history: list[HistoryLine]
    sent_back: case_pages.SendBack | None
    choices: list[Choice]
    values: dict[str, str] = field(default_factory=dict)
    error: str = ""
    form_html: Markup | None = None
    reassign_to: list[UserView] = field(default_factory=list)  # who holds the task's role

    @property
    def can_complete(self) -> bool:
        return Action.COMPLETE in self.actions and self.task.status in ("ready", "claimed")

    @property
    def can_claim(self) -> bool:
        return Action.CLAIM in self.actions and self.task.status == "ready"


def _page(
    ctx: Prflow, user: UserView, shell: Shell, task_id: int, values: dict[str, Any] | None = None,
    error: str = "", errors: list[FieldError] | None = None,
) -> TaskPage:  # fmt: skip
    task = service.task(ctx, task_id)
    permissions.require(user, Action.VIEW, task)
    now = clock.now()
    step = case_pages.step_info(ctx, task.process_key, task.version, task.element_id, task.case_id)
    words = ""
    if task.due_at is not None and task.status in ("ready", "claimed"):
        left = case_pages.time_left(ctx, task.due_at, now)
        words = text.due_words(shell.lang, left, case_pages.working_day(ctx))
    names = case_pages.step_names(ctx, task.process_key, task.version, task.case_id)
    history = [
        HistoryLine(
            shell.when(e.at),
            e.actor,
            shell.t(f"event_{e.type}"),
            names.get(e.step or "", e.step or ""),
        )
        for e in audit_timeline.timeline(ctx, task.case_id, now).entries
        if e.type != "task_ready"
    ]
    returned = None
    if task.status in ("ready", "claimed"):
        returned = case_pages.sent_back(ctx, task.case_id, task.element_id)
    choices = [Choice(v, text.choice_label(shell.lang, v)) for v in step.choices]
    actions = permissions.task_actions(user, task)
    form = case_pages.task_form(ctx, task)
    form_html = None
    if form is not None and Action.COMPLETE in actions:
        hidden = {CSRF_FIELD: shell.csrf, "case_version": str(task.case_lock_version)}
        form_html = task_form.render(form, f"/tasks/{task.id}/complete", hidden, values or {},
                                     errors or [])  # fmt: skip
    candidates: list[UserView] = []
    if Action.REASSIGN in actions:
        holders = (u for u in service.list_users(ctx) if u.active and task.role in u.roles)
        candidates = [u for u in holders if u.login != task.assignee]
    return TaskPage(task, actions, step, words,
                    task.due_at is not None and task.due_at < now and bool(words), history,
                    returned, choices, values or {}, error, form_html, candidates)  # fmt: skip


@router.get("/tasks/{task_id}")
def task_page(task_id: int, ctx: Ctx, signed: Session, shell: PageShell) -> Response:
    return render(shell, "task.html", _page(ctx, signed.user, shell, task_id))


@router.post("/tasks/{task_id}/unclaim")
def unclaim(task_id: int, ctx: Ctx, signed: Session, csrf_token: Csrf) -> Response:
    """Give a claimed task back to its lane's queue."""
    check_csrf(signed, csrf_token)
    service.unclaim(ctx, task_id, signed.user.login)
    return back(f"/tasks/{task_id}", "unclaimed")


@router.post("/tasks/{task_id}/reassign")
def reassign(
    task_id: int, ctx: Ctx, signed: Session, csrf_token: Csrf,
    to: Annotated[str, Form(min_length=1, max_length=64)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:  # fmt: skip
    """A supervisor hands the task to another holder of its role, saying why."""
    check_csrf(signed, csrf_token)
    service.reassign(ctx, [task_id], to, signed.user.login, reason)
    return back(f"/tasks/{task_id}", "reassigned")


@router.post("/tasks/{task_id}/complete")
async def complete(
    task_id: int, request: Request, ctx: Ctx, signed: Session, shell: PageShell
) -> Response:
    """Complete the task from its form; a refusal re-shows the form with what was typed."""
    posted = await checked_form(request, signed)
    return await run_in_threadpool(_complete, ctx, signed.user, shell, task_id, posted)


def _complete(
    ctx: Prflow, user: UserView, shell: Shell, task_id: int, posted: FormData
) -> Response:
    task = service.task(ctx, task_id)
    permissions.require(user, Action.COMPLETE, task)
    version = str(posted.get("case_version", ""))
    form = case_pages.task_form(ctx, task)
    if form is not None:
        data: dict[str, Any] = task_form.read(form, posted)
        typed: dict[str, Any] = data
    else:
        data, typed = _generic(ctx, task, posted)
        step = case_pages.step_info(
            ctx, task.process_key, task.version, task.element_id, task.case_id
        )
        if step.choice_field is not None and step.choice_field not in data:
            page = _page(ctx, user, shell, task_id, typed, shell.t("choose_decision"))
            return render(shell, "task.html", page, status=422)
    try:
        if form is not None:
            data = typed = task_form.store_uploads(ctx, form, task.case_id, data, user.login)
        service.complete(
            ctx, task_id, data, user.login, int(version) if version.isdigit() else None
        )
    except EngineError as err:
        body = problem(err, shell.lang)
        errors = err.errors if isinstance(err, FormInvalid) else []
        # A refused form's messages stand beside its fields; the top line only says so.
        summary = body["title"] if errors else f"{body['title']}: {body['detail']}"
        page = _page(ctx, user, shell, task_id, typed, summary, errors)
        return render(shell, "task.html", page, status=int(body["status"]))
    return back("/", "completed")


def _generic(
    ctx: Prflow, task: TaskView, posted: FormData
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A version deployed without forms: the branch choice and a note."""
    step = case_pages.step_info(ctx, task.process_key, task.version, task.element_id, task.case_id)
    choice = str(posted.get("choice", ""))[:100]
    comments = str(posted.get("comments", ""))[:MAX_NOTE].strip()
    data: dict[str, Any] = {"comments": comments} if comments else {}
    if step.choice_field is not None and choice in step.choices:
        data[step.choice_field] = choice
    return data, {"choice": choice, "comments": comments}
