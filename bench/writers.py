"""Benchmark: several writer processes on PostgreSQL, against the raw commit rate.

Runs 1, 2 and 4 OS processes, each completing the tasks of its own P6 cases
(upload -> verify(ok) -> store, one transaction per completion through ``service.complete``),
and prints completions per second beside the raw commit rate of the same number of
processes, each committing one-row INSERTs on its own connection (same server, driver and
durability settings, measured in the same run). Afterwards it checks that every task was
completed exactly once and that the event log verifies.

Each round (one step of every case) starts all processes at a barrier; its wall time runs
from the first process starting to the last one finishing. Looking up a case's open task
happens before the barrier, outside the timing, as in ``bench/steps.py``.

Usage: .venv/bin/python bench/writers.py [--cases 60] [--commits 400]
       (PRFLOW_BENCH_POSTGRES_URL: the server's admin database, default the local one)
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import platform
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlmodel import col, select

from engine.accounts import users
from engine.cases import deployment, service
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session, write_session
from engine.store.tables import TaskRow

# P6's first version (upload / verify / store), as in bench/steps.py: the current file adds
# the manual's writing and approval steps before the loop, which STEPS below do not walk.
P6 = Path(__file__).resolve().parents[1] / "tests/processes/fixtures/website_posting_v1.bpmn"
ADMIN_URL = os.environ.get(
    "PRFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
STEPS = [("it", {}), ("pr", {"decision": "ok"}), ("pr", {})]
WRITERS = (1, 2, 4)


def open_engine(url: str) -> Prflow:
    # Only fields this release's Settings has: the same script measures the release before.
    wanted = {"database_url": url, "processes_dir": REPO_PROCESSES_DIR, "mode": "test"}
    pydantic_fields = getattr(Settings, "model_fields", None)
    if pydantic_fields is not None:
        return Prflow(Settings(**wanted), upgrade=True)
    names = {f.name for f in dataclasses.fields(Settings)}  # the release before: a dataclass
    return Prflow(Settings(**{k: v for k, v in wanted.items() if k in names}))


def setup(url: str, cases: int) -> list[int]:
    ctx = open_engine(url)
    with write_session(ctx.db) as session:
        for login, role in [("owner", "process_owner"), ("it", "doh_it_officer"),
                            ("pr", "doh_web_pr_officer")]:  # fmt: skip
            users.add_user(session, ctx.roles, login=login, display_name=login, unit="",
                           roles=[role], now=datetime.now(UTC), actor="bench")  # fmt: skip
    deployment.deploy(ctx, [P6], "owner")
    ids = [service.start(ctx, "website_posting", {}, "pr").id for _ in range(cases)]
    with write_session(ctx.db) as session:
        session.execute(text("CREATE TABLE bench_commit (id serial PRIMARY KEY, at text)"))
    ctx.close()
    return ids


def open_tasks(ctx: Prflow, case_ids: list[int]) -> list[int]:
    with read_session(ctx.db) as session:
        rows = session.exec(
            select(TaskRow.id)
            .where(col(TaskRow.case_id).in_(case_ids), col(TaskRow.status).in_(service.OPEN))
            .order_by(col(TaskRow.case_id))
        ).all()
    return [r for r in rows if r is not None]


def writer(url: str, case_ids: list[int], barrier: Any, out: Any) -> None:
    ctx = open_engine(url)
    spans = []
    for actor, data in STEPS:
        task_ids = open_tasks(ctx, case_ids)
        barrier.wait()
        started = time.monotonic()
        for task_id in task_ids:
            service.complete(ctx, task_id, data, actor)
        spans.append((started, time.monotonic(), len(task_ids)))
    out.put(spans)
    ctx.close()


def committer(url: str, commits: int, barrier: Any, out: Any) -> None:
    db = create_engine(url)
    with db.connect() as conn:
        conn.execute(text("SELECT 1"))
        barrier.wait()
        started = time.monotonic()
        for _ in range(commits):
            conn.execute(text("INSERT INTO bench_commit (at) VALUES ('x')"))
            conn.commit()
        out.put([(started, time.monotonic(), commits)])
    db.dispose()


def run(target: Any, processes: int, args_of: Any) -> float:
    """Start ``processes`` workers; the rate of what they did, per second of wall time."""
    spawn = mp.get_context("spawn")
    barrier, out = spawn.Barrier(processes), spawn.Queue()
    workers = [spawn.Process(target=target, args=(*args_of(i), barrier, out))
               for i in range(processes)]  # fmt: skip
    for w in workers:
        w.start()
    results = [out.get() for _ in workers]
    for w in workers:
        w.join()
        if w.exitcode != 0:
            raise SystemExit(f"a worker failed (exit {w.exitcode})")
    wall, done = 0.0, 0
    for round_spans in zip(*results, strict=True):  # one round of every process
        wall += max(end for _, end, _ in round_spans) - min(start for start, _, _ in round_spans)
        done += sum(n for _, _, n in round_spans)
    return done / wall


def check(url: str, cases: int) -> str:
    ctx = open_engine(url)
    with read_session(ctx.db) as session:
        done = session.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT id) FROM task WHERE status = 'completed'")
        ).one()
        logged = session.execute(
            text(
                "SELECT COUNT(*), COUNT(DISTINCT task_id) FROM event WHERE type = 'task_completed'"
            )
        ).one()
    assert tuple(done) == (cases * 3, cases * 3), done
    assert tuple(logged) == (cases * 3, cases * 3), logged
    try:
        from engine.audit.verify import verify_chain

        report = verify_chain(ctx.db, ctx.keyring)  # type: ignore[call-arg, attr-defined, unused-ignore]
    except (TypeError, AttributeError):  # the release before: no keys
        report = verify_chain(ctx.db)  # type: ignore[call-arg, unused-ignore]
    ctx.close()
    return f"{cases * 3} completions, each task once; event log ok: {report.ok}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=60, help="cases per writer process")
    parser.add_argument("--commits", type=int, default=400, help="raw commits per process")
    args = parser.parse_args()
    name = f"prflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        sync = conn.execute(text("SHOW synchronous_commit")).scalar()
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        total = args.cases * sum(WRITERS)
        case_ids = setup(url, total)
        print(
            f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
            f"python {platform.python_version()}, PostgreSQL synchronous_commit={sync}"
        )
        print(f"{'processes':>9}  {'completions/s':>13}  {'raw commits/s':>13}  "
              f"{'share of raw':>12}  {'vs 1 process':>12}")  # fmt: skip
        first, offset = 0.0, 0
        for processes in WRITERS:
            mine = case_ids[offset : offset + processes * args.cases]
            offset += processes * args.cases
            rate = run(
                writer, processes, lambda i, m=mine, n=args.cases: (url, m[i * n : (i + 1) * n])
            )
            raw = run(committer, processes, lambda _i: (url, args.commits))
            first = first or rate
            print(f"{processes:>9}  {rate:>13.0f}  {raw:>13.0f}  {rate / raw:>11.0%}  "
                  f"{rate / first:>11.2f}x")  # fmt: skip
        print(check(url, total))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
