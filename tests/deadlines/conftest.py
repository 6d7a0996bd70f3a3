"""Shared set-up for the deadline tests: people, the escalation fixture process, helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import col, select

from engine.cases import service
from engine.cases.views import TaskView
from engine.context import Prflow
from engine.store.db import read_session
from engine.store.tables import Event, PendingTimer, TaskRow
from tests.factories import P6, add_people, deploy

ESCALATION = Path(__file__).parent / "fixtures" / "escalation_demo.bpmn"

PEOPLE = {
    "owner": ["process_owner"],
    "writer": ["esao_pr_officer"],
    "director": ["esao_director"],
    "supervisor": ["esao_admin_director"],
    "somchai": ["doh_it_officer"],
    "malee": ["doh_web_pr_officer"],
}


def set_up(ctx: Prflow) -> Prflow:
    add_people(ctx, PEOPLE)
    deploy(ctx, ESCALATION, P6)
    return ctx


@pytest.fixture
def office(ctx: Prflow) -> Prflow:
    """An engine on a fresh database with people and both test processes deployed."""
    return set_up(ctx)


def tasks_of(ctx: Prflow, case_id: int) -> list[TaskView]:
    return service.show(ctx, case_id).tasks


def open_step(ctx: Prflow, case_id: int, element_id: str) -> TaskView:
    found = [
        t for t in tasks_of(ctx, case_id) if t.element_id == element_id and t.status in service.OPEN
    ]
    assert len(found) == 1, found
    return found[0]


def events_of(ctx: Prflow, type: str) -> list[tuple[int | None, dict[str, object]]]:
    with read_session(ctx.db) as session:
        rows = session.exec(select(Event).where(Event.type == type).order_by(col(Event.seq)))
        return [(e.case_id, json.loads(e.payload)) for e in rows]


def pending_timers(ctx: Prflow) -> list[tuple[int, str, str]]:
    with read_session(ctx.db) as session:
        rows = session.exec(select(PendingTimer).order_by(col(PendingTimer.id))).all()
        return [(t.case_id, t.element_id, t.fire_at.isoformat()) for t in rows]


def task_rows(ctx: Prflow, case_id: int) -> list[TaskRow]:
    with read_session(ctx.db) as session:
        return list(
            session.exec(
                select(TaskRow).where(TaskRow.case_id == case_id).order_by(col(TaskRow.id))
            ).all()
        )
