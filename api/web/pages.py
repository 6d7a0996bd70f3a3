"""What every page shares: the Jinja2 environment, the signed-in shell, CSRF and feedback.

A page handler builds its own context dataclass and calls ``render(request, shell, name,
page)``; the template gets ``shell`` (who, language, menu, feedback message) and ``page``.
``shell.nav`` comes from ``permissions.system_actions``: a menu entry shows only when the
engine says the user may use that page. Feedback after an action travels in the redirect's
``?done=`` (post/redirect/get), so reloading a page never repeats an action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Form
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Ctx, Signer, signed_in
from api.errors import CsrfRefused, Unauthenticated
from api.language import LANGUAGE_COOKIE, Language
from api.security import CSRF_FIELD, same_token
from api.web import text
from engine.accounts.sessions import SignedIn
from engine.cases import permissions
from engine.cases.permissions import Action
from engine.roles import RoleCatalogue
from forms.filters import BANGKOK, be_date, be_datetime

TEMPLATES = Path(__file__).parent / "templates"

ENV = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
    trim_blocks=True, lstrip_blocks=True,
)  # fmt: skip


def when(value: datetime | date | None, lang: Language) -> str:
    """An instant as people read it: in Thai the forms package's Buddhist Era filters
    (Bangkok time), in English the same instant in Bangkok with the common era."""
    if value is None:
        return ""
    if lang == "th":
        if isinstance(value, datetime):
            return be_datetime(value, "arabic")
        return be_date(value, "arabic")
    if isinstance(value, datetime):
        return f"{value.astimezone(BANGKOK):%d\u00a0%b\u00a0%Y %H:%M}"
    return f"{value:%d\u00a0%b\u00a0%Y}"


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    current: bool


@dataclass(frozen=True)
class Shell:
    """Context every page template gets.

    ``csrf`` is the session's token for forms; ``done`` a feedback message after an action;
    ``path`` the current path (for the language switch to come back to).
    """

    lang: Language
    user_name: str
    login: str
    csrf: str
    nav: list[NavItem]
    path: str
    done: str = ""
    actions: frozenset[Action] = field(default_factory=frozenset)
    roles: RoleCatalogue | None = None

    def t(self, key: str, **values: object) -> str:
        return text.translate(self.lang, key, **values)

    def role(self, role_id: str) -> str:
        """A role as people know it (``นักประชาสัมพันธ์``), not its id; the id if unknown."""
        if self.roles is None or role_id not in self.roles:
            return role_id
        found = self.roles.get(role_id)
        return found.th if self.lang == "th" else found.en

    def when(self, value: datetime | date | None) -> str:
        return when(value, self.lang)


def _nav(actions: frozenset[Action], may_start: bool, path: str, lang: Language) -> list[NavItem]:
    entries = [
        ("/", "inbox", True),
        ("/start", "start_case", may_start),
        ("/overdue", "overdue_board", Action.VIEW_OVERDUE in actions),
        ("/processes", "processes", True),
        ("/audit", "audit", Action.AUDIT in actions),
    ]
    return [
        NavItem(
            href, text.translate(lang, key), path == href or (href != "/" and path.startswith(href))
        )
        for href, key, shown in entries
        if shown
    ]


@dataclass(frozen=True)
class ErrorPage:
    """Context of ``error.html``: the error table's title and detail, and the status."""

    title: str
    detail: str
    status: int


class SignInRedirect(Exception):
    """A page was asked for without a session: go to the sign-in page and come back."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def session(request: Request, ctx: Ctx, signer: Signer) -> SignedIn:
    found = signed_in(request, ctx, signer)
    if found is None:
        if request.method == "GET":
            raise SignInRedirect(request.url.path)
        raise Unauthenticated()
    return found


Session = Annotated[SignedIn, Depends(session)]
Csrf = Annotated[str, Form(alias=CSRF_FIELD, max_length=200)]


def check_csrf(signed: SignedIn, token: str) -> None:
    if not same_token(signed.csrf_token, token):
        raise CsrfRefused()


async def checked_form(request: Request, signed: SignedIn) -> FormData:
    """A posted form whose fields the page reads itself, after its CSRF token is checked."""
    posted = await request.form()
    token = posted.get(CSRF_FIELD)
    check_csrf(signed, token if isinstance(token, str) else "")
    return posted


def page_language(request: Request) -> Language:
    """Pages speak Thai unless the person chose English (the ``prflow_lang`` cookie): staff
    phones set to English still get the office's language until they switch."""
    return "en" if request.cookies.get(LANGUAGE_COOKIE) == "en" else "th"


PageLang = Annotated[Language, Depends(page_language)]


def shell(request: Request, ctx: Ctx, signed: Session, lang: PageLang) -> Shell:
    actions = permissions.system_actions(signed.user)
    done_key = request.query_params.get("done", "")
    counts = {k: request.query_params.get(k, "") for k in ("n",)}
    done = text.translate(lang, f"flash_{done_key}", **counts) if done_key in _FLASHES else ""
    refused = request.query_params.get("refused")
    if done_key == "bulk" and refused and refused != "0":
        done += " · " + text.translate(lang, "flash_bulk_refused", n=refused)
    path = request.url.path
    user = signed.user
    # Office roles (the lanes) and process owners start cases; auditors, ops and admins do not.
    may_start = Action.START in actions or any(role in ctx.roles for role in user.roles)
    nav = _nav(actions, may_start, path, lang)
    return Shell(lang, user.display_name, user.login, signed.csrf_token, nav, path, done, actions,
                 ctx.roles)  # fmt: skip


_FLASHES = {
    "claimed", "bulk", "none_selected", "completed", "deployed", "unchanged", "started",
    "suspended", "resumed", "cancelled", "unclaimed", "reassigned", "attached",
}  # fmt: skip
PageShell = Annotated[Shell, Depends(shell)]


def render(shell: Shell, template: str, page: Any = None, status: int = 200) -> HTMLResponse:
    html = ENV.get_template(template).render(shell=shell, page=page, t=shell.t)
    return HTMLResponse(html, status_code=status)


def back(path: str, done: str, **values: object) -> Response:
    """Redirect after an action, carrying its feedback message."""
    query = urlencode({"done": done, **{k: str(v) for k, v in values.items()}})
    return RedirectResponse(f"{path}?{query}", status_code=303)


def local(next_path: str) -> str:
    # Only same-site paths: "//evil.example" and "https://…" would be open redirects.
    ok = next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path
    return next_path if ok else "/"
