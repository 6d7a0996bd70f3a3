"""Task and case statuses, and the one table of which status may follow which.

Every state change in the engine goes through ``move_task`` / ``move_case`` (or checks
``TASK_MOVES`` / ``CASE_MOVES`` before an UPDATE), so a status can only change along a
declared edge: a completed task is never reopened, a cancelled case never resumed.
"""

from __future__ import annotations

from enum import StrEnum

from engine.errors import Conflict


class TaskStatus(StrEnum):
    READY = "ready"  # waiting in its lane's queue
    CLAIMED = "claimed"  # taken by one person
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # its case moved past it, or was cancelled


class CaseStatus(StrEnum):
    RUNNING = "running"
    SUSPENDED = "suspended"  # held by a supervisor: no claims, completions or timers
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    PURGED = "purged"  # past its retention; data cleared (engine.audit.retention)


OPEN_TASK = frozenset({TaskStatus.READY, TaskStatus.CLAIMED})

TASK_MOVES: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.READY: frozenset({TaskStatus.CLAIMED, TaskStatus.COMPLETED, TaskStatus.CANCELLED}),
    # claimed -> claimed is a reassignment to another person
    TaskStatus.CLAIMED: frozenset(
        {TaskStatus.READY, TaskStatus.CLAIMED, TaskStatus.COMPLETED, TaskStatus.CANCELLED}
    ),
    TaskStatus.COMPLETED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}

CASE_MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.RUNNING: frozenset(
        {CaseStatus.RUNNING, CaseStatus.SUSPENDED, CaseStatus.COMPLETED, CaseStatus.CANCELLED}
    ),
    CaseStatus.SUSPENDED: frozenset({CaseStatus.RUNNING, CaseStatus.CANCELLED}),
    CaseStatus.COMPLETED: frozenset({CaseStatus.PURGED}),
    CaseStatus.CANCELLED: frozenset({CaseStatus.PURGED}),
    CaseStatus.PURGED: frozenset(),
}


class TaskNotOpen(Conflict):
    """The task is no longer where the caller thought (someone else moved it on)."""

    def __init__(self, task_id: int, status: str, by: str | None) -> None:
        self.task_id = task_id
        self.status = status
        who = f" by {by}" if by else ""
        super().__init__(f"task {task_id} is already {status}{who}; refresh your inbox")


class CaseNotActive(Conflict):
    """The case's status does not allow this (suspended, cancelled, completed, purged)."""

    def __init__(self, case_id: int, status: str, action: str) -> None:
        self.case_id = case_id
        self.status = status
        hint = {
            CaseStatus.SUSPENDED: "a supervisor or process owner must resume it first",
            CaseStatus.PURGED: f"its history is in the audit log: prflow audit timeline {case_id}",
        }.get(CaseStatus(status), "it cannot change any more")
        super().__init__(f"case {case_id} is {status}, so you cannot {action}; {hint}")


def move_task(task_id: int, current: str, to: TaskStatus, by: str | None = None) -> TaskStatus:
    """Check that a task may go from ``current`` to ``to``; refuse with ``TaskNotOpen``."""
    if to not in TASK_MOVES[TaskStatus(current)]:
        raise TaskNotOpen(task_id, current, by)
    return to


def move_case(case_id: int, current: str, to: CaseStatus, action: str) -> CaseStatus:
    """Check that a case may go from ``current`` to ``to``; refuse with ``CaseNotActive``."""
    if to not in CASE_MOVES[CaseStatus(current)]:
        raise CaseNotActive(case_id, current, action)
    return to
