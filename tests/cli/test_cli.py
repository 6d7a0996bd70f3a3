"""The ``prflow`` command: a P6 case driven by separate processes, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from cli.main import app
from tests.factories import P6, verdict

PRFLOW = [sys.executable, "-m", "cli"]


def run(url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run prflow in a new OS process, as a person at a terminal would."""
    env = {**os.environ, "PRFLOW_DATABASE_URL": url}
    done = subprocess.run(
        [*PRFLOW, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def db(database_url: str) -> str:
    upgraded = CliRunner().invoke(app, ["db", "upgrade"], env={"PRFLOW_DATABASE_URL": database_url})
    assert upgraded.exit_code == 0, upgraded.output
    for login, role in [("owner", "process_owner"), ("somchai", "doh_it_officer"),
                        ("malee", "doh_web_pr_officer")]:  # fmt: skip
        result = CliRunner().invoke(
            app, ["users", "add", login, "--role", role], env={"PRFLOW_DATABASE_URL": database_url}
        )
        assert result.exit_code == 0, result.output
    return database_url


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"PRFLOW_DATABASE_URL": db})
    return result.exit_code, result.stdout, result.stderr


def test_a_case_started_in_one_process_is_finished_from_others(db: str) -> None:
    run(db, "deploy", str(P6), "--as", "owner")
    case_id = run(db, "start", "website_posting", "--data", '{"title": "ข่าว"}', "--as", "malee")
    case = case_id.stdout.strip()
    for decision in ("fix", "ok"):
        inbox = json.loads(run(db, "inbox", "--as", "somchai", "--json").stdout)
        run(db, "complete", str(inbox[0]["id"]), "--as", "somchai", "--data", "{}")
        inbox = json.loads(run(db, "inbox", "--as", "malee", "--json").stdout)
        assert inbox[0]["element_id"] == "verify"
        run(db, "complete", str(inbox[0]["id"]), "--as", "malee",
            "--data", json.dumps(verdict(decision)))  # fmt: skip
    store = json.loads(run(db, "inbox", "--role", "doh_web_pr_officer", "--json").stdout)[0]
    run(db, "claim", str(store["id"]), "--as", "malee")
    run(db, "complete", str(store["id"]), "--as", "malee")

    shown = json.loads(run(db, "show", case, "--json").stdout)
    assert shown["status"] == "completed"
    assert [t["element_id"] for t in shown["tasks"]] == [
        "upload", "verify", "upload", "verify", "store",
    ]  # fmt: skip
    text = run(db, "show", case).stdout
    assert "website_posting v1" in text and "completed" in text
    run(db, "start", "website_posting", "--as", "malee")
    inbox = run(db, "inbox", "--as", "somchai").stdout.splitlines()
    assert inbox[0].split() == ["task", "case", "process", "step", "form", "role", "status",
                                "assignee", "due"]  # fmt: skip
    assert inbox[1].split()[4:7] == ["upload", "p6_upload", "doh_it_officer"]  # "v1" splits off


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["start", "no_such_process", "--as", "malee"], 3,
         "process 'no_such_process' does not exist"),
        (["complete", "4242", "--as", "malee"], 3, "task 4242 does not exist"),
        (["start", "website_posting", "--as", "malee", "--data", "{oops"], 2,
         "--data is not valid JSON"),
        (["start", "website_posting", "--as", "malee", "--data", "[1]"], 2,
         "must be a JSON object"),
        (["inbox", "--role", "chef"], 2, "unknown role 'chef'; known roles:"),
        (["users", "add", "x1", "--role", "chef"], 2, "unknown role 'chef'"),
        (["deploy", "nowhere.bpmn", "--as", "owner"], 2, "nowhere.bpmn: no such file"),
        (["users", "add", "x2", "--role", "auditor", "--by", "system:sweep"], 2,
         "actor 'system:sweep' is not a login"),
    ],
    ids=["unknown-process", "unknown-task", "bad-json", "not-an-object", "unknown-role",
         "user-unknown-role", "missing-file", "system-actor"],
)  # fmt: skip
def test_bad_input_gives_a_clear_error_and_nonzero_exit(
    db: str, args: list[str], code: int, message: str
) -> None:
    assert invoke(db, "deploy", str(P6), "--as", "owner")[0] == 0
    exit_code, _, stderr = invoke(db, *args)
    assert exit_code == code
    assert message in stderr


