"""The one place that turns engine errors into CLI messages and exit codes.

Exit codes: 2 bad input, 3 not found, 4 not allowed, 5 conflict, 6 audit failure (``prflow
audit``), 7 database schema out of date, 1 an internal error (a bug: reported without a
traceback, please file it). With ``--json`` an error is also a JSON object on stdout:
``{"error": <kind>, "message": ..., "exit_code": ..., <the error's own fields>}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.exceptions import TyperException

from cli import output
from engine import bounds
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound
from engine.store.db import SchemaOutdated

EXIT_CODES: list[tuple[type[EngineError], int]] = [
    (InvalidInput, 2),
    (NotFound, 3),
    (Forbidden, 4),
    (Conflict, 5),
    (SchemaOutdated, 7),
    (EngineError, 1),
]
EXIT_INTERNAL = 1


@contextmanager
def reported(as_json: bool = False) -> Iterator[None]:
    """Run a command body; print an engine error and exit with its code.

    ``as_json`` is the command's ``--json``: the error is then printed as JSON on stdout too.
    """
    try:
        yield
    except EngineError as err:
        code = next(code for kind, code in EXIT_CODES if isinstance(err, kind))
        _report(err, code, as_json)
        raise typer.Exit(code) from err
    except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):
        raise
    except Exception as err:
        # A bug of ours: say so plainly instead of dumping a traceback on the person.
        _report(err, EXIT_INTERNAL, as_json, internal=True)
        raise typer.Exit(EXIT_INTERNAL) from err


def _report(err: Exception, code: int, as_json: bool, internal: bool = False) -> None:
    message = (
        f"internal error ({type(err).__name__}: {err}); this is a bug in prflow, please report it"
        if internal
        else str(err)
    )
    typer.echo(f"error: {message}", err=True)
    if as_json:
        fields: dict[str, Any] = {
            "error": type(err).__name__,
            "message": message,
            "exit_code": code,
        }
        if not internal:
            fields.update(
                {k: v for k, v in vars(err).items() if not k.startswith("_") and k not in fields}
            )
        output.emit_json(fields)


def parse_json_object(text: str, option: str) -> dict[str, object]:
    value = bounds.load_json(text, option)
    if not isinstance(value, dict):
        raise InvalidInput(f'{option} must be a JSON object like \'{{"decision": "ok"}}\'')
    return value
