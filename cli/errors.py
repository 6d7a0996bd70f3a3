"""The one place that turns engine errors into CLI messages and exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound

EXIT_CODES: list[tuple[type[EngineError], int]] = [
    (InvalidInput, 2),
    (NotFound, 3),
    (Forbidden, 4),
    (Conflict, 5),
    (EngineError, 1),
]


@contextmanager
def reported() -> Iterator[None]:
    """Run a command body; print an engine error to stderr and exit with its code."""
    try:
        yield
    except EngineError as err:
        code = next(code for kind, code in EXIT_CODES if isinstance(err, kind))
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code) from err


def parse_json_object(text: str, option: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(
            f"{option} is not valid JSON ({err.msg} at column {err.colno}); "
            'write an object like \'{"decision": "ok"}\''
        ) from err
    if not isinstance(value, dict):
        raise InvalidInput(f'{option} must be a JSON object like \'{{"decision": "ok"}}\'')
    return value
