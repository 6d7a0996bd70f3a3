"""Benchmark: worklists, overdue, due soon and the on-time report at 100,000 open tasks.

Builds the load through the real engine, then times the views people open all day:

1. one case of each of the nine processes is started with ``service.start`` (timed: case
   starts per second, over ``--starts`` starts);
2. those cases are cloned in bulk (``clone_case``: the same case and task rows
   ``service.start`` wrote, with new ids and shifted times; a test checks the two agree)
   until there are ``--tasks`` open tasks, plus ``--done`` completed tasks in one month;
3. p50/p95 over ``--calls`` calls of: the first page of the busiest role's worklist, a
   page 200 pages in, the overdue first page, the overdue count, due soon, and the on-time
   report for the month; then the process's peak RSS.

Each database runs in its own process so each peak RSS is its own. Cloned cases have no
events (they are for reading, not for replay or verify).

Usage: .venv/bin/python bench/scale.py [--database sqlite|postgres|both] [--tasks 100000]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlmodel import col

from cli.demo import stories
from engine.cases import deployment, kpi, overdue, service
from engine.cases.status import OPEN_TASK, TaskStatus
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session, write_session
from engine.store.tables import NO_DUE, Case, TaskRow

ADMIN_URL = os.environ.get(
    "PRFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MONTH = datetime(2026, 5, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # Wednesday 10:00 in Bangkok
MICROSECOND = timedelta(microseconds=1)


def clone_case(
    session: Any, template_id: int, count: int, shift: Callable[[int], timedelta],
    done: Callable[[datetime, datetime], timedelta] | None = None,
) -> None:  # fmt: skip
    """Insert ``count`` copies of a case and its open task rows as ``service.start`` wrote
    them: new ids, unique workflow task ids, times moved by ``shift(i)``; ``done`` (the
    calendar's ``working_time_between``) makes the copied tasks completed at their due time
    plus or minus a little, with the clock and working time a completion stores."""
    case = session.get(Case, template_id)
    tasks = session.scalars(
        select(TaskRow).where(TaskRow.case_id == template_id, col(TaskRow.status).in_(OPEN_TASK))
    ).all()
    first_case = (session.execute(select(func.max(Case.id))).scalar() or 0) + 1
    first_task = (session.execute(select(func.max(TaskRow.id))).scalar() or 0) + 1
    skip = {"id"}
    case_rows, task_rows = [], []
    for i in range(count):
        moved = shift(i)
        row = {c: getattr(case, c) for c in Case.model_fields if c not in skip}
        row.update(id=first_case + i, started_at=case.started_at + moved)
        case_rows.append(row)
        for k, task in enumerate(tasks):
            t = {c: getattr(task, c) for c in TaskRow.model_fields if c not in skip}
            due = task.due_at + moved if task.due_at is not None else None
            t.update(
                id=first_task + i * len(tasks) + k, case_id=first_case + i,
                spiff_task_id=f"{task.spiff_task_id}~{first_case + i}",
                created_at=task.created_at + moved, due_at=due, due_sort=due or NO_DUE,
            )  # fmt: skip
            if done is not None and due is not None:
                late = timedelta(hours=1) if i % 5 == 0 else -timedelta(hours=1)
                at, created = due + late, t["created_at"]
                t.update(status=TaskStatus.COMPLETED, completed_at=at, completed_by="bench",
                         assignee="bench")  # fmt: skip
                if "working_us" in TaskRow.model_fields:  # schema 0008 on (not the release before)
                    t.update(elapsed_us=(at - created) // MICROSECOND,
                             working_us=done(created, at) // MICROSECOND)  # fmt: skip
            task_rows.append(t)
    session.execute(insert(Case), case_rows)
    if task_rows:
        session.execute(insert(TaskRow), task_rows)


def setup(ctx: Prflow, starts: int) -> tuple[list[int], float]:
    """People for every lane, all nine processes, and ``starts`` real case starts."""
    for role in ctx.roles:
        service.ensure_user(ctx, login=role.id.replace("_", "-"), display_name=role.id,
                            unit=role.unit, roles=[role.id], actor="bench")  # fmt: skip
    service.ensure_user(ctx, login="owner", display_name="owner", unit="", roles=["process_owner"],
                        actor="bench")  # fmt: skip
    deployment.deploy(ctx, [REPO_PROCESSES_DIR], "owner")
    templates = []
    started = time.perf_counter()
    runs = 0
    while runs < starts:
        for story in stories():
            lane = min(service.process(ctx, story.process_key).start_lanes)
            case = service.start(ctx, story.process_key, story.start_data, lane.replace("_", "-"))
            if len(templates) < len(stories()):
                templates.append(case.id)
            runs += 1
    return templates, runs / (time.perf_counter() - started)


def load(ctx: Prflow, templates: list[int], tasks: int, done: int) -> None:
    per = max(1, tasks // len(templates))
    per_done = max(1, done // len(templates))
    for template in templates:
        with read_session(ctx.db) as session:
            case = session.get(Case, template)
            assert case is not None
            base = case.started_at

        # Due times spread over six weeks around NOW: some overdue, some due soon, most later.
        def spread(i: int, base: datetime = base) -> timedelta:
            return NOW - base + timedelta(minutes=(i * 37) % (60 * 24 * 42) - 60 * 24 * 14)

        def in_month(i: int, base: datetime = base) -> timedelta:
            return MONTH - base + timedelta(minutes=(i * 13) % (60 * 24 * 28))

        for chunk in range(0, per, 5000):
            with write_session(ctx.db) as session:
                clone_case(session, template, min(5000, per - chunk), spread)
        with write_session(ctx.db) as session:
            clone_case(session, template, per_done, in_month, ctx.calendar.working_time_between)
    with ctx.db.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def timed(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    costs = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        costs.append((time.perf_counter() - started) * 1000)
    costs.sort()
    return statistics.median(costs), costs[int(len(costs) * 0.95) - 1]


def busiest_role(ctx: Prflow) -> tuple[str, int]:
    with read_session(ctx.db) as session:
        role, count = session.execute(
            select(TaskRow.role, func.count())
            .where(col(TaskRow.status).in_(OPEN_TASK))
            .group_by(TaskRow.role)
            .order_by(func.count().desc())
        ).first()  # type: ignore[misc]
    return str(role), int(count)


def run(url: str, args: argparse.Namespace) -> None:
    settings = Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR, mode="test")
    ctx = Prflow(settings, upgrade=True)  # a fresh database: migrate it, as db upgrade does
    templates, start_rate = setup(ctx, args.starts)
    started = time.perf_counter()
    load(ctx, templates, args.tasks, args.done)
    built = time.perf_counter() - started
    role, in_role = busiest_role(ctx)
    with read_session(ctx.db) as session:
        open_count = session.execute(
            select(func.count()).select_from(TaskRow).where(col(TaskRow.status).in_(OPEN_TASK))
        ).scalar()
    cursor = None
    for _ in range(200):
        cursor = service.worklist(ctx, role=role, after=cursor, limit=50).next_cursor
    until = MONTH + timedelta(days=31)
    report = kpi.on_time_share(ctx, since=MONTH, until=until)
    print(f"database {url.split(':')[0]}: {open_count} open tasks ({in_role} for {role}), "
          f"{report.total} completed in the month; built in {built:.0f} s")  # fmt: skip
    print(f"  case starts/s (service.start): {start_rate:.0f}")
    measures: list[tuple[str, Callable[[], object], float]] = [
        ("worklist first page", lambda: service.worklist(ctx, role=role, limit=50), 10),
        ("worklist page 201", lambda: service.worklist(ctx, role=role, after=cursor, limit=50), 10),
        ("overdue first page", lambda: overdue.overdue(ctx, NOW, limit=50), 50),
        ("overdue count", lambda: overdue.overdue_count(ctx, NOW), 50),
        ("due soon", lambda: overdue.due_soon(ctx, NOW, limit=50), 50),
        ("on-time report, a month", lambda: kpi.on_time_share(ctx, since=MONTH, until=until), 200),
    ]
    for name, fn, target in measures:
        p50, p95 = timed(fn, args.calls)
        verdict = "ok" if p95 <= target else f"MISSED x{p95 / target:.1f}"
        print(f"  {name:24} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (target p95 <= {target} ms: "
              f"{verdict})")  # fmt: skip
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {rss:.0f} MiB (target <= 300 MB)")
    ctx.close()


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'scale.db'}"
        return
    name = f"prflow_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--done", type=int, default=13_000)
    parser.add_argument("--starts", type=int, default=90)
    parser.add_argument("--calls", type=int, default=60)
    args = parser.parse_args()
    if args.database == "both":
        print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
              f"python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}")  # fmt: skip
        for kind in ("sqlite", "postgres"):
            # One process per database, so each peak RSS is that database's own.
            argv = ["--tasks", str(args.tasks), "--done", str(args.done),
                    "--starts", str(args.starts), "--calls", str(args.calls)]  # fmt: skip
            subprocess.run([sys.executable, __file__, "--database", kind, *argv], check=True)
        return
    with database(args.database) as url:
        run(url, args)


if __name__ == "__main__":
    main()
