"""The audit page (auditors only): verify the event chain, download the log as XES or CSV.

Verifying is a read, so it is a plain link (``?verify=1``); the downloads are the JSON
API's export route, which the session cookie signs in to like any page.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import Ctx
from api.web.pages import PageShell, Session, render
from engine.audit.verify import ChainReport, verify_chain
from engine.cases import permissions
from engine.cases.permissions import Action

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class AuditPage:
    """Context of ``audit.html``: the chain check's result, when one was asked for."""

    report: ChainReport | None


@router.get("/audit")
def audit(ctx: Ctx, signed: Session, shell: PageShell, verify: bool = False) -> Response:
    permissions.require(signed.user, Action.AUDIT)
    report = verify_chain(ctx.db, ctx.keyring) if verify else None
    return render(shell, "audit.html", AuditPage(report))
