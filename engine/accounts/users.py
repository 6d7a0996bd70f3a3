"""Users and the roles they hold; the checks that decide who may act.

Office roles come from the role catalogue (``processes/roles.toml``), the lanes of the
diagrams. A few system roles belong to prflow itself rather than to any manual:
``process_owner`` deploys definitions, ``auditor`` reads and exports the audit trail,
``ops`` watches deadlines, ``supervisor`` manages the work of one unit, ``admin`` manages
users. What each may do is decided in ``engine.cases.permissions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam
from sqlmodel import Session, select

from engine import bounds
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.events import chain as events
from engine.events.types import UserAdded
from engine.roles import RoleCatalogue
from engine.store.db import connection_of
from engine.store.tables import User, UserRole

SYSTEM_ROLES = {
    "process_owner": "deploys process definitions",
    "auditor": "reads case timelines and exports the audit trail",
    "ops": "watches deadlines, overdue work and timers",
    "supervisor": "reassigns tasks and cancels, suspends or resumes cases of their own unit",
    "admin": "manages users and their roles",
}
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class UnknownRole(InvalidInput):
    def __init__(self, role: str, known: Iterable[str]) -> None:
        self.role = role
        super().__init__(f"unknown role {role!r}; known roles: {', '.join(sorted(known))}")


@dataclass(frozen=True)
class UserView:
    login: str
    display_name: str
    unit: str
    roles: tuple[str, ...]
    active: bool = True


def known_roles(catalogue: RoleCatalogue) -> set[str]:
    return {role.id for role in catalogue} | set(SYSTEM_ROLES)


def add_user(
    session: Session,
    catalogue: RoleCatalogue,
    *,
    login: str,
    display_name: str,
    unit: str,
    roles: list[str],
    now: datetime,
    actor: str,
) -> UserView:
    """Stage a new user with roles; refuses a bad login, a duplicate or an unknown role."""
    if not _LOGIN.match(login):
        raise InvalidInput(
            f"login {login!r} is not allowed: use 2–64 lowercase letters, digits, '.', '_' or '-'"
        )
    if not roles:
        raise InvalidInput(f"user {login!r} needs at least one role (--role ROLE)")
    bounds.check_text(display_name, "display name")
    bounds.check_text(unit, "unit")
    if not _LOGIN.match(actor):
        # Names with ':' are the engine's own (system:sweep); nobody may log as them.
        raise InvalidInput(f"actor {actor!r} is not a login; name who is adding the user")
    known = known_roles(catalogue)
    for role in roles:
        if role not in known:
            raise UnknownRole(role, known)
    if session.get(User, login) is not None:
        raise InvalidInput(f"user {login!r} already exists")
    session.add(User(login=login, display_name=display_name or login, unit=unit, created_at=now))
    session.flush()
    for role in sorted(set(roles)):
        session.add(UserRole(login=login, role=role))
    # Granting roles is what lets people act on cases, so auditors must see it.
    events.append(session, UserAdded(login, sorted(set(roles)), unit), at=now, actor=actor)
    return UserView(login, display_name or login, unit, tuple(sorted(set(roles))))


_USERS: Table = User.__table__  # type: ignore[attr-defined]
_ROLES: Table = UserRole.__table__  # type: ignore[attr-defined]
_U, _R = _USERS.c, _ROLES.c
# The acting user's columns, one row per role (one with role NULL when they hold none).
ACTOR_COLUMNS = (_U.login, _U.display_name, _U.unit, _U.active, _R.role)
_USER_WITH_ROLES = (
    select(*ACTOR_COLUMNS)  # type: ignore[call-overload]
    .select_from(_USERS)
    .outerjoin(_ROLES, _R.login == _U.login)
    .where(_U.login == bindparam("login"))
)


def with_actor(query: Select[Any], login: ColumnElement[Any]) -> Select[Any]:
    """``query`` with ``ACTOR_COLUMNS`` of the user ``login`` joined on (outer joins, so a
    missing user still returns the query's rows, with NULL user columns): a command that
    reads its target anyway learns who acts in the same round trip."""
    return query.outerjoin(_USERS, _U.login == login).outerjoin(_ROLES, _R.login == _U.login)


def get_user(session: Session, login: str, *, include_inactive: bool = False) -> UserView:
    """The user acting (or, with ``include_inactive``, any user); a deactivated user
    cannot act, so every command that starts here refuses them."""
    # One round trip, on a statement built once: every command starts here. Users added
    # earlier in this session must be written first (a Core read does not autoflush).
    session.flush()  # nothing to do (and cheap) when the session is clean
    rows = connection_of(session).execute(_USER_WITH_ROLES, {"login": login}).all()
    return user_of(login, [tuple(row) for row in rows], include_inactive=include_inactive)


def user_of(
    login: str, rows: Sequence[Sequence[Any]], *, include_inactive: bool = False
) -> UserView:
    """The user from rows of ``ACTOR_COLUMNS`` (login NULL: no such user), with the same
    refusals as ``get_user``."""
    if not rows or rows[0][0] is None:
        raise NotFound("user", login, "add them with: prflow users add LOGIN --role ROLE")
    found, display_name, unit, active, _ = rows[0]
    if not active and not include_inactive:
        raise Forbidden(
            login, "act", "the account is deactivated; an admin can reactivate it with: "
            f"prflow admin reactivate-user {login} --as ADMIN"
        )  # fmt: skip
    roles = sorted({row[4] for row in rows if row[4] is not None})
    return UserView(found, display_name, unit, tuple(roles), active)


def list_users(session: Session) -> list[UserView]:
    return [
        get_user(session, login, include_inactive=True)
        for login in session.exec(select(User.login)).all()
    ]
