"""Sign-in throttling: after ``MAX_FAILURES`` wrong passwords for one login within
``WINDOW``, further attempts are refused until the oldest failure leaves the window.

Failures are rows in ``sign_in_failure``, so every server worker counts the same ones.
A successful sign-in clears the login's failures.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from engine.errors import EngineError
from engine.store.tables import SignInFailure

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class TooManyAttempts(EngineError):
    """Sign-in refused for a while after repeated failures."""

    def __init__(self, login: str, retry_after: timedelta) -> None:
        self.login = login
        self.retry_after = retry_after
        minutes = max(1, int(retry_after.total_seconds() // 60) + 1)
        super().__init__(
            f"too many failed sign-ins for {login!r}; try again in {minutes} minute(s) "
            "or ask an administrator to reset the password"
        )


def check(session: Session, login: str, now: datetime) -> None:
    recent = session.exec(
        select(SignInFailure.at)
        .where(SignInFailure.login == login, col(SignInFailure.at) > now - WINDOW)
        .order_by(col(SignInFailure.at))
    ).all()
    if len(recent) >= MAX_FAILURES:
        raise TooManyAttempts(login, recent[-MAX_FAILURES] + WINDOW - now)


def record_failure(session: Session, login: str, now: datetime) -> None:
    # Old rows are useless once outside the window: drop them so the table stays small.
    session.execute(
        delete(SignInFailure).where(
            col(SignInFailure.login) == login, col(SignInFailure.at) <= now - WINDOW
        )
    )
    session.add(SignInFailure(login=login, at=now))  # bounded by passwords.sign_in


def clear(session: Session, login: str) -> None:
    session.execute(delete(SignInFailure).where(col(SignInFailure.login) == login))
