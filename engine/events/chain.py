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
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlmodel import Session, select

from engine.errors import EngineError
from engine.events.keys import Keyring, keyring
from engine.events.types import EventBody, EventType
from engine.settings import Settings
from engine.store.tables import Case, ChainHead, Event

GENESIS_HASH = "0" * 64
SYSTEM_CHAIN = "system"
_STAGED = "prflow_staged_events"
_BEFORE_COMMIT = "before_commit"

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
    staged: list[Event] | None = session.info.get(_STAGED)
    if staged is None:
        staged = session.info[_STAGED] = []
        session.info.setdefault(_BEFORE_COMMIT, []).append(write_staged)
    staged.append(
        Event(
            at=at,
            type=body.TYPE.value,
            actor=actor,
            case_id=case_id,
            task_id=task_id,
            process_key=process_key,
            version=version,
            payload=body.payload(),
            chain=chain_of(case_id),
            chain_seq=0,
            key_id="",
            prev_hash="",
            hash="",
        )
    )


def append_for_case(
    session: Session,
    case: Case,
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


def write_staged(session: Session) -> None:
    """Chain, sign and insert the staged events, then move each touched chain's head once."""
    staged: list[Event] = session.info.pop(_STAGED, [])
    if not staged:
        return
    keys = _KEYRINGS.get(session.get_bind().engine)
    if keys is None:
        raise RuntimeError("events written through a database no Prflow registered keys for")
    if isinstance(keys, EngineError):
        raise keys
    by_chain: dict[str, list[Event]] = defaultdict(list)
    for event in staged:
        by_chain[event.chain].append(event)
    # Heads are locked in name order so two commands touching the same chains never deadlock.
    for chain in sorted(by_chain):
        head = session.exec(
            select(ChainHead).where(ChainHead.chain == chain).with_for_update()
        ).first()
        if head is None:  # a new case: nobody else can see it before this commit
            head = ChainHead(chain=chain, seq=0, hash=GENESIS_HASH)
            session.add(head)
            session.flush()
        seq, prev = head.seq, head.hash
        for event in by_chain[chain]:
            seq += 1
            event.chain_seq, event.prev_hash, event.key_id = seq, prev, keys.current
            event.hash = prev = event_mac(keys, event)
            session.add(event)
        session.flush()  # the rows first: the head may only move onto an existing event
        head.seq, head.hash = seq, prev
        session.add(head)
    session.flush()
