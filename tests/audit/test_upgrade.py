"""Databases written by earlier releases open, upgrade and verify.

Two releases are taken from git: the one before per-case chains (schema 0002) and the one
just before this (schema 0007, before tasks kept their working time).

The previous release's code (commit ee153c8) is taken from git into a temporary folder and
run in its own process to write a real database: people, a deployed process, P6 cases
(one finished, one open). Upgrading it with this release (``Prflow(..., upgrade=True)``, as
``prflow db upgrade`` does) runs migrations 0003..0007; 0004 checks the old SHA-256 chain
and re-signs every event with the server key; verify, deep check and replay must then pass,
new work must chain on, and a log tampered before the upgrade must stop the upgrade instead
of being re-signed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, text
from sqlmodel import select

from engine.audit.deep import deep_check
from engine.audit.replay import replay_all
from engine.audit.verify import verify_chain
from engine.cases import kpi, service
from engine.context import Prflow
from engine.errors import Conflict
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session
from engine.store.tables import TaskRow
from tests.factories import open_task

PREVIOUS_RELEASE = "ee153c8"
RELEASE_0007 = "3b84a75"  # the last commit with schema 0007 and the flat engine layout
REPO = Path(__file__).resolve().parents[2]

# In that release's own layout (a flat engine package): a module the old code does not
# have would be found in this checkout instead and mix the two releases.
WRITE_OLD_DATABASE = """
import sys
from freezegun import freeze_time
from engine import service
from engine.context import Prflow
from engine.errors import Conflict
from engine.settings import REPO_PROCESSES_DIR, Settings
from tests.factories import add_people, deploy, open_task

ctx = Prflow(Settings(database_url=sys.argv[1], processes_dir=REPO_PROCESSES_DIR))
add_people(ctx)
deploy(ctx)
with freeze_time("2026-06-08T02:00:00+00:00"):
    done = service.start(ctx, "website_posting", {"title": "ข่าวเก่า"}, "malee")
    service.complete(ctx, open_task(ctx, done.id).id, {"url": "u"}, "somchai")
    service.complete(ctx, open_task(ctx, done.id).id, {"decision": "fix"}, "malee")
    service.complete(ctx, open_task(ctx, done.id).id, {"url": "u2"}, "somchai")
    service.complete(ctx, open_task(ctx, done.id).id, {"decision": "ok"}, "malee")
    service.complete(ctx, open_task(ctx, done.id).id, {}, "malee")
    running = service.start(ctx, "website_posting", {"title": "ยังไม่เสร็จ"}, "malee")
    service.claim(ctx, open_task(ctx, running.id).id, "somchai")
ctx.close()
"""


# The 0007 release's layout (engine.service, not engine.cases.service); it migrates to its
# own head first, as that release's `prflow db upgrade` did.
WRITE_0007_DATABASE = """
import sys
from datetime import datetime, timedelta, timezone
from freezegun import freeze_time
from engine import service
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings
from tests.factories import add_people, deploy, open_task

ctx = Prflow(Settings(database_url=sys.argv[1], processes_dir=REPO_PROCESSES_DIR), upgrade=True)
add_people(ctx)
deploy(ctx)
monday = datetime(2026, 4, 20, 2, 0, tzinfo=timezone.utc)  # 09:00 in Bangkok
steps = [("somchai", {"url": "u"}), ("malee", {"decision": "ok"}), ("malee", {})]
for i, gap in enumerate([timedelta(minutes=m) for m in (95, 1300, 4400)]):
    at = monday + timedelta(hours=3 * i)
    with freeze_time(at):
        case = service.start(ctx, "website_posting", {"title": f"n{i}"}, "malee")
    for actor, data in steps[: i + 1]:
        at += gap
        with freeze_time(at):
            service.complete(ctx, open_task(ctx, case.id).id, data, actor)
