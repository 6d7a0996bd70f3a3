"""Public diagrams (MIWG reference models, SpiffWorkflow's test data) through ``validate``.

None of them is a prflow process (no roles, forms or time limits), so each is refused; what
matters is how: exit code 2, never a traceback, and every problem names its element.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

PUBLIC = sorted((Path(__file__).parent / "public").glob("*/*.bpmn"))
PROBLEM = re.compile(r"^(?:error: )?(\S+\.bpmn)(?::(\d+))? (\[[^\]]+\])?")


@pytest.mark.parametrize("path", PUBLIC, ids=[f"{p.parent.name}/{p.stem}" for p in PUBLIC])
@pytest.mark.parametrize("executable", [False, True], ids=["plain", "executable"])
def test_a_public_diagram_is_refused_with_every_problem_naming_its_element(
    sqlite_url: str, path: Path, executable: bool
) -> None:
    args = ["validate", str(path)] + (["--executable"] if executable else [])
    result = CliRunner().invoke(app, args, env={"PRFLOW_DATABASE_URL": sqlite_url})
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines
    for line in lines:
        match = PROBLEM.match(line)
        assert match and match.group(3), f"no element id in: {line}"
        assert match.group(2), f"no line in: {line}"


def test_public_diagrams_are_a_representative_sample() -> None:
    assert 30 <= len(PUBLIC) <= 45


def test_deploying_every_public_diagram_at_once_stores_nothing_and_names_each_file(
    sqlite_url: str,
) -> None:
    env = {"PRFLOW_DATABASE_URL": sqlite_url}
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    assert CliRunner().invoke(app, ["users", "add", "owner", "--role", "process_owner"], env=env)
    result = CliRunner().invoke(
        app, ["deploy", *map(str, PUBLIC), "--as", "owner", "--executable"], env=env
    )
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2
    assert {str(path) for path in PUBLIC} <= {
        match.group(1) for line in result.stderr.splitlines() if (match := PROBLEM.match(line))
    }
    versions = CliRunner().invoke(app, ["versions", "--json"], env=env)
    assert versions.exit_code == 0 and versions.stdout.strip() in ("[]", "")
