"""The role catalogue: who can do the steps of the process manuals.

Lanes in the BPMN files are roles; their ``name`` is a role id from ``processes/roles.toml``.
This module loads that file, checks every entry, and answers "is this a known role?" and
"what is it called in Thai and English?". It knows nothing about users (``engine.accounts.users``)
or diagrams (``engine.bpmn.process_rules``).

File format::

    [roles.pr_officer]
    th = "นักประชาสัมพันธ์"
    en = "PR officer"
    unit = "กลุ่มอำนวยการ สพท."
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InvalidInput, NotFound

# Role ids end up in lane names, URLs and database rows: keep them plain snake_case ASCII.
ROLE_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
REQUIRED_FIELDS = ("th", "en", "unit")


class RoleCatalogueError(InvalidInput):
    """The catalogue file cannot be read or an entry in it is malformed."""

    def __init__(self, path: Path, entry: str | None, reason: str) -> None:
        self.path = path
        self.entry = entry
        self.reason = reason
        where = f"{path}: [roles.{entry}]" if entry else str(path)
        super().__init__(f"{where}: {reason}")


class UnknownRoleError(NotFound):
    """A role id that is not in the catalogue."""

    def __init__(self, role_id: str, known: list[str]) -> None:
        self.role_id = role_id
        self.known = known
        super().__init__(
            "role", role_id, f"add it to processes/roles.toml or use one of: {', '.join(known)}"
        )


@dataclass(frozen=True)
class Role:
    """One role: its id (the lane name), Thai and English names, and the unit it belongs to."""

    id: str
    th: str
    en: str
    unit: str


@dataclass(frozen=True)
class RoleCatalogue:
    """All roles, by id, in file order."""

    roles: Mapping[str, Role]

    @classmethod
    def load(cls, path: Path) -> RoleCatalogue:
        """Read and check a catalogue file; raise ``RoleCatalogueError`` naming file and entry."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise RoleCatalogueError(path, None, f"cannot read the file ({err})") from err
        except UnicodeDecodeError as err:
            raise RoleCatalogueError(path, None, f"the file is not UTF-8 ({err})") from err
        except tomllib.TOMLDecodeError as err:
            raise RoleCatalogueError(path, None, f"not valid TOML: {err}") from err
        return cls.from_mapping(data, path)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], path: Path) -> RoleCatalogue:
        """Build from parsed TOML; ``path`` is only used in error messages."""
        table = data.get("roles")
        if not isinstance(table, dict) or not table:
            raise RoleCatalogueError(
                path, None, "no [roles.<id>] tables; add at least one role with th, en and unit"
            )
        roles: dict[str, Role] = {}
        for role_id, entry in table.items():
            roles[role_id] = _role(path, role_id, entry)
        return cls(roles)

    def __contains__(self, role_id: object) -> bool:
        return role_id in self.roles

    def __iter__(self) -> Iterator[Role]:
        return iter(self.roles.values())

    def __len__(self) -> int:
        return len(self.roles)

    @property
    def ids(self) -> list[str]:
        """Role ids, sorted (for messages that list what is known)."""
        return sorted(self.roles)

    def get(self, role_id: str) -> Role:
        """The role with this id; ``UnknownRoleError`` lists the known ids otherwise."""
        try:
            return self.roles[role_id]
        except KeyError:
            raise UnknownRoleError(role_id, self.ids) from None


def _role(path: Path, role_id: str, entry: object) -> Role:
    if not ROLE_ID.match(role_id):
        raise RoleCatalogueError(
            path, role_id, "the id must be snake_case ASCII (a-z, 0-9, _), e.g. pr_officer"
        )
    if not isinstance(entry, dict):
        raise RoleCatalogueError(path, role_id, "must be a table with th, en and unit")
    unknown = sorted(set(entry) - set(REQUIRED_FIELDS))
    if unknown:
        raise RoleCatalogueError(
            path, role_id, f"unknown field(s) {', '.join(unknown)}; allowed: th, en, unit"
        )
    values: dict[str, str] = {}
    for name in REQUIRED_FIELDS:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise RoleCatalogueError(
                path, role_id, f'missing or empty {name!r}; write it as {name} = "..."'
            )
        values[name] = value.strip()
    return Role(id=role_id, th=values["th"], en=values["en"], unit=values["unit"])
