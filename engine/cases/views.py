"""Read models: tasks, cases and deadline rows as people see them, built by joined queries.

No view ever loads ``Case.state`` (the saved workflow, often tens of kilobytes): a task's
process, version, case status and unit come from a join on the case's small columns.

Worklists are pages read in ``(due_sort, id)`` order with a keyset cursor, never a count or
an OFFSET: the next page starts after the last row of this one. A list is the union of a few
*branches*, each an equality on ``status`` (and a role or an assignee) followed by the sort
key, so each branch is a range read of one index (``ix_task_queue``, ``ix_task_assignee``,
``ix_task_open_due``) that stops after ``limit`` rows; the branches' pages are merged here,
so no query ever sorts all open tasks. Overdue, due soon and the on-time counts are WHERE
clauses and aggregates in SQL.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, case, func, or_, union_all
from sqlmodel import Session, col, select

from engine import bounds
from engine.bpmn.definitions import CompiledDefinition, compiled_for
from engine.cases.status import TaskStatus
from engine.errors import InvalidInput, NotFound
from engine.store.tables import Case, Definition, TaskRow

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500  # a page is for a screen or an export chunk, not for the whole table

T = TypeVar("T")


@dataclass(frozen=True)
class TaskView:
    """A task with what a worklist shows and what permissions need of its case."""

    id: int
    case_id: int
    process_key: str
    version: int
    element_id: str
    name: str
    role: str
    form: str | None
    status: str
    assignee: str | None
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    due_text: str | None
    due_at: datetime | None
    data: dict[str, Any] | None
    case_status: str = "running"
    case_unit: str = ""
    case_lock_version: int = 0  # what a completion sends back as If-Match


@dataclass(frozen=True)
class WaitingMessageView:
    """A message a case waits for now: its name, the element waiting, that element's lane."""

    name: str
    element_id: str
    role: str  # "" when the diagram has no lanes (then only ops may deliver it)
    element_name: str = ""  # the element's name in the diagram


@dataclass(frozen=True)
class CaseView:
    """A case's header and tasks; ``data`` and ``waiting_messages`` are filled only by the
    one-case detail view (they come from the saved workflow)."""

    id: int
    process_key: str
    process_name: str
    version: int
    status: str
    lock_version: int
    started_at: datetime
    started_by: str
    completed_at: datetime | None
    data: dict[str, Any]
    tasks: list[TaskView]
    unit: str = ""
    lanes: frozenset[str] = frozenset()  # the roles of its process's lanes (who may see it)
    waiting_messages: tuple[WaitingMessageView, ...] = ()


@dataclass(frozen=True)
class MessageTarget:
    """A message to deliver to a case, as the delivery permission sees it."""

    case: CaseView
    name: str


@dataclass(frozen=True)
class ProcessView:
    """A deployed process as the start permission sees it: who may start a case."""

    key: str
    start_lanes: frozenset[str]


def process_view(key: str, compiled: CompiledDefinition) -> ProcessView:
    # Anyone of the process's lanes may start it: in several manuals the case is opened by
    # the person who asks (P6's web PR officer) while another lane does the first step.
    return ProcessView(key, frozenset(info.role for info in compiled.user_tasks.values()))


@dataclass(frozen=True)
class OpenTask:
    """An open task with a due time, as a deadline list shows it."""

    task_id: int
    case_id: int
    process_key: str
    version: int
    element_id: str
    name: str
    role: str
    unit: str  # the role catalogue's unit of the task's lane
    status: str
    assignee: str | None
    created_at: datetime
    due_text: str | None
    due_at: datetime


@dataclass(frozen=True)
class OverdueTask(OpenTask):
    lateness: timedelta  # working time past due_at