ctx.close()
"""


def _release(tmp_path_factory: pytest.TempPathFactory, commit: str) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is needed to take the previous release's code")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "engine", "tests", "processes"],
        capture_output=True,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {commit} is not in this clone's history")
    target = tmp_path_factory.mktemp(f"release-{commit}")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _release(tmp_path_factory, PREVIOUS_RELEASE)


@pytest.fixture(scope="module")
def release_0007(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _release(tmp_path_factory, RELEASE_0007)


def write_with_previous_release(code: Path, url: str, script: str = WRITE_OLD_DATABASE) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, "-c", script, url], cwd=code, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def open_now(url: str) -> Prflow:
    """Open with this release as ``prflow db upgrade`` does: migrate to head (0003..0007)."""
    settings = Settings(database_url=url, processes_dir=REPO_PROCESSES_DIR, mode="test")
    return Prflow(settings, upgrade=True)


def test_a_database_of_the_previous_release_upgrades_and_verifies(
    previous_release: Path, database_url: str
) -> None:
    write_with_previous_release(previous_release, database_url)
    ctx = open_now(database_url)  # migrates: checks the old chain, re-signs it
    try:
        report = verify_chain(ctx.db, ctx.keyring)
        assert report.ok, report.broken
        assert report.chains == 3 and report.checked > 20  # system + two cases
        assert deep_check(ctx.db) is None
        results = replay_all(ctx)
        assert len(results) == 2 and all(r.ok for r in results), results
        [running] = [r.case_id for r in results if r.completions_applied == 0]
        with freeze_time("2026-06-09T02:00:00+00:00"):  # the open case goes on after upgrade
            service.complete(ctx, open_task(ctx, running).id, {"url": "u"}, "somchai")
        assert verify_chain(ctx.db, ctx.keyring).ok and deep_check(ctx.db) is None
        assert all(r.ok for r in replay_all(ctx))
    finally:
        ctx.close()


def test_a_tampered_old_log_stops_the_upgrade(previous_release: Path, database_url: str) -> None:
    write_with_previous_release(previous_release, database_url)
    raw = create_engine(database_url)
    with raw.begin() as conn:  # an edit the old chain shows (triggers out of the way)
        if raw.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER event_append_only_update")
        else:
            conn.exec_driver_sql("ALTER TABLE event DISABLE TRIGGER event_append_only")
        conn.execute(text("UPDATE event SET actor = 'mallory' WHERE seq = 8"))
    raw.dispose()
    with pytest.raises(Conflict, match="broken at seq 8: upgrading would re-sign"):
        open_now(database_url)


def test_a_database_of_schema_0007_upgrades_keeps_verifying_and_gets_working_times(
    release_0007: Path, database_url: str
) -> None:
    """0008 backfills each completed task's clock and working time with the calendar; the
    log, replay and the on-time report are what they were before the upgrade."""
    write_with_previous_release(release_0007, database_url, WRITE_0007_DATABASE)
    raw = create_engine(database_url)
    with raw.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0007"
        spans = conn.execute(
            text("SELECT id, created_at, completed_at FROM task WHERE status = 'completed'")
        ).all()
    raw.dispose()
    assert len(spans) == 6
    ctx = open_now(database_url)  # prflow db upgrade: 0008 backfills the working times
    try:
        us = timedelta(microseconds=1)
        with read_session(ctx.db) as session:
            for task_id, *_ in spans:
                row = session.get(TaskRow, task_id)
                assert row is not None and row.created_at is not None
                assert row.completed_at is not None
                assert row.elapsed_us == (row.completed_at - row.created_at) // us
                working = ctx.calendar.working_time_between(row.created_at, row.completed_at)
                assert row.working_us == working // us
        assert all(row.working_us is not None for row in _completed(ctx))
        report = verify_chain(ctx.db, ctx.keyring)
        assert report.ok, report.broken
        assert deep_check(ctx.db) is None
        results = replay_all(ctx)
        assert len(results) == 3 and all(r.ok for r in results), results
        kpi_report = kpi.on_time_share(ctx)
        assert kpi_report.total == 6 and kpi_report.median_working_taken is not None
        [verifying] = [r.case_id for r in results if r.completions_applied == 1]
        with freeze_time("2026-04-27T02:00:00+00:00"):  # work goes on after the upgrade
            service.complete(ctx, open_task(ctx, verifying).id, {"decision": "ok"}, "malee")
        assert verify_chain(ctx.db, ctx.keyring).ok and deep_check(ctx.db) is None
        assert all(r.ok for r in replay_all(ctx))
    finally:
        ctx.close()


def _completed(ctx: Prflow) -> list[TaskRow]:
    with read_session(ctx.db) as session:
        return list(session.exec(select(TaskRow).where(TaskRow.status == "completed")).all())
