"""Deployment settings: the one object holding every knob, read from the environment.

Each field is read from ``PRFLOW_<FIELD NAME IN CAPITALS>`` (e.g. ``PRFLOW_DATABASE_URL``)
and carries a description; ``docs/settings.md`` lists them all and a test fails when a
field is added without a description or without its line there. Secrets (keys) belong
here too, read from the environment, never written into the repository or the database.

The audit log's keys: ``mode`` (``production``, ``demo`` or ``test``; only the last two may
sign with the public demo key), ``audit_key`` (``<key id>:<secret>``) and
``audit_old_keys`` (retired keys, still used to verify old events); see ``engine.events.keys``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.errors import InvalidInput

DEFAULT_DATABASE_URL = "sqlite:///./prflow.db"
REPO_PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
# Public on purpose: anyone can forge demo sessions, so only demo mode accepts it.
DEMO_SECRET_KEY = "prflow-demo-secret-not-for-production-use-0000"


class Settings(BaseSettings):
    """Every setting of a prflow deployment; ``Settings()`` reads them from the environment."""

    model_config = SettingsConfigDict(env_prefix="PRFLOW_", frozen=True, extra="forbid")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the database: sqlite:///path (embedded, WAL) or "
        "postgresql://user@host/db.",
    )
    processes_dir: Path = Field(
        REPO_PROCESSES_DIR,
        description="Folder of the BPMN files, the role catalogue (roles.toml) and the "
        "holiday file (holidays.toml).",
    )
    pool_size: int = Field(
        5, ge=1, le=200, description="Connections kept open per process (PostgreSQL only)."
    )
    workflow_cache_size: int = Field(
        512,
        ge=0,
        le=1_000_000,
        description="Restored SpiffWorkflow objects kept in memory per process, by case.",
    )
    page_size: int = Field(
        50, ge=1, le=1000, description="Rows per page of a worklist or a listing."
    )
    due_soon_hours: float = Field(
        2.0,
        gt=0,
        le=24 * 30,
        description="A task is 'due soon' when at most this many working hours are left.",
    )
    kpi_target: float = Field(
        0.80,
        gt=0,
        le=1,
        description="Share of tasks that must be done on time (P8: ร้อยละ 80), between 0 and 1.",
    )
    default_retention: str = Field(
        "10 years",
        description="How long a completed case's data is kept when its process declares no "
        "retention, e.g. '10 years', '18 months'.",
    )
    mode: str = Field(
        "production",
        pattern="^(production|demo|test)$",
        description="production (default), demo or test; only demo and test may sign the "
        "audit log with the public demo key or run without a secret key.",
    )
    audit_key: str | None = Field(
        None,
        description="'<key id>:<secret>' that signs the audit log (HMAC-SHA256). Required in "
        "production; keep it outside the database and the repository.",
    )
    audit_old_keys: str = Field(
        "",
        description="Comma-separated retired '<key id>:<secret>' keys, still used to verify "
        "events signed before a key rotation.",
    )
    secret_key: str = Field(
        "",
        description="Signs session cookies and CSRF tokens of the HTTP server; at least 32 "
        "characters, never committed. Required unless demo is on.",
    )
    demo: bool = Field(
        False,
        description="Run the server in demo mode: a known, public secret is allowed "
        "(engine.accounts.secret.DEMO_SECRET_KEY), so never expose a demo server.",
    )

    @field_validator("demo", mode="before")
    @classmethod
    def _blank_is_off(cls, value: object) -> object:
        return False if value == "" else value

    @property
    def roles_file(self) -> Path:
        return self.processes_dir / "roles.toml"

    @property
    def holidays_file(self) -> Path:
        return self.processes_dir / "holidays.toml"

    @property
    def due_soon_within(self) -> timedelta:
        return timedelta(hours=self.due_soon_hours)

    @classmethod
    def from_env(cls) -> Settings:
        """The settings of this process's environment; a bad value names its variable."""
        try:
            return cls()
        except ValidationError as err:
            problems = "; ".join(
                f"PRFLOW_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                for e in err.errors()
            )
            raise InvalidInput(
                f"bad setting in the environment: {problems}; see docs/settings.md"
            ) from None
