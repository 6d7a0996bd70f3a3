"""Exporting the event log for process mining: XES (IEEE 1849-2016) and CSV.

Only people holding the system role ``auditor`` may export: the log carries every form
ever submitted. The export is filtered by process and by period (an event is included when
its instant is in ``[since, until)``) and has one trace per case.

Each task gives two events, both with ``concept:name`` = the step's element id:
``lifecycle:transition`` ``start`` when someone claimed it and ``complete`` when it was
completed; ``org:resource`` is who did it and ``org:role`` the lane. Waiting in an inbox
is not work, so ``task_ready`` is not exported; the timeline shows it. The CSV has the same
rows, one per line, for spreadsheets and tools that read CSV event logs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from xml.etree import ElementTree as ET

from sqlmodel import col, select

from engine.accounts.users import get_user
from engine.audit.case_log import logged
from engine.cases.permissions import Action, require
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.events.types import EventType
from engine.store.db import read_session
from engine.store.tables import Event

# A delivered message completes the catch event or receive task that waited for it.
_LIFECYCLE = {
    EventType.TASK_CLAIMED.value: "start",
    EventType.TASK_COMPLETED.value: "complete",
    EventType.MESSAGE_DELIVERED.value: "complete",
}
CSV_COLUMNS = (
    "case_id", "activity", "timestamp", "resource", "role", "lifecycle",
    "process", "version", "task_id", "seq",
)  # fmt: skip


class ExportFormat(StrEnum):
    XES = "xes"
    CSV = "csv"


@dataclass(frozen=True)
class ExportRow:
    """One exported event."""

    case_id: int
    activity: str
    timestamp: datetime
    resource: str
    role: str
    lifecycle: str
    process: str
    version: int
    task_id: int
    seq: int


def export(
    ctx: Prflow,
    actor: str,
    fmt: ExportFormat,
    *,
    process_key: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """The filtered log as XES or CSV text; refused (``Forbidden``) to non-auditors."""
    if since is not None and until is not None and since >= until:
        raise InvalidInput(
            f"--since {since.isoformat()} is not before --until {until.isoformat()}; "
            "swap them or widen the period"
        )
    rows = export_rows(ctx, actor, process_key=process_key, since=since, until=until)
    return to_xes(rows) if fmt is ExportFormat.XES else to_csv(rows)


def export_rows(
    ctx: Prflow,
    actor: str,
    *,
    process_key: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ExportRow]:
    """The task start/complete events (and delivered messages) in scope, in log order."""
    with read_session(ctx.db, snapshot=True) as session:
        require(get_user(session, actor), Action.AUDIT)
        query = select(Event).where(col(Event.type).in_(list(_LIFECYCLE)))
        if process_key is not None:
            query = query.where(Event.process_key == process_key)
        if since is not None:
            query = query.where(col(Event.at) >= since)
        if until is not None:
            query = query.where(col(Event.at) < until)
        events = [logged(e) for e in session.exec(query.order_by(col(Event.seq))).all()]
    return [
        ExportRow(
            case_id=e.case_id,
            activity=e.element_id or "?",
            timestamp=e.at,
            resource=e.actor,
            role=e.role or "",
            lifecycle=_LIFECYCLE[e.type],
            process=e.process_key or "",
            version=e.version or 0,
            task_id=e.task_id or 0,
            seq=e.seq,
        )
        for e in events
    ]


def to_csv(rows: Iterable[ExportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [r.case_id, r.activity, r.timestamp.isoformat(), r.resource, r.role, r.lifecycle,
             r.process, r.version, r.task_id, r.seq]
        )  # fmt: skip
    return out.getvalue()


def to_xes(rows: Iterable[ExportRow]) -> str:
    """An XES 1849-2016 document: one trace per case, events in log order."""
    log = ET.Element(
        "log",
        {"xes.version": "1849-2016", "xes.features": "nested-attributes", "xmlns": _XES_NS},
    )
    for name, prefix, uri in _EXTENSIONS:
        ET.SubElement(log, "extension", {"name": name, "prefix": prefix, "uri": uri})
    for scope, keys in (("trace", ("concept:name",)), ("event", _EVENT_KEYS)):
        glob = ET.SubElement(log, "global", {"scope": scope})
        for key in keys:
            kind = "date" if key == "time:timestamp" else "string"
            value = "1970-01-01T00:00:00+00:00" if kind == "date" else "?"
            ET.SubElement(glob, kind, {"key": key, "value": value})
    ET.SubElement(log, "string", {"key": "concept:name", "value": "prflow audit export"})
    traces: dict[int, ET.Element] = {}
    for r in rows:
        trace = traces.get(r.case_id)
        if trace is None:
            trace = traces[r.case_id] = ET.SubElement(log, "trace")
            ET.SubElement(trace, "string", {"key": "concept:name", "value": str(r.case_id)})
            ET.SubElement(trace, "string", {"key": "prflow:process", "value": r.process})
            ET.SubElement(trace, "int", {"key": "prflow:version", "value": str(r.version)})
        event = ET.SubElement(trace, "event")
        for kind, key, value in (
            ("string", "concept:name", r.activity),
            ("date", "time:timestamp", r.timestamp.isoformat(timespec="milliseconds")),
            ("string", "org:resource", r.resource),
            ("string", "org:role", r.role),
            ("string", "lifecycle:transition", r.lifecycle),
            ("int", "prflow:task_id", str(r.task_id)),
            ("int", "prflow:seq", str(r.seq)),
        ):
            ET.SubElement(event, kind, {"key": key, "value": value})
    ET.indent(log)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(log, encoding="unicode")


_XES_NS = "http://www.xes-standard.org/"
_EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
)
_EVENT_KEYS = ("concept:name", "time:timestamp", "org:resource", "lifecycle:transition")
