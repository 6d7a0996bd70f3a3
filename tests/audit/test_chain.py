"""The event log against someone who can write to the database but does not hold the key.

Each attack is run on SQLite and PostgreSQL and must be detected, with the detection named:
the ``BreakKind`` of ``verify_chain`` (with or without an anchor kept outside), or the
field ``deep_check`` names. Where an attack needs the guard triggers out of the way, the
test first shows them refusing, then steps around them as a database admin could.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from engine.audit import verify
from engine.audit.deep import deep_check
from engine.audit.verify import BreakKind, take_anchor, verify_chain
from engine.cases import service
from engine.context import Prflow
from engine.events.chain import canonical
from engine.events.keys import DEMO_SECRET, Keyring, MissingAuditKey, keyring
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session
from engine.store.tables import ChainHead, Event
from tests.audit.helpers import admin_rights
from tests.factories import add_people, open_task

AT = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)


def run_p6_case(ctx: Prflow) -> int:
    with freeze_time("2026-06-08T02:00:00+00:00"):
        case = service.start(ctx, "website_posting", {"title": "ข่าว"}, "malee")
        service.complete(ctx, open_task(ctx, case.id).id, {}, "somchai")
        service.complete(ctx, open_task(ctx, case.id).id, {"decision": "ok"}, "malee")
    return case.id


def completion(ctx: Prflow, element_id: str) -> Event:
    with read_session(ctx.db) as session:
        rows = session.exec(
            select(Event).where(Event.type == "task_completed").order_by(col(Event.seq))
        ).all()
    return next(e for e in rows if f'"element_id": "{element_id}"' in e.payload)


def completion_seq(ctx: Prflow, element_id: str) -> int:
    seq = completion(ctx, element_id).seq
    assert seq is not None
    return seq


def head_of(ctx: Prflow, chain: str) -> ChainHead:
    with read_session(ctx.db) as session:
        head = session.get(ChainHead, chain)
    assert head is not None
    return head


def last_event(ctx: Prflow, chain: str) -> Event:
    with read_session(ctx.db) as session:
        return session.exec(
            select(Event).where(Event.chain == chain).order_by(col(Event.chain_seq).desc())
        ).first()  # type: ignore[return-value]


def broken(ctx: Prflow, anchor: dict[str, Any] | None = None) -> verify.ChainBreak:
    found = verify_chain(ctx.db, ctx.keyring, anchor).broken
    assert found is not None
    return found


def forged_insert(conn: Any, after: Event, **changes: Any) -> None:
    """Append a well-formed row after ``after`` in its chain, MAC'd without the server key."""
    row = {
        "at": "2026-06-08 03:00:00+00:00", "type": "task_completed", "actor": "mallory",
        "case_id": after.case_id, "task_id": after.task_id, "payload": "{}",
        "chain": after.chain, "chain_seq": after.chain_seq + 1, "key_id": after.key_id,
        "prev_hash": after.hash, "hash": "f" * 64, **changes,
    }  # fmt: skip
    conn.execute(
        text(
            "INSERT INTO event (at, type, actor, case_id, task_id, payload, chain, chain_seq, "
            "key_id, prev_hash, hash) VALUES (:at, :type, :actor, :case_id, :task_id, "
            ":payload, :chain, :chain_seq, :key_id, :prev_hash, :hash)"
        ),
        row,
    )


def test_an_untouched_log_verifies_and_its_rows_match(p6: Prflow) -> None:
    run_p6_case(p6)
    report = verify_chain(p6.db, p6.keyring)
    assert report.ok and report.broken is None
    assert report.chains == 2 and report.checked > 10  # system + the case
    assert deep_check(p6.db) is None


def test_one_events_bytes_and_mac_are_pinned() -> None:
    """A change to the canonical form or the MAC would orphan every stored event."""
    message = canonical(
        chain="case/7", chain_seq=3, at=AT, type="task_completed", actor="somchai", case_id=7,
        task_id=12, process_key="website_posting", version=1,
        payload='{"data": {"url": "ข่าว"}, "element_id": "upload", "role": "doh_it_officer"}',
        prev_hash="ab" * 32, key_id="demo",
    )  # fmt: skip
    assert (
        message
        == (
            '{"actor":"somchai","at":"2026-06-08T02:00:00.000000+00:00",'
            '"case_id":7,"chain":"case/7","chain_seq":3,"key_id":"demo","payload":"{\\"data\\": '
            '{\\"url\\": \\"ข่าว\\"}, \\"element_id\\": \\"upload\\", \\"role\\": '
            '\\"doh_it_officer\\"}","prev_hash":"'
            + "ab"
            * 32
            + '","process_key":"website_posting",'
            '"task_id":12,"type":"task_completed","version":1}'
        ).encode()
    )
    keys = Keyring("demo", {"demo": DEMO_SECRET.encode()})
    assert keys.sign(message) == PINNED_MAC


