"""Deployment settings, read from the environment once.

``PRFLOW_DATABASE_URL``  SQLAlchemy URL; default ``sqlite:///./prflow.db`` (embedded, WAL).
``PRFLOW_PROCESSES_DIR`` the folder of BPMN files, the role catalogue and the holiday
                         override file; default: ``processes/`` of this checkout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///./prflow.db"
REPO_PROCESSES_DIR = Path(__file__).resolve().parent.parent / "processes"


@dataclass(frozen=True)
class Settings:
    database_url: str
    processes_dir: Path

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
        )
