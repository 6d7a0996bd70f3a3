"""The start page: the processes a person may start, and starting a case from a form.

A process with a start form (``<process>_start.toml``) shows that form; one without asks
only for the case's subject, so the case is recognisable in lists and on printed forms.
``service.start`` checks the permission and the start form again; a refusal re-shows the
form with what was typed and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import Ctx
from api.errors import problem
from api.security import CSRF_FIELD
from api.web import task_form
from api.web.pages import PageShell, Session, Shell, back, checked_form, render
from engine.accounts.users import UserView
from engine.cases import service, startable
from engine.context import Prflow
from engine.errors import EngineError
from engine.forms.values import FieldError, FormInvalid

router = APIRouter(include_in_schema=False)
SUBJECT = "subject"
MAX_SUBJECT = 300


@dataclass(frozen=True)
class StartList:
    """Context of ``start.html`` without a chosen process: what this person may start."""

    processes: list[startable.Startable]


@dataclass(frozen=True)
class StartForm:
    """Context of ``start.html`` for one process: its form, what was typed, the refusal."""

    process: startable.Startable
    form_html: Markup | None
    subject: str = ""
    error: str = ""
    errors: list[FieldError] = field(default_factory=list)


@router.get("/start")
def start_list(ctx: Ctx, signed: Session, shell: PageShell) -> Response:
    return render(shell, "start.html", StartList(startable.startable(ctx, signed.user.login)))


@router.get("/start/{key}")
def start_form(key: str, ctx: Ctx, signed: Session, shell: PageShell) -> Response:
    process = startable.one(ctx, signed.user.login, key)
    return render(shell, "start.html", _form(shell, process, {}, [], ""))


@router.post("/start/{key}")
async def start(
    key: str, request: Request, ctx: Ctx, signed: Session, shell: PageShell
) -> Response:
    posted = await checked_form(request, signed)
    return await run_in_threadpool(_start, ctx, signed.user, shell, key, posted)


def _start(ctx: Prflow, user: UserView, shell: Shell, key: str, posted: FormData) -> Response:
    process = startable.one(ctx, user.login, key)
    if process.form is not None:
        data: dict[str, Any] = task_form.without_uploads(task_form.read(process.form, posted))
    else:
        subject = str(posted.get(SUBJECT, "")).strip()[:MAX_SUBJECT]
        data = {SUBJECT: subject} if subject else {}
    try:
        case = service.start(ctx, key, data, user.login)
    except EngineError as err:
        body = problem(err, shell.lang)
        errors = err.errors if isinstance(err, FormInvalid) else []
        summary = body["title"] if errors else f"{body['title']}: {body['detail']}"
        page = _form(shell, process, data, errors, summary)
        return render(shell, "start.html", page, status=int(body["status"]))
    return back(f"/cases/{case.id}", "started")


def _form(shell: Shell, process: startable.Startable, values: dict[str, Any],
          errors: list[FieldError], error: str) -> StartForm:  # fmt: skip
    if process.form is None:
        return StartForm(process, None, str(values.get(SUBJECT, "")), error)
    html = task_form.render(process.form, f"/start/{process.key}", {CSRF_FIELD: shell.csrf},
                            values, errors)  # fmt: skip
    return StartForm(process, html, "", error, errors)
