"""The store: migrations match the table classes; state is saved lean; instants stay aware."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from engine.bpmn import definitions
from engine.cases import service
from engine.context import Prflow
from engine.store import tables
from engine.store.db import read_session, write_session
from engine.store.tables import Case, TaskRow
from tests.factories import add_people, deploy, open_task


def test_migrations_create_exactly_the_tables_the_code_declares(ctx: Prflow) -> None:
    assert tables.Case.__tablename__  # the module defines the metadata compared below
    with ctx.db.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    # alembic_version is alembic's own bookkeeping table.
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert diff == []


def test_case_state_is_saved_without_the_process_spec(ctx: Prflow) -> None:
    add_people(ctx)
    deploy(ctx)
    definitions._COMPILED.clear()
    cases = [service.start(ctx, "website_posting", {}, "malee") for _ in range(3)]
    with read_session(ctx.db) as session:
        states = [json.loads(c.state) for c in session.exec(select(Case)).all()]
    assert len(states) == 3
    assert all("spec" not in s and "subprocess_specs" not in s for s in states)
    # Three cases on one version compiled the definition once.
    assert len(definitions._COMPILED) == 1
    service.complete(ctx, open_task(ctx, cases[0].id).id, {}, "somchai")  # restores fine


def test_instants_come_back_timezone_aware(ctx: Prflow) -> None:
    add_people(ctx)
    deploy(ctx)
    case = service.start(ctx, "website_posting", {}, "malee")
    with read_session(ctx.db) as session:
        row = session.exec(select(TaskRow).where(TaskRow.case_id == case.id)).one()
    assert isinstance(row.created_at, datetime) and row.created_at.utcoffset() is not None
    assert row.due_at is not None and row.due_at.utcoffset() is not None


def test_naive_instants_are_refused_by_the_store(ctx: Prflow) -> None:
    add_people(ctx)
    with pytest.raises(Exception, match="naive datetime"), write_session(ctx.db) as session:
        session.add(tables.User(login="x", display_name="x", created_at=datetime(2026, 1, 1)))
