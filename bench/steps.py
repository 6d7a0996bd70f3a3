"""Benchmark: task completions per second, and per-step cost as a case's history grows.

Runs the real engine (service.complete, one transaction per completion) on a fresh SQLite
file (or PRFLOW_BENCH_DATABASE_URL) with P6, the website-posting verify/revise loop:

1. throughput: CASES cases driven upload -> verify(ok) -> store, completions per second,
   beside the raw one-row commit rate of the same database, driver and durability setting
   measured in the same run, and the SQL statements per completion (counted by a
   SQLAlchemy ``before_cursor_execute`` listener; an executemany counts once);
2. history: one case looped LOOPS times through verify(fix); the mean cost of a step in
   the first and the last ten loops, their ratio, and the saved state size;
3. the same loop without a database: raw SpiffWorkflow (its own serializer, spec included,
   nothing pruned) against prflow's runtime (lean state, finished history pruned), each
   step followed by a save and restore as between two commands.

``--profile``: also profiles the throughput phase (cProfile, wall clock) and splits a
completion's time into waiting on the database driver (round trips, commit and its flush),
stepping and saving the workflow (SpiffWorkflow), and the rest of prflow's Python
(SQLAlchemy included): where a completion's time goes, against the raw commit.

Usage: .venv/bin/python bench/steps.py [--cases 200] [--loops 200] [--profile]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert

from engine.accounts import users
from engine.cases import deployment, service
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session, write_session
from engine.store.tables import Case

# P6's first version, the chart's upload / verify / store loop alone (the current file adds
# the manual's writing and approval steps before it): the figures stay comparable.
P6 = Path(__file__).resolve().parents[1] / "tests/processes/fixtures/website_posting_v1.bpmn"


def setup(url: str) -> Prflow:
    ctx = Prflow(
        Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR, mode="test"), upgrade=True
    )
    with write_session(ctx.db) as session:
        for login, role in [("owner", "process_owner"), ("it", "doh_it_officer"),
                            ("pr", "doh_web_pr_officer")]:  # fmt: skip
            users.add_user(session, ctx.roles, login=login, display_name=login, unit="",
                           roles=[role], now=datetime.now(UTC), actor="bench")  # fmt: skip
    deployment.deploy(ctx, [P6], "owner")
    return ctx


def open_task_id(ctx: Prflow, case_id: int) -> int:
    return next(t.id for t in service.show(ctx, case_id).tasks if t.status in service.OPEN)


def throughput(ctx: Prflow, cases: int, profile: Any = None) -> tuple[float, float]:
    """Completions per second and statements per completion; finding each case's open task
    is outside the timing and the count."""
    case_ids = [service.start(ctx, "website_posting", {}, "pr").id for _ in range(cases)]
    elapsed = 0.0
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    for actor, data in [("it", {}), ("pr", {"decision": "ok"}), ("pr", {})]:
        task_ids = [open_task_id(ctx, case_id) for case_id in case_ids]
        event.listen(ctx.db, "before_cursor_execute", count)
        if profile is not None:
            profile.enable()
        started = time.perf_counter()
        for task_id in task_ids:
            service.complete(ctx, task_id, data, actor)
        elapsed += time.perf_counter() - started
        if profile is not None:
            profile.disable()
        event.remove(ctx.db, "before_cursor_execute", count)
    return cases * 3 / elapsed, statements / (cases * 3)


_WORKFLOW = ("complete_task", "serialize", "restore")
_SQLITE = ("execute", "executemany", "commit")


def breakdown(profile: Any, completions: int) -> str:
    """Where a completion's wall time went, from a cProfile of the throughput phase."""
    import pstats

    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = driver = workflow = 0.0
    for (path, _line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.items():
        if path.endswith("cases/service.py") and name == "complete":
            total += cumtime
        elif path.endswith("cases/runtime.py") and name in _WORKFLOW:
            workflow += cumtime
        elif path.endswith("psycopg/connection.py") and name == "wait":
            driver += cumtime  # waiting for the server: round trips, commit
        elif path == "~" and any(f"'{m}' of 'sqlite3." in name for m in _SQLITE):
            driver += tottime
    per = 1000 / completions
    rest = total - driver - workflow
    return (
        f"profile, per completion (wall, under cProfile): {total * per:.2f} ms = database "
        f"driver (round trips, commit) {driver * per:.2f} ms ({driver / total:.0%}) + workflow "
        f"step and save {workflow * per:.2f} ms ({workflow / total:.0%}) + other Python "
        f"(SQLAlchemy, events, checks) {rest * per:.2f} ms ({rest / total:.0%})"
    )


def raw_commit_rate(ctx: Prflow, commits: int) -> float:
    """One-row INSERT + COMMIT per transaction on the engine's own connections (same
    driver, same pragmas and durability): the ceiling a completion is measured against."""
    table = Table("bench_raw_commit", MetaData(), Column("id", Integer, primary_key=True),
                  Column("v", String))  # fmt: skip
    table.create(ctx.db, checkfirst=True)
    started = time.perf_counter()
    for i in range(commits):
        with write_session(ctx.db) as session:
            session.execute(insert(table).values(v=str(i)))
    rate = commits / (time.perf_counter() - started)
    table.drop(ctx.db)
    return rate


def history(ctx: Prflow, loops: int) -> tuple[float, float, int]:
    case_id = service.start(ctx, "website_posting", {}, "pr").id
    costs: list[float] = []
    for _ in range(loops):
        loop_cost = 0.0
        for actor, data in [("it", {}), ("pr", {"decision": "fix", "reason": "r"})]:
            task_id = open_task_id(ctx, case_id)
            started = time.perf_counter()
            service.complete(ctx, task_id, data, actor)
            loop_cost += time.perf_counter() - started
        costs.append(loop_cost / 2)
    with read_session(ctx.db) as session:
        case = session.get(Case, case_id)
        assert case is not None
        size = len(case.state.encode())
    return statistics.mean(costs[:10]), statistics.mean(costs[-10:]), size


def runtime_only(loops: int) -> dict[str, tuple[float, float]]:
    """Per-step cost (first 10 loops, last 10 loops) of raw SpiffWorkflow and prflow."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    from engine.bpmn.definitions import read_source, validate
    from engine.bpmn.expressions import SafeScriptEngine
    from engine.cases import runtime
    from engine.roles import RoleCatalogue

    compiled = validate(read_source(P6), RoleCatalogue.load(REPO_PROCESSES_DIR / "roles.toml"))
    raw_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def raw_step(workflow: object, data: dict[str, str]) -> object:
        [task] = workflow.get_tasks(state=TaskState.READY, manual=True)  # type: ignore[attr-defined]
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()  # type: ignore[attr-defined]
        restored = raw_serializer.deserialize_json(raw_serializer.serialize_json(workflow))
        restored.script_engine = SafeScriptEngine()
        return restored

    def prflow_step(workflow: object, data: dict[str, str]) -> object:
        [task] = runtime.ready_user_tasks(workflow)
        runtime.complete_task(workflow, str(task.id), data, datetime.now(UTC))
        return runtime.restore(runtime.serialize(workflow), compiled, lambda _t: "")

    raw = BpmnWorkflow(compiled.spec)
    raw.script_engine = SafeScriptEngine()
    raw.do_engine_steps()
    results = {}
    for name, step, workflow in [
        ("raw SpiffWorkflow", raw_step, raw),
        (
            "prflow runtime",
            prflow_step,
            runtime.new_workflow(compiled, {}, lambda _t: "", datetime.now(UTC)),
        ),
    ]:
        costs = []
        for _ in range(loops):
            started = time.perf_counter()
            for data in ({}, {"decision": "fix"}):
                workflow = step(workflow, data)
            costs.append((time.perf_counter() - started) / 2)
        results[name] = (statistics.mean(costs[:10]), statistics.mean(costs[-10:]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--loops", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("PRFLOW_BENCH_DATABASE_URL", f"sqlite:///{Path(tmp) / 'bench.db'}")
        ctx = setup(url)
        print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
              f"python {platform.python_version()}, database {url.split(':')[0]}")  # fmt: skip
        rate, per_completion = throughput(ctx, args.cases)
        if args.profile:  # a second pass on new cases, so the rate above is unprofiled
            import cProfile

            profile = cProfile.Profile()
            throughput(ctx, args.cases, profile)
            print(breakdown(profile, args.cases * 3))
        raw = raw_commit_rate(ctx, args.cases * 3)
        print(
            f"throughput: {rate:.0f} completions/s over {args.cases * 3} completions; "
            f"raw one-row commits {raw:.0f}/s; completions at 1/{raw / rate:.1f} of raw "
            f"({rate / raw:.0%})"
        )
        print(f"statements per completion: {per_completion:.1f}")
        first, last, size = history(ctx, args.loops)
        print(f"per step, first 10 loops: {first * 1000:.2f} ms")
        print(f"per step, last 10 of {args.loops} loops: {last * 1000:.2f} ms "
              f"(x{last / first:.1f}); saved state {size / 1024:.0f} KiB")  # fmt: skip
        ctx.close()
    for name, (first, last) in runtime_only(args.loops).items():
        print(f"{name:18} per step: {first * 1000:.2f} ms first 10 loops, "
              f"{last * 1000:.2f} ms last 10 of {args.loops} (x{last / first:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
