"""One settings object, every knob documented; the schema is upgraded on request only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from typer.testing import CliRunner

from cli.main import app
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.settings import Settings
from engine.store.db import MIGRATIONS_DIR, SchemaOutdated, connect, schema_revisions

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_every_setting_is_described_and_listed_in_the_docs() -> None:
    documented = set(re.findall(r"`(PRFLOW_[A-Z_]+)`", DOCS.read_text(encoding="utf-8")))
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        assert f"PRFLOW_{name.upper()}" in documented, f"PRFLOW_{name.upper()} not in {DOCS}"
    assert documented == {f"PRFLOW_{name.upper()}" for name in Settings.model_fields}


def test_settings_come_from_prflow_variables_and_bad_values_name_theirs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRFLOW_PAGE_SIZE", "20")
    monkeypatch.setenv("PRFLOW_KPI_TARGET", "0.9")
    settings = Settings.from_env()
    assert (settings.page_size, settings.kpi_target) == (20, 0.9)
    monkeypatch.setenv("PRFLOW_POOL_SIZE", "0")
    with pytest.raises(InvalidInput, match="PRFLOW_POOL_SIZE"):
        Settings.from_env()
    result = CliRunner().invoke(app, ["users", "list"], env={"PRFLOW_POOL_SIZE": "zero"})
    assert result.exit_code == 2 and "PRFLOW_POOL_SIZE" in result.stderr


def test_an_engine_never_migrates_and_says_how_to_upgrade(database_url: str) -> None:
    with pytest.raises(SchemaOutdated, match=r"has no prflow schema.*prflow db upgrade"):
        Prflow(Settings(database_url=database_url))
    engine = connect(database_url)
    try:
        assert "event" not in inspect(engine).get_table_names()  # nothing was created
    finally:
        engine.dispose()
    env = {"PRFLOW_DATABASE_URL": database_url}
    refused = CliRunner().invoke(app, ["users", "list", "--json"], env=env)
    assert refused.exit_code == 7
    assert "prflow db upgrade" in refused.stderr
    upgraded = CliRunner().invoke(app, ["db", "upgrade", "--json"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert CliRunner().invoke(app, ["users", "list"], env=env).exit_code == 0


def test_an_older_schema_is_refused_until_upgraded(ctx: Prflow) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with ctx.db.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    current, head = schema_revisions(ctx.db)
    assert current == "0002" and head != "0002"
    with pytest.raises(SchemaOutdated, match=f"is at schema 0002, this prflow needs schema {head}"):
        Prflow(ctx.settings)
    env = {"PRFLOW_DATABASE_URL": ctx.settings.database_url}
    status = CliRunner().invoke(app, ["db", "status"], env=env)
    assert "outdated: run prflow db upgrade" in status.stdout
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    Prflow(ctx.settings).close()
