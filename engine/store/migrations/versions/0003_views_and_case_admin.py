"""Worklist indexes that match the sort, and the case's unit for supervisors.

- ``task.due_sort``: the due time, or a far-future instant for tasks without a limit, so the
  worklist orders by a non-null key (``ORDER BY due_sort, id``). The old
  ``ORDER BY due_at IS NULL, due_at, id`` could not follow any index on PostgreSQL.
- Indexes in the order the views read: one lane's queue, one person's claimed tasks, open
  tasks by due time (overdue, due soon) and completed tasks by completion time (KPI).
- ``process_case.unit``: the starter's unit when the case started; supervisors act on the
  cases of their own unit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# engine.store.tables.NO_DUE as each database stores it.
_NO_DUE = {"sqlite": "9999-12-31 00:00:00.000000", "postgresql": "9999-12-31 00:00:00+00"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "task",
        sa.Column(
            "due_sort",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text(f"'{_NO_DUE[dialect]}'"),
        ),
    )
    op.execute("UPDATE task SET due_sort = due_at WHERE due_at IS NOT NULL")
    op.drop_index("ix_task_worklist", table_name="task")
    op.create_index("ix_task_queue", "task", ["status", "role", "due_sort", "id"])
    op.create_index("ix_task_assignee", "task", ["assignee", "status", "due_sort", "id"])
    op.create_index("ix_task_open_due", "task", ["status", "due_sort", "id"])
    op.create_index("ix_task_done", "task", ["status", "completed_at"])
    op.add_column("process_case", sa.Column("unit", sa.String(), nullable=False, server_default=""))
    op.execute(
        "UPDATE process_case SET unit = COALESCE("
        "(SELECT unit FROM app_user WHERE app_user.login = process_case.started_by), '')"
    )


def downgrade() -> None:
    op.drop_column("process_case", "unit")
    for name in ("ix_task_done", "ix_task_open_due", "ix_task_assignee", "ix_task_queue"):
        op.drop_index(name, table_name="task")
    op.create_index("ix_task_worklist", "task", ["status", "role", "due_at"])
    op.drop_column("task", "due_sort")
