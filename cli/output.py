"""How the CLI prints: JSON for scripts (``--json``), aligned text in Bangkok time for people."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer

BANGKOK = ZoneInfo("Asia/Bangkok")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # stored before NaN was refused; JSON has no such number
    return value


def emit_json(value: Any) -> None:
    typer.echo(
        json.dumps(_plain(value), ensure_ascii=False, indent=2, allow_nan=False, default=str)
    )


def when(value: datetime | None) -> str:
    """An instant as people in the office read it: Bangkok wall time."""
    if value is None:
        return "-"
    try:
        return value.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, ValueError):
        # A value stored before the 1900-2200 bound must not take the whole list down.
        return f"(cannot show {value.isoformat()})"


def table(headers: list[str], rows: list[list[str]]) -> None:
    if not rows:
        typer.echo("(none)")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    typer.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
