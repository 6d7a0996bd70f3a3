"""Database connections, write transactions and schema migrations.

SQLite is the embedded default (a file, WAL mode so readers never block the writer);
PostgreSQL is used when the URL says so. Writes always go through ``write_session``:

- on SQLite it opens the transaction with ``BEGIN IMMEDIATE``, so two writers queue on the
  database lock instead of both reading, both stepping a case, and one failing at commit;
- on PostgreSQL it runs at READ COMMITTED; races on a case are caught by the optimistic
  ``lock_version`` check and on the event chain by locking its head row.

The schema is owned by alembic migrations; ``migrate`` brings any database to head. It is
run by ``prflow db upgrade`` (and by the demo and the test setup), never implicitly when
an engine starts: ``require_current_schema`` refuses a database whose schema is older
than this code and says how to upgrade it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from engine.errors import EngineError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class SchemaOutdated(EngineError):
    """The database's schema is not the one this code was written for."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current = current
        self.head = head
        found = "has no prflow schema" if current is None else f"is at schema {current}"
        super().__init__(
            f"the database {found}, this prflow needs schema {head}; "
            "upgrade it with: prflow db upgrade (back it up first)"
        )


def connect(url: str, pool_size: int = 5) -> Engine:
    """Create an engine for ``url`` with prflow's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN: the driver's implicit transactions
        # would defeat BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One transaction for one command: commit on success, roll back on any error."""
    connection = engine.connect()
    if is_sqlite(engine):
        connection = connection.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with Session(bind=connection, expire_on_commit=False) as session:
            try:
                yield session
                # Work staged for the commit itself (the event log's inserts), see events.py.
                for hook in session.info.pop("before_commit", []):
                    hook(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        connection.close()


_CONNECTION = "prflow_connection"


def connection_of(session: Session) -> Connection:
    """The connection a write session's command runs on, looked up once per command:
    ``Session.connection()`` costs more than the plain statements it is used for."""
    connection: Connection | None = session.info.get(_CONNECTION)
    if connection is None:
        connection = session.info[_CONNECTION] = session.connection()
    return connection


@contextmanager
def read_session(
    engine: Engine, *, snapshot: bool = False, autocommit: bool = False
) -> Iterator[Session]:
    """A session for queries; nothing it stages is committed.

    Closing (not rolling back) ends the transaction without expiring what was loaded, so
    rows read here stay readable after the block. ``snapshot`` makes every query see the
    database as of the first one: PostgreSQL's default READ COMMITTED would let a long
    read (walking the whole event log) see rows committed while it runs. SQLite's read
    transactions are snapshots already.

    ``autocommit`` (PostgreSQL; ignored on SQLite) runs each statement on its own, without
    ``BEGIN`` and ``ROLLBACK``: two of a worklist page's four round trips. It sees what
    READ COMMITTED sees (a fresh snapshot per statement); only for reads that stage nothing
    (an autoflushed write would be committed at once), such as the paged views.
    """
    if (snapshot or autocommit) and not is_sqlite(engine):
        level = "REPEATABLE READ" if snapshot else "AUTOCOMMIT"
        connection = engine.connect().execution_options(isolation_level=level)
        try:
            with Session(
                bind=connection, expire_on_commit=False, autoflush=not autocommit or snapshot
            ) as session:
                yield session
        finally:
            connection.close()
        return
    with Session(engine, expire_on_commit=False) as session:
        yield session


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """The database's schema revision (None when it has none) and the code's newest."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not this code's newest."""
    current, head = schema_revisions(engine)
    if current != head:
        raise SchemaOutdated(current, head)


def migrate(engine: Engine, **attributes: Any) -> None:
    """Upgrade the database to the newest schema (idempotent).

    ``attributes`` reach the migrations (``audit_keyring``: the key that re-signs old events).
    """
    config = _config()
    config.attributes.update(attributes)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
