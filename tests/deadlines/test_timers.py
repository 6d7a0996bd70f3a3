"""The escalation timer fires once, at its time, whatever the sweepers and restarts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from freezegun import freeze_time

from engine.cases import service, timers
from engine.context import Prflow
from tests.deadlines.conftest import events_of, open_step, pending_timers, set_up, tasks_of

# Monday 20 April 2026, 09:00 Bangkok (02:00 UTC). "write" has 2 working hours: due 11:00
# Bangkok, 04:00 UTC, and its boundary timer (timeDate due_at) fires at that instant.
STARTED = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)
DUE = datetime(2026, 4, 20, 4, 0, tzinfo=UTC)
BEFORE = datetime(2026, 4, 20, 3, 59, 59, tzinfo=UTC)
AFTER = datetime(2026, 4, 20, 4, 0, 1, tzinfo=UTC)


def start_case(ctx: Prflow) -> int:
    with freeze_time(STARTED):
        return service.start(ctx, "escalation_demo", {"title": "ข่าว"}, "writer").id


def sweep_at(ctx: Prflow, at: datetime) -> timers.SweepResult:
    # Frozen time covers SpiffWorkflow's own datetime.now(timezone.utc) comparison too.
    with freeze_time(at):
        return timers.sweep(ctx)


def fresh(ctx: Prflow) -> Prflow:
    """A new engine object on the same database: what a restart or another process sees."""
    return Prflow(ctx.settings)


def test_the_timer_waits_for_the_due_time_of_its_task(ctx: Prflow) -> None:
    case_id = start_case(set_up(ctx))
    write = open_step(ctx, case_id, "write")
    assert write.due_at == DUE
    assert pending_timers(ctx) == [(case_id, "due_write", DUE.isoformat())]

    for at in (STARTED, BEFORE, DUE):  # SpiffWorkflow fires only once the time is past
        result = sweep_at(ctx, at)
        assert (result.fired, result.cases) == ([], [])
    assert [t.element_id for t in tasks_of(ctx, case_id)] == ["write"]
    assert events_of(ctx, "timer_fired") == []


def test_the_timer_fires_once_and_opens_the_supervisors_follow_up(ctx: Prflow) -> None:
    case_id = start_case(set_up(ctx))

    first = sweep_at(ctx, AFTER)
    assert [(f.case_id, f.element_id, f.fire_at) for f in first.fired] == [
        (case_id, "due_write", DUE)
    ]
    assert first.cases == [case_id]
    again = sweep_at(ctx, datetime(2026, 4, 20, 5, 0, tzinfo=UTC))
    assert (again.fired, again.cases) == ([], [])

    steps = [(t.element_id, t.role, t.status, t.created_at) for t in tasks_of(ctx, case_id)]
    # Non-interrupting: the late "write" stays open beside the follow-up.
    assert steps == [
        ("write", "esao_pr_officer", "ready", STARTED),
        ("follow_up", "esao_admin_director", "ready", AFTER),
    ]
    # 1 working day from Monday 11:00:01 Bangkok: close of business on Tuesday, 16:30.
    assert open_step(ctx, case_id, "follow_up").due_at == datetime(2026, 4, 21, 9, 30, tzinfo=UTC)
    write_id = open_step(ctx, case_id, "write").id
    assert events_of(ctx, "timer_fired") == [
        (
            case_id,
            {
                "element_id": "due_write",
                "spiff_task_id": events_of(ctx, "timer_fired")[0][1]["spiff_task_id"],
                "fire_at": DUE.isoformat(),
                "attached_to": "write",
                "repetition": None,  # a one-off timer, not a cycle
                "missed": 0,
            },
        )
    ]
    ready = [p["element_id"] for _, p in events_of(ctx, "task_ready")]
    assert ready == ["write", "follow_up"]
    assert pending_timers(ctx) == []
    assert write_id != open_step(ctx, case_id, "follow_up").id


def test_a_restarted_engine_fires_the_timer_once(ctx: Prflow) -> None:
    case_id = start_case(set_up(ctx))
    restarted = fresh(ctx)
    try:
        assert sweep_at(restarted, BEFORE).fired == []
        assert len(sweep_at(restarted, AFTER).fired) == 1
        # The first engine still caches the workflow it started; it must not fire again.
        assert sweep_at(ctx, AFTER).fired == []
        third = fresh(ctx)
        assert sweep_at(third, AFTER).fired == []
        third.close()
    finally:
        restarted.close()
    assert [t.element_id for t in tasks_of(ctx, case_id)] == ["write", "follow_up"]
    assert len(events_of(ctx, "timer_fired")) == 1


def test_two_sweepers_at_the_same_moment_fire_it_once(ctx: Prflow) -> None:
    case_ids = [start_case(set_up(ctx))] + [start_case(ctx) for _ in range(3)]
    sweepers = [fresh(ctx), fresh(ctx)]
    results: list[timers.SweepResult] = []
    barrier = threading.Barrier(len(sweepers))

    def run(engine: Prflow) -> None:
        barrier.wait()
        results.append(timers.sweep(engine, AFTER))

    with freeze_time(AFTER):
        threads = [threading.Thread(target=run, args=(s,)) for s in sweepers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for sweeper in sweepers:
        sweeper.close()

    assert len(results) == 2
    fired = sorted(f.case_id for r in results for f in r.fired)
    assert fired == case_ids
    logged = [case_id for case_id, _ in events_of(ctx, "timer_fired") if case_id is not None]
    assert sorted(logged) == case_ids
    for case_id in case_ids:
        assert [t.element_id for t in tasks_of(ctx, case_id)] == ["write", "follow_up"]


def test_the_sweep_decides_at_its_own_now_not_the_wall_clock(ctx: Prflow) -> None:
    # No frozen clock here: the machine's clock may be far past April 2026, and a pass at
    # an earlier instant must still not fire what is not due at that instant.
    case_id = start_case(set_up(ctx))
    assert timers.sweep(ctx, BEFORE).fired == []
    assert [t.element_id for t in tasks_of(ctx, case_id)] == ["write"]
    assert pending_timers(ctx) == [(case_id, "due_write", DUE.isoformat())]
    assert [f.fire_at for f in timers.sweep(ctx, AFTER).fired] == [DUE]


def test_a_task_done_in_time_cancels_its_timer(ctx: Prflow) -> None:
    case_id = start_case(set_up(ctx))
    with freeze_time(BEFORE):
        service.complete(ctx, open_step(ctx, case_id, "write").id, {}, "writer")
    assert pending_timers(ctx) == []
    assert sweep_at(ctx, AFTER).fired == []
    assert [t.element_id for t in tasks_of(ctx, case_id)] == ["write", "approve"]
