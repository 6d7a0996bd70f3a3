"""Checking the event log's MAC chains, and naming the first link that is broken.

Each chain (``case/<id>``, ``system``; see ``engine.events.chain``) is checked in ``chain_seq``
order from the genesis value. For each row, in this order:

1. the chain has a head row and the row is not beyond it — otherwise it was inserted
   outside prflow (``OUT_OF_CHAIN``);
2. ``chain_seq`` is the previous row's + 1 — a gap means rows were deleted (``GAP``);
3. ``prev_hash`` equals the previous row's MAC — otherwise a row was replaced (``RELINKED``);
4. the row's key is one this server holds (``UNKNOWN_KEY``) and the MAC recomputed under it
   equals ``hash`` — otherwise the row was edited, or written (or re-hashed) by someone
   without the key (``BAD_MAC``).

Finally each head must name its chain's last row: a head beyond the log means the tail was
deleted (``TRUNCATED``). Someone who deletes a chain's tail *and* moves its head back leaves
a consistent, shorter chain: only an anchor kept outside the database (``take_anchor``,
checked with ``anchor=``) or the deep check of the case rows against the log sees that
(``ROLLED_BACK``). docs/audit.md lists what is and is not detected.

The first problem found is returned as data (``ChainBreak``), not raised: a broken chain is
the answer to the question, not a failure of the check.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, tuple_
from sqlmodel import Session, col, select

from engine.errors import InvalidInput
from engine.events.chain import GENESIS_HASH, event_mac
from engine.events.keys import Keyring
from engine.store.db import read_session
from engine.store.tables import ChainHead, Event

# Rows are read in pages so a large log is checked in constant memory.
PAGE_SIZE = 1000
ANCHOR_FORMAT = "prflow-anchor/1"


class BreakKind(StrEnum):
    BAD_MAC = "bad_mac"  # the row's fields do not match its MAC under the server key
    UNKNOWN_KEY = "unknown_key"  # signed with a key id this server does not hold
    RELINKED = "relinked"  # prev_hash does not match the previous row's MAC
    GAP = "gap"  # chain positions are missing: rows deleted
    OUT_OF_CHAIN = "out_of_chain"  # a row beyond its chain's head, or in a chain with no head
    TRUNCATED = "truncated"  # the head names rows that are gone
    ROLLED_BACK = "rolled_back"  # the log is behind (or differs from) an anchor kept outside
    BAD_ANCHOR = "bad_anchor"  # the anchor file was not signed by this server's key


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link: where (chain, position, global ``seq``), what kind, and the
    two values that disagree."""

    kind: BreakKind
    chain: str
    chain_seq: int
    seq: int | None
    expected: str
    found: str
    message: str


@dataclass(frozen=True)
class ChainReport:
    """The result of a check: ``ok`` and how much was checked, or the first break."""

    ok: bool
    checked: int
    chains: int
    broken: ChainBreak | None = None


def verify_chain(db: Engine, keys: Keyring, anchor: dict[str, Any] | None = None) -> ChainReport:
    """Walk every chain; report the first broken link (and, given an anchor, a rollback)."""
    with read_session(db, snapshot=True) as session:
        heads = {h.chain: h for h in session.exec(select(ChainHead)).all()}
        report = _walk(session, keys, heads)
        if report.ok and anchor is not None:
            broken = check_anchor(session, heads, keys, anchor)
            if broken is not None:
                return ChainReport(False, report.checked, report.chains, broken)
    return report


def _walk(session: Session, keys: Keyring, heads: dict[str, ChainHead]) -> ChainReport:
    checked = 0
    seen: set[str] = set()
    chain, position, prev = "", 0, GENESIS_HASH

    def end_of(chain: str, position: int, prev: str) -> ChainBreak | None:
        head = heads[chain]
        if (position, prev) == (head.seq, head.hash):
            return None
        return ChainBreak(
            BreakKind.TRUNCATED, chain, position + 1, None,
            f"seq {head.seq} hash {head.hash}", f"seq {position} hash {prev}",
            f"chain {chain} ends at position {position} but its head says {head.seq}: "
            f"events {position + 1}..{head.seq} were deleted from the tail; restore them "
            "from a backup",
        )  # fmt: skip

    def report(broken: ChainBreak | None) -> ChainReport:
        return ChainReport(broken is None, checked, len(seen), broken)

    for event in _events(session):
        if event.chain != chain:
            if chain:
                broken = end_of(chain, position, prev)
                if broken is not None:
                    return report(broken)
            chain, position, prev = event.chain, 0, GENESIS_HASH
            seen.add(chain)
        broken = _check_row(event, keys, heads.get(chain), position, prev)
        if broken is not None:
            return report(broken)
        position, prev = event.chain_seq, event.hash
        checked += 1
    if chain:
        broken = end_of(chain, position, prev)
        if broken is not None:
            return report(broken)
    for name, head in sorted(heads.items()):
        if name not in seen and head.seq != 0:
            seen.add(name)
            return report(end_of(name, 0, GENESIS_HASH))
    return report(None)


