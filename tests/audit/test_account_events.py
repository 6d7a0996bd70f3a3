"""Sign-ins, refused sign-ins, password changes and API tokens are facts of the log.

They go to the system chain with the person (or ``operator`` for the server's shell) as
actor, never a password, hash or token; the chain still verifies afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import col, select

from engine.accounts import passwords, throttle, tokens
from engine.audit.verify import verify_chain
from engine.context import Prflow
from engine.events.types import decode
from engine.store.db import read_session
from engine.store.tables import Event
from tests.factories import add_people

SECRET = "correct horse battery"


def account_events(ctx: Prflow) -> list[tuple[str, str, dict[str, object]]]:
    with read_session(ctx.db) as session:
        rows = session.exec(select(Event).order_by(col(Event.seq))).all()
    wanted = {"signed_in", "sign_in_refused", "password_set", "token_created", "token_revoked"}
    return [(e.actor, e.type, decode(e.type, e.payload).__dict__)
            for e in rows if e.type in wanted and e.case_id is None]  # fmt: skip


def test_sign_ins_passwords_and_tokens_are_logged_without_secrets(ctx: Prflow) -> None:
    add_people(ctx)
    with freeze_time(datetime(2026, 6, 8, 2, 0, tzinfo=UTC)) as frozen:
        passwords.set_password(ctx, "somchai", SECRET)
        passwords.sign_in(ctx, "somchai", SECRET)
        for _ in range(throttle.MAX_FAILURES):
            with pytest.raises(passwords.SignInFailed):
                passwords.sign_in(ctx, "somchai", "wrong password!")
        with pytest.raises(throttle.TooManyAttempts):
            passwords.sign_in(ctx, "somchai", SECRET)
        frozen.tick(timedelta(hours=1))
        token, info = tokens.create(ctx, "somchai", "script")
        tokens.revoke(ctx, info.id)
    logged = account_events(ctx)
    assert [(actor, kind) for actor, kind, _ in logged] == [
        ("operator", "password_set"),
        ("somchai", "signed_in"),
        *[("somchai", "sign_in_refused")] * throttle.MAX_FAILURES,
        ("somchai", "sign_in_refused"),
        ("operator", "token_created"),
        ("operator", "token_revoked"),
    ]
    assert logged[-3][2] == {"login": "somchai", "reason": "locked"}
    assert logged[-2][2] == {"login": "somchai", "token_id": info.id, "label": "script"}
    with read_session(ctx.db) as session:
        payloads = " ".join(e.payload for e in session.exec(select(Event)).all())
    assert SECRET not in payloads and token not in payloads and "argon2" not in payloads
    assert verify_chain(ctx.db, ctx.keyring).ok


def test_a_long_typed_login_is_throttled_like_any_other(ctx: Prflow) -> None:
    """What is typed as a login is cut to a bound, and counted by that same text."""
    typed = "x" * 100
    with freeze_time(datetime(2026, 6, 8, 2, 0, tzinfo=UTC)):
        for _ in range(throttle.MAX_FAILURES):
            with pytest.raises(passwords.SignInFailed):
                passwords.sign_in(ctx, typed, "wrong password!")
        with pytest.raises(throttle.TooManyAttempts):
            passwords.sign_in(ctx, typed, "wrong password!")
    logged = account_events(ctx)
    assert {actor for actor, _, _ in logged} == {"x" * passwords.MAX_LOGGED_LOGIN}
    assert logged[-1][2]["reason"] == "locked"
