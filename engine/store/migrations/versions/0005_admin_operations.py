"""Admin operations: a definition version can be withdrawn, a user deactivated.

``definition.withdrawn_at`` set means no new case starts on that version (running cases
continue); ``app_user.active`` false means the person can no longer act. Both default to
the state every existing row is in, so the upgrade changes no behaviour by itself.

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("definition", sa.Column("withdrawn_at", sa.DateTime(timezone=True)))
    op.add_column(
        "app_user", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
    )


def downgrade() -> None:
    # Plain DROP COLUMN: a batch copy of ``definition`` would break the foreign keys that
    # point at it on SQLite (which has had DROP COLUMN since 3.35).
    for table, column in (("app_user", "active"), ("definition", "withdrawn_at")):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
