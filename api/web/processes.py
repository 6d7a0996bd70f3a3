"""The process list: every deployed version with its cases, and for process owners an
upload form that deploys new versions or shows the validation problems in place.

Uploads go through the same checks and the same all-or-nothing ``deployment.deploy`` as
the JSON API and ``prflow deploy``; a refused file lists file, line, element and message.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from api.deps import Ctx
from api.errors import problem
from api.routes.processes import _save as save_upload
from api.web.pages import Csrf, PageShell, Session, Shell, back, check_csrf, render
from engine.bpmn.definitions import InvalidDefinition, Problem
from engine.cases import deployment, permissions
from engine.cases.permissions import Action
from engine.context import Prflow
from engine.errors import EngineError

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ProcessGroup:
    key: str
    name: str
    versions: list[deployment.VersionInfo]


@dataclass(frozen=True)
class ProcessesPage:
    """Context of ``processes.html``: versions by process; the last upload's refusal."""

    groups: list[ProcessGroup]
    can_deploy: bool
    problems: list[Problem] = field(default_factory=list)
    error: str = ""


def _page(ctx: Prflow, shell: Shell, problems: list[Problem] | None = None,
          error: str = "") -> ProcessesPage:  # fmt: skip
    groups: dict[str, list[deployment.VersionInfo]] = {}
    for version in deployment.versions(ctx):
        groups.setdefault(version.key, []).append(version)
    listed = [ProcessGroup(key, found[-1].name, found) for key, found in sorted(groups.items())]
    return ProcessesPage(listed, Action.DEPLOY in shell.actions, problems or [], error)


@router.get("/processes")
def processes(ctx: Ctx, signed: Session, shell: PageShell) -> Response:
    return render(shell, "processes.html", _page(ctx, shell))


@router.post("/processes")
def upload(
    ctx: Ctx, signed: Session, shell: PageShell, csrf_token: Csrf,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:  # fmt: skip
    check_csrf(signed, csrf_token)
    permissions.require(signed.user, Action.DEPLOY)
    chosen = [f for f in files or [] if f.filename]
    if not chosen:
        return render(shell, "processes.html", _page(ctx, shell, error=shell.t("choose_file")),
                      status=422)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="prflow-upload-") as folder:
        try:
            paths = [save_upload(Path(folder), f) for f in chosen]
            results = deployment.deploy(ctx, paths, signed.user.login)
        except InvalidDefinition as err:
            named = [replace(p, file=Path(p.file).name) for p in err.problems]
            return render(shell, "processes.html", _page(ctx, shell, named), status=422)
        except EngineError as err:
            body = problem(err, shell.lang)
            page = _page(ctx, shell, error=f"{body['title']}: {body['detail']}")
            return render(shell, "processes.html", page, status=int(body["status"]))
    created = [f"{r.key} v{r.version}" for r in results if r.created]
    if not created:
        return back("/processes", "unchanged")
    return back("/processes", "deployed", n=", ".join(created))
