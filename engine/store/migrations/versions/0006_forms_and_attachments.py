"""Forms are deployed with their process; uploaded files are kept by the server.

``definition.forms`` holds the TOML text of every form the version's tasks name (a JSON
object, form id -> text) and ``forms_sha256`` its hash, so a changed form makes a new
version and a running case keeps the forms it started with. ``attachment`` keeps uploaded
files' bytes in the database, in the same transactions as everything else (backups and
PostgreSQL replication carry them; the size limit keeps rows small).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("definition") as batch:
        batch.add_column(sa.Column("forms", sa.Text(), nullable=True))
        batch.add_column(sa.Column("forms_sha256", sa.String(), nullable=True))
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("process_case.id"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_attachment_case_id", "attachment", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_attachment_case_id", table_name="attachment")
    op.drop_table("attachment")
    # Plain DROP COLUMN, as in 0005: a batch copy of ``definition`` drops the table, which
    # the foreign key that points at it (process_case.definition_id) refuses on SQLite.
    for column in ("forms_sha256", "forms"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE definition DROP COLUMN {column}")
        else:
            op.drop_column("definition", column)
