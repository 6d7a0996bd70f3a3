"""Which time limit applies to a user task in a given case, and when that task is due.

A task's limit is its ``due`` property, unless a ``due.<field>=<value>`` property matches the
case data (P8's service standards depend on the news type): the first match in file order
wins. The limit text is parsed and computed by ``engine.worktime.deadlines`` on the working
calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.bpmn.definitions import UserTaskInfo
from engine.errors import InvalidInput
from engine.worktime.calendar import WorkingCalendar
from engine.worktime.deadlines import compute_due, parse_limit


class NoMatchingLimit(InvalidInput):
    """A task's limit depends on case data that matches none of its cases."""

    def __init__(self, task: UserTaskInfo, case_data: Mapping[str, Any]) -> None:
        fields = sorted({field for field, _, _ in task.due_cases})
        choices = "; ".join(
            f"{field}: " + ", ".join(v for f, v, _ in task.due_cases if f == field)
            for field in fields
        )
        found = ", ".join(f"{f}={case_data.get(f)!r}" for f in fields)
        super().__init__(
            f"step {task.element_id!r} takes its time limit from {', '.join(fields)}, but the "
            f"case has {found}; submit it with this form — {choices}"
        )


def limit_text(task: UserTaskInfo, case_data: Mapping[str, Any]) -> str | None:
    for field, value, text in task.due_cases:
        if str(case_data.get(field)) == value:
            return text
    if task.due is None and task.due_cases and task.due_none is None:
        raise NoMatchingLimit(task, case_data)
    return task.due


def due_at(
    task: UserTaskInfo,
    arrived_at: datetime,
    case_data: Mapping[str, Any],
    calendar: WorkingCalendar,
) -> tuple[str | None, datetime | None]:
    """The limit text that applies and the instant the task is due (``None`` if no limit)."""
    text = limit_text(task, case_data)
    if text is None:
        return None, None
    return text, compute_due(parse_limit(text), arrived_at, calendar, case_data)
