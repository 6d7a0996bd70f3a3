"""Column types: instants are stored in UTC and always read back timezone-aware.

SQLite has no timestamp type and SQLAlchemy drops the offset there, so a plain
``DateTime(timezone=True)`` would come back naive from SQLite and aware from PostgreSQL.
``UTCDateTime`` refuses naive input and normalises both ways, so the engine sees the same
aware UTC datetimes on either database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing to store naive datetime {value!r}; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
