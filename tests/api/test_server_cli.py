"""``prflow serve``, ``prflow tokens``, ``prflow users password`` and the sweep loop's lease."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import httpx
from typer.testing import CliRunner

from cli.main import app
from engine import lease, sweep_loop
from engine.accounts import passwords
from engine.cases import timers
from engine.context import Prflow
from tests.api.conftest import make_ctx
from tests.factories import add_people

NO_SECRET = {"PRFLOW_SECRET_KEY": "", "PRFLOW_DEMO": ""}


def invoke(url: str, *args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"PRFLOW_DATABASE_URL": url, **env})
    return result.exit_code, result.stdout, result.stderr


def test_serve_refuses_to_start_without_a_secret_or_with_workers_on_sqlite(
    sqlite_url: str,
) -> None:
    code, _, err = invoke(sqlite_url, "serve", **NO_SECRET)
    assert code == 2
    assert "PRFLOW_SECRET_KEY is missing" in err
    code, _, err = invoke(sqlite_url, "serve", "--workers", "2", PRFLOW_SECRET_KEY="k" * 40)
    assert code == 2
    assert "needs PostgreSQL" in err


def test_tokens_are_shown_once_listed_without_secret_and_revoked(database_url: str) -> None:
    ctx = make_ctx(database_url)
    add_people(ctx, {"malee": ["doh_web_pr_officer"]})
    ctx.close()
    code, token, _ = invoke(database_url, "tokens", "create", "malee", "--label", "script")
    assert code == 0 and token.startswith("prf_")
    code, listed, _ = invoke(database_url, "tokens", "list")
    assert "script" in listed and token.strip() not in listed
    assert invoke(database_url, "tokens", "revoke", "1")[0] == 0
    code, _, err = invoke(database_url, "tokens", "revoke", "1")
    assert code == 5 and "already revoked" in err
    assert invoke(database_url, "tokens", "create", "nobody")[0] == 3
    code, _, err = invoke(database_url, "users", "password", "malee", "--password", "short")
    assert code == 2 and "at least 8" in err
    assert invoke(database_url, "users", "password", "malee", "--password", "long enough")[0] == 0
    ctx = make_ctx(database_url)
    assert passwords.sign_in(ctx, "malee", "long enough").login == "malee"
    ctx.close()


def test_one_sweeper_holds_the_lease_until_it_expires(ctx: Prflow) -> None:
    now = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    ttl = timedelta(seconds=90)
    assert lease.acquire(ctx, "sweep", "worker-a", ttl, now)
    assert not lease.acquire(ctx, "sweep", "worker-b", ttl, now + timedelta(seconds=60))
    assert lease.acquire(ctx, "sweep", "worker-a", ttl, now + timedelta(seconds=60))  # renew
    assert not lease.acquire(ctx, "sweep", "worker-b", ttl, now + timedelta(seconds=149))
    assert lease.acquire(ctx, "sweep", "worker-b", ttl, now + timedelta(seconds=151))
    lease.release(ctx, "sweep", "worker-a")  # not the holder: changes nothing
    assert not lease.acquire(ctx, "sweep", "worker-a", ttl, now + timedelta(seconds=152))


def test_the_sweep_loop_sweeps_only_while_holding_the_lease(sqlite_url: str) -> None:
    ctx = make_ctx(sqlite_url)
    try:
        swept: list[timers.SweepResult] = []
        stop = threading.Event()

        def once(result: timers.SweepResult) -> None:
            swept.append(result)
            stop.set()  # one pass is enough; the loop then releases its lease

        far = datetime.now(UTC) + timedelta(days=1)
        assert lease.acquire(ctx, "sweep", "someone-else", timedelta(seconds=1), far)
        lease.release(ctx, "sweep", "someone-else")
        sweep_loop.run(ctx, stop, interval=0.01, holder="me", on_sweep=once)
        assert len(swept) == 1
        # Released on the way out: another loop can take over at once.
        assert lease.acquire(ctx, "sweep", "other", timedelta(seconds=30), datetime.now(UTC))
    finally:
        ctx.close()


def test_the_demo_command_serves_signed_in_pages(sqlite_url: str) -> None:
    """``make demo`` runs ``prflow serve --demo``: logins printed, the address answers."""
    port = free_port()
    env = {**os.environ, "PRFLOW_DATABASE_URL": sqlite_url, **NO_SECRET}
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        printed = ""
        for line in server.stdout:
            printed += line
            if "serving at" in line:
                break
        assert f"http://127.0.0.1:{port}/" in printed
        login, password = re.search(r"^(owner)\s+(\S+)\s+process_owner", printed, re.M).groups()  # type: ignore[union-attr]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            page = wait_for(browser, "/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            signed = browser.post("/sign-in", data={"login": login, "password": password,
                                                    "csrf_token": token})  # fmt: skip
            assert signed.status_code == 303
            versions = browser.get("/api/v1/processes").json()
            assert len({v["key"] for v in versions}) == 9
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for(client: httpx.Client, path: str) -> httpx.Response:
    """The first answer once uvicorn has bound its port (it prints before it binds)."""
    for _ in range(600):
        try:
            return client.get(path)
        except httpx.ConnectError:
            threading.Event().wait(0.05)
    raise AssertionError("the demo server never answered")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
