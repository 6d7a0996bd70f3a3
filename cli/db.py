"""``prflow db``: the database's schema, upgraded only when someone asks for it."""

from __future__ import annotations

import typer

from cli import output
from cli.errors import reported
from cli.options import Json
from engine.settings import Settings
from engine.store.db import connect, migrate, schema_revisions

db_app = typer.Typer(no_args_is_help=True, help="The database schema: status and upgrade.")


@db_app.command("upgrade")
def upgrade(as_json: Json = False) -> None:
    """Migrate the database to the schema this prflow needs (back it up first)."""
    with reported(as_json):
        engine = connect(Settings.from_env().database_url)
        try:
            before, head = schema_revisions(engine)
            migrate(engine)
        finally:
            engine.dispose()
        if as_json:
            output.emit_json({"from": before, "to": head})
        elif before == head:
            typer.echo(f"schema already at {head}")
        else:
            typer.echo(f"schema upgraded from {before or 'empty'} to {head}")


@db_app.command("status")
def status(as_json: Json = False) -> None:
    """The database's schema and the one this prflow needs."""
    with reported(as_json):
        engine = connect(Settings.from_env().database_url)
        try:
            current, head = schema_revisions(engine)
        finally:
            engine.dispose()
        if as_json:
            output.emit_json({"current": current, "needed": head, "ok": current == head})
        else:
            verdict = "ok" if current == head else "outdated: run prflow db upgrade"
            typer.echo(f"schema {current or 'empty'}, needed {head}: {verdict}")
