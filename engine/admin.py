"""Admin operations an office needs, each permission-checked and logged as an event.

- versions (role ``process_owner``): withdraw a broken version so no new case starts on
  it (running cases continue on it), restore it again;
- users (role ``admin``): deactivate a person (they keep their history but can no longer
  act) and reactivate them, grant and revoke roles;
- ``sweep_at`` (role ``ops``): run the timer sweep as of a past instant, to catch up after
  an outage with timers fired at the time they were due.

Every operation runs in one transaction with its event, so a refused one changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from engine import bounds, clock
from engine.accounts.users import UnknownRole, UserView, get_user, known_roles
from engine.cases import timers
from engine.cases.permissions import Action, require
from engine.context import Prflow
from engine.errors import Conflict, InvalidInput, NotFound
from engine.events import chain as events
from engine.events import types as ev
from engine.store.db import write_session
from engine.store.tables import Definition, User, UserRole

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class VersionState:
    key: str
    version: int
    withdrawn_at: datetime | None


def withdraw_version(ctx: Prflow, key: str, version: int, actor: str, reason: str) -> VersionState:
    """Stop new cases starting on ``key`` v``version``; running cases carry on."""
    if not reason.strip():
        raise InvalidInput("say why the version is withdrawn (--reason TEXT); it is logged")
    bounds.check_text(reason, "reason")
    now = clock.now()
    with write_session(ctx.db) as session:
        require(get_user(session, actor), Action.WITHDRAW_VERSION)
        row = _version(session, key, version)
        if row.withdrawn_at is not None:
            raise Conflict(f"{key} v{version} is already withdrawn")
        row.withdrawn_at = now
        session.add(row)
        _log(session, now, ev.VersionWithdrawn(row.id, reason), actor, row)
        return VersionState(key, version, now)


def restore_version(ctx: Prflow, key: str, version: int, actor: str) -> VersionState:
    """Let new cases start on a withdrawn version again (if it is the newest one left)."""
    now = clock.now()
    with write_session(ctx.db) as session:
        require(get_user(session, actor), Action.WITHDRAW_VERSION)
        row = _version(session, key, version)
        if row.withdrawn_at is None:
            raise Conflict(f"{key} v{version} is not withdrawn")
        row.withdrawn_at = None
        session.add(row)
        _log(session, now, ev.VersionRestored(row.id), actor, row)
        return VersionState(key, version, None)


def deactivate_user(ctx: Prflow, login: str, actor: str, reason: str) -> UserView:
    """A deactivated user keeps their history but every command they try is refused."""
    if not reason.strip():
        raise InvalidInput("say why the user is deactivated (--reason TEXT); it is logged")
    bounds.check_text(reason, "reason")
    return _set_active(ctx, login, actor, active=False, reason=reason)


def reactivate_user(ctx: Prflow, login: str, actor: str) -> UserView:
    return _set_active(ctx, login, actor, active=True, reason="")


def grant_role(ctx: Prflow, login: str, role: str, actor: str) -> UserView:
    now = clock.now()
    with write_session(ctx.db) as session:
        require(get_user(session, actor), Action.MANAGE_USERS)
        known = known_roles(ctx.roles)
        if role not in known:
            raise UnknownRole(role, known)
        target = _user(session, login)
        if role in target.roles:
            raise Conflict(f"{login} already holds role {role!r}")
        session.add(UserRole(login=login, role=role))
        _log_user(session, now, ev.RoleGranted(login, role), actor)
        session.flush()
        return get_user(session, login, include_inactive=True)


def revoke_role(ctx: Prflow, login: str, role: str, actor: str) -> UserView:
    now = clock.now()
    with write_session(ctx.db) as session:
        require(get_user(session, actor), Action.MANAGE_USERS)
        target = _user(session, login)
        if role not in target.roles:
            raise Conflict(
                f"{login} does not hold role {role!r}; they hold {', '.join(target.roles)}"
            )
        if login == actor and role == ADMIN_ROLE:
            raise Conflict("you cannot revoke your own admin role; ask another admin")
        link = session.get(UserRole, (login, role))
        assert link is not None
        session.delete(link)
        _log_user(session, now, ev.RoleRevoked(login, role), actor)
        session.flush()
        return get_user(session, login, include_inactive=True)


def sweep_at(ctx: Prflow, at: datetime, actor: str) -> timers.SweepResult:
    """Run the sweep as of ``at`` (not in the future), logged with who asked for it."""
    bounds.check_instant(at, "--at")
    now = clock.now()
    if at > now:
        raise InvalidInput(
            f"--at {at.isoformat()} is in the future; timers may not fire before they are due "
            "(leave --at out to sweep as of now)"
        )
    with write_session(ctx.db) as session:
        require(get_user(session, actor), Action.SWEEP_AT)
        _log_user(session, now, ev.SweepAt(at.isoformat()), actor)
    return timers.sweep(ctx, at)


# --- internals -------------------------------------------------------------------------


def _set_active(ctx: Prflow, login: str, actor: str, *, active: bool, reason: str) -> UserView:
    now = clock.now()
    verb = "reactivate" if active else "deactivate"
    with write_session(ctx.db) as session:
        require(get_user(session, actor), Action.MANAGE_USERS)
        if login == actor:
            raise Conflict(f"you cannot {verb} yourself; ask another admin")
        _user(session, login)
        row = session.get(User, login)
        assert row is not None
        if row.active == active:
            raise Conflict(f"user {login} is already {'active' if active else 'deactivated'}")
        row.active = active
        session.add(row)
        body = ev.UserReactivated(login) if active else ev.UserDeactivated(login, reason)
        _log_user(session, now, body, actor)
        session.flush()
        return get_user(session, login, include_inactive=True)


def _user(session: Session, login: str) -> UserView:
    return get_user(session, login, include_inactive=True)


def _version(session: Session, key: str, version: int) -> Definition:
    bounds.check_id(version, "version")
    row = session.exec(
        select(Definition).where(Definition.key == key, Definition.version == version)
    ).first()
    if row is None:
        raise NotFound(f"version of {key}", version, f"list them with: prflow versions {key}")
    return row


def _log(session: Session, now: datetime, body: ev.EventBody, actor: str, row: Definition) -> None:
    events.append(session, body, at=now, actor=actor, process_key=row.key, version=row.version)


def _log_user(session: Session, now: datetime, body: ev.EventBody, actor: str) -> None:
    events.append(session, body, at=now, actor=actor)
