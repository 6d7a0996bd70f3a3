"""Checking the event log's hash chain, and naming the first link that is broken.

The chain is checked in ``seq`` order from the genesis hash. For each row, in this order:

1. ``seq`` is the previous row's + 1 — a gap means rows were deleted;
2. ``prev_hash`` equals the previous row's stored hash — a mismatch means the previous row
   was rewritten (hash recomputed to hide it) or a row in between was removed;
3. the stored ``hash`` equals the hash recomputed from the row's fields — a mismatch means
   this row was edited in place.

Finally ``chain_head`` (written with every append) must name the last row: a head beyond the
log means the tail was deleted; rows beyond the head were inserted outside ``append``.

The first problem found is returned as data (``ChainBreak``), not raised: a broken chain is
the answer to the question, not a failure of the check. What the chain cannot catch: someone
who rewrites a row *and* every later row *and* the head. Anchoring the head hash outside the
database (a signed daily print-out, a second server) closes that gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from engine.events import GENESIS_HASH, event_hash
from engine.store.db import read_session
from engine.store.tables import ChainHead, Event

# Rows are read in pages so a large log is checked in constant memory.
PAGE_SIZE = 1000


class BreakKind(StrEnum):
    EDITED = "edited"  # a row's fields no longer match its hash
    RELINKED = "relinked"  # prev_hash does not match the previous row's hash
    GAP = "gap"  # seq numbers are missing: rows deleted
    OUT_OF_CHAIN = "out_of_chain"  # a row outside the chain (before genesis, beyond the head)
    TRUNCATED = "truncated"  # the head names rows that are gone


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link: where (``seq``), what kind, and the two values that disagree."""

    kind: BreakKind
    seq: int
    expected: str
    found: str
    message: str


@dataclass(frozen=True)
class ChainReport:
    """The result of a check: ``ok`` and how far it got, or the first break."""

    ok: bool
    checked: int
    last_seq: int
    last_hash: str
    head_seq: int
    head_hash: str
    broken: ChainBreak | None = None


def verify_chain(db: Engine) -> ChainReport:
    """Walk the whole log in ``seq`` order; report the first broken link, if any."""
    with read_session(db, snapshot=True) as session:
        head = session.exec(select(ChainHead).where(ChainHead.id == 1)).one()
        return _walk(session, head)


def _walk(session: Session, head: ChainHead) -> ChainReport:
    prev_seq, prev_hash, checked = 0, GENESIS_HASH, 0

    def report(broken: ChainBreak | None) -> ChainReport:
        return ChainReport(
            ok=broken is None,
            checked=checked,
            last_seq=prev_seq,
            last_hash=prev_hash,
            head_seq=head.seq,
            head_hash=head.hash,
            broken=broken,
        )

    for event in _events(session):
        assert event.seq is not None
        broken = _check_row(event, prev_seq, prev_hash, head)
        if broken is not None:
            return report(broken)
        prev_seq, prev_hash = event.seq, event.hash
        checked += 1
    if (prev_seq, prev_hash) != (head.seq, head.hash):
        return report(
            ChainBreak(
                BreakKind.TRUNCATED,
                prev_seq + 1,
                f"seq {head.seq} hash {head.hash}",
                f"seq {prev_seq} hash {prev_hash}",
                f"the log ends at seq {prev_seq} but the chain head says seq {head.seq}: "
                f"events {prev_seq + 1}..{head.seq} were deleted from the tail; "
                "restore them from a backup",
            )
        )
    return report(None)


def _check_row(event: Event, prev_seq: int, prev_hash: str, head: ChainHead) -> ChainBreak | None:
    assert event.seq is not None
    seq = event.seq
    if seq <= prev_seq:
        # Only possible for seq <= 0, since seq is the primary key and rows come in order.
        return ChainBreak(
            BreakKind.OUT_OF_CHAIN,
            seq,
            f"seq {prev_seq + 1}",
            f"seq {seq}",
            f"event seq {seq} lies before the start of the chain: it was inserted by hand",
        )
    if seq > head.seq:
        return ChainBreak(
            BreakKind.OUT_OF_CHAIN,
            seq,
            f"seq <= {head.seq}",
            f"seq {seq}",
            f"event seq {seq} is beyond the chain head (seq {head.seq}): it was inserted "
            "outside prflow's append; remove it or find who wrote it",
        )
    if seq != prev_seq + 1:
        return ChainBreak(
            BreakKind.GAP,
            prev_seq + 1,
            f"seq {prev_seq + 1}",
            f"seq {seq}",
            f"events {prev_seq + 1}..{seq - 1} are missing (deleted): the log jumps from seq "
            f"{prev_seq} to {seq}; restore them from a backup",
        )
    if event.prev_hash != prev_hash:
        return ChainBreak(
            BreakKind.RELINKED,
            seq,
            prev_hash,
            event.prev_hash,
            f"event seq {seq} does not link to seq {prev_seq}: its prev_hash is not the "
            f"stored hash of seq {prev_seq}, so seq {prev_seq} was rewritten (with a new "
            "hash) or replaced",
        )
    recomputed = event_hash(event)
    if recomputed != event.hash:
        return ChainBreak(
            BreakKind.EDITED,
            seq,
            recomputed,
            event.hash,
            f"event seq {seq} was edited: its fields hash to {recomputed[:12]}… but the "
            f"stored hash is {event.hash[:12]}…",
        )
    return None


def _events(session: Session) -> Iterator[Event]:
    """Every event in ``seq`` order, read one page at a time (keyset paging)."""
    after: int | None = None
    while True:
        query = select(Event).order_by(col(Event.seq)).limit(PAGE_SIZE)
        if after is not None:
            query = query.where(col(Event.seq) > after)
        page = list(session.exec(query).all())
        if not page:
            return
        session.expunge_all()  # keep memory flat on long logs
        yield from page
        after = page[-1].seq
