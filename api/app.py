"""The ASGI application: ``create_app`` wires the engine, security, error table and routers.

``create_app_from_env`` is the factory uvicorn's workers call (``prflow serve``): each
worker opens its own engine on the one database. It refuses to build an app with a
missing or default secret outside demo mode. With ``sweep_interval`` set (from
``PRFLOW_SWEEP_INTERVAL`` seconds in the factory), a background
thread runs the timer sweep loop; the database lease lets only one worker's loop sweep.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors
from api.routes import attachments, audit, cases, deadlines, me, processes, tasks
from api.security import CookieSigner, SecurityHeaders
from api.web import site
from engine import sweep_loop
from engine.accounts.secret import checked_secret
from engine.context import Prflow
from engine.settings import Settings

API_TITLE = "prflow API"
API_VERSION = "1"


def create_app(ctx: Prflow, *, sweep_interval: float | None = None) -> FastAPI:
    signer = CookieSigner(checked_secret(ctx.settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        sweeper = None
        if sweep_interval is not None:
            sweeper = threading.Thread(
                target=sweep_loop.run, args=(ctx, stop), kwargs={"interval": sweep_interval},
                name="prflow-sweep", daemon=True,
            )  # fmt: skip
            sweeper.start()
        try:
            yield
        finally:
            stop.set()
            if sweeper is not None:
                sweeper.join(timeout=30)

    app = FastAPI(
        title=API_TITLE,
        version=API_VERSION,
        description="The prflow engine over HTTP: worklists, tasks, cases, deadlines, "
        "deployments and audit. Errors are application/problem+json.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI loads script from a CDN: not under our CSP
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.signer = signer
    errors.install(app)
    for module in (me, tasks, cases, attachments, deadlines, processes, audit):
        app.include_router(module.router)
    site.install(app)
    app.add_middleware(SecurityHeaders)
    return app


def create_app_from_env() -> FastAPI:
    interval = os.environ.get("PRFLOW_SWEEP_INTERVAL")
    return create_app(
        Prflow(Settings.from_env()), sweep_interval=float(interval) if interval else None
    )
