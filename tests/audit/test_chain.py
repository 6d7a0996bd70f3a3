"""The event log refuses changes, and verify names the first broken link after tampering.

To tamper, each test first shows the trigger refusing, then steps around it as someone with
database admin rights could (dropping or disabling the trigger).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from engine import service
from engine.audit import verify
from engine.audit.verify import BreakKind, verify_chain
from engine.context import Prflow
from engine.events import canonical
from engine.store.db import is_sqlite, read_session
from engine.store.tables import Event
from tests.audit.helpers import admin_rights
from tests.factories import add_people, open_task


def run_p6_case(ctx: Prflow) -> int:
    with freeze_time("2026-06-08T02:00:00+00:00"):
        case = service.start(ctx, "website_posting", {"title": "ข่าว"}, "malee")
        service.complete(ctx, open_task(ctx, case.id).id, {}, "somchai")
        service.complete(ctx, open_task(ctx, case.id).id, {"decision": "ok"}, "malee")
    return case.id


def completion_seq(ctx: Prflow, element_id: str) -> int:
    with read_session(ctx.db) as session:
        rows = session.exec(
            select(Event).where(Event.type == "task_completed").order_by(col(Event.seq))
        ).all()
    return next(e.seq for e in rows if f'"element_id": "{element_id}"' in e.payload and e.seq)


def test_an_untouched_log_verifies(p6: Prflow) -> None:
    run_p6_case(p6)
    report = verify_chain(p6.db)
    assert report.ok and report.broken is None
    assert report.checked == report.last_seq == report.head_seq > 10


@pytest.mark.parametrize("statement", ["UPDATE event SET actor = 'mallory'", "DELETE FROM event"])
def test_the_database_refuses_to_change_or_delete_events(p6: Prflow, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), p6.db.begin() as conn:
        conn.execute(text(statement))
    assert verify_chain(p6.db).ok


def test_postgres_refuses_truncate(p6: Prflow) -> None:
    if is_sqlite(p6.db):
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"), p6.db.begin() as conn:
        conn.execute(text("TRUNCATE event"))


def test_an_edited_event_is_named_by_its_seq(p6: Prflow) -> None:
    run_p6_case(p6)
    seq = completion_seq(p6, "verify")
    with admin_rights(p6.db) as conn:
        conn.execute(
            text("UPDATE event SET payload = :p WHERE seq = :s"),
            {"p": '{"data": {"decision": "fix"}}', "s": seq},
        )
    broken = verify_chain(p6.db).broken
    assert broken is not None
    assert (broken.kind, broken.seq) == (BreakKind.EDITED, seq)
    assert f"event seq {seq} was edited" in broken.message


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(p6: Prflow) -> None:
    run_p6_case(p6)
    seq = completion_seq(p6, "verify")
    with read_session(p6.db) as session:
        row = session.get(Event, seq)
        assert row is not None
    row.actor = "mallory"
    forged = hashlib.sha256(
        canonical(
            seq=seq, at=row.at, type=row.type, actor=row.actor, case_id=row.case_id,
            task_id=row.task_id, process_key=row.process_key, version=row.version,
            payload=row.payload, prev_hash=row.prev_hash,
        )
    ).hexdigest()  # fmt: skip
    with admin_rights(p6.db) as conn:
        conn.execute(
            text("UPDATE event SET actor = 'mallory', hash = :h WHERE seq = :s"),
            {"h": forged, "s": seq},
        )
    broken = verify_chain(p6.db).broken
    assert broken is not None
    assert (broken.kind, broken.seq, broken.found) == (BreakKind.RELINKED, seq + 1, row.hash)
    assert f"seq {seq} was rewritten" in broken.message


def test_a_deleted_event_is_named_as_a_gap(p6: Prflow) -> None:
    run_p6_case(p6)
    seq = completion_seq(p6, "upload")
    with admin_rights(p6.db) as conn:
        conn.execute(text("DELETE FROM event WHERE seq = :s"), {"s": seq})
    broken = verify_chain(p6.db).broken
    assert broken is not None
    assert (broken.kind, broken.seq) == (BreakKind.GAP, seq)
    assert f"events {seq}..{seq} are missing" in broken.message


def test_a_truncated_tail_is_caught_by_the_chain_head(p6: Prflow) -> None:
    run_p6_case(p6)
    report = verify_chain(p6.db)
    with admin_rights(p6.db) as conn:
        conn.execute(text("DELETE FROM event WHERE seq > :s"), {"s": report.last_seq - 2})
    broken = verify_chain(p6.db).broken
    assert broken is not None
    assert (broken.kind, broken.seq) == (BreakKind.TRUNCATED, report.last_seq - 1)


def test_an_inserted_event_is_out_of_chain(p6: Prflow) -> None:
    run_p6_case(p6)
    head = verify_chain(p6.db)
    with admin_rights(p6.db) as conn:
        # A well-formed row that links to the real last event, written past append().
        conn.execute(
            text(
                "INSERT INTO event (seq, at, type, actor, case_id, payload, prev_hash, hash) "
                "VALUES (:s, :at, 'task_completed', 'mallory', 1, '{}', :prev, :h)"
            ),
            {"s": head.last_seq + 1, "at": "2026-06-08 03:00:00+00:00",
             "prev": head.last_hash, "h": "f" * 64},
        )  # fmt: skip
    broken = verify_chain(p6.db).broken
    assert broken is not None
    assert (broken.kind, broken.seq) == (BreakKind.OUT_OF_CHAIN, head.last_seq + 1)


def test_appends_after_a_check_keep_verifying(p6: Prflow) -> None:
    run_p6_case(p6)
    first = verify_chain(p6.db)
    run_p6_case(p6)
    second = verify_chain(p6.db)
    assert first.ok and second.ok
    assert second.checked > first.checked and second.last_hash != first.last_hash


def test_the_append_only_migration_downgrades_and_upgrades(p6: Prflow) -> None:
    ctx = p6
    from alembic import command
    from alembic.config import Config

    from engine.store.db import MIGRATIONS_DIR, migrate

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with ctx.db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    with ctx.db.begin() as conn:
        conn.execute(text("UPDATE event SET actor = actor"))  # allowed without the triggers
    migrate(ctx.db)
    with pytest.raises(DBAPIError, match="append-only"), ctx.db.begin() as conn:
        conn.execute(text("UPDATE event SET actor = actor"))


def test_verify_sees_one_snapshot_while_others_write(
    ctx: Prflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ordinary write committing while verify walks the log is not tampering."""
    walk = verify._walk

    def walk_while_someone_writes(session: Any, head: Any) -> Any:
        add_people(ctx, {"newcomer": ["auditor"]})  # commits an event meanwhile
        return walk(session, head)

    monkeypatch.setattr(verify, "_walk", walk_while_someone_writes)
    report = verify.verify_chain(ctx.db)
    assert report.ok, report.broken
    monkeypatch.setattr(verify, "_walk", walk)
    assert verify.verify_chain(ctx.db).ok
