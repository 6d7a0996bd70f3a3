"""Dependencies every route declares: the engine, who is asking, their language.

Who is asking comes from an ``Authorization: Bearer`` API token, else from the signed
session cookie; with the cookie, an unsafe method (POST, PUT, PATCH, DELETE) must also carry
the session's CSRF token in ``X-CSRF-Token``, so another site cannot act as the user. Tokens
need no CSRF check: a browser never sends them on its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from api.errors import CsrfRefused, Unauthenticated
from api.language import Language, language_of
from api.security import CSRF_HEADER, CookieSigner, same_token
from engine.accounts import sessions, tokens
from engine.accounts.users import UserView
from engine.context import Prflow

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_ctx(request: Request) -> Prflow:
    ctx: Prflow = request.app.state.ctx
    return ctx


def get_signer(request: Request) -> CookieSigner:
    signer: CookieSigner = request.app.state.signer
    return signer


Ctx = Annotated[Prflow, Depends(get_ctx)]
Signer = Annotated[CookieSigner, Depends(get_signer)]


def signed_in(request: Request, ctx: Ctx, signer: Signer) -> sessions.SignedIn | None:
    """The browser session, if the cookie names a live one."""
    session_id = signer.session_id(request)
    return sessions.lookup(ctx, session_id) if session_id else None


def current_user(request: Request, ctx: Ctx, signer: Signer) -> UserView:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        user = tokens.user_for(ctx, credentials.strip())
        if user is None:
            raise Unauthenticated()
        return user
    session = signed_in(request, ctx, signer)
    if session is None:
        raise Unauthenticated()
    if request.method not in SAFE_METHODS and not same_token(
        session.csrf_token, request.headers.get(CSRF_HEADER)
    ):
        raise CsrfRefused()
    return session.user


CurrentUser = Annotated[UserView, Depends(current_user)]
Lang = Annotated[Language, Depends(language_of)]
