"""Sign-in for the HTTP server: password hashes, browser sessions, API tokens, failed
sign-ins for throttling, and the lease that keeps one timer sweeper at a time.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "user_password",
        sa.Column("login", sa.String(), sa.ForeignKey("app_user.login"), primary_key=True),
        sa.Column("hash", sa.String(), nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
    )
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(), primary_key=True),
        sa.Column(
            "login", sa.String(), sa.ForeignKey("app_user.login"), nullable=False, index=True
        ),
        sa.Column("csrf_token", sa.String(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False, index=True),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "login", sa.String(), sa.ForeignKey("app_user.login"), nullable=False, index=True
        ),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
    )
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("login", sa.String(), nullable=False, index=True),
        sa.Column("at", UTC, nullable=False),
    )
    op.create_table(
        "lease",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
    )


def downgrade() -> None:
    for table in ("lease", "sign_in_failure", "api_token", "web_session", "user_password"):
        op.drop_table(table)
