"""``prflow`` commands as a process owner types them, for the CLI diagram tests.

Each call is a separate command: the definition cache is cleared first, so every command
parses its definitions again, as a new process would. No command may end in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from typer.testing import CliRunner

from cli.main import app
from engine.bpmn import definitions

Prflow = Callable[..., tuple[int, str, str]]


def prflow_on(database_url: str, people: Mapping[str, str]) -> Prflow:
    """``prflow ARGS`` on a fresh, upgraded database holding ``people`` (login -> role)."""

    def invoke(*args: str) -> tuple[int, str, str]:
        definitions._COMPILED.clear()  # a separate command parses the definition again
        result = CliRunner().invoke(app, list(args), env={"PRFLOW_DATABASE_URL": database_url})
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        assert "Traceback" not in result.stderr
        return result.exit_code, result.stdout, result.stderr

    assert invoke("db", "upgrade")[0] == 0
    for login, role in people.items():
        assert invoke("users", "add", login, "--role", role)[0] == 0
    return invoke


def ok(prflow: Prflow, *args: str) -> str:
    code, out, err = prflow(*args)
    assert code == 0, err
    return out
