"""Users and the roles they hold; the checks that decide who may act.

Office roles come from the role catalogue (``processes/roles.toml``), the lanes of the
diagrams. A few system roles belong to prflow itself rather than to any manual:
``process_owner`` deploys definitions, ``auditor`` reads and exports the audit trail,
``ops`` watches deadlines, ``supervisor`` manages the work of one unit, ``admin`` manages
users. What each may do is decided in ``engine.cases.permissions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
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


_U = User.__table__.c  # type: ignore[attr-defined]
_R = UserRole.__table__.c  # type: ignore[attr-defined]
_USER_WITH_ROLES = (
    select(_U.login, _U.display_name, _U.unit, _U.active, _R.role)  # type: ignore[call-overload]
    .select_from(User.__table__)  # type: ignore[attr-defined]
    .outerjoin(UserRole.__table__, _R.login == _U.login)  # type: ignore[attr-defined]
    .where(_U.login == bindparam("login"))
)


def get_user(session: Session, login: str, *, include_inactive: bool = False) -> UserView:
    """The user acting (or, with ``include_inactive``, any user); a deactivated user
    cannot act, so every command that starts here refuses them."""
    # One round trip, on a statement built once: every command starts here. Users added
    # earlier in this session must be written first (a Core read does not autoflush).
    session.flush()  # nothing to do (and cheap) when the session is clean
    rows = connection_of(session).execute(_USER_WITH_ROLES, {"login": login}).all()
    if not rows:
        raise NotFound("user", login, "add them with: prflow users add LOGIN --role ROLE")
    user = rows[0]
    if not user.active and not include_inactive:
        raise Forbidden(
            login, "act", "the account is deactivated; an admin can reactivate it with: "
            f"prflow admin reactivate-user {login} --as ADMIN"
        )  # fmt: skip
    roles = sorted(row.role for row in rows if row.role is not None)
    return UserView(user.login, user.display_name, user.unit, tuple(roles), user.active)


def list_users(session: Session) -> list[UserView]:
    return [
        get_user(session, login, include_inactive=True)
        for login in session.exec(select(User.login)).all()
    ]
