"""The running engine's shared parts: database, role catalogue, calendar, workflow cache.

One ``Prflow`` object per process. Opening it checks that the database's schema is current
(``prflow db upgrade`` migrates it; an engine never does so on its own).
The role catalogue and calendar are loaded from the processes folder on first use; the
calendar again whenever its holiday file changes. The
workflow cache keeps restored SpiffWorkflow objects by case id together with the case's
``lock_version``; a command takes the object out of the cache while it works and puts it
back only after its transaction committed, so a failed step never leaves a half-advanced
workflow behind (SpiffWorkflow does not roll back in memory).
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cached_property
from typing import Any

from sqlalchemy import Engine

from engine.errors import EngineError, InvalidInput
from engine.events import chain as events
from engine.events.keys import Keyring, keyring
from engine.roles import RoleCatalogue
from engine.settings import Settings
from engine.store.db import connect, migrate, require_current_schema
from engine.store.tables import Definition
from engine.worktime.calendar import WorkingCalendar


class Prflow:
    def __init__(self, settings: Settings, *, upgrade: bool = False, offline: bool = False) -> None:
        """Open the database; ``upgrade`` migrates it first (``prflow db upgrade``, the
        demo, tests), otherwise a schema older than the code is refused. ``offline`` never
        touches the database (checking BPMN files needs only the roles and forms)."""
        self.settings = settings
        self._calendar: tuple[tuple[int, int], WorkingCalendar] | None = None
        self.db: Engine = connect(settings.database_url, settings.pool_size)
        try:
            keys: Keyring | None = keyring(settings)
        except EngineError:
            keys = None  # a log with old events then asks for the key when upgraded
        try:
            if upgrade:
                # 0008 counts old tasks' working time with this engine's calendar, read
                # only if there are such tasks.
                migrate(self.db, audit_keyring=keys, working_calendar=lambda: self.calendar)
            elif not offline:
                require_current_schema(self.db)
        except BaseException:
            self.db.dispose()
            raise
        events.use_keys(self.db, settings)
        self._workflows: OrderedDict[int, tuple[int, Any]] = OrderedDict()
        # Deployed versions are immutable: read each row once (keyed by this database's ids).
        self.definitions: dict[int, Definition] = {}

    @classmethod
    def from_env(cls, *, upgrade: bool = False) -> Prflow:
        return cls(Settings.from_env(), upgrade=upgrade)

    @property
    def keyring(self) -> Keyring:
        """The audit keys (``MissingAuditKey`` in production mode without one)."""
        return keyring(self.settings)

    @cached_property
    def roles(self) -> RoleCatalogue:
        return RoleCatalogue.load(self.settings.roles_file)

    @property
    def calendar(self) -> WorkingCalendar:
        """The working calendar, reloaded when the holiday file changes on disk.

        Process owners edit ``holidays.toml`` while a server or a ``sweep --loop`` runs;
        the next command must count with the new days off without a restart.
        """
        path = self.settings.holidays_file
        try:
            stat = path.stat()
        except OSError:
            raise InvalidInput(
                f"the holiday file {path} is missing; working time cannot be counted without "
                "it. Put holidays.toml in the processes folder (see processes/README.md) or "
                "point PRFLOW_PROCESSES_DIR at the folder that has it"
            ) from None
        seen = (stat.st_mtime_ns, stat.st_size)
        if self._calendar is None or self._calendar[0] != seen:
            self._calendar = (seen, WorkingCalendar.thai(path))
        return self._calendar[1]

    def take_workflow(self, case_id: int, lock_version: int) -> Any | None:
        """Remove and return the cached workflow if it is at ``lock_version``."""
        cached = self._workflows.pop(case_id, None)
        if cached is not None and cached[0] == lock_version:
            return cached[1]
        return None

    def keep_workflow(self, case_id: int, lock_version: int, workflow: Any) -> None:
        self._workflows[case_id] = (lock_version, workflow)
        self._workflows.move_to_end(case_id)
        while len(self._workflows) > self.settings.workflow_cache_size:
            self._workflows.popitem(last=False)

    def close(self) -> None:
        self._workflows.clear()
        self.db.dispose()
