"""The event log is append-only: the database itself refuses UPDATE and DELETE on ``event``.

The hash chain detects tampering after the fact; these triggers stop the ordinary kind
(a stray ``UPDATE``, a clean-up script) before it happens. Someone with the rights to drop a
trigger can still tamper, which is what ``prflow audit verify`` is for. On PostgreSQL a
statement trigger also refuses ``TRUNCATE``, which row triggers do not see.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "the event log is append-only: events cannot be changed or deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER event_append_only_{action.lower()} BEFORE {action} ON event "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} ({action} refused)'); END"
            )
        return
    op.execute(
        f"""
        CREATE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
        "FOR EACH ROW EXECUTE FUNCTION event_append_only()"
    )
    op.execute(
        "CREATE TRIGGER event_append_only_truncate BEFORE TRUNCATE ON event "
        "FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS event_append_only_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS event_append_only_truncate ON event")
    op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
    op.execute("DROP FUNCTION IF EXISTS event_append_only()")
