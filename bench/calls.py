"""Benchmark: a case that loops through a call activity, step cost and saved state size.

Runs the real engine (``service.complete``, one transaction per completion) on a fresh
SQLite file (or PRFLOW_BENCH_DATABASE_URL) with the test pair of
``tests/bpmn/diagrams/``: ``c7_call_release`` drafts, then calls ``io_called_review``
(a director's review, another file, its version pinned with the case). One case is
looped LOOPS times through draft -> review(revise); printed: the mean cost of a step in
the first and the last ten loops, their ratio, and the saved state's size after the first
and the last loop (a finished call is dropped from the state, so neither should grow).

Usage: .venv/bin/python -m bench.calls [--loops 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.steps import open_task_id
from engine.accounts import users
from engine.cases import deployment, service
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session, write_session
from engine.store.tables import Case

DIAGRAMS = Path(__file__).resolve().parents[1] / "tests/bpmn/diagrams"
PAIR = [DIAGRAMS / "camunda7_call_release.bpmn", DIAGRAMS / "bpmnio_called_review.bpmn"]


def setup(url: str) -> Prflow:
    ctx = Prflow(
        Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR, mode="test"), upgrade=True
    )
    with write_session(ctx.db) as session:
        for login, role in [("owner", "process_owner"), ("pr", "esao_pr_officer"),
                            ("director", "esao_director")]:  # fmt: skip
            users.add_user(session, ctx.roles, login=login, display_name=login, unit="",
                           roles=[role], now=datetime.now(UTC), actor="bench")  # fmt: skip
    deployment.deploy(ctx, PAIR, "owner", executable=True)
    return ctx


def state_size(ctx: Prflow, case_id: int) -> int:
    with read_session(ctx.db) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return len(case.state.encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("PRFLOW_BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.db")
        ctx = setup(url)
        case_id = service.start(ctx, "c7_call_release", {}, "pr").id
        steps: list[float] = []
        sizes: list[int] = []
        for _ in range(args.loops):
            for login, data in (("pr", {"headline": "h"}), ("director", {"decision": "revise"})):
                task_id = open_task_id(ctx, case_id)
                began = time.perf_counter()
                service.complete(ctx, task_id, data, login)
                steps.append(time.perf_counter() - began)
            sizes.append(state_size(ctx, case_id))
        ctx.close()
    first, last = statistics.mean(steps[:20]), statistics.mean(steps[-20:])
    print(f"database: {url.split(':')[0]}, loops: {args.loops} (2 steps each)")
    print(f"step, first 10 loops: {first * 1000:.1f} ms mean")
    print(f"step, last 10 loops:  {last * 1000:.1f} ms mean (x{last / first:.2f})")
    print(f"saved state after loop 1: {sizes[0]:,} bytes; after loop {args.loops}: {sizes[-1]:,}")


if __name__ == "__main__":
    main()