@dataclass(frozen=True)
class DueSoonTask(OpenTask):
    time_left: timedelta  # working time until due_at


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks a list shows. Every field narrows; ``None`` means any.

    ``inbox_roles`` with ``inbox_login`` is a person's inbox: ready tasks of their roles and
    the tasks they claimed. ``due_before`` is strict (overdue at ``now``); ``due_from`` and
    ``due_until`` are inclusive (due soon).
    """

    statuses: tuple[TaskStatus, ...] = (TaskStatus.READY, TaskStatus.CLAIMED)
    roles: tuple[str, ...] | None = None
    assignee: str | None = None
    process: str | None = None
    case_id: int | None = None
    due_before: datetime | None = None
    due_from: datetime | None = None
    due_until: datetime | None = None
    inbox_login: str | None = None
    inbox_roles: tuple[str, ...] = field(default=())


def page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page size {limit} must be between 1 and {MAX_PAGE_SIZE}")
    return limit


def encode_cursor(due_sort: datetime, task_id: int) -> str:
    return f"{due_sort.isoformat()}~{task_id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        due, _, task_id = cursor.partition("~")
        parsed = datetime.fromisoformat(due)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, int(task_id)
    except ValueError:
        raise InvalidInput(
            f"page cursor {cursor!r} is not one this list gave out; "
            "start from the first page (no cursor)"
        ) from None


# --- task lists ------------------------------------------------------------------------

# Plain table columns, not ORM entities, built once: a page is read-only, and skipping the
# identity map, object construction and re-coercing twenty columns per call is most of
# the cost of a 50-row page. Reads run on the session's connection (the Core path).
_T = TaskRow.__table__.c  # type: ignore[attr-defined]
_C = Case.__table__.c  # type: ignore[attr-defined]
_TASK_SELECT: Select[Any] = select(  # type: ignore[call-overload]
    *_T,
    _C.process_key.label("case_process_key"),
    _C.version.label("case_version"),
    _C.status.label("case_status"),
    _C.unit.label("case_unit"),
    _C.lock_version.label("case_lock_version"),
).join_from(TaskRow.__table__, Case.__table__, _C.id == _T.case_id)  # type: ignore[attr-defined]


def _task_select() -> Select[Any]:
    return _TASK_SELECT


_COUNT_SELECT: Select[Any] = select(_T.id)


def _count_select() -> Select[Any]:
    # Without a process filter a count needs no case column: an index-only range count.
    return _COUNT_SELECT


def branches(f: TaskFilter, base: Callable[[], Select[Any]] | None = None) -> list[Select[Any]]:
    """One query per index range the filter covers, each already in ``(due_sort, id)`` order
    and filtered; the caller adds the cursor and the limit."""
    parts: list[tuple[TaskStatus, str | None, str | None]]
    if f.inbox_login is not None:
        parts = [(TaskStatus.READY, role, None) for role in f.inbox_roles]
        parts.append((TaskStatus.CLAIMED, None, f.inbox_login))
        parts = [p for p in parts if p[0] in f.statuses]
    else:
        parts = [
            (status, role, f.assignee) for status in f.statuses for role in (f.roles or (None,))
        ]
        if f.roles == ():
            parts = []
    queries = []
    for status, role, assignee in parts:
        query = (base or _task_select)().where(_T.status == status)
        if role is not None:
            query = query.where(_T.role == role)
        if assignee is not None:
            query = query.where(_T.assignee == assignee)
        if f.inbox_login is not None and f.roles is not None:
            query = query.where(_T.role.in_(f.roles))
        if f.inbox_login is not None and f.assignee is not None:
            query = query.where(_T.assignee == f.assignee)
        queries.append(_narrow(query, f))
    return queries


def _narrow(query: Select[Any], f: TaskFilter) -> Select[Any]:
    if f.process is not None:
        query = query.where(_C.process_key == f.process)
    if f.case_id is not None:
        query = query.where(_T.case_id == f.case_id)
    # due_sort, not due_at: the range stays on the index column (tasks without a limit sort
    # at NO_DUE, after every real instant, so "< now" never includes them).
    if f.due_before is not None:
        query = query.where(_T.due_sort < f.due_before)
    if f.due_from is not None:
        query = query.where(_T.due_sort >= f.due_from)
    if f.due_until is not None:
        query = query.where(_T.due_sort <= f.due_until)
    return query.order_by(_T.due_sort, _T.id)


def _after(query: Select[Any], cursor: tuple[datetime, int] | None) -> Select[Any]:
    if cursor is None:
        return query
    due, task_id = cursor
    # The plain range on due_sort keeps the index range; the OR only trims equal keys.
    return query.where(
        _T.due_sort >= due,
        or_(_T.due_sort > due, _T.id > task_id),
    )


def task_page(
    session: Session, f: TaskFilter, *, after: str | None = None, limit: int | None = None
) -> Page[TaskView]:
    """One page of the tasks ``f`` selects, most urgent first."""
    size = page_size(limit)
    cursor = decode_cursor(after) if after is not None else None
    connection = session.connection()
    queries = [_after(query, cursor).limit(size + 1) for query in branches(f)]
    if len(queries) > 1 and connection.dialect.name == "postgresql":
        # One round trip for every branch: each stays its own LIMIT-ed index range inside
        # the UNION ALL; the (at most branches x page) rows are put in order here.
        rows = connection.execute(union_all(*queries)).all()
        streams = [sorted(((row.due_sort, row.id, row) for row in rows), key=_order)]
    else:
        streams = [
            [(row.due_sort, row.id, row) for row in connection.execute(query).all()]
            for query in queries
        ]
    merged = list(itertools.islice(heapq.merge(*streams, key=_order), size + 1))
    items = [_task_view(row) for _, _, row in merged[:size]]
    more = len(merged) > size
    last = merged[size - 1] if more else None
    return Page(items, encode_cursor(last[0], last[1]) if last is not None else None)


def _order(entry: tuple[datetime, int, Any]) -> tuple[datetime, int]:
    return entry[0], entry[1]


def task_count(session: Session, f: TaskFilter) -> int:
    """How many tasks ``f`` selects, counted in the database branch by branch."""
    total = 0
    connection = session.connection()
    for query in branches(f, _task_select if f.process is not None else _count_select):
        counted = query.order_by(None).with_only_columns(func.count(_T.id))
        total += int(connection.execute(counted).scalar_one())
    return total


def task_view(session: Session, task_id: int) -> TaskView:
    bounds.check_id(task_id, "task id")
    row = session.execute(_task_select().where(col(TaskRow.id) == task_id)).first()
    if row is None:
        raise NotFound("task", task_id, "see open tasks with: prflow inbox --as LOGIN")
    return _task_view(row)


def task_view_of(row: Any, case: Any) -> TaskView:
    """The view of a row the caller already holds (a ``TaskRow`` or a held copy), with its
    (already loaded) case."""
    return _task_view(row, case)


def _task_view(task: Any, case: Any = None) -> TaskView:
    """From a joined row (the case columns are labelled ``case_*``) or a row and its case."""
    if case is not None:
        process_key, version, case_status, unit, lock_version = (
            case.process_key,
            case.version,
            case.status,
            case.unit,
            case.lock_version,
        )
    else:
        process_key, version = task.case_process_key, task.case_version
        case_status, unit = task.case_status, task.case_unit
        lock_version = task.case_lock_version
    return TaskView(
        id=task.id,
        case_id=task.case_id,
        process_key=process_key,
        version=version,
        element_id=task.element_id,
        name=task.name,
        role=task.role,
        form=task.form,
        status=str(task.status),
        assignee=task.assignee,
        created_at=task.created_at,
        claimed_at=task.claimed_at,
        completed_at=task.completed_at,
        completed_by=task.completed_by,
        due_text=task.due_text,
        due_at=task.due_at,
        data=json.loads(task.data) if task.data else None,
        case_status=str(case_status),
        case_unit=unit,
        case_lock_version=lock_version,
    )


# --- cases -----------------------------------------------------------------------------

_CASE_COLUMNS = (
    Case.id, Case.process_key, Definition.name, Case.version, Case.status, Case.lock_version,
    Case.started_at, Case.started_by, Case.completed_at, Case.unit, Definition.id,
    Definition.sha256, Case.called_versions,
)  # fmt: skip
# The lane roles of each deployed version, by its content hash (versions never change).
_LANES: dict[str, frozenset[str]] = {}


def _lanes(session: Session, definition_id: int, sha256: str, called: str = "") -> frozenset[str]:
    """The roles of the version's lanes, and of the called versions pinned with the case
    (``called``, as stored): whoever works a step of the case may see it."""
    if sha256 not in _LANES:
        row = session.get(Definition, definition_id)
        assert row is not None  # the case's foreign key guarantees it
        compiled = compiled_for(row.sha256, row.xml.encode("utf-8"), row.file_name)
        # A lane that only waits for a message (a receive task's) sees the case it answers.
        roles = {info.role for info in compiled.user_tasks.values()}
        _LANES[sha256] = frozenset(roles | {r for r in compiled.message_roles.values() if r})
    lanes = _LANES[sha256]
    if called:
        for called_id in json.loads(called).values():
            row = session.get(Definition, int(called_id))
            assert row is not None  # versions are never deleted
            lanes |= _lanes(session, int(called_id), row.sha256)
    return lanes


def case_view(session: Session, case_id: int, data: dict[str, Any] | None = None) -> CaseView:
    """A case's header and every task so far, without its saved workflow state."""
    bounds.check_id(case_id, "case id")
    header = session.exec(
        select(*_CASE_COLUMNS)  # type: ignore[call-overload]
        .join(Definition, col(Definition.id) == col(Case.definition_id))
        .where(col(Case.id) == case_id)
    ).first()
    if header is None:
        raise NotFound("case", case_id)
    tasks = session.execute(
        _task_select().where(col(TaskRow.case_id) == case_id).order_by(col(TaskRow.id))
    ).all()
    (id_, key, name, version, status, lock_version, started_at, started_by, done, unit,
     definition_id, sha256, called) = header  # fmt: skip
    return CaseView(
        id=id_, process_key=key, process_name=name, version=version, status=status,
        lock_version=lock_version, started_at=started_at, started_by=started_by,
        completed_at=done, data=data or {}, tasks=[_task_view(row) for row in tasks], unit=unit,
        lanes=_lanes(session, definition_id, sha256, called),
    )  # fmt: skip


