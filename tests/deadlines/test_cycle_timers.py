"""A reminder cycle (``R3/PT4H``) through the sweep, the database rows, the log and replay.

The Camunda 7 diagram ``tests/bpmn/diagrams/camunda7_reminder.bpmn`` reminds the director
every four hours, at most three times, while the officer's "write" task is open.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import text
from sqlmodel import select

from engine.audit.replay import replay
from engine.audit.verify import verify_chain
from engine.cases import service, timers
from engine.context import Prflow
from engine.store.db import read_session
from engine.store.tables import Event
from tests.audit.helpers import admin_rights, copy_database, open_copy
from tests.deadlines.conftest import events_of, pending_timers, tasks_of
from tests.factories import add_people, deploy

REMINDER = Path(__file__).parent.parent / "bpmn" / "diagrams" / "camunda7_reminder.bpmn"
T0 = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)  # Monday 09:00 Bangkok
WRITE, CHASE, TIMER = "Activity_0write7", "Activity_1chase3", "Event_1remind"
PEOPLE = {"owner": ["process_owner"], "pr": ["esao_pr_officer"], "boss": ["esao_director"]}


def hours(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def start(ctx: Prflow) -> int:
    add_people(ctx, PEOPLE)
    deploy(ctx, REMINDER)
    with freeze_time(T0):
        return service.start(ctx, "c7_reminder", {}, "pr").id


def fresh(ctx: Prflow) -> Prflow:
    """A new engine object on the same database: what a separate command sees."""
    return Prflow(ctx.settings)


def open_steps(ctx: Prflow, case_id: int) -> list[str]:
    return sorted(t.element_id for t in tasks_of(ctx, case_id) if t.status in service.OPEN)


def complete_all(ctx: Prflow, case_id: int, element_id: str, login: str, at: datetime) -> None:
    with freeze_time(at):
        for task in tasks_of(ctx, case_id):
            if task.element_id == element_id and task.status in service.OPEN:
                service.complete(ctx, task.id, {}, login)


def test_each_repetition_fires_in_a_sweep_and_the_pending_row_follows_it(ctx: Prflow) -> None:
    case_id = start(ctx)
    assert pending_timers(ctx) == [(case_id, TIMER, hours(4).isoformat())]
    assert timers.sweep(ctx, hours(3.9)).fired == []

    first = timers.sweep(fresh(ctx), hours(4.1))
    assert [(f.element_id, f.fire_at, f.repetition) for f in first.fired] == [(TIMER, hours(4), 1)]
    assert pending_timers(ctx) == [(case_id, TIMER, hours(8).isoformat())]
    assert open_steps(ctx, case_id) == [WRITE, CHASE]
    [chase] = [t for t in tasks_of(ctx, case_id) if t.element_id == CHASE]
    assert chase.role == "esao_director"

    second = timers.sweep(fresh(ctx), hours(8.5))
    assert [f.repetition for f in second.fired] == [2]
    third = timers.sweep(ctx, hours(12.5))
    assert [f.repetition for f in third.fired] == [3]
    assert pending_timers(ctx) == []  # after the last repetition
    assert timers.sweep(ctx, hours(100)).fired == []
    assert open_steps(ctx, case_id) == [WRITE, CHASE, CHASE, CHASE]

    [write] = [t for t in tasks_of(ctx, case_id) if t.element_id == WRITE]
    logged = [body for case, body in events_of(ctx, "timer_fired") if case == case_id]
    assert [(b["repetition"], b["missed"], b["fire_at"]) for b in logged] == [
        (1, 0, hours(4).isoformat()),
        (2, 0, hours(8).isoformat()),
        (3, 0, hours(12).isoformat()),
    ]
    assert {b["attached_to"] for b in logged} == {WRITE}

    complete_all(ctx, case_id, WRITE, "pr", hours(101))
    assert write.id not in [t.id for t in tasks_of(ctx, case_id) if t.status in service.OPEN]
    complete_all(fresh(ctx), case_id, CHASE, "boss", hours(102))
    assert service.show(ctx, case_id).status == "completed"
    assert replay(ctx, case_id).ok, replay(ctx, case_id).divergence
    assert verify_chain(ctx.db, ctx.keyring).broken is None


def test_finishing_the_task_removes_its_pending_row_and_keeps_the_reminder(ctx: Prflow) -> None:
    case_id = start(ctx)
    timers.sweep(ctx, hours(5))
    complete_all(fresh(ctx), case_id, WRITE, "pr", hours(6))
    assert pending_timers(ctx) == []
    assert open_steps(ctx, case_id) == [CHASE]
    assert timers.sweep(ctx, hours(30)).fired == []
    complete_all(ctx, case_id, CHASE, "boss", hours(31))
    assert service.show(ctx, case_id).status == "completed"
    assert replay(ctx, case_id).ok


def test_a_sweep_after_a_downtime_fires_the_overdue_repetitions_once(ctx: Prflow) -> None:
    case_id = start(ctx)
    caught_up = timers.sweep(ctx, hours(9))  # 4 h and 8 h overdue
    assert [(f.fire_at, f.repetition) for f in caught_up.fired] == [(hours(8), 2)]
    assert pending_timers(ctx) == [(case_id, TIMER, hours(12).isoformat())]
    assert open_steps(ctx, case_id) == [WRITE, CHASE]
    [body] = [body for case, body in events_of(ctx, "timer_fired") if case == case_id]
    assert (body["repetition"], body["missed"]) == (2, 1)

    timers.sweep(ctx, hours(500))
    assert open_steps(ctx, case_id) == [WRITE, CHASE, CHASE]
    assert pending_timers(ctx) == []
    replayed = replay(ctx, case_id)
    assert replayed.ok, replayed.divergence
    assert replayed.tasks_appeared == 3


def test_a_log_naming_another_repetition_diverges_in_replay(ctx: Prflow, tmp_path: Path) -> None:
    case_id = start(ctx)
    timers.sweep(ctx, hours(4.1))
    with read_session(ctx.db) as session:
        event = session.exec(select(Event).where(Event.type == "timer_fired")).one()
    assert replay(ctx, case_id).ok
    body = json.loads(event.payload)
    assert body["repetition"] == 1
    url, drop = copy_database(ctx, tmp_path)
    copy = open_copy(url)
    try:
        with admin_rights(copy.db) as conn:
            conn.execute(
                text("UPDATE event SET payload = :p WHERE seq = :s"),
                {"p": json.dumps({**body, "repetition": 2}, sort_keys=True), "s": event.seq},
            )
        result = replay(copy, case_id)
        assert not result.ok and result.divergence is not None
        assert result.divergence.seq == event.seq
        assert result.divergence.expected.startswith(f"{TIMER} repetition 2 due")
        assert result.divergence.found == f"repetition 1 due {hours(4).isoformat()}"
    finally:
        copy.close()
        drop()