PINNED_MAC = "0e6e0d48b388532cbf4367634d5ec25dda24b25acc74cb7fac60fb1c820908fc"


def test_production_without_a_key_refuses_to_sign(ctx: Prflow) -> None:
    settings = Settings(
        database_url=ctx.settings.database_url, processes_dir=REPO_PROCESSES_DIR, mode="production"
    )
    with pytest.raises(MissingAuditKey, match="PRFLOW_AUDIT_KEY"):
        keyring(settings)
    short = Settings(
        database_url=ctx.settings.database_url,
        processes_dir=REPO_PROCESSES_DIR,
        audit_key="k1:short",
    )
    with pytest.raises(Exception, match="at least 32 characters"):
        keyring(short)


@pytest.mark.parametrize("statement", ["UPDATE event SET actor = 'mallory'", "DELETE FROM event"])
def test_the_database_refuses_to_change_or_delete_events(p6: Prflow, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), p6.db.begin() as conn:
        conn.execute(text(statement))
    assert verify_chain(p6.db, p6.keyring).ok


def test_the_database_refuses_inserts_off_the_chain_and_heads_that_do_not_follow(
    p6: Prflow,
) -> None:
    case_id = run_p6_case(p6)
    chain = f"case/{case_id}"
    last = last_event(p6, chain)
    for changes in ({"prev_hash": "0" * 64}, {"chain_seq": last.chain_seq + 2},
                    {"chain_seq": last.chain_seq}, {"chain": "case/999"}):  # fmt: skip
        with pytest.raises(DBAPIError, match="does not extend its chain"), p6.db.begin() as c:
            forged_insert(c, last, **changes)
    for seq, mac in ((last.chain_seq - 1, last.prev_hash), (last.chain_seq + 1, "f" * 64)):
        with pytest.raises(DBAPIError, match="does not follow"), p6.db.begin() as conn:
            conn.execute(text("UPDATE event_chain SET seq = :s, hash = :h WHERE chain = :c"),
                         {"s": seq, "h": mac, "c": chain})  # fmt: skip
    with pytest.raises(DBAPIError, match="delete a chain head"), p6.db.begin() as conn:
        conn.execute(text("DELETE FROM event_chain WHERE chain = :c"), {"c": chain})
    with pytest.raises(DBAPIError, match="start empty"), p6.db.begin() as conn:
        conn.execute(text("INSERT INTO event_chain (chain, seq, hash) VALUES ('case/999', 5, 'x')"))
    assert verify_chain(p6.db, p6.keyring).ok and deep_check(p6.db) is None


def test_forged_append_with_head_moved_is_a_bad_mac(p6: Prflow) -> None:
    """The triggers let a well-linked row in (they cannot check a MAC); verify cannot be fooled."""
    case_id = run_p6_case(p6)
    chain = f"case/{case_id}"
    last = last_event(p6, chain)
    # Without the key, the best a forger can do is a plain hash of the canonical bytes.
    fake = hashlib.sha256(b"mallory completes it").hexdigest()
    with p6.db.begin() as conn:  # triggers on
        forged_insert(conn, last, hash=fake)
        conn.execute(text("UPDATE event_chain SET seq = :s, hash = :h WHERE chain = :c"),
                     {"s": last.chain_seq + 1, "h": fake, "c": chain})  # fmt: skip
    found = broken(p6)
    assert (found.kind, found.chain, found.chain_seq) == (
        BreakKind.BAD_MAC,
        chain,
        last.chain_seq + 1,
    )
    assert "written by someone without the server's key" in found.message


def test_rows_edited_and_rehashed_without_the_key_are_a_bad_mac(p6: Prflow) -> None:
    run_p6_case(p6)
    row = completion(p6, "verify")
    wrong = Keyring("guess", {"guess": b"x" * 32, "demo": b"not the server's secret" * 2})
    message = canonical(
        chain=row.chain, chain_seq=row.chain_seq, at=row.at, type=row.type, actor="mallory",
        case_id=row.case_id, task_id=row.task_id, process_key=row.process_key,
        version=row.version, payload=row.payload, prev_hash=row.prev_hash, key_id=row.key_id,
    )  # fmt: skip
    with pytest.raises(DBAPIError, match="append-only"), p6.db.begin() as conn:
        conn.execute(text("UPDATE event SET actor = 'mallory' WHERE seq = :s"), {"s": row.seq})
    with admin_rights(p6.db) as conn:
        conn.execute(
            text("UPDATE event SET actor = 'mallory', hash = :h WHERE seq = :s"),
            {"h": wrong.mac("demo", message), "s": row.seq},
        )
    found = broken(p6)
    assert (found.kind, found.seq) == (BreakKind.BAD_MAC, row.seq)
    assert f"event seq {row.seq} ({row.chain} #{row.chain_seq})" in found.message


