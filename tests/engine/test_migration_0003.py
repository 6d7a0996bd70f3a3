"""Migration 0003 on a database written before it: sort keys and case units filled in."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from engine.store.db import MIGRATIONS_DIR, connect
from engine.store.tables import NO_DUE, Case, TaskRow


def _upgrade(url: str, revision: str) -> None:
    engine = connect(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_old_tasks_get_their_sort_key_and_old_cases_their_unit(database_url: str) -> None:
    _upgrade(database_url, "0002")
    at = "2026-06-01 02:00:00" + ("+00" if "postgresql" in database_url else ".000000")
    old = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO app_user (login, display_name, unit, created_at) "
                f"VALUES ('malee', 'Malee', 'กพร.', '{at}');"
            )
        )
        conn.execute(
            text(
                "INSERT INTO definition (id, key, version, name, sha256, file_name, xml, "
                "deployed_at, deployed_by) "
                f"VALUES (1, 'p', 1, 'P', 'x', 'p.bpmn', '<x/>', '{at}', 'o')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO process_case (id, definition_id, process_key, version, status, state, "
                "serializer_version, lock_version, started_at, started_by, calendar_fingerprint) "
                f"VALUES (1, 1, 'p', 1, 'running', '{{}}', '1', 0, '{at}', 'malee', '')"
            )
        )
        for task_id, due in ((1, f"'{at}'"), (2, "NULL")):
            conn.execute(text(
                "INSERT INTO task (id, case_id, spiff_task_id, element_id, name, role, status, "
                f"created_at, due_at) VALUES ({task_id}, 1, 's{task_id}', 'e', 'n', 'r', "
                f"'ready', '{at}', {due})"
            ))  # fmt: skip
    old.dispose()
    _upgrade(database_url, "head")
    engine = connect(database_url)
    with Session(engine) as session:
        tasks = {t.id: t for t in session.exec(select(TaskRow))}
        case = session.exec(select(Case)).one()
    engine.dispose()
    assert tasks[1].due_sort == datetime(2026, 6, 1, 2, tzinfo=UTC) == tasks[1].due_at
    assert tasks[2].due_sort == NO_DUE and tasks[2].due_at is None
    assert case.unit == "กพร."
