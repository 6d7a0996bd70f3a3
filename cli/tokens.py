"""``prflow tokens`` (API bearer tokens) and ``prflow users password`` (web sign-in).

A token is printed once, at creation; only its hash is stored, so a lost token is revoked
and replaced, never shown again.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli import output
from cli.errors import reported
from cli.options import Json
from engine.accounts import passwords, tokens
from engine.context import Prflow

tokens_app = typer.Typer(no_args_is_help=True, help="API bearer tokens.")


@tokens_app.command("create")
def create(
    login: str,
    label: Annotated[str, typer.Option(help="what the token is for, e.g. 'reporting script'")] = "",
    as_json: Json = False,
) -> None:
    """Create a token for LOGIN and print it (once: it cannot be shown again)."""
    with reported():
        token, info = tokens.create(Prflow.from_env(), login, label)
        if as_json:
            output.emit_json({"token": token, "id": info.id, "login": info.login})
            return
        typer.echo(token)
        typer.echo(f"token {info.id} for {login}: store it now, it is not shown again", err=True)


@tokens_app.command("list")
def list_tokens(
    login: Annotated[str | None, typer.Option("--user", help="only this user's")] = None,
    as_json: Json = False,
) -> None:
    """Tokens with their owners and state (never the tokens themselves)."""
    with reported():
        found = tokens.list_tokens(Prflow.from_env(), login)
        if as_json:
            output.emit_json(found)
            return
        output.table(
            ["id", "user", "label", "created", "revoked"],
            [[str(t.id), t.login, t.label or "-", output.when(t.created_at),
              output.when(t.revoked_at)] for t in found],
        )  # fmt: skip


@tokens_app.command("revoke")
def revoke(token_id: int, as_json: Json = False) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    with reported():
        info = tokens.revoke(Prflow.from_env(), token_id)
        if as_json:
            output.emit_json(info)
        else:
            typer.echo(f"revoked token {info.id} of {info.login}")


def set_password(
    login: str,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                          help="the new password (asked for when not given)")
    ],
) -> None:  # fmt: skip
    """Set LOGIN's password for signing in to the web pages."""
    with reported():
        passwords.set_password(Prflow.from_env(), login, password)
        typer.echo(f"password set for {login}")
