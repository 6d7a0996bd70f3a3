"""Audit (auditors only): verify the hash chain; export the log as CSV or XES."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import Ctx, CurrentUser
from api.routes import PROBLEMS
from api.schemas import ChainReport
from engine.audit import export as audit_export
from engine.audit.verify import verify_chain
from engine.cases import permissions
from engine.cases.permissions import Action

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=PROBLEMS)
_MEDIA = {audit_export.ExportFormat.CSV: "text/csv; charset=utf-8",
          audit_export.ExportFormat.XES: "application/xml"}  # fmt: skip


@router.get("/verify", response_model=ChainReport)
def verify(ctx: Ctx, user: CurrentUser) -> object:
    """Walk the whole event log; the first broken link if any."""
    permissions.require(user, Action.AUDIT)
    return verify_chain(ctx.db, ctx.keyring)


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                 "application/xml": {"schema": {"type": "string"}}}}},
)  # fmt: skip
def export(
    ctx: Ctx,
    user: CurrentUser,
    format: audit_export.ExportFormat = audit_export.ExportFormat.CSV,
    process: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    """The task start/complete events for process mining tools."""
    permissions.require(user, Action.AUDIT)
    text = audit_export.export(ctx, user.login, format, process_key=process, since=since,
                               until=until)  # fmt: skip
    name = f"prflow-audit.{format.value}"
    return Response(text, media_type=_MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
