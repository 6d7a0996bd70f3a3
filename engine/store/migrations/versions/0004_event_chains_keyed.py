"""Per-case event chains signed with the server's key, and a database that guards them.

Until now the log was one SHA-256 chain behind one locked head row: every writer in the
system queued on that row, and anyone who could write to the database could append or
rewrite events with correctly computed hashes. From here on (see ``engine/events/chain.py``):

- each event belongs to a chain (``case/<id>``, or ``system``) with its own position
  ``chain_seq`` and its own head row in ``event_chain``; ``chain_head`` is dropped;
- ``hash`` is an HMAC-SHA256 under the key named by ``key_id`` (``engine/events/keys.py``);
- triggers refuse an event insert that does not extend its chain (right position, linking
  to the chain's last MAC) and a head move that is not forward onto an existing event with
  that MAC; head rows cannot be deleted, and a new head starts empty.

Events already written are re-signed here: the old SHA-256 chain is checked first and the
upgrade refuses to go on if it is broken (re-signing would launder the tampering), then each
event is given its chain position and a MAC under the configured key (``PRFLOW_AUDIT_KEY``;
the demo key in demo/test mode). The payloads, times and actors are left as they were.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-30
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from engine.errors import Conflict

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
INSERT_REFUSED = "the event log refuses an event that does not extend its chain"
MOVE_REFUSED = "the event log refuses a chain head move that does not follow its chain"
NEW_HEAD_REFUSED = "the event log refuses a chain head that does not start empty"
DELETE_REFUSED = "the event log refuses to delete a chain head"


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    instant: datetime = value
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _legacy_hash(row: Any) -> str:
    """The 0001–0002 format: SHA-256 over the event's fields and global ``seq``."""
    fields = {
        "seq": row.seq, "at": _instant(row.at).astimezone(UTC).isoformat(timespec="microseconds"),
        "type": row.type, "actor": row.actor, "case_id": row.case_id, "task_id": row.task_id,
        "process_key": row.process_key, "version": row.version, "payload": row.payload,
        "prev_hash": row.prev_hash,
    }  # fmt: skip
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _check_legacy_chain(rows: list[Any], head: Any) -> None:
    prev_seq, prev_hash = 0, GENESIS
    for row in rows:
        if row.seq != prev_seq + 1 or row.prev_hash != prev_hash or _legacy_hash(row) != row.hash:
            raise Conflict(
                f"the event log is broken at seq {row.seq}: upgrading would re-sign a tampered "
                "log. Run `prflow audit verify` with the previous release, restore the log "
                "from a backup, then upgrade again"
            )
        prev_seq, prev_hash = row.seq, row.hash
    if (prev_seq, prev_hash) != (head.seq, head.hash):
        raise Conflict(
            f"the event log ends at seq {prev_seq} but its head says {head.seq}: upgrading "
            "would re-sign a truncated log. Restore the log from a backup, then upgrade again"
        )


def _keyring() -> Any:
    from engine.events.keys import keyring
    from engine.settings import Settings

    given = context.config.attributes.get("audit_keyring")
    return given if given is not None else keyring(Settings.from_env())


