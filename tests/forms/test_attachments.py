"""Uploaded files: kept by the server, checked by content, hashed in the event log, read
only by people who may see the case, and named by a form's attachment field."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from sqlmodel import col, select

from engine.cases import attachments, service
from engine.context import Prflow
from engine.errors import Forbidden, InvalidInput
from engine.forms.values import FormInvalid
from engine.store.db import read_session
from engine.store.tables import Attachment, Event
from tests.forms.conftest import open_task

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_sniffing_goes_by_content() -> None:
    assert attachments.sniff(PDF) == "pdf"
    assert attachments.sniff(PNG) == "png"
    assert attachments.sniff(docx()) == "docx"
    assert attachments.sniff("ข้อความ".encode()) == "txt"
    assert attachments.sniff(b"MZ\x90\x00\x03\x00") is None  # a Windows executable


def test_a_file_is_stored_with_its_hash_in_the_log_and_read_back_by_insiders(
    office: Prflow,
) -> None:
    case = service.start(office, "office_website_publishing", {}, "u_esao_requester")
    stored = attachments.store(office, case.id, "ประกาศ.pdf", PDF, "u_esao_requester")
    assert (stored.kind, stored.size) == ("pdf", len(PDF))
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    with read_session(office.db) as session:
        event = session.exec(select(Event).order_by(col(Event.seq).desc())).first()
    assert event is not None and event.type == "attachment_stored"
    assert json.loads(event.payload)["sha256"] == stored.sha256
    # The webmaster works on the case; the PR officer of another process does not.
    view, content = attachments.read(office, stored.id, "u_esao_webmaster")
    assert (view.name, content) == ("ประกาศ.pdf", PDF)
    with pytest.raises(Forbidden):
        attachments.read(office, stored.id, "u_esao_pr_officer")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"MZ\x90\x00\x03\x00\xff\xfe", "not an allowed kind of file"),
        ("photo.pdf", PNG, "the content is a png file but the name ends in .pdf"),
        ("empty.pdf", b"", "the file is empty"),
        ("big.pdf", PDF + b"0" * attachments.MAX_BYTES, "over the limit"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(
    office: Prflow, name: str, content: bytes, message: str
) -> None:
    case = service.start(office, "office_website_publishing", {}, "u_esao_requester")
    with pytest.raises(InvalidInput, match=message):
        attachments.store(office, case.id, name, content, "u_esao_requester")
    with read_session(office.db) as session:
        assert session.exec(select(Attachment)).all() == []


def test_a_form_names_an_uploaded_file_of_its_case(office: Prflow) -> None:
    case = service.start(office, "office_website_publishing", {}, "u_esao_requester")
    other = service.start(office, "office_website_publishing", {}, "u_esao_requester")
    mine = attachments.store(office, case.id, "ข้อมูล.pdf", PDF, "u_esao_requester")
    theirs = attachments.store(office, other.id, "อื่น.pdf", PDF, "u_esao_requester")
    task = open_task(office, case.id)
    base = {"details": "ข้อมูล", "sources_cited": True, "no_copyright_infringement": True}
    with pytest.raises(FormInvalid, match="not a file uploaded to this case"):
        service.complete(office, task.id, {**base, "files": [{"file": theirs.id}]},
                         "u_esao_requester")  # fmt: skip
    done = service.complete(office, task.id, {**base, "files": [{"file": mine.id}]},
                            "u_esao_requester")  # fmt: skip
    assert done.data is not None
    assert done.data["files"] == [
        {"file": {"id": mine.id, "name": "ข้อมูล.pdf", "kind": "pdf", "size": len(PDF),
                  "sha256": mine.sha256}}
    ]  # fmt: skip
