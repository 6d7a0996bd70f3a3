"""Read-only facts the web pages show beside a task or case, that no other view carries.

- ``step_info``: what the manual says a step is (its BPMN documentation) and the choices
  the diagram's next gateway reads from the step's data (``decision == "ok"`` / ``"fix"``),
  so a form can offer exactly the branches the process has.
- ``diagram``: a case's BPMN XML with its steps sorted into done, current and overdue, for
  a viewer to highlight the path taken (a called process's steps light their call activity).
- ``sent_back``: the reason a step came back, read from the completed step that sent it.
- ``task_form``: the form deployed with the task's version, for the page to render.

Given the ``case_id``, the step and form lookups also search the called processes'
versions pinned with that case (a step of a called process is a task of the case).
- ``time_left``: working time until (or past) a due time, for "2 working hours left".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lxml import etree
from sqlmodel import col, select

from engine.cases.deployment import called_rows, compiled_row, forms_of, pins_of, step_owner
from engine.cases.views import TaskView
from engine.context import Prflow
from engine.errors import NotFound
from engine.forms.definitions import Form
from engine.store.db import read_session
from engine.store.tables import Case, Definition, TaskRow

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# A gateway condition the form can offer as a choice: name == "literal".
_CHOICE = re.compile(r"""^\s*([A-Za-z_]\w*)\s*==\s*["']([^"']+)["']\s*$""")
# Data fields that carry the reason for a send-back, in the order they are looked for.
REASON_FIELDS = ("comments", "reason", "note")


@dataclass(frozen=True)
class StepInfo:
    """One step of a deployed version: its name, manual text and the branch choices."""

    element_id: str
    name: str
    documentation: str
    choice_field: str | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagram:
    """A case's diagram and the state of each of its steps (BPMN element ids)."""

    xml: str
    done: frozenset[str]
    current: frozenset[str]
    overdue: frozenset[str]
    flows_taken: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SendBack:
    """The last time a step sent the case back: which step, who, when and why."""

    step: str
    by: str | None
    at: datetime | None
    reason: str


def _definition(ctx: Prflow, process_key: str, version: int) -> Definition:
    with read_session(ctx.db) as session:
        row = session.exec(
            select(Definition).where(Definition.key == process_key, Definition.version == version)
        ).first()
    if row is None:
        raise NotFound("process version", f"{process_key} v{version}", "it is not deployed")
    return row


def _tree(xml: str) -> Any:
    return etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False))


def _choices(tree: Any, element_id: str) -> tuple[str | None, tuple[str, ...]]:
    ns = {"b": BPMN_NS}
    outgoing = tree.xpath("//b:sequenceFlow[@sourceRef=$id]", namespaces=ns, id=element_id)
    for flow in outgoing:
        target = flow.get("targetRef")
        if not tree.xpath("//b:exclusiveGateway[@id=$id]", namespaces=ns, id=target):
            continue
        name: str | None = None
        values: list[str] = []
        for branch in tree.xpath("//b:sequenceFlow[@sourceRef=$id]", namespaces=ns, id=target):
            condition = branch.find(f"{{{BPMN_NS}}}conditionExpression")
            match = _CHOICE.match(condition.text or "") if condition is not None else None
            if match and name in (None, match.group(1)):
                name = match.group(1)
                values.append(match.group(2))
        if name is not None:
            return name, tuple(values)
    return None, ()


def _with_called(
    ctx: Prflow, process_key: str, version: int, case_id: int | None
) -> list[Definition]:
    """The version, then the called versions pinned with the case (if one is named)."""
    row = _definition(ctx, process_key, version)
    if case_id is None:
        return [row]
    with read_session(ctx.db) as session:
        called = session.exec(select(Case.called_versions).where(col(Case.id) == case_id)).first()
        return [row, *called_rows(session, pins_of(called)).values()]


def step_names(
    ctx: Prflow, process_key: str, version: int, case_id: int | None = None
) -> dict[str, str]:
    """Each user task's name by element id, for timelines that log element ids."""
    names: dict[str, str] = {}
    for row in reversed(_with_called(ctx, process_key, version, case_id)):
        names.update({key: info.name for key, info in compiled_row(row).user_tasks.items()})
    return names


def task_form(ctx: Prflow, task: TaskView) -> Form | None:
    """The form a task is completed with: the one deployed with the version its step belongs
    to (as the completion checks it); None for versions without forms."""
    if task.form is None:
        return None
    rows = _with_called(ctx, task.process_key, task.version, task.case_id)
    forms = forms_of(step_owner(rows, task.element_id))
    return forms.get(task.form) if task.form in forms else None


def step_info(
    ctx: Prflow, process_key: str, version: int, element_id: str, case_id: int | None = None
) -> StepInfo:
    rows = _with_called(ctx, process_key, version, case_id)
    row = next((r for r in rows if element_id in compiled_row(r).user_tasks), rows[0])
    info = compiled_row(row).user_tasks.get(element_id)
    name = info.name if info else element_id
    choice_field, choices = _choices(_tree(row.xml), element_id)
    return StepInfo(element_id, name, (info.documentation or "") if info else "", choice_field,
                    choices)  # fmt: skip