def _resign(bind: Any, rows: list[Any]) -> dict[str, tuple[int, str]]:
    from engine.events.chain import canonical, chain_of

    keys = _keyring()
    heads: dict[str, tuple[int, str]] = {}
    update = sa.text(
        "UPDATE event SET chain = :chain, chain_seq = :chain_seq, key_id = :key_id, "
        "prev_hash = :prev, hash = :hash WHERE seq = :seq"
    )
    for row in rows:
        chain = chain_of(row.case_id)
        position, prev = heads.get(chain, (0, GENESIS))
        position += 1
        message = canonical(
            chain=chain, chain_seq=position, at=_instant(row.at), type=row.type, actor=row.actor,
            case_id=row.case_id, task_id=row.task_id, process_key=row.process_key,
            version=row.version, payload=row.payload, prev_hash=prev, key_id=keys.current,
        )  # fmt: skip
        mac = keys.sign(message)
        bind.execute(
            update,
            {"chain": chain, "chain_seq": position, "key_id": keys.current, "prev": prev,
             "hash": mac, "seq": row.seq},
        )  # fmt: skip
        heads[chain] = (position, mac)
    return heads


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.add_column("event", sa.Column("chain", sa.String(), nullable=False, server_default=""))
    op.add_column("event", sa.Column("chain_seq", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("event", sa.Column("key_id", sa.String(), nullable=False, server_default=""))
    op.create_table(
        "event_chain",
        sa.Column("chain", sa.String(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
    )
    rows = list(bind.execute(sa.text("SELECT * FROM event ORDER BY seq")))
    head = bind.execute(sa.text("SELECT seq, hash FROM chain_head WHERE id = 1")).one()
    if rows:
        _check_legacy_chain(rows, head)
        _set_append_only(bind, enabled=False)
        heads = _resign(bind, rows)
        _set_append_only(bind, enabled=True)
        for chain, (position, mac) in heads.items():
            bind.execute(
                sa.text("INSERT INTO event_chain (chain, seq, hash) VALUES (:c, :s, :h)"),
                {"c": chain, "s": position, "h": mac},
            )
    op.drop_table("chain_head")
    op.create_index("uq_event_chain_seq", "event", ["chain", "chain_seq"], unique=True)
    if not sqlite:
        # Events used to be numbered by the code; from now on the database numbers them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('event', 'seq'), "
            "GREATEST((SELECT MAX(seq) FROM event), 1), (SELECT COUNT(*) > 0 FROM event))"
        )
    _create_guards(sqlite)


def _set_append_only(bind: Any, *, enabled: bool) -> None:
    if bind.dialect.name == "sqlite":
        if enabled:
            for action in ("UPDATE", "DELETE"):
                bind.exec_driver_sql(
                    f"CREATE TRIGGER event_append_only_{action.lower()} BEFORE {action} ON event "
                    "BEGIN SELECT RAISE(ABORT, 'the event log is append-only: events cannot be "
                    f"changed or deleted ({action} refused)'); END"
                )
        else:
            bind.exec_driver_sql("DROP TRIGGER event_append_only_update")
            bind.exec_driver_sql("DROP TRIGGER event_append_only_delete")
        return
    switch = "ENABLE" if enabled else "DISABLE"
    bind.exec_driver_sql(f"ALTER TABLE event {switch} TRIGGER event_append_only")


# The conditions, shared by both dialects' triggers.
_EXTENDS = f"""
    EXISTS (SELECT 1 FROM event_chain h WHERE h.chain = NEW.chain AND NEW.chain_seq > h.seq)
    AND ((NEW.chain_seq = 1 AND NEW.prev_hash = '{GENESIS}')
         OR EXISTS (SELECT 1 FROM event p WHERE p.chain = NEW.chain
                    AND p.chain_seq = NEW.chain_seq - 1 AND p.hash = NEW.prev_hash))
"""
_FOLLOWS = """
    NEW.chain = OLD.chain AND NEW.seq > OLD.seq
    AND EXISTS (SELECT 1 FROM event e WHERE e.chain = NEW.chain
                AND e.chain_seq = NEW.seq AND e.hash = NEW.hash)
"""
_STARTS_EMPTY = f"""
    NEW.seq = 0 AND NEW.hash = '{GENESIS}'
    AND NOT EXISTS (SELECT 1 FROM event e WHERE e.chain = NEW.chain)
"""


def _create_guards(sqlite: bool) -> None:
    guards = [
        ("event_extends_chain", "INSERT", "event", _EXTENDS, INSERT_REFUSED),
        ("event_chain_follows", "UPDATE", "event_chain", _FOLLOWS, MOVE_REFUSED),
        ("event_chain_starts_empty", "INSERT", "event_chain", _STARTS_EMPTY, NEW_HEAD_REFUSED),
        ("event_chain_kept", "DELETE", "event_chain", "FALSE", DELETE_REFUSED),
    ]
    for name, action, table, condition, message in guards:
        if sqlite:
            when = "" if condition == "FALSE" else f"WHEN NOT ({condition})"
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {action} ON {table} {when} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
            continue
        test = "TRUE" if condition == "FALSE" else f"NOT ({condition})"
        op.execute(
            f"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {test} THEN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN {"OLD" if action == "DELETE" else "NEW"};
            END
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    if not sqlite:
        op.execute(
            "CREATE TRIGGER event_chain_kept_truncate BEFORE TRUNCATE ON event_chain "
            "FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()"
        )


def downgrade() -> None:
    """Back to one SHA-256 chain in ``seq`` order (the MACs and chain positions are lost)."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for name, table in (("event_extends_chain", "event"), ("event_chain_follows", "event_chain"),
                        ("event_chain_starts_empty", "event_chain"),
                        ("event_chain_kept", "event_chain")):  # fmt: skip
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    if not sqlite:
        op.execute("DROP TRIGGER IF EXISTS event_chain_kept_truncate ON event_chain")
    op.drop_index("uq_event_chain_seq", table_name="event")
    rows = list(bind.execute(sa.text("SELECT * FROM event ORDER BY seq")))
    _set_append_only(bind, enabled=False)
    prev, position = GENESIS, 0
    for row in rows:
        position += 1
        digest = _legacy_hash(
            SimpleNamespace(**{**row._asdict(), "seq": position, "prev_hash": prev})
        )
        bind.execute(
            sa.text("UPDATE event SET seq = :new, prev_hash = :prev, hash = :h WHERE seq = :old"),
            {"new": position, "prev": prev, "h": digest, "old": row.seq},
        )
        prev = digest
    _set_append_only(bind, enabled=True)
    op.drop_table("event_chain")
    for column in ("key_id", "chain_seq", "chain"):  # native: a batch copy would lose triggers
        op.execute(f"ALTER TABLE event DROP COLUMN {column}")
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
    )
    bind.execute(
        sa.text("INSERT INTO chain_head (id, seq, hash) VALUES (1, :s, :h)"),
        {"s": position, "h": prev},
    )
