"""Cookies, CSRF and response headers: the browser-facing half of sign-in.

The session cookie holds the session id signed with ``PRFLOW_SECRET_KEY`` (itsdangerous),
HttpOnly and SameSite=Lax, Secure when the request came over HTTPS. Before sign-in, the
sign-in form is protected by a double-submit token: a signed ``prflow_presession`` cookie
whose value the form echoes. Every response carries a CSP without inline script, frame
denial and no-sniff.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "prflow_session"
PRESESSION_COOKIE = "prflow_presession"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
     b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]  # fmt: skip


class CookieSigner:
    def __init__(self, secret: str) -> None:
        self._session = URLSafeSerializer(secret, salt="prflow-session")
        self._presession = URLSafeSerializer(secret, salt="prflow-presession")

    def session_id(self, request: Request) -> str | None:
        return self._load(self._session, request.cookies.get(SESSION_COOKIE))

    def set_session(self, request: Request, response: Response, session_id: str) -> None:
        response.set_cookie(
            SESSION_COOKIE, self._session.dumps(session_id), httponly=True, samesite="lax",
            secure=request.url.scheme == "https", path="/",
        )  # fmt: skip

    def presession_token(self, request: Request) -> str | None:
        return self._load(self._presession, request.cookies.get(PRESESSION_COOKIE))

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def set_presession(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            PRESESSION_COOKIE, self._presession.dumps(token), httponly=True, samesite="strict",
            secure=request.url.scheme == "https", path="/",
        )  # fmt: skip

    @staticmethod
    def _load(serializer: URLSafeSerializer, value: str | None) -> str | None:
        if not value:
            return None
        try:
            loaded = serializer.loads(value)
        except BadSignature:
            return None
        return loaded if isinstance(loaded, str) else None


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task switch) adding the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)
