"""The tables: definitions, cases, task rows, events, users and pending timers.

The schema itself is owned by the alembic migrations in ``engine/store/migrations``; these
SQLModel classes describe the same columns for queries, and a test checks the two agree.
Times are stored as timezone-aware UTC (``engine.store.types.UTCDateTime``), read back aware
on both databases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from engine.store.types import UTCDateTime


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
    status: str = Field(index=True)  # running / completed / cancelled
    state: str = Field(sa_column=Column(Text, nullable=False))
    serializer_version: str
    lock_version: int = 0
    started_at: datetime = Field(sa_column=_utc_column(nullable=False))
    started_by: str
    completed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    calendar_fingerprint: str = ""


class TaskRow(SQLModel, table=True):
    """A user task as people see it: the worklist is a query over these rows."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_worklist", "status", "role", "due_at"),
        Index("ix_task_case", "case_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="process_case.id")
    spiff_task_id: str = Field(index=True, unique=True)
    element_id: str
    name: str
    role: str
    form: str | None = None
    status: str  # ready / claimed / completed / cancelled
    assignee: str | None = None
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    completed_by: str | None = None
    data: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    due_text: str | None = None
    due_at: datetime | None = Field(default=None, sa_column=_utc_column(index=True))


class Event(SQLModel, table=True):
    """One row of the append-only, hash-chained event log."""

    __tablename__ = "event"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc_column(nullable=False))
    type: str = Field(index=True)
    actor: str
    case_id: int | None = Field(default=None, index=True)
    task_id: int | None = None
    process_key: str | None = None
    version: int | None = None
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str
    hash: str


class ChainHead(SQLModel, table=True):
    """The last event's sequence number and hash; locking it serialises appends."""

    __tablename__ = "chain_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str


class User(SQLModel, table=True):
    """A person who acts in prflow, with the roles they hold."""

    __tablename__ = "app_user"

    login: str = Field(primary_key=True)
    display_name: str
    unit: str = ""
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


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