def case_state(session: Session, case_id: int) -> str:
    """The saved workflow state of one case (only the detail view and use cases need it)."""
    state = session.exec(select(Case.state).where(col(Case.id) == case_id)).first()
    if state is None:
        raise NotFound("case", case_id)
    return state


# --- deadlines -------------------------------------------------------------------------


def open_task(task: TaskView, unit: str) -> dict[str, Any]:
    """The fields every deadline row shares, from a task view."""
    assert task.due_at is not None
    return {
        "task_id": task.id, "case_id": task.case_id, "process_key": task.process_key,
        "version": task.version, "element_id": task.element_id, "name": task.name,
        "role": task.role, "unit": unit, "status": task.status, "assignee": task.assignee,
        "created_at": task.created_at, "due_text": task.due_text, "due_at": task.due_at,
    }  # fmt: skip


@dataclass(frozen=True)
class CompletedFilter:
    process: str | None = None
    step: str | None = None
    role: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _completed(f: CompletedFilter, *columns: Any) -> Select[Any]:
    query: Select[Any] = select(*columns).where(
        col(TaskRow.status) == TaskStatus.COMPLETED, col(TaskRow.due_at).is_not(None)
    )
    if f.process is not None:
        query = query.join(Case, col(Case.id) == col(TaskRow.case_id)).where(
            col(Case.process_key) == f.process
        )
    if f.step is not None:
        query = query.where(col(TaskRow.element_id) == f.step)
    if f.role is not None:
        query = query.where(col(TaskRow.role) == f.role)
    if f.since is not None:
        query = query.where(col(TaskRow.completed_at) >= f.since)
    if f.until is not None:
        query = query.where(col(TaskRow.completed_at) < f.until)
    return query


