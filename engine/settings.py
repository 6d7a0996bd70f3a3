"""Deployment settings, read from the environment once.

``PRFLOW_DATABASE_URL``  SQLAlchemy URL; default ``sqlite:///./prflow.db`` (embedded, WAL).
``PRFLOW_PROCESSES_DIR`` the folder of BPMN files, the role catalogue and the holiday
                         override file; default: ``processes/`` of this checkout.
``PRFLOW_SECRET_KEY``    signs session cookies and CSRF tokens (the HTTP server); at least
                         32 characters, never committed. Required unless in demo mode.
``PRFLOW_DEMO``          ``1`` runs the server in demo mode: a known, public secret is
                         allowed (``DEMO_SECRET_KEY``), so never expose a demo server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///./prflow.db"
REPO_PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"
# Public on purpose: anyone can forge demo sessions, so only demo mode accepts it.
DEMO_SECRET_KEY = "prflow-demo-secret-not-for-production-use-0000"


@dataclass(frozen=True)
class Settings:
    database_url: str
    processes_dir: Path
    secret_key: str = ""
    demo: bool = False

    @property
    def roles_file(self) -> Path:
        return self.processes_dir / "roles.toml"

    @property
    def holidays_file(self) -> Path:
        return self.processes_dir / "holidays.toml"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("PRFLOW_DATABASE_URL", DEFAULT_DATABASE_URL),
            processes_dir=Path(os.environ.get("PRFLOW_PROCESSES_DIR", REPO_PROCESSES_DIR)),
            secret_key=os.environ.get("PRFLOW_SECRET_KEY", ""),
            demo=os.environ.get("PRFLOW_DEMO", "") in {"1", "true", "yes"},
        )
