"""The one error table: engine error → HTTP status, problem type, title in Thai and English.

The twin of ``cli.errors.EXIT_CODES``. Every error leaves the server as
``application/problem+json`` (RFC 9457) with a stable ``type``, a ``title`` in the asker's
language, the engine's ``detail`` (what, where, how to fix) and, where there are any, field
``errors`` or definition ``problems`` (file, line, element). A browser asking for a page
gets the same facts as an HTML page. Order matters: the first matching class wins.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from api.language import Language, language_of
from engine.accounts.passwords import SignInFailed
from engine.accounts.throttle import TooManyAttempts
from engine.bpmn.definitions import InvalidDefinition
from engine.cases.messages import MessageNotAwaited
from engine.cases.status import TaskNotOpen
from engine.cases.stepping import StaleCase
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger(__name__)


class Unauthenticated(EngineError):
    """No valid session cookie or bearer token."""

    def __init__(self) -> None:
        super().__init__(
            "sign in first: send 'Authorization: Bearer TOKEN' (prflow tokens create LOGIN) "
            "or sign in at /sign-in"
        )


class CsrfRefused(EngineError):
    """An unsafe request from a browser session without its CSRF token."""

    def __init__(self) -> None:
        super().__init__(
            "the form's security token is missing or wrong; reload the page and submit again"
        )


class PreconditionFailed(InvalidInput):
    """A malformed ``If-Match`` header."""


@dataclass(frozen=True)
class ErrorKind:
    error: type[Exception]
    status: int
    slug: str
    th: str
    en: str

    @property
    def type_uri(self) -> str:
        return f"/problems/{self.slug}"


ERRORS: tuple[ErrorKind, ...] = (
    ErrorKind(Unauthenticated, 401, "unauthenticated", "กรุณาเข้าสู่ระบบ", "Sign in required"),
    ErrorKind(SignInFailed, 401, "sign-in-failed", "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
              "Wrong login or password"),
    ErrorKind(TooManyAttempts, 429, "too-many-attempts", "เข้าสู่ระบบผิดหลายครั้งเกินไป",
              "Too many failed sign-ins"),
    ErrorKind(CsrfRefused, 403, "csrf", "รหัสความปลอดภัยของแบบฟอร์มไม่ถูกต้อง",
              "Missing or wrong form security token"),
    ErrorKind(StaleCase, 409, "stale-case", "เรื่องนี้มีการเปลี่ยนแปลงหลังจากที่คุณเปิดดู",
              "The case changed since you read it"),
    ErrorKind(TaskNotOpen, 409, "task-not-open", "งานนี้ไม่เปิดให้ดำเนินการแล้ว",
              "The task is no longer open"),
    ErrorKind(MessageNotAwaited, 409, "message-not-awaited", "เรื่องนี้ไม่ได้รอข้อความนี้อยู่",
              "The case is not waiting for this message"),
    ErrorKind(InvalidDefinition, 422, "invalid-definition", "ไฟล์กระบวนงานไม่ถูกต้อง",
              "The process definition is invalid"),
    ErrorKind(InvalidInput, 422, "invalid-input", "ข้อมูลไม่ถูกต้อง", "Invalid input"),
    ErrorKind(RequestValidationError, 422, "invalid-request", "คำขอไม่ถูกต้อง",
              "The request is malformed"),
    ErrorKind(NotFound, 404, "not-found", "ไม่พบสิ่งที่ต้องการ", "Not found"),
    ErrorKind(Forbidden, 403, "forbidden", "คุณไม่มีสิทธิ์ทำรายการนี้",
              "You may not do this"),
    ErrorKind(Conflict, 409, "conflict", "ทำรายการนี้ไม่ได้ในสถานะปัจจุบัน",
              "Not possible in the current state"),
    ErrorKind(EngineError, 400, "bad-request", "ทำรายการไม่สำเร็จ", "The request failed"),
)  # fmt: skip
# Statuses Starlette raises itself (no route, wrong method, unreadable body).
_HTTP_TITLES = {
    404: ("not-found", "ไม่พบหน้าที่ต้องการ", "Not found"),
    405: ("method-not-allowed", "ไม่รองรับวิธีเรียกนี้", "Method not allowed"),
    400: ("bad-request", "คำขอไม่ถูกต้อง", "Bad request"),
}
_FALLBACK = ErrorKind(Exception, 500, "internal", "ระบบขัดข้อง", "Internal error")


def kind_of(error: Exception) -> ErrorKind:
    return next((kind for kind in ERRORS if isinstance(error, kind.error)), _FALLBACK)


def problem(error: Exception, language: Language) -> dict[str, Any]:
    """The problem document for an error (also used per item by bulk actions)."""
    kind = kind_of(error)
    body: dict[str, Any] = {
        "type": kind.type_uri,
        "title": kind.th if language == "th" else kind.en,
        "status": kind.status,
        "detail": str(error) if kind is not _FALLBACK else "",
    }
    if isinstance(error, RequestValidationError):
        body["errors"] = [_field_error(e) for e in error.errors()]
        body["detail"] = "; ".join(f"{e['field']}: {e['message']}" for e in body["errors"])
    if isinstance(error, InvalidDefinition):
        body["problems"] = [
            {"file": p.file, "line": p.line, "element_id": p.element_id, "message": p.message,
             "rule": p.rule}
            for p in error.problems
        ]  # fmt: skip
    return body


def _field_error(error: Any) -> dict[str, str]:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return {"field": where, "message": str(error.get("msg", ""))}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def render(request: Request, body: dict[str, Any]) -> Response:
    status = int(body["status"])
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if _wants_html(request):
        # The web pages install their own error page (api.web.site); this is the fallback.
        hook = getattr(request.app.state, "html_error_page", None)
        if hook is not None:
            return hook(request, body, headers)  # type: ignore[no-any-return]
        page = (
            f'<!doctype html><html lang="{language_of(request)}"><head><meta charset="utf-8">'
            f"<title>{html.escape(body['title'])}</title></head><body><main>"
            f"<h1>{html.escape(body['title'])}</h1><p>{html.escape(body['detail'])}</p>"
            '<p><a href="/">prflow</a></p></main></body></html>'
        )
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    """Route every error through the table."""

    async def on_error(request: Request, error: Exception) -> Response:
        if kind_of(error) is _FALLBACK:
            _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return render(request, problem(error, language_of(request)))

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        slug, th, en = _HTTP_TITLES.get(error.status_code, ("http-error", "ข้อผิดพลาด", "Error"))
        body = {
            "type": f"/problems/{slug}",
            "title": th if language_of(request) == "th" else en,
            "status": error.status_code,
            "detail": str(error.detail),
        }
        return render(request, body)

    app.add_exception_handler(EngineError, on_error)
    app.add_exception_handler(RequestValidationError, on_error)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_error)
