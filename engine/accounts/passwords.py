"""Passwords: argon2id hashes, and signing in with a login and password.

Signing in is throttled per login (``engine.accounts.throttle``). The argon2 check runs outside
any write transaction (it takes tens of milliseconds on purpose), and an unknown login is
checked against a dummy hash so its answer takes as long as a wrong password's: the timing
does not tell which logins exist. Every sign-in, refused sign-in and password change is an
event of the system chain, so an auditor can tell who came in when (never a password or
hash).
"""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import select

from engine import clock
from engine.accounts import throttle
from engine.accounts.users import UserView, get_user
from engine.context import Prflow
from engine.errors import EngineError, InvalidInput
from engine.events import chain as events
from engine.events.types import PasswordSet, SignedIn, SignInRefused
from engine.store.db import read_session, write_session
from engine.store.tables import UserPassword

MIN_LENGTH = 8
MAX_LOGGED_LOGIN = 64  # the most of a typed login that is kept (throttle rows, events)
OPERATOR = "operator"  # the actor of commands run at the server's shell, which need no --as
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("prflow-no-such-user")


class SignInFailed(EngineError):
    """Wrong login or password; deliberately does not say which."""

    def __init__(self) -> None:
        super().__init__("the login or password is wrong; check both and try again")


def set_password(ctx: Prflow, login: str, password: str, actor: str = OPERATOR) -> None:
    """Store a new password hash for an existing user (replacing any old one)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")
    hashed = _HASHER.hash(password)
    now = clock.now()
    with write_session(ctx.db) as session:
        get_user(session, login)
        row = session.get(UserPassword, login)
        if row is None:
            session.add(UserPassword(login=login, hash=hashed, changed_at=now))
        else:
            row.hash, row.changed_at = hashed, now
            session.add(row)
        events.append(session, PasswordSet(login), at=now, actor=actor)


def sign_in(ctx: Prflow, login: str, password: str, now: datetime | None = None) -> UserView:
    """The user whose password this is; ``SignInFailed`` or ``TooManyAttempts`` otherwise."""
    now = now or clock.now()
    # What was typed as a login is counted and logged, but not without bound; check, record
    # and clear must count the same text, or a long login would never be throttled.
    who = login[:MAX_LOGGED_LOGIN]
    try:
        with read_session(ctx.db) as session:
            throttle.check(session, who, now)
            stored = session.exec(
                select(UserPassword.hash).where(UserPassword.login == login)
            ).first()
    except throttle.TooManyAttempts:
        with write_session(ctx.db) as session:
            events.append(session, SignInRefused(who, "locked"), at=now, actor=who)
        raise
    if not _matches(stored or _DUMMY_HASH, password) or stored is None:
        with write_session(ctx.db) as session:
            throttle.record_failure(session, who, now)
            events.append(session, SignInRefused(who, "wrong_password"), at=now, actor=who)
        raise SignInFailed()
    with write_session(ctx.db) as session:
        throttle.clear(session, who)
        user = get_user(session, login)
        events.append(session, SignedIn(login), at=now, actor=login)
        return user


def _matches(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
