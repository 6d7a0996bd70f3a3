"""The tables: definitions, cases, task rows, events, users and pending timers.

The schema itself is owned by the alembic migrations in ``engine/store/migrations``; these
SQLModel classes describe the same columns for queries, and a test checks the two agree.
Times are stored as timezone-aware UTC (``engine.store.types.UTCDateTime``), read back aware
on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    event,
    true,
)
from sqlmodel import Field, SQLModel

from engine.store.types import UTCDateTime

# The sort key of a task without a time limit: after every real due time.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)


def _utc_column(nullable: bool = True, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class Definition(SQLModel, table=True):
    """An immutable, numbered version of one BPMN process."""

    __tablename__ = "definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)
    version: int
    name: str
    sha256: str = Field(index=True)
    file_name: str
    xml: str = Field(sa_column=Column(Text, nullable=False))
    deployed_at: datetime = Field(sa_column=_utc_column(nullable=False))
    deployed_by: str
    # Set when a process owner withdrew the version: no new case starts on it.
    withdrawn_at: datetime | None = Field(default=None, sa_column=_utc_column())
    # The TOML of the forms the tasks name (JSON: form id -> text); None before forms existed.
    forms: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    forms_sha256: str | None = None


class Case(SQLModel, table=True):
    """One running (or finished) instance of a definition version."""

    __tablename__ = "process_case"

    id: int | None = Field(default=None, primary_key=True)
    definition_id: int = Field(foreign_key="definition.id", index=True)
    process_key: str = Field(index=True)
    version: int
    status: str = Field(index=True)  # engine.cases.status.CaseStatus
    state: str = Field(sa_column=Column(Text, nullable=False))
    serializer_version: str
    lock_version: int = 0
    started_at: datetime = Field(sa_column=_utc_column(nullable=False))
    started_by: str
    completed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    calendar_fingerprint: str = ""
    unit: str = ""  # the starter's unit when the case started (supervisors act within it)
    # The versions of the processes its call activities call, pinned when it started:
    # JSON {process key: definition id}, "" for a case that calls none.
    called_versions: str = Field(
        default="", sa_column=Column(Text, nullable=False, server_default="")
    )


class TaskRow(SQLModel, table=True):
    """A user task as people see it: the worklist is a query over these rows."""

    __tablename__ = "task"
    __table_args__ = (
        # Each matches one view's WHERE and ORDER BY (engine.cases.views), so a page is an index
        # range read, never a sort of every open task.
        Index("ix_task_queue", "status", "role", "due_sort", "id"),
        Index("ix_task_assignee", "assignee", "status", "due_sort", "id"),
        Index("ix_task_open_due", "status", "due_sort", "id"),
        # Covers the on-time report: a period's counts and medians are one index range.
        Index("ix_task_done", "status", "completed_at", "due_at", "elapsed_us", "working_us"),
        Index("ix_task_case", "case_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="process_case.id")
    spiff_task_id: str = Field(index=True, unique=True)
    element_id: str
    name: str
    role: str
    form: str | None = None
    status: str  # engine.cases.status.TaskStatus
    assignee: str | None = None
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    completed_by: str | None = None
    data: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    due_text: str | None = None
    due_at: datetime | None = Field(default=None, sa_column=_utc_column(index=True))
    # due_at, or NO_DUE: a non-null key the worklist indexes can be read in order by.
    due_sort: datetime = Field(default=NO_DUE, sa_column=_utc_column(nullable=False))
    # Set once, when the task is completed (whole microseconds from created_at to
    # completed_at): clock time, and office time by the calendar in force then. The
    # on-time report takes its medians from these in SQL instead of re-walking the calendar.
    elapsed_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    working_us: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


@event.listens_for(TaskRow, "before_insert")
@event.listens_for(TaskRow, "before_update")
def _keep_due_sort(_mapper: Any, _connection: Any, row: TaskRow) -> None:
    """Whoever sets ``due_at`` through the ORM, the sort key follows it."""
    row.due_sort = row.due_at if row.due_at is not None else NO_DUE


class Event(SQLModel, table=True):
    """One row of the append-only event log, MAC-chained within its ``chain``."""

    __tablename__ = "event"
    __table_args__ = (Index("uq_event_chain_seq", "chain", "chain_seq", unique=True),)

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc_column(nullable=False))
    type: str = Field(index=True)
    actor: str
    case_id: int | None = Field(default=None, index=True)
    task_id: int | None = None
    process_key: str | None = None
    version: int | None = None
    payload: str = Field(sa_column=Column(Text, nullable=False))
    chain: str
    chain_seq: int
    key_id: str
    prev_hash: str
    hash: str


class ChainHead(SQLModel, table=True):
    """One chain's last ``chain_seq`` and MAC; locking it serialises that chain's appends."""

    __tablename__ = "event_chain"

    chain: str = Field(primary_key=True)
    seq: int = 0
    hash: str


class User(SQLModel, table=True):
    """A person who acts in prflow, with the roles they hold."""

    __tablename__ = "app_user"

    login: str = Field(primary_key=True)
    display_name: str
    unit: str = ""
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    # A deactivated person keeps their history but can no longer act.
    active: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    login: str = Field(foreign_key="app_user.login", primary_key=True)
    role: str = Field(primary_key=True)


class PendingTimer(SQLModel, table=True):
    """A BPMN timer a case is waiting on, so a sweep finds due cases without loading them."""

    __tablename__ = "pending_timer"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="process_case.id", index=True)
    spiff_task_id: str = Field(unique=True)
    element_id: str
    fire_at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))


class Attachment(SQLModel, table=True):
    """An uploaded file of a case: checked kind and size, its SHA-256 also in the event log."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="process_case.id", index=True)
    name: str
    kind: str
    size: int
    sha256: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str
    uploaded_at: datetime = Field(sa_column=_utc_column(nullable=False))


class UserPassword(SQLModel, table=True):
    """A person's argon2 password hash (users without one cannot sign in to the web)."""

    __tablename__ = "user_password"

    login: str = Field(foreign_key="app_user.login", primary_key=True)
    hash: str
    changed_at: datetime = Field(sa_column=_utc_column(nullable=False))


class WebSession(SQLModel, table=True):
    """A signed-in browser session; the cookie holds the id, the table only its SHA-256."""

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True)
    login: str = Field(foreign_key="app_user.login", index=True)
    csrf_token: str
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))


class ApiToken(SQLModel, table=True):
    """An API bearer token: shown once at creation, stored as its SHA-256, revocable."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(foreign_key="app_user.login", index=True)
    token_hash: str = Field(unique=True)
    label: str = ""
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column())


class SignInFailure(SQLModel, table=True):
    """Recent failed sign-ins per login, so throttling holds across server workers."""

    __tablename__ = "sign_in_failure"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(index=True)
    at: datetime = Field(sa_column=_utc_column(nullable=False))


class Lease(SQLModel, table=True):
    """A named lease one process holds until it expires (one timer sweeper at a time)."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = Field(sa_column=_utc_column(nullable=False))
