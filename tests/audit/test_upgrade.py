"""A database written by the release before per-case chains opens, upgrades and verifies.

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
from io import BytesIO
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, text

from engine.audit.deep import deep_check
from engine.audit.replay import replay_all
from engine.audit.verify import verify_chain
from engine.cases import service
from engine.context import Prflow
from engine.errors import Conflict
from engine.settings import REPO_PROCESSES_DIR, Settings
from tests.factories import open_task

PREVIOUS_RELEASE = "ee153c8"
REPO = Path(__file__).resolve().parents[2]

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


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is needed to take the previous release's code")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", PREVIOUS_RELEASE, "engine", "tests", "processes"],
        capture_output=True,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {PREVIOUS_RELEASE} is not in this clone's history")
    target = tmp_path_factory.mktemp("previous-release")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def write_with_previous_release(code: Path, url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, "-c", WRITE_OLD_DATABASE, url], cwd=code, env=env,
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
