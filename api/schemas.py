"""The JSON shapes of the API: request bodies and responses, as the OpenAPI document shows.

Responses mirror the engine's view dataclasses field by field (FastAPI validates each
response against them, so a view that grows a field the API forgot fails loudly in tests).
Durations are ISO 8601 in whole seconds (``PT1H30M0S``); instants are ISO 8601 with offset, in UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

# Ids are 32-bit integers on PostgreSQL: anything larger names nothing and must not reach SQL.
MAX_ID = 2**31 - 1
EntityId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _iso_duration(span: timedelta) -> str:
    # RFC 3339 durations have no fractional seconds; working times are never negative.
    seconds = max(0, int(span.total_seconds()))
    return f"PT{seconds // 3600}H{seconds // 60 % 60}M{seconds % 60}S"


Duration = Annotated[
    timedelta,
    PlainSerializer(_iso_duration, return_type=str),
    WithJsonSchema({"type": "string", "format": "duration", "example": "PT2H30M0S"}),
]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]


Reason = Annotated[
    str, Field(min_length=1, max_length=2000, description="why; kept in the audit log")
]


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(Model):
    """An error (RFC 9457 problem details)."""

    type: str = Field(description="stable problem type, e.g. /problems/stale-case")
    title: str = Field(description="short summary in the asker's language")
    status: int
    detail: str = Field(description="what is wrong, where, and how to fix it")
    errors: list[dict[str, str]] | None = Field(None, description="field, message per field")
    problems: list[dict[str, Any]] | None = Field(
        None, description="definition problems: file, line, element_id, message, rule"
    )


class Task(Model):
    id: int
    case_id: int
    case_version: int = Field(description="send as If-Match when completing")
    unit: str
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
    actions: list[str] = Field(default_factory=list, description="what you may do now")


class WorkItem(Model):
    id: int
    case_id: int
    case_version: int
    process_key: str
    element_id: str
    name: str
    role: str
    form: str | None
    status: str
    assignee: str | None
    created_at: datetime
    due_text: str | None
    due_at: datetime | None


class WorkPage(Model):
    items: list[WorkItem]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class CaseTask(Model):
    id: int
    element_id: str
    name: str
    role: str
    status: str
    assignee: str | None
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    due_at: datetime | None


class Case(Model):
    id: int
    process_key: str
    process_name: str
    version: int
    status: str
    lock_version: int
    unit: str
    started_at: datetime
    started_by: str
    completed_at: datetime | None
    data: dict[str, Any]
    tasks: list[CaseTask]
    actions: list[str] = Field(default_factory=list)


class StartCase(Model):
    process: str = Field(min_length=1, max_length=100, description="process id")
    data: dict[str, Any] = Field(default_factory=dict)


class CaseChange(Model):
    reason: Reason


class CompleteTask(Model):
    data: dict[str, Any] = Field(default_factory=dict, description="the form's fields")


class Reassign(Model):
    to: str = Field(min_length=1, max_length=64, description="login of the new assignee")
    reason: Reason


class BulkClaim(Model):
    task_ids: list[EntityId] = Field(min_length=1, max_length=200)


class BulkReassign(BulkClaim):
    to: str = Field(min_length=1, max_length=64)
    reason: Reason


class BulkOutcome(Model):
    task_id: int
    ok: bool
    task: WorkItem | None = None
    problem: Problem | None = None


class BulkResult(Model):
    results: list[BulkOutcome]


class TimelineEntry(Model):
    seq: int
    at: datetime
    type: str
    actor: str
    role: str | None
    step: str | None
    task_id: int | None
    payload: dict[str, Any]


class TaskTiming(Model):
    task_id: int
    step: str
    role: str
    ready_at: datetime
    due_at: datetime | None
    claimed_by: str | None
    completed_at: datetime | None
    completed_by: str | None
    waiting: Duration
    working: Duration
    verdict: str


class Timeline(Model):
    case_id: int
    process_key: str | None
    version: int | None
    now: datetime
    entries: list[TimelineEntry]
    tasks: list[TaskTiming]


class DeadlineTask(Model):
    task_id: int
    case_id: int
    process_key: str
    version: int
    element_id: str
    name: str
    role: str
    unit: str
    status: str
    assignee: str | None
    created_at: datetime
    due_text: str | None
    due_at: datetime


class OverdueTask(DeadlineTask):
    lateness: Duration = Field(description="working time past due")


class DueSoonTask(DeadlineTask):
    time_left: Duration = Field(description="working time left")


class OnTimeReport(Model):
    process: str | None
    step: str | None
    role: str | None
    since: datetime | None
    until: datetime | None
    total: int
    on_time: int
    late: int
    share: float | None
    target: float
    meets_target: bool | None
    median_taken: Duration | None
    median_working_taken: Duration | None


class Version(Model):
    key: str
    version: int
    name: str
    sha256: str
    file_name: str
    deployed_at: datetime
    deployed_by: str
    running_cases: int
    all_cases: int


class Deployed(Model):
    key: str
    version: int
    sha256: str
    file_name: str
    created: bool


class ChainBreak(Model):
    kind: str
    chain: str = Field(description="case/<id> or system: which event chain broke")
    chain_seq: int
    seq: int | None
    expected: str
    found: str
    message: str


class ChainReport(Model):
    ok: bool
    checked: int
    chains: int
    broken: ChainBreak | None


class Me(Model):
    login: str
    display_name: str
    unit: str
    roles: list[str]
    actions: list[str]
