"""Helpers for audit tests: tampering with the log as a database admin could, copying a
database, and driving any process through its branches from what its BPMN file says."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import Engine, create_engine, text

from engine.bpmn.definitions import NS, read_source, validate
from engine.cases import service
from engine.context import Prflow
from engine.forms.definitions import FormCatalogue
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import is_sqlite
from engine.worktime.deadlines import parse_limit
from tests.support.form_data import filled

_CONDITION = re.compile(r'(\w+)\s*==\s*"([^"]*)"')


_GUARDS = (
    ("event_append_only_update", "event"), ("event_append_only_delete", "event"),
    ("event_extends_chain", "event"), ("event_chain_follows", "event_chain"),
    ("event_chain_starts_empty", "event_chain"), ("event_chain_kept", "event_chain"),
)  # fmt: skip


@contextmanager
def admin_rights(db: Engine) -> Iterator[Any]:
    """A connection with the event log's guard triggers out of the way, as a DB admin could."""
    with db.begin() as conn:
        if is_sqlite(db):
            for name, _ in _GUARDS:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("ALTER TABLE event DISABLE TRIGGER USER")
            conn.exec_driver_sql("ALTER TABLE event_chain DISABLE TRIGGER USER")
        yield conn


def copy_database(ctx: Prflow, tmp_path: Path) -> tuple[str, Any]:
    """Copy the test database; returns the copy's URL and a function that drops it."""
    url = ctx.db.url
    if is_sqlite(ctx.db):
        target = tmp_path / f"copy-{uuid.uuid4().hex[:6]}.db"
        # The backup API copies a consistent file even with WAL pages not yet checkpointed.
        with sqlite3.connect(str(url.database)) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return f"sqlite:///{target}", lambda: None
    name = f"{url.database}_copy"
    ctx.db.dispose()  # a template database must have no other connections
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def open_copy(url: str) -> Prflow:
    return Prflow(Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR, mode="test"))


@dataclass(frozen=True)
class ProcessMap:
    """What a driver needs to know about one process, read off its BPMN file."""

    key: str
    roles: tuple[str, ...]
    choices: dict[str, dict[str, list[str]]]  # task id -> field -> values, in file order
    case_fields: dict[str, list[str]]  # due.<field>=<value> fields of the process
    anchors: tuple[str, ...]  # case date fields that relative time limits count from


def process_map(path: Path, ctx: Prflow) -> ProcessMap:
    source = read_source(path)
    compiled = validate(source, ctx.roles)
    tree = etree.fromstring(source.xml)
    flows = {f.get("id"): f for f in tree.iter(f"{{{NS['bpmn']}}}sequenceFlow")}
    gateways = {g.get("id"): g for g in tree.iter(f"{{{NS['bpmn']}}}exclusiveGateway")}
    choices: dict[str, dict[str, list[str]]] = {}
    for task in tree.iter(f"{{{NS['bpmn']}}}userTask"):
        for outgoing in task.iterfind("bpmn:outgoing", NS):
            target = flows[outgoing.text].get("targetRef")
            if target not in gateways:
                continue
            fields: dict[str, list[str]] = {}
            for out in gateways[target].iterfind("bpmn:outgoing", NS):
                condition = flows[out.text].find("bpmn:conditionExpression", NS)
                for name, value in _CONDITION.findall(
                    condition.text if condition is not None else ""
                ):
                    fields.setdefault(name, []).append(value)
            choices[task.get("id")] = fields
    case_fields: dict[str, list[str]] = {}
    anchors: set[str] = set()
    for info in compiled.user_tasks.values():
        for name, value, limit in info.due_cases:
            case_fields.setdefault(name, [])
            if value not in case_fields[name]:
                case_fields[name].append(value)
            anchors |= {parse_limit(limit).anchor} - {None}  # type: ignore[arg-type]
    roles = tuple(dict.fromkeys(info.role for info in compiled.user_tasks.values()))
    return ProcessMap(source.key, roles, choices, case_fields, tuple(sorted(anchors)))


def plans(pm: ProcessMap) -> list[tuple[str, str, str] | None]:
    """One plan per decision value: (task, field, value) to answer at that task's first visit."""
    found: list[tuple[str, str, str] | None] = [None]
    for task, fields in pm.choices.items():
        for name, values in fields.items():
            found += [(task, name, value) for value in values]
    return found


def drive(
    ctx: Prflow, pm: ProcessMap, plan: tuple[str, str, str] | None, case_data: dict[str, Any]
) -> int:
    """Run one case to its end: the planned answer on the first visit, then rotate values
    (so every loop is left on a later visit). Returns the case id."""
    now = datetime.now(UTC)
    data = {**case_data, **{a: (now + timedelta(days=1)).isoformat() for a in pm.anchors}}
    case = service.start(ctx, pm.key, data, pm.roles[0])
    forms = FormCatalogue.load([REPO_PROCESSES_DIR / "forms"])
    visits: dict[str, int] = {}
    for _ in range(200):
        open_tasks = [t for t in service.show(ctx, case.id).tasks if t.status in service.OPEN]
        if not open_tasks:
            return case.id
        task = open_tasks[0]
        visit = visits[task.element_id] = visits.get(task.element_id, -1) + 1
        definition = forms.get(task.form or "")
        # The case's own values for fields this form has (P8's news_type, event times).
        form: dict[str, Any] = {f.name: data[f.name] for f in definition.fields if f.name in data}
        for name, values in pm.choices.get(task.element_id, {}).items():
            form[name] = values[visit % len(values)]
            if plan is not None and plan[:2] == (task.element_id, name) and visit == 0:
                form[name] = plan[2]
        # Logins are role ids here, so a person field names its role's user.
        service.complete(ctx, task.id, filled(definition, form, lambda role: role), task.role)
    raise AssertionError(f"case {case.id} of {pm.key} did not end in 200 steps")
