"""Sign-in, sign-out and a minimal signed-in shell (the web pages build on these).

Sign-in is a plain HTML form protected by a pre-session double-submit token; a successful
sign-in opens a new session (any session id the browser brought is dropped: no fixation)
and redirects to ``next`` (a local path only). Sign-out needs the session's CSRF token.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Ctx, Lang, Signer, signed_in
from api.errors import CsrfRefused, problem
from api.security import CSRF_FIELD, SESSION_COOKIE, same_token
from engine.auth import passwords, sessions
from engine.errors import EngineError

router = APIRouter(include_in_schema=False)
_TEXT = {
    "th": {"title": "เข้าสู่ระบบ prflow", "login": "ชื่อผู้ใช้", "password": "รหัสผ่าน",
           "submit": "เข้าสู่ระบบ", "hello": "สวัสดี", "sign_out": "ออกจากระบบ",
           "inbox": "งานของฉัน (JSON)"},
    "en": {"title": "Sign in to prflow", "login": "Login", "password": "Password",
           "submit": "Sign in", "hello": "Hello", "sign_out": "Sign out",
           "inbox": "My tasks (JSON)"},
}  # fmt: skip


def _page(lang: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><main>{body}</main></body></html>",
        status_code=status,
    )


def _local(next_path: str) -> str:
    # Only same-site paths: "//evil.example" and "https://…" would be open redirects.
    return next_path if next_path.startswith("/") and not next_path.startswith("//") else "/"


def _sign_in_form(
    request: Request, signer: Signer, lang: Lang, *, login: str = "", error: str = "",
    next_path: str = "/", status: int = 200,
) -> HTMLResponse:  # fmt: skip
    t = _TEXT[lang]
    token = signer.new_token()
    alert = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    response = _page(
        lang,
        t["title"],
        (
            f'<h1>{t["title"]}</h1>{alert}<form method="post" action="/sign-in">'
            f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'
            f'<input type="hidden" name="next" value="{html.escape(_local(next_path))}">'
            f'<label for="login">{t["login"]}</label>'
            f'<input id="login" name="login" autocomplete="username" required '
            f'value="{html.escape(login)}">'
            f'<label for="password">{t["password"]}</label>'
            '<input id="password" name="password" type="password" '
            'autocomplete="current-password" required>'
            f'<button type="submit">{t["submit"]}</button></form>'
        ),
        status,
    )
    signer.set_presession(request, response, token)
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, signer: Signer, lang: Lang, next: str = "/") -> Response:
    return _sign_in_form(request, signer, lang, next_path=next)


@router.post("/sign-in")
def sign_in(
    request: Request, ctx: Ctx, signer: Signer, lang: Lang,
    login: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)] = "", next: Annotated[str, Form()] = "/",
) -> Response:  # fmt: skip
    if not same_token(signer.presession_token(request), csrf_token):
        raise CsrfRefused()
    try:
        user = passwords.sign_in(ctx, login, password)
    except EngineError as err:
        body = problem(err, lang)
        return _sign_in_form(
            request,
            signer,
            lang,
            login=login,
            next_path=next,
            error=f"{body['title']}: {body['detail']}",
            status=body["status"],
        )
    session_id, _ = sessions.open_session(ctx, user.login, replacing=signer.session_id(request))
    response = RedirectResponse(_local(next), status_code=303)
    signer.set_session(request, response, session_id)
    response.delete_cookie("prflow_presession", path="/")
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
    if not same_token(session.csrf_token, csrf_token):
        raise CsrfRefused()
    sessions.close_session(ctx, session_id)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, ctx: Ctx, signer: Signer, lang: Lang) -> Response:
    session = signed_in(request, ctx, signer)
    if session is None:
        return RedirectResponse("/sign-in", status_code=303)
    t = _TEXT[lang]
    name = html.escape(session.user.display_name)
    return _page(lang, "prflow", (
        f"<h1>{t['hello']} {name}</h1>"
        f'<p><a href="/api/v1/tasks">{t["inbox"]}</a></p>'
        '<form method="post" action="/sign-out">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{session.csrf_token}">'
        f'<button type="submit">{t["sign_out"]}</button></form>'
    ))  # fmt: skip