def test_tail_deleted_with_head_moved_back_is_caught_by_the_anchor_and_the_rows(
    p6: Prflow,
) -> None:
    case_id = run_p6_case(p6)
    anchor = take_anchor(p6.db, p6.keyring, AT)
    chain = f"case/{case_id}"
    last = last_event(p6, chain)
    with pytest.raises(DBAPIError, match="does not follow"), p6.db.begin() as conn:
        conn.execute(text("UPDATE event_chain SET seq = seq - 3 WHERE chain = :c"), {"c": chain})
    with admin_rights(p6.db) as conn:
        conn.execute(text("DELETE FROM event WHERE chain = :c AND chain_seq > :n"),
                     {"c": chain, "n": last.chain_seq - 3})  # fmt: skip
        back = conn.execute(text("SELECT hash FROM event WHERE chain = :c AND chain_seq = :n"),
                            {"c": chain, "n": last.chain_seq - 3}).scalar_one()  # fmt: skip
        conn.execute(text("UPDATE event_chain SET seq = :n, hash = :h WHERE chain = :c"),
                     {"n": last.chain_seq - 3, "h": back, "c": chain})  # fmt: skip
    # A shorter chain is still a consistent chain: without an anchor, the MACs cannot tell.
    assert verify_chain(p6.db, p6.keyring).ok
    found = broken(p6, anchor)
    assert (found.kind, found.chain, found.chain_seq) == (
        BreakKind.ROLLED_BACK,
        chain,
        last.chain_seq,
    )
    difference = deep_check(p6.db)
    assert difference is not None and difference.case_id == case_id
    # The verify step's completion is gone from the log but not from its task row.
    assert (difference.field, difference.log_says, difference.row_says) == (
        "status", "ready", "completed"
    )  # fmt: skip


def test_a_whole_case_deleted_from_the_log_is_caught(p6: Prflow) -> None:
    case_id = run_p6_case(p6)
    anchor = take_anchor(p6.db, p6.keyring, AT)
    with admin_rights(p6.db) as conn:
        conn.execute(text("DELETE FROM event WHERE case_id = :c"), {"c": case_id})
        conn.execute(text("DELETE FROM event_chain WHERE chain = :c"), {"c": f"case/{case_id}"})
    assert verify_chain(p6.db, p6.keyring).ok
    assert broken(p6, anchor).kind == BreakKind.ROLLED_BACK
    difference = deep_check(p6.db)
    assert difference is not None and (difference.case_id, difference.field) == (case_id, "status")


def test_task_rows_changed_behind_the_log_are_named(p6: Prflow) -> None:
    case_id = run_p6_case(p6)
    row = completion(p6, "upload")
    with p6.db.begin() as conn:
        conn.execute(
            text("UPDATE task SET completed_by = 'mallory' WHERE id = :t"), {"t": row.task_id}
        )
    assert verify_chain(p6.db, p6.keyring).ok  # the log itself is intact
    difference = deep_check(p6.db)
    assert difference is not None
    assert (difference.case_id, difference.task_id, difference.field) == (
        case_id,
        row.task_id,
        "completed_by",
    )
    assert (difference.log_says, difference.row_says) == ("somchai", "mallory")


def test_case_rows_changed_behind_the_log_are_named(p6: Prflow) -> None:
    case_id = run_p6_case(p6)
    with p6.db.begin() as conn:
        conn.execute(
            text("UPDATE process_case SET started_by = 'mallory' WHERE id = :c"), {"c": case_id}
        )
    difference = deep_check(p6.db)
    assert difference is not None and (difference.case_id, difference.field) == (
        case_id,
        "started_by",
    )


def test_a_deleted_event_is_a_gap_and_a_cut_tail_is_truncated(p6: Prflow) -> None:
    case_id = run_p6_case(p6)
    chain = f"case/{case_id}"
    row = completion(p6, "upload")
    last = last_event(p6, chain)
    with admin_rights(p6.db) as conn:
        conn.execute(text("DELETE FROM event WHERE chain = :c AND chain_seq = :n"),
                     {"c": chain, "n": last.chain_seq})  # fmt: skip
    found = broken(p6)
    assert (found.kind, found.chain, found.chain_seq) == (
        BreakKind.TRUNCATED,
        chain,
        last.chain_seq,
    )
    with p6.db.begin() as conn:
        conn.execute(text("DELETE FROM event WHERE seq = :s"), {"s": row.seq})
    found = broken(p6)
    assert (found.kind, found.chain_seq) == (BreakKind.GAP, row.chain_seq)


