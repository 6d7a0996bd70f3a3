"""The event log: what happened, to which case, by whom, when — append-only and MAC-chained.

A command stages its events (``append``) as typed bodies (``engine.events.types``); they are
written when the command commits (``write_staged``, run by ``store.db.write_session``), so
each chain's head row is locked only for those inserts and written once per command.

The log is many chains, not one: each case has its own chain (``case/<id>``) and events
about no case (deployments, users) form the ``system`` chain. Writers on different cases
lock different head rows and commit in parallel on PostgreSQL; writers on one case are
serialised by its head (and by the case's ``lock_version`` anyway). Each event stores its
chain position (``chain``, ``chain_seq``), the previous event's MAC (``prev_hash``) and its
own HMAC-SHA256 (``hash``) over ``canonical`` under the server key named by ``key_id``
(``engine.events.keys``). Someone who can write to the database but does not hold the key cannot
produce a row that verifies. ``seq`` is only a global, gap-tolerant arrival order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlmodel import Session

from engine.errors import EngineError
from engine.events.keys import Keyring, keyring
from engine.events.types import EventBody, EventType
from engine.settings import Settings
from engine.store.db import connection_of, is_sqlite
from engine.store.tables import ChainHead, Event

GENESIS_HASH = "0" * 64
SYSTEM_CHAIN = "system"
_STAGED = "prflow_staged_events"
_BEFORE_COMMIT = "before_commit"
_HEADS = "prflow_known_heads"

# The keys each database engine signs with, registered by ``engine.context.Prflow``: events
# are staged deep inside use cases that only hold a session, and signed at its commit.
_KEYRINGS: WeakKeyDictionary[Engine, Keyring | EngineError] = WeakKeyDictionary()

__all__ = ["GENESIS_HASH", "EventType", "append", "append_for_case", "canonical", "chain_of"]


def use_keys(db: Engine, settings: Settings) -> None:
    """Sign events written through ``db`` with the settings' key (an error if there is none)."""
    try:
        _KEYRINGS[db] = keyring(settings)
    except EngineError as err:  # raised at the first write, not when a reader opens the store
        _KEYRINGS[db] = err


def chain_of(case_id: int | None) -> str:
    return f"case/{case_id}" if case_id is not None else SYSTEM_CHAIN


