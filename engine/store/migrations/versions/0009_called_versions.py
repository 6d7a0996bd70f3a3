"""The versions a case's call activities call, pinned when the case started.

Revision ID: 0009_called_versions
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_called_versions"
down_revision: str | None = "0008_task_working_time"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # JSON {process key: definition id}; "" for the cases that call nothing (all older ones).
    op.add_column(
        "process_case", sa.Column("called_versions", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    # Not batch mode: recreating process_case on SQLite would trip the task rows' foreign keys.
    op.drop_column("process_case", "called_versions")
