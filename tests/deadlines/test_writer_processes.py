"""Several OS processes write at once: nothing is completed twice, nothing is lost.

With per-case event chains, writers on different cases commit in parallel; writers on the
same case still queue on its chain head and its ``lock_version``. Real processes (spawned,
each with its own engine and connections) race: sweepers fire the same due timers, then
completers race for every open task of every case. Each timer must fire once, each task
be completed once, every open task be completed, and the log verify and match the rows.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from freezegun import freeze_time
from sqlmodel import col, select

from engine.audit.deep import deep_check
from engine.audit.verify import verify_chain
from engine.cases import service, timers
from engine.context import Prflow
from engine.errors import Conflict, Forbidden
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session
from engine.store.tables import Event, TaskRow
from tests.deadlines.conftest import PEOPLE, set_up
from tests.deadlines.test_timers import AFTER, start_case

CASES = 6
RACERS = 3
LOGIN_OF = {role: login for login, roles in PEOPLE.items() for role in roles}


def _engine(url: str) -> Prflow:
    return Prflow(Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR, mode="test"))


def sweeper(url: str, barrier: Any) -> None:
    ctx = _engine(url)
    barrier.wait()
    with freeze_time(AFTER):
        timers.sweep(ctx, AFTER)
    ctx.close()


def completer(url: str, case_ids: list[int], seed: int, barrier: Any) -> None:
    """Complete every open task of these cases, in a random order, until none is left."""
    ctx = _engine(url)
    order = random.Random(seed)
    barrier.wait()
    with freeze_time(datetime(2026, 4, 20, 5, 0, tzinfo=UTC)):
        while True:
            with read_session(ctx.db) as session:
                open_tasks = list(
                    session.exec(select(TaskRow).where(col(TaskRow.status).in_(service.OPEN))).all()
                )
            if not open_tasks:
                break
            order.shuffle(open_tasks)
            for task in open_tasks:
                # Another process may get there first: the engine refuses, as it must. Only
                # those refusals are expected; bad input would fail the process, not spin.
                with contextlib.suppress(Conflict, Forbidden):
                    assert task.id is not None
                    service.complete(ctx, task.id, {}, LOGIN_OF[task.role])
    ctx.close()


def race(target: Any, args_of: Any) -> None:
    spawn = mp.get_context("spawn")
    barrier = spawn.Barrier(RACERS)
    workers = [spawn.Process(target=target, args=(*args_of(i), barrier)) for i in range(RACERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
        assert w.exitcode == 0


def test_racing_processes_fire_each_timer_once_and_complete_each_task_once(
    ctx: Prflow,
) -> None:
    set_up(ctx)
    case_ids = [start_case(ctx) for _ in range(CASES)]
    url = ctx.settings.database_url

    race(sweeper, lambda _i: (url,))
    with read_session(ctx.db) as session:
        fired = Counter(
            e.case_id for e in session.exec(select(Event).where(Event.type == "timer_fired"))
        )
    assert fired == Counter(case_ids)  # each case's timer fired, and only once

    race(completer, lambda i: (url, case_ids, i))
    with read_session(ctx.db) as session:
        rows = session.exec(select(TaskRow)).all()
        completions = Counter(
            e.task_id for e in session.exec(select(Event).where(Event.type == "task_completed"))
        )
    assert rows and all(r.status in ("completed", "cancelled") for r in rows)  # none lost
    done = [r.id for r in rows if r.status == "completed"]
    assert completions == Counter(done)  # each completed task logged exactly once
    assert all(n == 1 for n in completions.values())
    assert all(service.show(ctx, c).status == "completed" for c in case_ids)
    report = verify_chain(ctx.db, ctx.keyring)
    assert report.ok, report.broken
    assert deep_check(ctx.db) is None
