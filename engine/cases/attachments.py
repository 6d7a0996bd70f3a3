"""Uploaded files of a case: kept by the server, checked, hashed, readable only by insiders.

``store`` refuses a file over the size limit or whose *content* is not one of the allowed
kinds (the name's extension must agree with what the bytes are: a ``.pdf`` that is really
an executable is refused), keeps the bytes in the ``attachment`` table and writes the
file's SHA-256 to the event log in the same transaction. A form's attachment field then
names the stored file's id (``engine.forms.values``). Only someone who may work the case
now (``ATTACH``: a holder of one of its open tasks, a supervisor of its unit, a process
owner) may add a file; ``read`` and ``of_case`` answer anyone who may see the case
(``VIEW_CASE``).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from sqlmodel import Session, col, select

from engine import clock
from engine.accounts.users import UserView, get_user
from engine.cases.permissions import Action, require
from engine.cases.views import case_view
from engine.context import Prflow
from engine.errors import InvalidInput, NotFound
from engine.events import chain as events
from engine.events.types import AttachmentStored
from engine.store.db import read_session, write_session
from engine.store.tables import Attachment, Case

MAX_BYTES = 25 * 1024 * 1024  # the server's limit; a form field may set a lower one
EXTENSIONS = {
    "pdf": {".pdf"},
    "png": {".png"},
    "jpeg": {".jpg", ".jpeg"},
    "gif": {".gif"},
    "webp": {".webp"},
    "docx": {".docx"},
    "xlsx": {".xlsx"},
    "pptx": {".pptx"},
    "zip": {".zip"},
    "txt": {".txt", ".csv", ".md"},
}
# Roles that see every case: the process owner runs the system, the auditor checks it.


@dataclass(frozen=True)
class AttachmentView:
    id: int
    case_id: int
    name: str
    kind: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


def sniff(content: bytes) -> str | None:
    """The kind of file these bytes are, by their content; ``None`` if not an allowed kind."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    if b"\x00" not in content:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "txt"
    return None


def _zip_kind(content: bytes) -> str | None:
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    except zipfile.BadZipFile:
        return None
    for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
        if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
            return kind
    return "zip"


def store(ctx: Prflow, case_id: int, name: str, content: bytes, actor: str) -> AttachmentView:
    """Keep an uploaded file for a case; refuse what is too big or not an allowed kind."""
    clean = PurePath(name.replace("\\", "/")).name.strip()
    if not clean:
        raise InvalidInput("the file has no name; give it one such as report.pdf")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"{clean}: {len(content)} bytes is over the limit of {MAX_BYTES}")
    if not content:
        raise InvalidInput(f"{clean}: the file is empty")
    kind = sniff(content)
    allowed = ", ".join(sorted(EXTENSIONS))
    if kind is None:
        raise InvalidInput(f"{clean}: its content is not an allowed kind of file ({allowed})")
    suffix = PurePath(clean).suffix.lower()
    if suffix not in EXTENSIONS[kind]:
        raise InvalidInput(
            f"{clean}: the content is a {kind} file but the name ends in {suffix or 'nothing'}; "
            f"name it {PurePath(clean).stem}{sorted(EXTENSIONS[kind])[0]}"
        )
    now = clock.now()
    digest = hashlib.sha256(content).hexdigest()
    with write_session(ctx.db) as session:
        user = get_user(session, actor)
        case = _case(session, user, case_id, Action.ATTACH)
        row = Attachment(
            case_id=case_id,
            name=clean,
            kind=kind,
            size=len(content),
            sha256=digest,
            content=content,
            uploaded_by=actor,
            uploaded_at=now,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        stored = AttachmentStored(row.id, clean, kind, len(content), digest)
        events.append_for_case(session, case, stored, at=now, actor=actor)
        return _view(row)


def read(ctx: Prflow, attachment_id: int, actor: str) -> tuple[AttachmentView, bytes]:
    """A stored file and its bytes, for a user who may see its case."""
    with read_session(ctx.db) as session:
        user = get_user(session, actor)
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise NotFound("attachment", attachment_id)
        _case(session, user, row.case_id, Action.VIEW_CASE)
        return _view(row), bytes(row.content)


def of_case(ctx: Prflow, case_id: int, actor: str) -> list[AttachmentView]:
    """The files kept on a case, oldest first, for a user who may see the case."""
    with read_session(ctx.db) as session:
        _case(session, get_user(session, actor), case_id, Action.VIEW_CASE)
        rows = session.exec(
            select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
        ).all()
        return [_view(row) for row in rows]


def _case(session: Session, user: UserView, case_id: int, action: Action) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id)
    require(user, action, case_view(session, case_id))
    return case


def _view(row: Attachment) -> AttachmentView:
    assert row.id is not None
    return AttachmentView(
        row.id,
        row.case_id,
        row.name,
        row.kind,
        row.size,
        row.sha256,
        row.uploaded_by,
        row.uploaded_at,
    )