def diagram(ctx: Prflow, case_id: int, now: datetime) -> Diagram:
    with read_session(ctx.db) as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("case", case_id, "see the cases in your inbox")
        definition = session.get(Definition, case.definition_id)
        rows = session.exec(select(TaskRow).where(TaskRow.case_id == case_id)).all()
        assert definition is not None  # a case always has its definition (foreign key)
        shown = _shown_as(definition, called_rows(session, pins_of(case.called_versions)))
    done = {shown.get(r.element_id, r.element_id) for r in rows if r.status == "completed"}
    current = {shown.get(r.element_id, r.element_id) for r in rows
               if r.status in ("ready", "claimed")}  # fmt: skip
    overdue = {
        shown.get(r.element_id, r.element_id)
        for r in rows
        if r.status in ("ready", "claimed") and r.due_at is not None and r.due_at < now
    }
    tree = _tree(definition.xml)
    visited = _path(tree, done | current, finished=case.status == "completed")
    taken = _flows_between(tree, visited)
    done |= visited - current
    return Diagram(definition.xml, frozenset(done), frozenset(current), frozenset(overdue), taken)


def _shown_as(root: Definition, called: dict[str, Definition]) -> dict[str, str]:
    """Each step of a called process, by the call activity of the case's diagram that runs
    it (the diagram shows the caller only; a called process's steps light its call)."""
    shown: dict[str, str] = {}
    for call in compiled_row(root).calls:
        stack, seen = [call.called], set()
        while stack:
            key = stack.pop()
            if key in seen or key not in called:
                continue
            seen.add(key)
            compiled = compiled_row(called[key])
            for element_id in compiled.user_tasks:
                shown.setdefault(element_id, call.element_id)
            stack.extend(each.called for each in compiled.calls)
    return shown


def _path(tree: Any, steps: set[str], *, finished: bool) -> set[str]:
    """The steps plus the events and gateways the case passed between them.

    Start events, gateways and (for a finished case) end events have no task row; one was
    passed when a flow reaches it from a visited element and, unless it is an end, leaves it
    for another. Repeated until nothing changes, since gateways may follow each other.
    """
    ns = {"b": BPMN_NS}
    flows = [
        (f.get("sourceRef"), f.get("targetRef"))
        for f in tree.xpath("//b:sequenceFlow", namespaces=ns)
    ]
    starts = {e.get("id") for e in tree.xpath("//b:process/b:startEvent", namespaces=ns)}
    ends = {e.get("id") for e in tree.xpath("//b:endEvent", namespaces=ns)}
    visited = set(steps) | (starts if steps or finished else set())
    changed = True
    while changed:
        changed = False
        for source, target in flows:
            if source not in visited or target in visited or target in steps:
                continue
            leaves = any(s == target and t in visited for s, t in flows)
            if leaves or (finished and target in ends):
                visited.add(target)
                changed = True
    return visited


def _flows_between(tree: Any, visited: set[str]) -> frozenset[str]:
    ns = {"b": BPMN_NS}
    return frozenset(
        flow.get("id")
        for flow in tree.xpath("//b:sequenceFlow", namespaces=ns)
        if flow.get("sourceRef") in visited and flow.get("targetRef") in visited
    )


def sent_back(ctx: Prflow, case_id: int, element_id: str) -> SendBack | None:
    """Why the step ``element_id`` is being done again, if a later step sent it back.

    A step runs again when a check completed after its last completion chose a branch other
    than the first (``fix``, ``revise``…); its reason is in that check's data.
    """
    with read_session(ctx.db) as session:
        rows = session.exec(
            select(TaskRow).where(TaskRow.case_id == case_id).order_by(col(TaskRow.id))
        ).all()
    done_here = [r for r in rows if r.element_id == element_id and r.status == "completed"]
    if not done_here:
        return None
    last = done_here[-1]
    for row in reversed(rows):
        if row.id is None or last.id is None or row.id <= last.id or row.status != "completed":
            continue
        data = json.loads(row.data) if row.data else {}
        reason = next((str(data[f]) for f in REASON_FIELDS if data.get(f)), "")
        return SendBack(row.name, row.completed_by, row.completed_at, reason)
    return None


def time_left(ctx: Prflow, due_at: datetime, now: datetime) -> timedelta:
    """Working time from now to ``due_at``; negative when it is past due."""
    calendar = ctx.calendar
    if due_at >= now:
        return calendar.working_time_between(now, due_at)
    return -calendar.working_time_between(due_at, now)


def working_day(ctx: Prflow) -> timedelta:
    """How long one working day is in this office's hours."""
    return ctx.calendar.hours.day_length
