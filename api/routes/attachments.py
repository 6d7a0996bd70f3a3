"""A case's files: upload one (multipart), list them, download one.

The engine checks everything (who may attach or see, size, kind by content) in
``engine.cases.attachments``; this module only moves bytes in and out of HTTP. A download
is sent as an attachment with its original (often Thai) name in RFC 5987 form, never
rendered inline, so a file cannot run script in the app's origin.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Response, UploadFile, status
from starlette.datastructures import UploadFile as PostedFile

from api.deps import Ctx, CurrentUser
from api.routes import PROBLEMS
from api.schemas import AttachmentId, AttachmentOut, CaseId
from engine.cases import attachments

router = APIRouter(prefix="/api/v1", tags=["attachments"], responses=PROBLEMS)
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "zip": "application/zip",
    "txt": "text/plain; charset=utf-8",
}


@router.post(
    "/cases/{case_id}/attachments",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
)
def upload(
    case_id: CaseId, file: Annotated[UploadFile, File()], ctx: Ctx, user: CurrentUser
) -> attachments.AttachmentView:
    """Keep a file on the case; a form's attachment field then names its ``id``."""
    return attachments.store(ctx, case_id, file.filename or "", upload_bytes(file), user.login)


@router.get("/cases/{case_id}/attachments", response_model=list[AttachmentOut])
def list_files(case_id: CaseId, ctx: Ctx, user: CurrentUser) -> list[attachments.AttachmentView]:
    return attachments.of_case(ctx, case_id, user.login)


@router.get("/attachments/{attachment_id}", response_class=Response)
def download(attachment_id: AttachmentId, ctx: Ctx, user: CurrentUser) -> Response:
    view, content = attachments.read(ctx, attachment_id, user.login)
    return file_response(view, content)


def upload_bytes(file: PostedFile) -> bytes:
    """An uploaded file's bytes, read one byte past the server's limit: enough for the
    engine to refuse a bigger file by its size, without holding all of it."""
    return file.file.read(attachments.MAX_BYTES + 1)


def file_response(view: attachments.AttachmentView, content: bytes) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(view.name)}"
    return Response(content, media_type=MEDIA_TYPES.get(view.kind, "application/octet-stream"),
                    headers={"Content-Disposition": disposition,
                             "X-Content-Type-Options": "nosniff"})  # fmt: skip