def test_wrong_role_is_refused_with_exit_4(db: str) -> None:
    invoke(db, "deploy", str(P6), "--as", "owner")
    invoke(db, "start", "website_posting", "--as", "malee")
    _, out, _ = invoke(db, "inbox", "--as", "somchai", "--json")
    task_id = json.loads(out)[0]["id"]
    exit_code, _, stderr = invoke(db, "complete", str(task_id), "--as", "malee")
    assert exit_code == 4
    assert "malee may not complete task" in stderr and "doh_it_officer" in stderr


def test_validate_reports_file_line_and_element(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.bpmn"
    bad.write_text(P6.read_text().replace('decision == "fix"', "__import__('os')"))
    exit_code, _, stderr = invoke(db, "validate", str(bad))
    assert exit_code == 2
    assert f"{bad}:" in stderr and "[Flow_fix]" in stderr and "calling a function" in stderr
    assert invoke(db, "validate", str(P6))[0] == 0


def test_the_demo_runs_real_cases_of_every_manual(sqlite_url: str) -> None:
    with freeze_time("2026-06-09T03:00:00+00:00"):  # Tuesday 10:00 in Bangkok
        exit_code, out, err = invoke(sqlite_url, "demo")
    assert exit_code == 0, err
    assert "deployed 9 processes (9 new versions)" in out
    assert "timer sweep: 1 escalation(s) fired" in out
    assert "follow_up_write_news" in out  # the group director got the late meeting summary
    assert "website_posting v1            completed" in out
    assert "audit: event chains intact" in out
    # The meeting ended at 06:00 Bangkok; its news was due 09:00: an hour ago, all of it in
    # office hours (08:30–12:00).
    assert "write_news  esao_pr_officer  2026-06-09 09:00  1:00          1:00" in out


def test_case_admin_commands_say_who_may_not(db: str) -> None:
    code, _, err = invoke(db, "users", "add", "boss", "--role", "supervisor", "--unit", "กพร.")
    assert code == 0, err
    assert invoke(db, "deploy", str(P6), "--as", "owner")[0] == 0
    code, out, err = invoke(db, "start", "website_posting", "--as", "malee")
    case_id = out.strip()
    code, _, err = invoke(db, "suspend", case_id, "--as", "malee", "--reason", "x")
    assert code == 4 and "malee may not suspend case" in err
    code, out, err = invoke(db, "suspend", case_id, "--as", "owner", "--reason", "รอ")
    assert code == 0 and f"case {case_id} is suspended" in out, err
    code, _, err = invoke(db, "claim", "1", "--as", "somchai")
    assert code == 5 and "is suspended" in err
    code, _, err = invoke(db, "cancel", case_id, "--as", "owner", "--reason", " ")
    assert code == 2 and "say why" in err
    code, out, _ = invoke(db, "cancel", case_id, "--as", "owner", "--reason", "ซ้ำ")
    assert code == 0 and "cancelled" in out
    code, _, err = invoke(db, "show", case_id, "--as", "somchai")
    assert code == 0, err


def test_validate_needs_no_database(tmp_path: Path) -> None:
    """A process owner checks a drawing before any database exists; none is created."""
    url = f"sqlite:///{tmp_path / 'never.db'}"
    code, out, err = invoke(url, "validate", str(P6))
    assert code == 0, err
    assert "website_posting" in out
    assert not (tmp_path / "never.db").exists()
