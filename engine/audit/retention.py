"""How long a case must be kept, and purging a case once that time has passed.

Each process has a retention period, counted from the day its case completed: 10 years
unless the BPMN file says otherwise in a process-level extension property::

    <bpmn:process id="..." isExecutable="true">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="retention" value="10 years" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>

The period is read from the case's pinned definition version, so changing the file later
does not shorten the life of cases already started. Accepted forms: ``N years`` / ``N ปี``,
``N months`` / ``N เดือน``, ``N days`` / ``N วัน``.

Purging clears the case's working data (workflow state, form data on task rows, pending
timers), marks the case ``purged`` and logs ``case_purged``; the rows stay as tombstones so
their ids are never reused. Its events stay: the log is append-only and hash-chained, and the record
that a case existed and was purged must outlive it. A refused purge (the case is running,
its retention has not passed, or the person may not purge) is logged as ``purge_refused``
in a transaction of its own, committed before the error is raised, so an attempt to
destroy records early always leaves a trace. Purging needs the ``process_owner`` role.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree
from sqlmodel import Session, select

from engine import bounds, clock
from engine.accounts.users import get_user
from engine.bpmn.definitions import NS
from engine.cases.status import CaseStatus
from engine.context import Prflow
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound
from engine.events import chain as events
from engine.events.types import CasePurged, PurgeRefused
from engine.store.db import write_session
from engine.store.tables import Case, Definition, PendingTimer, TaskRow

DEFAULT_RETENTION = "10 years"
PURGE_ROLE = "process_owner"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

_PERIOD = re.compile(r"\s*(\d+)\s*(years?|ปี|months?|เดือน|days?|วัน)\s*", re.IGNORECASE)
_UNIT_MONTHS = {"year": 12, "ปี": 12, "month": 1, "เดือน": 1}


@dataclass(frozen=True)
class RetentionPeriod:
    text: str
    months: int = 0
    days: int = 0

    def ends(self, start: datetime) -> datetime:
        """The first instant after ``start`` at which the period has passed."""
        return _add_months(start, self.months) + timedelta(days=self.days)


class RetentionNotElapsed(Conflict):
    """A purge was asked for a case still inside its retention period."""

    def __init__(self, case_id: int, period: str, completed_at: datetime, ends: datetime) -> None:
        self.case_id = case_id
        self.period = period
        self.completed_at = completed_at
        self.ends = ends
        super().__init__(
            f"case {case_id} completed on {completed_at.date().isoformat()} and must be kept "
            f"{period}: it may be purged from {ends.date().isoformat()} (UTC); "
            "the refused attempt was logged"
        )


class CaseNotFinished(Conflict):
    def __init__(self, case_id: int, status: str) -> None:
        self.case_id = case_id
        self.status = status
        super().__init__(
            f"case {case_id} is {status}: only completed cases can be purged, after their "
            "retention period; the refused attempt was logged"
        )


@dataclass(frozen=True)
class Purged:
    case_id: int
    process_key: str
    version: int
    tasks_cleared: int
    retention: str


def parse_period(text: str) -> RetentionPeriod:
    match = _PERIOD.fullmatch(text)
    if match is None or int(match[1]) <= 0:
        raise InvalidInput(
            f"retention {text!r} is not a period; write e.g. '10 years', '18 months', "
            "'10 ปี' (a whole number greater than zero and years, months or days)"
        )
    amount, unit = int(match[1]), match[2].lower().removesuffix("s")
    if unit in ("day", "วัน"):
        return RetentionPeriod(text, days=amount)
    return RetentionPeriod(text, months=amount * _UNIT_MONTHS[unit])


def retention_of(definition: Definition, default: str = DEFAULT_RETENTION) -> RetentionPeriod:
    """The retention period a definition version declares, or ``default``."""
    tree = etree.fromstring(
        definition.xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False)
    )
    process = tree.find(f"bpmn:process[@id='{definition.key}']", NS)
    if process is not None:
        for prop in process.iterfind(
            "bpmn:extensionElements/spiff:properties/spiff:property",
            {**NS, "spiff": SPIFF_NS},
        ):
            if prop.get("name") == "retention":
                return parse_period(prop.get("value", ""))
    return parse_period(default)


def purge(ctx: Prflow, case_id: int, actor: str) -> Purged:
    """Purge a completed case past its retention period; log and refuse anything else."""
    now = clock.now()
    refused: EngineError | None = None
    bounds.check_id(case_id, "case id")
    with write_session(ctx.db) as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("case", case_id)
        definition = session.get(Definition, case.definition_id)
        assert definition is not None  # a foreign key guarantees it
        period = retention_of(definition, ctx.settings.default_retention)
        refused = _refusal(session, case, period, actor, now)
        if refused is not None:
            refusal = PurgeRefused(type(refused).__name__, str(refused), period.text)
            events.append_for_case(session, case, refusal, at=now, actor=actor)
        else:
            return _purge(session, case, period, actor, now)
    # Raised only now, after the refusal event committed in its own transaction.
    raise refused


def _refusal(
    session: Session, case: Case, period: RetentionPeriod, actor: str, now: datetime
) -> EngineError | None:
    assert case.id is not None
    user = get_user(session, actor)
    if PURGE_ROLE not in user.roles:
        return Forbidden(actor, f"purge case {case.id}", f"it needs the role {PURGE_ROLE}")
    if case.status != "completed" or case.completed_at is None:
        return CaseNotFinished(case.id, case.status)
    ends = period.ends(case.completed_at)
    if now < ends:
        return RetentionNotElapsed(case.id, period.text, case.completed_at, ends)
    return None


def _purge(
    session: Session, case: Case, period: RetentionPeriod, actor: str, now: datetime
) -> Purged:
    assert case.id is not None
    tasks = session.exec(select(TaskRow).where(TaskRow.case_id == case.id)).all()
    for row in session.exec(select(PendingTimer).where(PendingTimer.case_id == case.id)):
        session.delete(row)
    # The rows stay as tombstones with their content cleared: SQLite reuses the highest
    # deleted rowid, and a new case or task under a purged one's id would inherit its
    # history in the event log.
    for task in tasks:
        task.data = None
        session.add(task)
    case.state, case.status = "", CaseStatus.PURGED
    session.add(case)
    completed = case.completed_at.isoformat() if case.completed_at else None
    purged = CasePurged(period.text, len(tasks), completed)
    events.append_for_case(session, case, purged, at=now, actor=actor)
    return Purged(case.id, case.process_key, case.version, len(tasks), period.text)


def _add_months(start: datetime, months: int) -> datetime:
    """``start`` plus whole calendar months; the 29th of February becomes the 28th."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)
