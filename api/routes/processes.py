"""Processes: deployed versions, and deploying uploaded BPMN files (all or nothing).

An upload is written to a private temporary folder under its own base name and deployed
through ``engine.cases.deployment`` exactly as ``prflow deploy`` does, so a refused file reports
its problems with the uploaded file's name, line and element, and nothing is stored.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status

from api.deps import Ctx, CurrentUser
from api.routes import PROBLEMS
from api.schemas import Deployed, Version
from engine.bpmn.definitions import InvalidDefinition
from engine.cases import deployment, permissions
from engine.cases.permissions import Action
from engine.errors import InvalidInput

router = APIRouter(prefix="/api/v1/processes", tags=["processes"], responses=PROBLEMS)
MAX_UPLOAD = 5 * 1024 * 1024


@router.get("", response_model=list[Version])
def list_versions(ctx: Ctx, user: CurrentUser) -> list[deployment.VersionInfo]:
    """Every deployed version of every process, with its cases (anyone signed in)."""
    return deployment.versions(ctx)


@router.get("/{key}/versions", response_model=list[Version])
def process_versions(key: str, ctx: Ctx, user: CurrentUser) -> list[deployment.VersionInfo]:
    return deployment.versions(ctx, key)


@router.post("", response_model=list[Deployed], status_code=status.HTTP_201_CREATED)
def deploy(
    files: Annotated[list[UploadFile], File(description="one or more .bpmn files")],
    ctx: Ctx,
    user: CurrentUser,
    response: Response,
) -> list[deployment.Deployed]:
    """Deploy BPMN files as new versions; 422 with every problem, nothing stored, if any fails."""
    permissions.require(user, Action.DEPLOY)
    with tempfile.TemporaryDirectory(prefix="prflow-upload-") as folder:
        paths = [_save(Path(folder), upload) for upload in files]
        try:
            results = deployment.deploy(ctx, paths, user.login)
        except InvalidDefinition as err:
            # Name the file as the uploader knows it, not by the server's temporary folder.
            named = [replace(p, file=Path(p.file).name) for p in err.problems]
            raise InvalidDefinition(named) from None
    if not any(r.created for r in results):
        response.status_code = status.HTTP_200_OK
    return results


def _save(folder: Path, upload: UploadFile) -> Path:
    name = PurePath((upload.filename or "").replace("\\", "/")).name
    if not name.endswith(".bpmn") or name.startswith("."):
        raise InvalidInput(f"upload {name or '(unnamed)'!r} is not a .bpmn file")
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput(f"{name} is larger than {MAX_UPLOAD // 1024 // 1024} MB")
    path = folder / name
    if path.exists():
        raise InvalidInput(f"{name} was uploaded twice; upload each file once")
    path.write_bytes(data)
    return path
