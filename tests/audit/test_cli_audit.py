"""``prflow audit``: the commands print what the engine found and exit non-zero when broken."""

from __future__ import annotations

import json
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from engine.context import Prflow
from tests.audit.helpers import admin_rights
from tests.audit.test_replay import p6_case


def invoke(ctx: Prflow, *args: str) -> tuple[int, str, str]:
    url = ctx.db.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["audit", *args], env={"PRFLOW_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def test_audit_commands_on_a_p6_case(p6: Prflow, tmp_path: Path) -> None:
    with freeze_time("2026-06-08T02:00:00+00:00"):  # Monday 09:00 in Bangkok
        case_id = p6_case(p6, ("fix", "ok"))
    code, out, _ = invoke(p6, "verify")
    assert code == 0 and out.startswith("ok: ")
    code, out, _ = invoke(p6, "timeline", str(case_id))
    assert code == 0 and "2026-06-08 09:00" in out and "on_time" in out
    code, out, err = invoke(p6, "timeline", str(case_id), "--json")
    assert code == 0, err
    assert [t["step"] for t in json.loads(out)["tasks"]][:2] == ["upload", "verify"]
    code, out, _ = invoke(p6, "replay", "--all")
    assert code == 0 and f"case {case_id} website_posting v1: ok" in out
    # A time without an offset is Bangkok time: 08:00 there is before the 09:00 start.
    code, out, _ = invoke(p6, "replay", str(case_id), "--at", "2026-06-08T08:00", "--json")
    assert json.loads(out)["status"] == "not_started"
    code, out, _ = invoke(p6, "replay", str(case_id), "--at", "2026-06-08T10:00", "--json")
    assert json.loads(out)["status"] == "completed"
    target = tmp_path / "log.xes"
    code, _, _ = invoke(p6, "export", "--format", "xes", "--as", "auditor", "--output", str(target))
    assert code == 0 and "<trace>" in target.read_text(encoding="utf-8")
    code, _, err = invoke(p6, "export", "--format", "csv", "--as", "malee")
    assert code == 4 and "malee may not read or export the audit trail" in err
    code, _, err = invoke(p6, "purge", str(case_id), "--as", "owner")
    assert code == 5 and "must be kept 10 years" in err


def test_verify_and_replay_exit_6_when_the_log_was_altered(p6: Prflow) -> None:
    with freeze_time("2026-06-08T02:00:00+00:00"):
        case_id = p6_case(p6, ("ok",))
    with admin_rights(p6.db) as conn:
        conn.execute(text("UPDATE event SET actor = 'mallory' WHERE seq = 3"))
    code, out, _ = invoke(p6, "verify")
    assert code == 6 and "BROKEN at seq 3 (bad_mac)" in out
    code, out, _ = invoke(p6, "replay", str(case_id))
    assert code == 0  # the actor is not part of what replay checks: verify is what catches it


def test_anchor_then_verify_against_it_and_deep(p6: Prflow, tmp_path: Path) -> None:
    with freeze_time("2026-06-08T02:00:00+00:00"):
        case_id = p6_case(p6, ("ok",))
    code, out, _ = invoke(p6, "anchor")
    assert code == 0 and json.loads(out)["heads"][f"case/{case_id}"][0] > 0
    kept = tmp_path / "anchor.json"
    kept.write_text(out, encoding="utf-8")
    code, out, _ = invoke(p6, "verify", "--anchor", str(kept), "--deep")
    assert code == 0 and "and the anchor; case and task rows match the log" in out
    with p6.db.begin() as conn:
        conn.execute(
            text("UPDATE task SET assignee = 'mallory' WHERE case_id = :c"), {"c": case_id}
        )
    code, out, _ = invoke(p6, "verify", "--deep")
    assert code == 6 and out.startswith("ROWS DIFFER (assignee): case ")
    kept.write_text("not json", encoding="utf-8")
    code, _, err = invoke(p6, "verify", "--anchor", str(kept))
    assert code == 2 and "is not an anchor file" in err
