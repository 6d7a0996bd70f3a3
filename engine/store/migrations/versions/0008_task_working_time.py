"""A completed task keeps how long it took: clock time and working (office) time.

The on-time report's medians used to read every completed task of the period and ask the
working calendar about each one in Python (8,600 calendar walks for a month at scale). From
here on a completion stores both figures on its task row, computed once when the task is
completed (``engine.cases.service.complete``), in whole microseconds:

- ``elapsed_us``: ``completed_at - created_at`` (clock time);
- ``working_us``: office time between the two, by the calendar in force at completion.

The report then takes both medians in SQL (``engine.cases.kpi``). ``ix_task_done`` grows to
cover the columns the report reads, so a month's figures are one index range.

Tasks completed before this upgrade are backfilled here with the server's calendar (the
``working_calendar`` callable ``engine.store.db.migrate`` is given, else the one the
environment's settings name), which is what the report counted them with until now.

Revision ID: 0008_task_working_time
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0008_task_working_time"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DONE_COLUMNS = ["status", "completed_at", "due_at", "elapsed_us", "working_us"]
_MICROSECOND = timedelta(microseconds=1)
_BATCH = 1000


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    instant: datetime = value
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _calendar() -> Any:
    given = context.config.attributes.get("working_calendar")  # a callable: read lazily
    if given is not None:
        return given()
    from engine.settings import Settings
    from engine.worktime.calendar import WorkingCalendar

    return WorkingCalendar.thai(Settings.from_env().holidays_file)


def upgrade() -> None:
    bind = op.get_bind()
    # Native ALTERs (no batch copy of the task table on SQLite): adding nullable columns
    # and swapping an index is what both databases do in place.
    op.add_column("task", sa.Column("elapsed_us", sa.BigInteger(), nullable=True))
    op.add_column("task", sa.Column("working_us", sa.BigInteger(), nullable=True))
    op.drop_index("ix_task_done", table_name="task")
    op.create_index("ix_task_done", "task", DONE_COLUMNS)
    rows = bind.execute(
        sa.text(
            "SELECT id, created_at, completed_at FROM task "
            "WHERE status = 'completed' AND completed_at IS NOT NULL ORDER BY id"
        )
    ).all()
    if not rows:
        return
    calendar = _calendar()
    update = sa.text("UPDATE task SET elapsed_us = :elapsed, working_us = :working WHERE id = :id")
    values = []
    for row in rows:
        created, done = _instant(row.created_at), _instant(row.completed_at)
        values.append({
            "id": row.id,
            "elapsed": (done - created) // _MICROSECOND,
            "working": calendar.working_time_between(created, done) // _MICROSECOND,
        })  # fmt: skip
    for start in range(0, len(values), _BATCH):
        bind.execute(update, values[start : start + _BATCH])


def downgrade() -> None:
    op.drop_index("ix_task_done", table_name="task")
    op.create_index("ix_task_done", "task", ["status", "completed_at"])
    for column in ("working_us", "elapsed_us"):  # native DROP COLUMN (SQLite 3.35+)
        op.execute(f"ALTER TABLE task DROP COLUMN {column}")
