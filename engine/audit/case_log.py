"""Reading one case's events back from the log, payloads decoded.

Timeline, replay and export all start from the same question — "what does the log say
happened to this case?" — so they share this reader instead of each querying ``event``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from engine import bounds
from engine.errors import NotFound
from engine.store.tables import Case, Event


@dataclass(frozen=True)
class LoggedEvent:
    """One event of a case as the log holds it, with the payload decoded."""

    seq: int
    at: datetime
    type: str
    actor: str
    case_id: int
    task_id: int | None
    process_key: str | None
    version: int | None
    payload: dict[str, Any]

    @property
    def element_id(self) -> str | None:
        value = self.payload.get("element_id")
        return value if isinstance(value, str) else None

    @property
    def role(self) -> str | None:
        value = self.payload.get("role")
        return value if isinstance(value, str) else None


def logged(event: Event) -> LoggedEvent:
    assert event.seq is not None and event.case_id is not None
    payload = json.loads(event.payload)
    return LoggedEvent(
        seq=event.seq,
        at=event.at,
        type=event.type,
        actor=event.actor,
        case_id=event.case_id,
        task_id=event.task_id,
        process_key=event.process_key,
        version=event.version,
        payload=payload if isinstance(payload, dict) else {},
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
    query = select(Event).where(Event.case_id == case_id).order_by(col(Event.seq))
    return [logged(event) for event in session.exec(query).all()]