def canonical(
    *,
    chain: str,
    chain_seq: int,
    at: datetime,
    type: str,
    actor: str,
    case_id: int | None,
    task_id: int | None,
    process_key: str | None,
    version: int | None,
    payload: str,
    prev_hash: str,
    key_id: str,
) -> bytes:
    """The exact bytes an event's MAC covers; stable across databases and restarts."""
    fields = {
        "chain": chain,
        "chain_seq": chain_seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "type": type,
        "actor": actor,
        "case_id": case_id,
        "task_id": task_id,
        "process_key": process_key,
        "version": version,
        "payload": payload,
        "prev_hash": prev_hash,
        "key_id": key_id,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_mac(keys: Keyring, event: Event) -> str:
    """Recompute an event's MAC from its stored fields (KeyError: its key is unknown here)."""
    message = canonical(
        chain=event.chain,
        chain_seq=event.chain_seq,
        at=event.at,
        type=event.type,
        actor=event.actor,
        case_id=event.case_id,
        task_id=event.task_id,
        process_key=event.process_key,
        version=event.version,
        payload=event.payload,
        prev_hash=event.prev_hash,
        key_id=event.key_id,
    )
    return keys.mac(event.key_id, message)


def append(
    session: Session,
    body: EventBody,
    *,
    at: datetime,
    actor: str,
    case_id: int | None = None,
    task_id: int | None = None,
    process_key: str | None = None,
    version: int | None = None,
) -> None:
    """Stage one event; it is chained and written when the session's command commits."""
    staged: list[dict[str, Any]] | None = session.info.get(_STAGED)
    if staged is None:
        staged = session.info[_STAGED] = []
        session.info.setdefault(_BEFORE_COMMIT, []).append(write_staged)
    # A plain row, not an ORM object: staged events are only ever inserted, in one batch.
    staged.append(
        {
            "at": at,
            "type": body.TYPE.value,
            "actor": actor,
            "case_id": case_id,
            "task_id": task_id,
            "process_key": process_key,
            "version": version,
            "payload": body.payload(),
            "chain": chain_of(case_id),
        }
    )


def known_head(session: Session, chain: str, seq: int | None, mac: str | None) -> None:
    """Tell ``write_staged`` where ``chain`` ends, as read under the database's write lock.

    Only SQLite takes its write lock at ``BEGIN`` (``store.db.write_session``), so only there
    is a head read earlier in the command still the head at commit; it then saves the
    head's ``SELECT``. ``seq`` None: the chain has no head row yet. Elsewhere this is a no-op
    and the head is read and locked at commit. The database's triggers refuse events that
    do not extend their chain, so a wrong hint could fail a command but never fork a chain.
    """
    if is_sqlite(session.get_bind().engine):
        session.info.setdefault(_HEADS, {})[chain] = (seq, mac)


class CaseLike(Protocol):
    """What an event about a case is stamped with: a ``Case`` row or a held copy of one."""

    @property
    def id(self) -> int | None: ...
    @property
    def process_key(self) -> str: ...
    @property
    def version(self) -> int: ...


def append_for_case(
    session: Session,
    case: CaseLike,
    body: EventBody,
    *,
    at: datetime,
    actor: str,
    task_id: int | None = None,
) -> None:
    """Stage an event about one case, stamped with the case's process and version."""
    append(
        session, body, at=at, actor=actor, case_id=case.id, task_id=task_id,
        process_key=case.process_key, version=case.version,
    )  # fmt: skip


_EVENT = Event.__table__  # type: ignore[attr-defined]
_HEAD = ChainHead.__table__  # type: ignore[attr-defined]
# Built once: a commit runs these with new values, never new statements.
_INSERT_EVENTS = insert(_EVENT)
_INSERT_HEAD = insert(_HEAD)
_LOCK_HEAD = (
    select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.chain == bindparam("chain")).with_for_update()
)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.chain == bindparam("chain_"))
    .values(seq=bindparam("seq"), hash=bindparam("hash"))
)


def write_staged(session: Session) -> None:
    """Chain, sign and insert the staged events, then move each touched chain's head once."""
    staged: list[dict[str, Any]] = session.info.pop(_STAGED, [])
    heads: dict[str, tuple[int | None, str | None]] = session.info.pop(_HEADS, {})
    if not staged:
        return
    keys = _KEYRINGS.get(session.get_bind().engine)
    if keys is None:
        raise RuntimeError("events written through a database no Prflow registered keys for")
    if isinstance(keys, EngineError):
        raise keys
    by_chain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in staged:
        by_chain[event["chain"]].append(event)
    connection = connection_of(session)
    rows: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    # Heads are locked in name order so two commands touching the same chains never deadlock.
    for chain in sorted(by_chain):
        if chain in heads:
            found: tuple[int | None, str | None] = heads[chain]
        else:
            head = connection.execute(_LOCK_HEAD, {"chain": chain}).first()
            found = (head.seq, head.hash) if head is not None else (None, None)
        seq, prev = found
        if seq is None or prev is None:  # a new case: nobody else can see it before this commit
            connection.execute(_INSERT_HEAD, {"chain": chain, "seq": 0, "hash": GENESIS_HASH})
            seq, prev = 0, GENESIS_HASH
        key_id = keys.current
        for event in by_chain[chain]:
            seq += 1
            event.update(chain_seq=seq, prev_hash=prev, key_id=key_id)
            event["hash"] = prev = keys.mac(key_id, canonical(**event))
            rows.append(event)
        moves.append({"chain_": chain, "seq": seq, "hash": prev})
    # The rows first: a head may only move onto an existing event (the database checks).
    connection.execute(_INSERT_EVENTS, rows)
    for move in moves:
        connection.execute(_MOVE_HEAD, move)
