"""``prflow admin``: withdraw and restore versions, deactivate and reactivate users, grant
and revoke roles. Thin: every check and every event is in ``engine.admin`` (``prflow
sweep --at`` is the fourth admin operation, beside the sweep in ``cli.deadlines``)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import output
from cli.errors import reported
from cli.options import AsUser, Json
from engine import admin
from engine.accounts import users
from engine.context import Prflow

admin_app = typer.Typer(no_args_is_help=True, help="Admin operations (permission-checked, logged).")

Key = Annotated[str, typer.Argument(help="process id, e.g. website_posting")]
Version = Annotated[int, typer.Argument(help="version number (see prflow versions KEY)")]
Login = Annotated[str, typer.Argument(help="the user's login")]
Role = Annotated[str, typer.Argument(help="a role id (roles.toml or a system role)")]
Reason = Annotated[str, typer.Option(help="why (logged)")]
# Negative numbers reach the engine's id check instead of being read as unknown options.
_NUMBERS = {"ignore_unknown_options": True}


@admin_app.command("withdraw-version", context_settings=_NUMBERS)
def withdraw_version(
    key: Key, version: Version, actor: AsUser, reason: Reason = "", as_json: Json = False
) -> None:
    """No new case starts on this version; running cases continue on it."""
    with reported(as_json):
        _print_version(
            admin.withdraw_version(Prflow.from_env(), key, version, actor, reason), as_json
        )


@admin_app.command("restore-version", context_settings=_NUMBERS)
def restore_version(key: Key, version: Version, actor: AsUser, as_json: Json = False) -> None:
    """New cases may start on this version again."""
    with reported(as_json):
        _print_version(admin.restore_version(Prflow.from_env(), key, version, actor), as_json)


@admin_app.command("deactivate-user")
def deactivate_user(
    login: Login, actor: AsUser, reason: Reason = "", as_json: Json = False
) -> None:
    """The user keeps their history but can no longer act."""
    with reported(as_json):
        _print_user(admin.deactivate_user(Prflow.from_env(), login, actor, reason), as_json)


@admin_app.command("reactivate-user")
def reactivate_user(login: Login, actor: AsUser, as_json: Json = False) -> None:
    """Let a deactivated user act again."""
    with reported(as_json):
        _print_user(admin.reactivate_user(Prflow.from_env(), login, actor), as_json)


@admin_app.command("grant")
def grant(login: Login, role: Role, actor: AsUser, as_json: Json = False) -> None:
    """Give a user a role."""
    with reported(as_json):
        _print_user(admin.grant_role(Prflow.from_env(), login, role, actor), as_json)


@admin_app.command("revoke")
def revoke(login: Login, role: Role, actor: AsUser, as_json: Json = False) -> None:
    """Take a role from a user."""
    with reported(as_json):
        _print_user(admin.revoke_role(Prflow.from_env(), login, role, actor), as_json)


def _print_version(state: admin.VersionState, as_json: bool) -> None:
    if as_json:
        output.emit_json(state)
        return
    verdict = f"withdrawn {output.when(state.withdrawn_at)}" if state.withdrawn_at else "startable"
    typer.echo(f"{state.key} v{state.version}: {verdict}")


def _print_user(user: users.UserView, as_json: bool) -> None:
    if as_json:
        output.emit_json(user)
        return
    state = "active" if user.active else "deactivated"
    typer.echo(f"{user.login} ({state}): {', '.join(user.roles) or 'no roles'}")