def test_an_event_beyond_the_head_is_out_of_chain(p6: Prflow) -> None:
    case_id = run_p6_case(p6)
    last = last_event(p6, f"case/{case_id}")
    with p6.db.begin() as conn:  # triggers on: the row links correctly, the head stays
        forged_insert(conn, last)
    found = broken(p6)
    assert (found.kind, found.chain_seq) == (BreakKind.OUT_OF_CHAIN, last.chain_seq + 1)


def test_a_forged_anchor_is_refused(p6: Prflow) -> None:
    run_p6_case(p6)
    anchor = take_anchor(p6.db, p6.keyring, AT)
    anchor["heads"] = {}
    assert broken(p6, anchor).kind == BreakKind.BAD_ANCHOR
    assert verify_chain(p6.db, p6.keyring, take_anchor(p6.db, p6.keyring, AT)).ok


def test_keys_rotate_old_events_verify_with_the_old_key(p6: Prflow) -> None:
    run_p6_case(p6)
    new_key = "2027a:" + "n" * 40
    rotated = Prflow(
        Settings(
            database_url=p6.settings.database_url,
            processes_dir=REPO_PROCESSES_DIR,
            mode="test",
            audit_key=new_key,
        )
    )
    try:
        run_p6_case(rotated)
        assert verify_chain(rotated.db, rotated.keyring).ok  # holds both keys
        with read_session(rotated.db) as session:
            ids = set(session.exec(select(Event.key_id)).all())
        assert ids == {"demo", "2027a"}
        without_old = Keyring("2027a", {"2027a": b"n" * 40})
        found = verify_chain(rotated.db, without_old).broken
        assert found is not None and found.kind == BreakKind.UNKNOWN_KEY
    finally:
        rotated.close()


def test_appends_after_a_check_keep_verifying(p6: Prflow) -> None:
    run_p6_case(p6)
    first = verify_chain(p6.db, p6.keyring)
    anchor = take_anchor(p6.db, p6.keyring, AT)
    run_p6_case(p6)
    second = verify_chain(p6.db, p6.keyring, anchor)
    assert first.ok and second.ok, second.broken
    assert second.checked > first.checked


def test_a_command_writes_each_head_once(p6: Prflow) -> None:
    case_id = run_p6_case(p6)
    statements: list[str] = []
    from sqlalchemy import event as sa_event

    def seen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with freeze_time("2026-06-08T03:00:00+00:00"):
        upload = service.start(p6, "website_posting", {"title": "x"}, "malee")
    task = open_task(p6, upload.id)
    sa_event.listen(p6.db, "before_cursor_execute", seen)
    try:
        with freeze_time("2026-06-08T03:00:00+00:00"):
            service.complete(p6, task.id, {}, "somchai")  # logs claimed, completed, ready
    finally:
        sa_event.remove(p6.db, "before_cursor_execute", seen)
    head_writes = [s for s in statements if s.lstrip().upper().startswith("UPDATE EVENT_CHAIN")]
    assert len(head_writes) == 1
    assert head_of(p6, f"case/{case_id}").seq > 0


def test_the_migration_downgrades_and_upgrades_re_signing(p6: Prflow) -> None:
    from alembic import command
    from alembic.config import Config

    from engine.store.db import MIGRATIONS_DIR, migrate

    run_p6_case(p6)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with p6.db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    with p6.db.begin() as conn:
        conn.execute(text("UPDATE event SET actor = actor"))  # allowed without the triggers
    migrate(p6.db, audit_keyring=p6.keyring)
    with pytest.raises(DBAPIError, match="append-only"), p6.db.begin() as conn:
        conn.execute(text("UPDATE event SET actor = actor"))
    assert verify_chain(p6.db, p6.keyring).ok and deep_check(p6.db) is None
    run_p6_case(p6)
    assert verify_chain(p6.db, p6.keyring).ok


def test_verify_sees_one_snapshot_while_others_write(
    ctx: Prflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ordinary write committing while verify walks the log is not tampering."""
    walk = verify._walk

    def walk_while_someone_writes(*args: Any) -> Any:
        add_people(ctx, {"newcomer": ["auditor"]})  # commits an event meanwhile
        return walk(*args)

    monkeypatch.setattr(verify, "_walk", walk_while_someone_writes)
    report = verify.verify_chain(ctx.db, ctx.keyring)
    assert report.ok, report.broken
    monkeypatch.setattr(verify, "_walk", walk)
    assert verify.verify_chain(ctx.db, ctx.keyring).ok
