"""The one place that reads the wall clock.

Everything else takes time as a parameter, so tests freeze it with freezegun and a command
reads ``now()`` once and uses that instant for every row and event it writes.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)
