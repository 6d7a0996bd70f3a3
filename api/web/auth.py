"""Sign-in, sign-out and the language switch.

Sign-in is a plain HTML form protected by a pre-session double-submit token; a successful
sign-in opens a new session (any session id the browser brought is dropped: no fixation)
and redirects to ``next`` (a local path only). Sign-out needs the session's CSRF token. The
language switch sets the ``prflow_lang`` cookie for a year and returns to the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Ctx, Signer, signed_in
from api.errors import CsrfRefused, problem
from api.language import LANGUAGE_COOKIE
from api.security import PRESESSION_COOKIE, SESSION_COOKIE, same_token
from api.web.pages import PageLang as Lang
from api.web.pages import Shell, check_csrf, local, render
from engine.accounts import passwords, sessions
from engine.errors import EngineError

router = APIRouter(include_in_schema=False)
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class SignInPage:
    """Context of ``sign_in.html``: the pre-session token, what was typed, the refusal."""

    token: str
    login: str
    next_path: str
    error: str = ""


def _form(
    request: Request, signer: Signer, lang: Lang, *, login: str = "", error: str = "",
    next_path: str = "/", status: int = 200,
) -> HTMLResponse:  # fmt: skip
    token = signer.new_token()
    shell = Shell(lang, "", "", "", [], request.url.path)
    response = render(shell, "sign_in.html", SignInPage(token, login, local(next_path), error),
                      status)  # fmt: skip
    signer.set_presession(request, response, token)
    return response


@router.get("/sign-in")
def sign_in_page(
    request: Request, signer: Signer, lang: Lang,
    next: Annotated[str, Query(max_length=500)] = "/",
) -> Response:  # fmt: skip
    return _form(request, signer, lang, next_path=next)


@router.post("/sign-in")
def sign_in(
    request: Request, ctx: Ctx, signer: Signer, lang: Lang,
    login: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:  # fmt: skip
    if not same_token(signer.presession_token(request), csrf_token):
        raise CsrfRefused()
    try:
        user = passwords.sign_in(ctx, login, password)
    except EngineError as err:
        body = problem(err, lang)
        return _form(request, signer, lang, login=login, next_path=next,
                     error=f"{body['title']}: {body['detail']}", status=body["status"])  # fmt: skip
    session_id, _ = sessions.open_session(ctx, user.login, replacing=signer.session_id(request))
    response = RedirectResponse(local(next), status_code=303)
    signer.set_session(request, response, session_id)
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, ctx: Ctx, signer: Signer,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    session = signed_in(request, ctx, signer)
    session_id = signer.session_id(request)
    if session is None or session_id is None:
        return RedirectResponse("/sign-in", status_code=303)
    check_csrf(session, csrf_token)
    sessions.close_session(ctx, session_id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language/{lang}")
def switch_language(
    lang: str, request: Request, next: Annotated[str, Query(max_length=500)] = "/"
) -> Response:
    """Remember the chosen language (a preference, not an action: no CSRF needed)."""
    response = RedirectResponse(local(next), status_code=303)
    if lang in ("th", "en"):
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=YEAR, samesite="lax", path="/",
                            secure=request.url.scheme == "https")  # fmt: skip
    return response