def _check_row(
    event: Event, keys: Keyring, head: ChainHead | None, position: int, prev: str
) -> ChainBreak | None:
    here = (event.chain, event.chain_seq, event.seq)

    def brk(kind: BreakKind, expected: str, found: str, message: str) -> ChainBreak:
        return ChainBreak(kind, *here, expected, found, message)

    name = f"event seq {event.seq} ({event.chain} #{event.chain_seq})"
    if head is None:
        message = f"{name} is in a chain with no head: it was inserted outside prflow"
        return brk(BreakKind.OUT_OF_CHAIN, "a chain head", "none", message)
    if event.chain_seq > head.seq:
        return brk(
            BreakKind.OUT_OF_CHAIN, f"position <= {head.seq}", f"position {event.chain_seq}",
            f"{name} is beyond its chain's head ({head.seq}): it was inserted outside prflow; "
            "remove it or find who wrote it",
        )  # fmt: skip
    if event.chain_seq != position + 1:  # named by the first missing position
        return ChainBreak(
            BreakKind.GAP, event.chain, position + 1, event.seq,
            f"position {position + 1}", f"position {event.chain_seq}",
            f"events {position + 1}..{event.chain_seq - 1} of chain {event.chain} are missing "
            "(deleted); restore them from a backup",
        )  # fmt: skip
    if event.prev_hash != prev:
        return brk(
            BreakKind.RELINKED, prev, event.prev_hash,
            f"{name} does not link to the event before it in its chain: that event was "
            "replaced or rewritten",
        )  # fmt: skip
    if event.key_id not in keys.secrets:
        return brk(
            BreakKind.UNKNOWN_KEY, f"one of {sorted(keys.secrets)}", event.key_id,
            f"{name} is signed with key {event.key_id!r}, which this server does not hold: "
            "add it to PRFLOW_AUDIT_OLD_KEYS, or the row was forged",
        )  # fmt: skip
    recomputed = event_mac(keys, event)
    if not hmac.compare_digest(recomputed, event.hash):
        return brk(
            BreakKind.BAD_MAC, recomputed, event.hash,
            f"{name} does not carry the MAC of its fields under key {event.key_id!r}: it was "
            "edited, or written by someone without the server's key",
        )  # fmt: skip
    return None


def _events(session: Session) -> Iterator[Event]:
    """Every event in (chain, position) order, read one page at a time (keyset paging)."""
    after: tuple[str, int] | None = None
    while True:
        query = select(Event).order_by(col(Event.chain), col(Event.chain_seq)).limit(PAGE_SIZE)
        if after is not None:
            query = query.where(tuple_(col(Event.chain), col(Event.chain_seq)) > after)
        page = list(session.exec(query).all())
        if not page:
            return
        session.expunge_all()  # keep memory flat on long logs
        yield from page
        after = (page[-1].chain, page[-1].chain_seq)


def _anchor_bytes(body: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in body.items() if k != "mac"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def take_anchor(db: Engine, keys: Keyring, now: datetime) -> dict[str, Any]:
    """Every chain's head, signed with the server key: for an auditor to keep outside."""
    with read_session(db, snapshot=True) as session:
        heads = session.exec(select(ChainHead).order_by(col(ChainHead.chain))).all()
        body: dict[str, Any] = {
            "format": ANCHOR_FORMAT,
            "taken_at": now.astimezone(UTC).isoformat(),
            "key_id": keys.current,
            "heads": {h.chain: [h.seq, h.hash] for h in heads if h.seq > 0},
        }
    body["mac"] = keys.sign(_anchor_bytes(body))
    return body


def read_anchor(text: str, where: str) -> dict[str, Any]:
    """Parse an anchor file; a clear error if it is not one."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"{where} is not an anchor file ({err.msg}); make one with "
                           "`prflow audit anchor > FILE`") from err  # fmt: skip
    if not isinstance(body, dict) or body.get("format") != ANCHOR_FORMAT:
        raise InvalidInput(f"{where} is not a {ANCHOR_FORMAT} file; make one with "
                           "`prflow audit anchor > FILE`")  # fmt: skip
    return body


def check_anchor(
    session: Session, heads: dict[str, ChainHead], keys: Keyring, anchor: dict[str, Any]
) -> ChainBreak | None:
    """Is every chain the anchor saw still there, at least as long, with the same MACs?"""
    key_id, mac = str(anchor.get("key_id")), str(anchor.get("mac"))
    if key_id not in keys.secrets or not hmac.compare_digest(
        keys.mac(key_id, _anchor_bytes(anchor)), mac
    ):
        return ChainBreak(BreakKind.BAD_ANCHOR, "", 0, None, "a MAC under this server's key",
                          mac, "the anchor was not signed by this server's key or was "
                          "edited: it proves nothing")  # fmt: skip
    taken = anchor.get("taken_at")
    anchored: dict[str, Any] = anchor.get("heads") or {}
    for chain, (seq, mac_then) in sorted(anchored.items()):
        head = heads.get(chain)
        row = session.exec(
            select(Event).where(Event.chain == chain, Event.chain_seq == seq)
        ).first()
        if head is None or head.seq < seq or row is None or row.hash != mac_then:
            now = "no head" if head is None else f"head at {head.seq}"
            return ChainBreak(
                BreakKind.ROLLED_BACK, chain, seq, row.seq if row else None,
                f"position {seq} with MAC {mac_then[:12]}…",
                now if row is None else f"{now}, MAC {row.hash[:12]}… at position {seq}",
                f"chain {chain} no longer holds what the anchor taken at {taken} saw "
                f"(position {seq}): events were deleted and its head moved back, or "
                "rewritten; restore them from a backup",
            )  # fmt: skip
    return None
