"""``prflow forms``, ``prflow complete`` with per-field messages and ``--attach``, and
``prflow print`` — the adapter over the same engine checks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from engine.cases import service
from engine.context import Prflow
from tests.factories import P6, deploy
from tests.forms.conftest import P8, open_task


def invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"PRFLOW_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def test_forms_lists_each_form_and_its_fields(lite: Prflow) -> None:
    code, out, _ = invoke(str(lite.db.url), "forms", "p9_request_permission")
    assert code == 0
    assert "แบบฟอร์มการขออนุญาตเผยแพร่ข้อมูลข่าวสารบนเว็บไซต์" in out
    assert "topic_other" in out and "required when topic in other" in out
    code, out, _ = invoke(str(lite.db.url), "forms", "--json")
    assert code == 0 and len(json.loads(out)) >= 63


def test_complete_prints_each_bad_field_and_leaves_the_task_open(lite: Prflow) -> None:
    url = lite.db.url.render_as_string(hide_password=False)
    deploy(lite, P6)
    case = service.start(lite, "website_posting", {}, "u_doh_web_pr_officer")
    service.complete(lite, open_task(lite, case.id).id, {}, "u_doh_it_officer")
    verify = open_task(lite, case.id)
    code, _, err = invoke(
        url,
        "complete",
        str(verify.id),
        "--as",
        "u_doh_web_pr_officer",
        "--data",
        '{"decision": "maybe", "colour": "red"}',
    )
    assert code == 2
    assert "decision: ผลการพิจารณา: 'maybe' ไม่ใช่ตัวเลือกที่กำหนด" in err and "allowed: ok, fix" in err
    assert "colour: ไม่มีช่อง colour" in err and "nothing was saved" in err
    assert open_task(lite, case.id).id == verify.id


def test_complete_uploads_attachments_and_print_writes_html(lite: Prflow, tmp_path: Path) -> None:
    url = lite.db.url.render_as_string(hide_password=False)
    deploy(lite, P8)
    case = service.start(lite, "news_production", {}, "u_esao_pr_officer")
    receive = open_task(lite, case.id)
    agenda = tmp_path / "agenda.pdf"
    agenda.write_bytes(b"%PDF-1.4\n%%EOF\n")
    data = '{"agenda_kind": "daily", "agenda_date": "2026-05-18"}'
    code, _, err = invoke(
        url,
        "complete",
        str(receive.id),
        "--as",
        "u_esao_pr_officer",
        "--attach",
        f"agenda_file={agenda}",
        "--data",
        data,
    )
    assert code == 0, err
    stored = service.task(lite, receive.id).data
    assert stored is not None and stored["agenda_file"]["name"] == "agenda.pdf"
    assert stored["agenda_file"]["sha256"] == hashlib.sha256(agenda.read_bytes()).hexdigest()
    page = tmp_path / "case.html"
    code, _, err = invoke(
        url, "print", str(case.id), "--as", "u_esao_pr_officer", "--html", str(page)
    )
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert "วาระงานประจำวันของผู้บริหาร" in html and "๑๘ พฤษภาคม ๒๕๖๙" in html
    assert "agenda.pdf" in html
    code, _, err = invoke(url, "print", str(case.id), "--as", "u_doh_it_officer")
    assert code == 4 and "may not view case" in err
