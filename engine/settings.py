"""Deployment settings, read from the environment once.

``PRFLOW_DATABASE_URL``  SQLAlchemy URL; default ``sqlite:///./prflow.db`` (embedded, WAL).
``PRFLOW_PROCESSES_DIR`` the folder of BPMN files, the role catalogue and the holiday
                         override file; default: ``processes/`` of this checkout.
``PRFLOW_MODE``          ``production`` (default), ``demo`` or ``test``; only the last two
                         may sign the audit log with the public demo key.
``PRFLOW_AUDIT_KEY``     ``<key id>:<secret>`` that signs the audit log (``engine.keys``).
``PRFLOW_AUDIT_OLD_KEYS`` comma-separated retired keys, still used to verify old events.
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
    mode: str = "production"
    audit_key: str | None = None
    audit_old_keys: str = ""

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
            mode=os.environ.get("PRFLOW_MODE", "production"),
            audit_key=os.environ.get("PRFLOW_AUDIT_KEY") or None,
            audit_old_keys=os.environ.get("PRFLOW_AUDIT_OLD_KEYS", ""),
        )
