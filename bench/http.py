"""Benchmark: the HTTP API against a real ``prflow serve`` process on loopback.

1. worklist: OPEN open tasks on SQLite; GET /api/v1/tasks as a doh_it_officer, first pages
   and pages deep in the keyset order, p50/p95 latency. ``--built`` cases are started with
   the engine (real cases, task rows, events); the rest of the rows are copies of those task
   rows with other roles and due times, made in SQL (building 100,000 real cases takes the
   engine ~10 minutes on this machine), so the worklist query sees OPEN rows.
2. completions: P6 "upload" tasks completed over HTTP (one request each, with If-Match)
   per second on SQLite, beside the same completions through ``service.complete``; both
   start with a cold workflow cache (cases started by another engine object).
3. load: STAFF simulated staff (threads, each with its own token and its own claimed
   tasks) each doing ROUNDS of list -> open -> complete against ``--workers 1`` and
   ``--workers 2`` on PostgreSQL; throughput, p50/p95/p99, errors (5xx, 409s and transport
   failures all count as errors: each person acts on their own tasks, so none is expected).

Usage: .venv/bin/python -m bench.http [--open 100000] [--built 2000] [--completions 300]
       [--staff 200] [--rounds 3] [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
(run as a module: as a script, this file's name would hide the standard library's ``http``)
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from engine.accounts import tokens, users
from engine.cases import deployment, service
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import write_session

P6 = REPO_PROCESSES_DIR / "website_posting.bpmn"
SECRET = secrets.token_urlsafe(48)
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PARTS = ["worklist", "completions", "load"]


def setup(url: str, staff: int = 0) -> tuple[Prflow, dict[str, str]]:
    ctx = Prflow(Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR))
    people = [("owner", "process_owner"), ("it", "doh_it_officer"), ("pr", "doh_web_pr_officer")]
    people += [(f"staff{n:03d}", "doh_it_officer") for n in range(staff)]
    with write_session(ctx.db) as session:
        for login, role in people:
            users.add_user(session, ctx.roles, login=login, display_name=login, unit="bench",
                           roles=[role], now=datetime.now(UTC), actor="bench")  # fmt: skip
    deployment.deploy(ctx, [P6], "owner")
    made = {login: tokens.create(ctx, login)[0] for login, _ in people}
    return ctx, made


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(url: str, workers: int = 1) -> Iterator[str]:
    """``prflow serve`` in its own process (sweeper off: it would only add noise)."""
    port = free_port()
    env = {**os.environ, "PRFLOW_DATABASE_URL": url, "PRFLOW_SECRET_KEY": SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(workers),
         "--sweep-every", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/sign-in", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def grow(ctx: Prflow, built: int, total: int) -> None:
    """Start ``built`` real cases, then copy their task rows up to ``total`` open tasks."""
    for n in range(built):
        service.start(ctx, "website_posting", {"title": f"ข่าว {n}"}, "pr")
    roles = [role.id for role in ctx.roles]
    with ctx.db.begin() as conn:
        rows = conn.execute(text("SELECT id, case_id FROM task WHERE status = 'ready'")).all()
        copies = []
        for n in range(total - len(rows)):
            _task_id, case_id = rows[n % len(rows)]
            copies.append({
                "case_id": case_id, "spiff": f"copy-{n}", "role": roles[n % len(roles)],
                "minutes": (n * 7919) % (60 * 24 * 30),
            })  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO task (case_id, spiff_task_id, element_id, name, role, form, status,"
                " created_at, due_text, due_at) SELECT :case_id, :spiff, element_id, name, :role,"
                " form, 'ready', created_at, due_text, strftime('%Y-%m-%d %H:%M:%f', due_at, '+' ||"
                " :minutes || ' minutes') || '000' FROM task WHERE id = 1"
            ),
            copies,
        )


def worklist(open_tasks: int, built: int, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        ctx, made = setup(url)
        grow(ctx, built, open_tasks)
        ctx.close()
        with server(url) as base, httpx.Client(base_url=base, headers={
                "Authorization": f"Bearer {made['it']}"}) as client:  # fmt: skip
            total = client.get("/api/v1/tasks", params={"limit": 1}).json()
            assert total["items"], total
            first, deep = [], []
            cursor = None
            for n in range(requests):
                started = time.perf_counter()
                page = client.get("/api/v1/tasks", params={"limit": 50})
                first.append(time.perf_counter() - started)
                assert page.status_code == 200
                params = {"limit": 50} | ({"cursor": cursor} if cursor else {})
                started = time.perf_counter()
                page = client.get("/api/v1/tasks", params=params)
                deep.append(time.perf_counter() - started)
                cursor = page.json()["next_cursor"] if n % 50 else None
    return {"first_p50": pct(first, 0.5), "first_p95": pct(first, 0.95),
            "deep_p50": pct(deep, 0.5), "deep_p95": pct(deep, 0.95)}  # fmt: skip


def completions(count: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        ctx, made = setup(url)
        via_service = [service.start(ctx, "website_posting", {}, "pr") for _ in range(count)]
        via_http = [service.start(ctx, "website_posting", {}, "pr") for _ in range(count)]
        # A fresh engine, as the server has: no case is in its workflow cache yet.
        ctx.close()
        ctx = Prflow(Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR))
        started = time.perf_counter()
        for case in via_service:
            service.complete(ctx, case.tasks[0].id, {"url": "u"}, "it", case.lock_version)
        service_rate = count / (time.perf_counter() - started)
        ctx.close()
        with server(url) as base, httpx.Client(base_url=base, headers={
                "Authorization": f"Bearer {made['it']}"}) as client:  # fmt: skip
            started = time.perf_counter()
            for case in via_http:
                done = client.post(f"/api/v1/tasks/{case.tasks[0].id}/complete",
                                   json={"data": {"url": "u"}},
                                   headers={"If-Match": f'"{case.lock_version}"'})  # fmt: skip
                assert done.status_code == 200, done.text
            http_rate = count / (time.perf_counter() - started)
    return service_rate, http_rate


def load(admin_url: str, staff: int, rounds: int, workers: int) -> dict[str, float]:
    name = f"prflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        ctx, made = setup(url, staff)
        for n in range(staff):
            for _ in range(rounds):
                case = service.start(ctx, "website_posting", {}, "pr")
                service.claim(ctx, case.tasks[0].id, f"staff{n:03d}")
        ctx.close()
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        with server(url, workers) as base:
            barrier = threading.Barrier(staff)

            def person(login: str) -> None:
                mine: list[float] = []
                with httpx.Client(base_url=base, timeout=60, headers={
                        "Authorization": f"Bearer {made[login]}"}) as client:  # fmt: skip
                    barrier.wait()
                    for _ in range(rounds):
                        try:
                            started = time.perf_counter()
                            page = client.get("/api/v1/tasks", params={"scope": "mine"})
                            mine.append(time.perf_counter() - started)
                            item = page.json()["items"][0]
                            started = time.perf_counter()
                            client.get(f"/api/v1/tasks/{item['id']}").raise_for_status()
                            mine.append(time.perf_counter() - started)
                            started = time.perf_counter()
                            client.post(f"/api/v1/tasks/{item['id']}/complete",
                                        json={"data": {"url": "u"}},
                                        headers={"If-Match": f'"{item["case_version"]}"'}
                                        ).raise_for_status()  # fmt: skip
                            mine.append(time.perf_counter() - started)
                        except (httpx.HTTPError, KeyError, IndexError) as err:
                            with lock:
                                errors.append(f"{login}: {err}")
                with lock:
                    latencies.extend(mine)

            threads = [threading.Thread(target=person, args=(f"staff{n:03d}",))
                       for n in range(staff)]  # fmt: skip
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    for error in errors[:5]:
        print("  error:", error)
    return {"requests": len(latencies), "seconds": elapsed, "rps": len(latencies) / elapsed,
            "p50": pct(latencies, 0.5), "p95": pct(latencies, 0.95),
            "p99": pct(latencies, 0.99), "errors": len(errors)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--built", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--completions", type=int, default=300)
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--skip", nargs="*", default=[], choices=PARTS)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}")  # fmt: skip
    if "worklist" not in args.skip:
        figures = worklist(args.open, args.built, args.requests)
        print(
            f"worklist over HTTP, {args.open} open tasks ({args.built} real cases): "
            f"first page p50 {figures['first_p50']:.1f} ms p95 {figures['first_p95']:.1f} ms; "
            f"deep pages p50 {figures['deep_p50']:.1f} ms p95 {figures['deep_p95']:.1f} ms"
        )
    if "completions" not in args.skip:
        service_rate, http_rate = completions(args.completions)
        print(
            f"completions on SQLite: service {service_rate:.0f}/s, HTTP {http_rate:.0f}/s "
            f"(HTTP/service {http_rate / service_rate:.2f})"
        )
    if "load" not in args.skip:
        for workers in (1, 2):
            f = load(args.postgres, args.staff, args.rounds, workers)
            print(
                f"load, PostgreSQL, {workers} worker(s), {args.staff} staff x {args.rounds} "
                f"rounds: {f['requests']:.0f} requests in {f['seconds']:.1f} s = "
                f"{f['rps']:.0f} req/s; p50 {f['p50']:.0f} ms p95 {f['p95']:.0f} ms "
                f"p99 {f['p99']:.0f} ms; errors {f['errors']:.0f}"
            )


if __name__ == "__main__":
    main()
