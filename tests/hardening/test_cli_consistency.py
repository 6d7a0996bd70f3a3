"""The CLI behaves alike everywhere: --json errors on stdout, the same exit code for the
same mistake, `show` prints the case data, and the README walk-through does what it says."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from engine.settings import REPO_PROCESSES_DIR

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def db(sqlite_url: str) -> str:
    assert invoke(sqlite_url, "db", "upgrade")[0] == 0
    for login, role in [("owner", "process_owner"), ("somchai", "doh_it_officer"),
                        ("malee", "doh_web_pr_officer")]:  # fmt: skip
        assert invoke(sqlite_url, "users", "add", login, "--role", role)[0] == 0
    assert invoke(sqlite_url, "deploy", str(REPO_PROCESSES_DIR), "--as", "owner")[0] == 0
    return sqlite_url


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"PRFLOW_DATABASE_URL": db})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def test_json_errors_are_an_object_on_stdout_with_the_messages_fields(db: str) -> None:
    code, out, err = invoke(db, "claim", "999", "--as", "somchai", "--json")
    assert code == 3
    error = json.loads(out)
    assert error == {
        "error": "NotFound",
        "message": err.removeprefix("error: ").strip(),
        "exit_code": 3,
        "kind": "task",
        "key": 999,
    }
    code, out, _ = invoke(db, "start", "website_posting", "--data", "{bad", "--as", "malee",
                          "--json")  # fmt: skip
    assert code == 2 and json.loads(out)["error"] == "InvalidInput"
    assert invoke(db, "users", "add", "aud", "--role", "auditor")[0] == 0
    code, out, _ = invoke(db, "start", "website_posting", "--as", "aud", "--json")
    assert code == 4
    assert json.loads(out) | {"message": ""} == {
        "error": "Forbidden", "message": "", "exit_code": 4, "actor": "aud",
        "action": "start a website_posting case",
        "reason": "it needs one of the roles doh_it_officer, doh_release_approver, "
                  "doh_web_pr_officer, process_owner; aud holds auditor",
    }  # fmt: skip
    # Without --json, stdout stays empty so scripts reading it see nothing half-written.
    code, out, err = invoke(db, "claim", "999", "--as", "somchai")
    assert (code, out) == (3, "") and "task 999 does not exist" in err


def test_an_unknown_process_or_role_is_bad_input_in_every_report(db: str) -> None:
    assert invoke(db, "ontime", "--process", "ghost")[0] == 2
    assert invoke(db, "overdue", "--role", "ghost")[0] == 2
    assert invoke(db, "overdue", "--process", "ghost")[0] == 2
    _, out, _ = invoke(db, "ontime", "--process", "ghost", "--json")
    assert "unknown process 'ghost'" in json.loads(out)["message"]
    assert invoke(db, "ontime", "--process", "website_posting")[0] == 0


def test_show_prints_the_case_data(db: str) -> None:
    code, out, _ = invoke(db, "start", "website_posting", "--data",
                          '{"title": "ข่าวกรมอนามัย", "pages": 3}', "--as", "malee")  # fmt: skip
    assert code == 0
    code, out, _ = invoke(db, "show", out.strip())
    assert code == 0
    assert '  title = "ข่าวกรมอนามัย"' in out.splitlines()
    assert "  pages = 3" in out.splitlines()


@pytest.mark.parametrize("bad", ["-1", "0", str(2**63), "-9223372036854775809"])
def test_bad_ids_are_a_clear_error_not_no_such_option(db: str, bad: str) -> None:
    for command in (["claim", bad, "--as", "somchai"], ["show", bad],
                    ["complete", bad, "--as", "somchai"], ["audit", "timeline", bad]):  # fmt: skip
        code, _, err = invoke(db, *command)
        assert code == 2, (command, err)
        assert "not an id; ids are whole numbers from 1 up" in err


def test_audit_export_to_a_bad_path_says_what_is_wrong(db: str, tmp_path: Path) -> None:
    assert invoke(db, "users", "add", "aud", "--role", "auditor")[0] == 0
    args = ["audit", "export", "--format", "csv", "--as", "aud", "--output"]
    code, _, err = invoke(db, *args, str(tmp_path / "missing" / "x.csv"))
    assert code == 2 and "does not exist; create it first" in err
    code, _, err = invoke(db, *args, str(tmp_path))
    assert code == 2 and "is a folder" in err
    assert invoke(db, *args, str(tmp_path / "x.csv"))[0] == 0


def test_sweep_without_a_holiday_file_is_a_clear_error(db: str, tmp_path: Path) -> None:
    (tmp_path / "roles.toml").write_bytes((REPO_PROCESSES_DIR / "roles.toml").read_bytes())
    result = CliRunner().invoke(
        app, ["sweep"], env={"PRFLOW_DATABASE_URL": db, "PRFLOW_PROCESSES_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2 and "holidays.toml is missing" in result.stderr


def _walkthrough() -> list[tuple[list[str], str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## A walk through the CLI", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    steps = []
    for line in block.splitlines():
        if not line.startswith("prflow "):
            continue
        command, _, comment = line.partition("   #")
        steps.append((shlex.split(command, comments=True)[1:], comment.strip()))
    return steps


def test_the_readme_walk_through_runs_on_its_own_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = README.read_text(encoding="utf-8")
    assert "export PRFLOW_DATABASE_URL=sqlite:///./walkthrough.db" in readme
    monkeypatch.chdir(tmp_path)
    # The reader's own drawing, saved by the modeler with isExecutable="false".
    drawn = (REPO_PROCESSES_DIR / "website_posting.bpmn").read_text(encoding="utf-8")
    assert 'isExecutable="true"' in drawn
    (tmp_path / "drawn.bpmn").write_text(
        drawn.replace('isExecutable="true"', 'isExecutable="false"'), encoding="utf-8"
    )
    db = f"sqlite:///{tmp_path / 'walkthrough.db'}"
    steps = _walkthrough()
    assert steps[0][0] == ["db", "upgrade"]
    for args, comment in steps:
        args = [str(REPO_PROCESSES_DIR) if a == "processes/" else a for a in args]
        args, redirect = (args[:-2], args[-1]) if args[-2:-1] == [">"] else (args, None)
        code, out, err = invoke(db, *args)
        assert code == 0, (args, err)
        if redirect:  # `prflow ... > file`, as the shell would
            (tmp_path / redirect).write_text(out, encoding="utf-8")
        promised = re.fullmatch(r"prints (\S+)", comment)
        if promised:
            assert out.strip() == promised[1], (args, out)
    assert (tmp_path / "office.xes").exists() and (tmp_path / "anchor.json").exists()


def test_a_row_that_cannot_be_shown_does_not_take_the_listing_down(db: str) -> None:
    """A due time stored before the 1900-2200 bound (year 9999) overflows Bangkok time;
    the lists show that one cell as such and every other row as usual."""
    from sqlalchemy import create_engine, text

    code, out, _ = invoke(db, "start", "website_posting", "--as", "malee")
    assert code == 0
    engine = create_engine(db)
    with engine.begin() as connection:
        connection.execute(text("UPDATE task SET due_at = '9999-12-31 23:59:59.000000'"))
    engine.dispose()
    # P6 opens with write_release, in the starter's own (doh_web_pr_officer) lane.
    for args in (["inbox", "--as", "malee"], ["show", out.strip()]):
        code, shown, err = invoke(db, *args)
        assert code == 0, err
        assert "(cannot show 9999-12-31T23:59:59+00:00)" in shown
    code, shown, _ = invoke(db, "inbox", "--as", "malee", "--json")
    assert code == 0 and json.loads(shown)[0]["due_at"] == "9999-12-31T23:59:59+00:00"
