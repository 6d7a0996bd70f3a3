"""API bearer tokens: shown once at creation, stored as their SHA-256, revocable.

A token is 32 random bytes, so a plain SHA-256 (not a slow password hash) is enough to make
a stolen table useless, and looking a token up per request stays one indexed read.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam
from sqlmodel import col, select

from engine import clock
from engine.accounts.passwords import OPERATOR
from engine.accounts.users import ACTOR_COLUMNS, UserView, get_user, user_of, with_actor
from engine.context import Prflow
from engine.errors import Conflict, NotFound
from engine.events import chain as events
from engine.events.types import TokenCreated, TokenRevoked
from engine.store.db import connection_of, read_session, write_session
from engine.store.tables import ApiToken

PREFIX = "prf_"  # lets secret scanners and people recognise a prflow token


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never the token itself."""

    id: int
    login: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    assert row.id is not None
    return TokenInfo(row.id, row.login, row.label, row.created_at, row.revoked_at)


def create(
    ctx: Prflow, login: str, label: str = "", actor: str = OPERATOR
) -> tuple[str, TokenInfo]:
    """A new token for ``login``: the plain token (show it once) and what is stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    with write_session(ctx.db) as session:
        get_user(session, login)
        row = ApiToken(login=login, token_hash=_digest(token), label=label, created_at=now)
        session.add(row)
        session.flush()
        info = _info(row)
        events.append(session, TokenCreated(login, info.id, label), at=now, actor=actor)
        return token, info


def list_tokens(ctx: Prflow, login: str | None = None) -> list[TokenInfo]:
    query = select(ApiToken).order_by(col(ApiToken.id))
    if login is not None:
        query = query.where(ApiToken.login == login)
    with read_session(ctx.db) as session:
        return [_info(row) for row in session.exec(query).all()]


def revoke(ctx: Prflow, token_id: int, actor: str = OPERATOR) -> TokenInfo:
    now = clock.now()
    with write_session(ctx.db) as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound("token", token_id, "see tokens with: prflow tokens list")
        if row.revoked_at is not None:
            raise Conflict(f"token {token_id} was already revoked at {row.revoked_at.isoformat()}")
        row.revoked_at = now
        session.add(row)
        events.append(session, TokenRevoked(row.login, token_id), at=now, actor=actor)
        return _info(row)


def user_for(ctx: Prflow, token: str) -> UserView | None:
    """The user a live token belongs to, or None for an unknown or revoked token; a
    deactivated user's token is refused as their browser session is (``Forbidden``)."""
    # One round trip (every API request starts here): the token's user with their roles.
    with read_session(ctx.db) as session:
        rows = connection_of(session).execute(_TOKEN_USER, {"digest": _digest(token)}).all()
    if not rows:
        return None
    return user_of(rows[0][0], [tuple(row) for row in rows])


_TOKENS: Table = ApiToken.__table__  # type: ignore[attr-defined]
_TOKEN_USER = with_actor(
    select(*ACTOR_COLUMNS).select_from(_TOKENS),  # type: ignore[call-overload]
    _TOKENS.c.login,
).where(_TOKENS.c.token_hash == bindparam("digest"), _TOKENS.c.revoked_at.is_(None))
