"""Browser sessions: a random id per sign-in, stored only as its SHA-256.

A new id is made at every sign-in (and the session the browser presented, if any, is
deleted), so an id planted in a browser before sign-in is worthless after it: no session
fixation. Each session carries its own CSRF token, which every form and unsafe request of
that session must echo.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col

from engine import clock
from engine.accounts.users import UserView, get_user
from engine.context import Prflow
from engine.store.db import read_session, write_session
from engine.store.tables import WebSession

LIFETIME = timedelta(hours=10)  # one office day, with room for overtime


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, and the CSRF token their forms must carry."""

    user: UserView
    csrf_token: str


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(ctx: Prflow, login: str, replacing: str | None = None) -> tuple[str, SignedIn]:
    """A new session id for ``login`` (dropping ``replacing``); the id goes in the cookie."""
    now = clock.now()
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with write_session(ctx.db) as session:
        user = get_user(session, login)
        if replacing:
            session.execute(delete(WebSession).where(col(WebSession.id_hash) == _digest(replacing)))
        # Expired sessions of anyone are garbage: sweep them here, where sessions are made.
        session.execute(delete(WebSession).where(col(WebSession.expires_at) <= now))
        session.add(
            WebSession(
                id_hash=_digest(session_id),
                login=login,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + LIFETIME,
            )
        )
    return session_id, SignedIn(user, csrf)


def lookup(ctx: Prflow, session_id: str) -> SignedIn | None:
    """The live session with this id, or None (unknown, expired or signed out)."""
    with read_session(ctx.db) as session:
        row = session.get(WebSession, _digest(session_id))
        if row is None or row.expires_at <= clock.now():
            return None
        return SignedIn(get_user(session, row.login), row.csrf_token)


def close_session(ctx: Prflow, session_id: str) -> None:
    with write_session(ctx.db) as session:
        session.execute(delete(WebSession).where(col(WebSession.id_hash) == _digest(session_id)))
