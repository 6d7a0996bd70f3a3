"""Puts the web pages into the app: their routers, the static files, the sign-in detour.

Static files are the app's own (``api/web/static``) and two installed front-end packages
from ``assets/node_modules`` (``make assets``): bpmn-js's viewer and the Sarabun font. Only
those two folders are served, never the whole of node_modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.web import audit, auth, board, case, inbox, processes, start, task
from api.web.pages import ErrorPage, Shell, SignInRedirect, page_language, render

STATIC = Path(__file__).parent / "static"
NODE_MODULES = Path(__file__).resolve().parents[2] / "assets" / "node_modules"
VENDOR = {
    "/static/vendor/bpmn-js": NODE_MODULES / "bpmn-js" / "dist",
    "/static/vendor/sarabun": NODE_MODULES / "@fontsource" / "sarabun",
}


def install(app: FastAPI) -> None:
    for module in (auth, inbox, start, task, case, board, processes, audit):
        app.include_router(module.router)
    for prefix, folder in VENDOR.items():
        app.mount(prefix, StaticFiles(directory=folder, check_dir=False), name=prefix)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def to_sign_in(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInRedirect)
        query = "" if error.next_path == "/" else "?" + urlencode({"next": error.next_path})
        return RedirectResponse(f"/sign-in{query}", 303)

    app.add_exception_handler(SignInRedirect, to_sign_in)
    app.state.html_error_page = error_page


def error_page(request: Request, body: dict[str, Any], headers: dict[str, str] | None) -> Response:
    """The error table's HTML twin: the title and detail in the page frame, a way back."""
    lang = page_language(request)
    shell = Shell(lang, "", "", "", [], request.url.path)
    page = ErrorPage(str(body["title"]), str(body["detail"]), int(body["status"]))
    response = render(shell, "error.html", page, status=page.status)
    response.headers.update(headers or {})
    return response
