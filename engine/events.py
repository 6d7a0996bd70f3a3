"""The event log: what happened, to which case, by whom, when — append-only and hash-chained.

Every change a command makes is staged here in the same transaction as the change itself.
Each event carries the previous event's hash and its own SHA-256 over a canonical form of
its fields (``canonical``), so an edited, deleted or inserted row breaks the chain. Appends
lock the one-row ``chain_head`` table, which serialises writers on PostgreSQL (SQLite's
``BEGIN IMMEDIATE`` already does) and keeps the chain a single line.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from engine.store.tables import Case, ChainHead, Event

GENESIS_HASH = "0" * 64


class EventType(StrEnum):
    DEPLOYED = "deployed"
    USER_ADDED = "user_added"
    CASE_STARTED = "case_started"
    CASE_COMPLETED = "case_completed"
    TASK_READY = "task_ready"
    TASK_CLAIMED = "task_claimed"
    TASK_UNCLAIMED = "task_unclaimed"
    TASK_REASSIGNED = "task_reassigned"
    TASK_COMPLETED = "task_completed"
    TASK_CANCELLED = "task_cancelled"
    TIMER_FIRED = "timer_fired"
    DUE_RECOMPUTED = "due_recomputed"
    CASE_PURGED = "case_purged"
    PURGE_REFUSED = "purge_refused"
    ATTACHMENT_STORED = "attachment_stored"


def canonical(
    *,
    seq: int,
    at: datetime,
    type: str,
    actor: str,
    case_id: int | None,
    task_id: int | None,
    process_key: str | None,
    version: int | None,
    payload: str,
    prev_hash: str,
) -> bytes:
    """The exact bytes an event's hash covers; stable across databases and restarts."""
    fields = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "type": type,
        "actor": actor,
        "case_id": case_id,
        "task_id": task_id,
        "process_key": process_key,
        "version": version,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: Event) -> str:
    """Recompute an event's hash from its stored fields."""
    assert event.seq is not None
    return hashlib.sha256(
        canonical(
            seq=event.seq,
            at=event.at,
            type=event.type,
            actor=event.actor,
            case_id=event.case_id,
            task_id=event.task_id,
            process_key=event.process_key,
            version=event.version,
            payload=event.payload,
            prev_hash=event.prev_hash,
        )
    ).hexdigest()


def dump_payload(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


def append(
    session: Session,
    *,
    at: datetime,
    type: EventType,
    actor: str,
    case_id: int | None = None,
    task_id: int | None = None,
    process_key: str | None = None,
    version: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Stage one event at the end of the chain (the caller commits)."""
    # The head is locked once per transaction and kept on the session: a command appends
    # several events, and re-reading the row for each would only cost round trips.
    head: ChainHead | None = session.info.get("chain_head")
    if head is None:
        head = session.exec(select(ChainHead).where(ChainHead.id == 1).with_for_update()).one()
        session.info["chain_head"] = head
    event = Event(
        seq=head.seq + 1,
        at=at,
        type=type.value,
        actor=actor,
        case_id=case_id,
        task_id=task_id,
        process_key=process_key,
        version=version,
        payload=dump_payload(payload or {}),
        prev_hash=head.hash,
        hash="",
    )
    event.hash = event_hash(event)
    head.seq, head.hash = event.seq, event.hash  # type: ignore[assignment]
    session.add(event)
    session.add(head)
    return event


def append_for_case(
    session: Session,
    case: Case,
    *,
    at: datetime,
    type: EventType,
    actor: str,
    task_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Stage an event about one case, stamped with the case's process and version."""
    return append(
        session,
        at=at,
        type=type,
        actor=actor,
        case_id=case.id,
        task_id=task_id,
        process_key=case.process_key,
        version=case.version,
        payload=payload,
    )
