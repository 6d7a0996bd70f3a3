"""Initial schema: definitions, cases, task rows, event log, users, pending timers.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "definition",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False, index=True),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("deployed_at", UTC, nullable=False),
        sa.Column("deployed_by", sa.String(), nullable=False),
        sa.UniqueConstraint("key", "version"),
    )
    op.create_table(
        "process_case",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "definition_id",
            sa.Integer(),
            sa.ForeignKey("definition.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("process_key", sa.String(), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False, index=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("serializer_version", sa.String(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("started_by", sa.String(), nullable=False),
        sa.Column("completed_at", UTC, nullable=True),
        sa.Column("calendar_fingerprint", sa.String(), nullable=False),
    )
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("process_case.id"), nullable=False),
        sa.Column("spiff_task_id", sa.String(), nullable=False, unique=True, index=True),
        sa.Column("element_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("form", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("claimed_at", UTC, nullable=True),
        sa.Column("completed_at", UTC, nullable=True),
        sa.Column("completed_by", sa.String(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("due_text", sa.String(), nullable=True),
        sa.Column("due_at", UTC, nullable=True, index=True),
    )
    op.create_index("ix_task_worklist", "task", ["status", "role", "due_at"])
    op.create_index("ix_task_case", "task", ["case_id", "status"])
    op.create_table(
        "event",
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("type", sa.String(), nullable=False, index=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True, index=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("process_key", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
    )
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
    )
    op.execute(f"INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '{'0' * 64}')")
    op.create_table(
        "app_user",
        sa.Column("login", sa.String(), primary_key=True),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_table(
        "user_role",
        sa.Column("login", sa.String(), sa.ForeignKey("app_user.login"), primary_key=True),
        sa.Column("role", sa.String(), primary_key=True),
    )
    op.create_table(
        "pending_timer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("process_case.id"), nullable=False, index=True
        ),
        sa.Column("spiff_task_id", sa.String(), nullable=False, unique=True),
        sa.Column("element_id", sa.String(), nullable=False),
        sa.Column("fire_at", UTC, nullable=False, index=True),
    )


def downgrade() -> None:
    for table in (
        "pending_timer",
        "user_role",
        "app_user",
        "chain_head",
        "event",
        "task",
        "process_case",
        "definition",
    ):
        op.drop_table(table)
