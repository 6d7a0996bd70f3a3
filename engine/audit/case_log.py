"""Reading one case's events back from the log, each payload as its typed body.

Timeline, replay, export and the deep check all start from the same question — "what does
the log say happened to this case?" — so they share this reader instead of each querying
``event``. A case's events are read in their chain's order (``chain_seq``), which the MACs
cover, not in the global ``seq``, which they do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from engine import bounds
from engine.errors import NotFound
from engine.events.types import EventBody, TaskEvent, decode
from engine.store.db import read_session
from engine.store.tables import Case, Event


@dataclass(frozen=True)
class LoggedEvent:
    """One event of a case as the log holds it, with its payload as its type's class."""

    seq: int
    at: datetime
    type: str
    actor: str
    case_id: int
    task_id: int | None
    process_key: str | None
    version: int | None
    body: EventBody

    @property
    def element_id(self) -> str | None:
        # Every body about one step (task events, timer firings, deliveries) names it.
        element_id: str = getattr(self.body, "element_id", "")
        return element_id or None

    @property
    def role(self) -> str | None:
        return self.body.role or None if isinstance(self.body, TaskEvent) else None


def logged(event: Event) -> LoggedEvent:
    assert event.seq is not None and event.case_id is not None
    return LoggedEvent(
        seq=event.seq,
        at=event.at,
        type=event.type,
        actor=event.actor,
        case_id=event.case_id,
        task_id=event.task_id,
        process_key=event.process_key,
        version=event.version,
        body=decode(event.type, event.payload),
    )


def require_case(session: Session, case_id: int) -> Case:
    bounds.check_id(case_id, "case id")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case", case_id, "list cases with: prflow inbox --role ROLE")
    return case


def case_events(session: Session, case_id: int) -> list[LoggedEvent]:
    """Every event of one case, in log order."""
    bounds.check_id(case_id, "case id")
    query = select(Event).where(Event.case_id == case_id).order_by(col(Event.chain_seq))
    return [logged(event) for event in session.exec(query).all()]


def chained_events(db: Engine, case_id: int) -> list[Event]:
    """A case's stored event rows with their hashes, in log order (for showing the chain)."""
    with read_session(db) as session:
        return list(
            session.exec(select(Event).where(Event.case_id == case_id).order_by(col(Event.seq)))
        )
