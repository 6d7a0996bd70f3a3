"""Shared fixtures: real databases (a SQLite file and the local PostgreSQL server).

Every engine test that takes ``ctx`` runs twice, once per database. PostgreSQL tests
create their own database and drop it afterwards; set PRFLOW_TEST_POSTGRES_URL to point
elsewhere than the local server's admin database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings

# CLI commands under test read their settings from the environment: sign with the test key.
os.environ.setdefault("PRFLOW_MODE", "test")

ADMIN_URL = os.environ.get(
    "PRFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"prflow_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # report any server problem plainly
        pytest.fail(
            f"PostgreSQL at {ADMIN_URL} is not usable ({err}); start it with "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'prflow.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def ctx(database_url: str) -> Iterator[Prflow]:
    engine = Prflow(
        Settings(database_url=database_url, processes_dir=REPO_PROCESSES_DIR, mode="test"),
        upgrade=True,
    )
    try:
        yield engine
    finally:
        engine.close()
