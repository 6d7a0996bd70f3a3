"""The task page: its form, what the manual says the step is, the case's history so far,
and the reason when a later step sent it back; completing it from the form.

The form offers the branches the diagram takes after this step (``case_pages.step_info``)
and a notes field; a refused submission re-shows the page with what was typed and why.
Buttons come from ``permissions.task_actions``; completing asks ``permissions.require``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from api.deps import Ctx
from api.errors import problem
from api.web import text
from api.web.pages import Csrf, PageShell, Session, Shell, back, check_csrf, render
from engine import case_pages, clock, permissions, service, worklist
from engine.audit import timeline as audit_timeline
from engine.context import Prflow
from engine.errors import EngineError
from engine.permissions import Action
from engine.users import UserView

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

    task: worklist.UnitTask
    actions: frozenset[Action]
    step: case_pages.StepInfo
    due_words: str
    overdue: bool
    history: list[HistoryLine]
    sent_back: case_pages.SendBack | None
    choices: list[Choice]
    values: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def can_complete(self) -> bool:
        return Action.COMPLETE in self.actions and self.task.status in ("ready", "claimed")

    @property
    def can_claim(self) -> bool:
        return Action.CLAIM in self.actions and self.task.status == "ready"


def _page(
    ctx: Prflow, user: UserView, shell: Shell, task_id: int, values: dict[str, str] | None = None,
    error: str = "",
) -> TaskPage:  # fmt: skip
    task = worklist.get_task(ctx, task_id)
    permissions.require(user, Action.VIEW, task)
    now = clock.now()
    step = case_pages.step_info(ctx, task.process_key, task.version, task.element_id)
    words = ""
    if task.due_at is not None and task.status in ("ready", "claimed"):
        left = case_pages.time_left(ctx, task.due_at, now)
        words = text.due_words(shell.lang, left, case_pages.working_day(ctx))
    names = case_pages.step_names(ctx, task.process_key, task.version)
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
    return TaskPage(task, permissions.task_actions(user, task), step, words,
                    task.due_at is not None and task.due_at < now and bool(words), history,
                    returned, choices, values or {}, error)  # fmt: skip


@router.get("/tasks/{task_id}")
def task_page(task_id: int, ctx: Ctx, signed: Session, shell: PageShell) -> Response:
    return render(shell, "task.html", _page(ctx, signed.user, shell, task_id))


@router.post("/tasks/{task_id}/complete")
def complete(
    task_id: int, ctx: Ctx, signed: Session, shell: PageShell, csrf_token: Csrf,
    case_version: Annotated[int, Form(ge=0)],
    choice: Annotated[str, Form(max_length=100)] = "",
    comments: Annotated[str, Form(max_length=MAX_NOTE)] = "",
) -> Response:  # fmt: skip
    check_csrf(signed, csrf_token)
    typed = {"choice": choice, "comments": comments}
    task = worklist.get_task(ctx, task_id)
    permissions.require(signed.user, Action.COMPLETE, task)
    step = case_pages.step_info(ctx, task.process_key, task.version, task.element_id)
    data: dict[str, str] = {"comments": comments.strip()} if comments.strip() else {}
    if step.choice_field is not None:
        if choice not in step.choices:
            page = _page(ctx, signed.user, shell, task_id, typed, shell.t("choose_decision"))
            return render(shell, "task.html", page, status=422)
        data[step.choice_field] = choice
    try:
        service.complete(ctx, task_id, data, signed.user.login, case_version)
    except EngineError as err:
        body = problem(err, shell.lang)
        page = _page(ctx, signed.user, shell, task_id, typed, f"{body['title']}: {body['detail']}")
        return render(shell, "task.html", page, status=int(body["status"]))
    return back("/", "completed")