@dataclass(frozen=True)
class CompletedFigures:
    """The on-time counts and median times of the completed tasks a filter selects."""

    total: int
    on_time: int
    median_elapsed: timedelta | None  # clock time, created_at -> completed_at
    median_working: timedelta | None  # office time, as counted when each was completed


def completed_figures(session: Session, f: CompletedFilter) -> CompletedFigures:
    """Counts and medians in the database, from the times each completion stored
    (``elapsed_us``, ``working_us``): no row of the period comes to Python.

    PostgreSQL takes everything in one aggregate (``percentile_cont``, which averages the
    two middle values of an even count, as ``statistics.median`` does). SQLite has no
    percentile: it counts, then reads the one or two middle values of each column with an
    ordered ``LIMIT``/``OFFSET`` over the period's range of ``ix_task_done``.
    """
    on_time = func.sum(case((col(TaskRow.completed_at) <= col(TaskRow.due_at), 1), else_=0))
    elapsed, working = col(TaskRow.elapsed_us), col(TaskRow.working_us)
    if session.get_bind().dialect.name == "postgresql":
        aggregates = (
            func.count(col(TaskRow.id)),
            on_time,
            func.percentile_cont(0.5).within_group(elapsed),
            func.percentile_cont(0.5).within_group(working),
        )
        total, done, mid_elapsed, mid_working = session.execute(_completed(f, *aggregates)).one()
        return CompletedFigures(
            int(total), int(done or 0), _microseconds(mid_elapsed), _microseconds(mid_working)
        )
    counts = (func.count(col(TaskRow.id)), on_time, func.count(elapsed), func.count(working))
    total, done, with_elapsed, with_working = session.execute(_completed(f, *counts)).one()
    return CompletedFigures(
        int(total), int(done or 0),
        _middle(session, f, elapsed, int(with_elapsed)),
        _middle(session, f, working, int(with_working)),
    )  # fmt: skip


def _middle(session: Session, f: CompletedFilter, column: Any, count: int) -> timedelta | None:
    """The median of ``column`` over ``count`` non-null values: one or two rows read."""
    if count == 0:
        return None
    query = (
        _completed(f, column)
        .where(column.is_not(None))
        .order_by(column)
        .limit(2 - count % 2)
        .offset((count - 1) // 2)
    )
    values = [int(value) for value in session.execute(query).scalars()]
    return _microseconds(values[0] if len(values) == 1 else (values[0] + values[1]) / 2)


def _microseconds(value: float | int | None) -> timedelta | None:
    # timedelta rounds a half microsecond to even, as the Python median always did.
    return None if value is None else timedelta(microseconds=float(value))
