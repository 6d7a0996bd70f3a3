"""Who may do what: the one permission function family every command, route and page asks.

A minimal implementation of the interface in PERMISSIONS.md (the engine-seams work owns the
full one; the signatures are the same). Rules:

- office roles (lanes) see and act on tasks of the roles they hold: claim a ready task,
  complete or send back a ready task or one they claimed, unclaim one they claimed;
- ``supervisor`` reassigns open tasks and cancels/suspends/resumes cases of their own unit
  (a case's unit is its starter's unit);
- ``process_owner`` deploys and withdraws versions, starts any process and holds cases;
- ``auditor`` views and audits everything and changes nothing;
- ``ops`` sees the overdue board and reports; ``admin`` manages users.

A task's or case's unit is read from a ``unit`` attribute when the view carries one
(``engine.worklist`` adds it); a view without it has no unit, so no supervisor matches it.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from engine.errors import Forbidden
from engine.service import CLAIMED, OPEN, READY, CaseView, TaskNotOpen, TaskView
from engine.users import UserView


class Action(StrEnum):
    # on a task
    VIEW = "view"
    CLAIM = "claim"
    UNCLAIM = "unclaim"
    COMPLETE = "complete"
    SEND_BACK = "send_back"
    REASSIGN = "reassign"
    # on a case
    VIEW_CASE = "view_case"
    CANCEL = "cancel"
    SUSPEND = "suspend"
    RESUME = "resume"
    # on the system / a process
    START = "start"
    DEPLOY = "deploy"
    WITHDRAW_VERSION = "withdraw_version"
    VIEW_OVERDUE = "view_overdue"
    VIEW_REPORTS = "view_reports"
    AUDIT = "audit"
    MANAGE_USERS = "manage_users"


TASK_ACTIONS = frozenset(
    {Action.VIEW, Action.CLAIM, Action.UNCLAIM, Action.COMPLETE, Action.SEND_BACK,
     Action.REASSIGN}
)  # fmt: skip
CASE_ACTIONS = frozenset({Action.VIEW_CASE, Action.CANCEL, Action.SUSPEND, Action.RESUME})

# Which role would allow an action, for the refusal message.
_WHO_MAY = {
    Action.VIEW: "the task's role, its assignee, a supervisor of its unit or an auditor",
    Action.CLAIM: "the task's role, while the task is ready",
    Action.UNCLAIM: "the person who claimed the task",
    Action.COMPLETE: "the task's role (the claimer, once claimed)",
    Action.SEND_BACK: "the task's role (the claimer, once claimed)",
    Action.REASSIGN: "a supervisor of the case's unit, while the task is open",
    Action.VIEW_CASE: "its starter, a role of its tasks, its unit's supervisor, ops or an auditor",
    Action.CANCEL: "a process owner or the unit's supervisor, while the case runs",
    Action.SUSPEND: "a process owner or the unit's supervisor, while the case runs",
    Action.RESUME: "a process owner or the unit's supervisor",
    Action.START: "a process owner or a role of the process's first step",
    Action.DEPLOY: "role process_owner",
    Action.WITHDRAW_VERSION: "role process_owner",
    Action.VIEW_OVERDUE: "role ops, supervisor or auditor",
    Action.VIEW_REPORTS: "role ops, supervisor or auditor",
    Action.AUDIT: "role auditor",
    Action.MANAGE_USERS: "role admin",
}


def _unit_of(target: object) -> str:
    unit = getattr(target, "unit", "")
    return unit if isinstance(unit, str) else ""


def _supervises(user: UserView, target: object) -> bool:
    unit = _unit_of(target)
    return "supervisor" in user.roles and bool(unit) and unit == user.unit


def task_actions(user: UserView, task: TaskView) -> frozenset[Action]:
    """What ``user`` may do to ``task`` now."""
    allowed: set[Action] = set()
    holds_role = task.role in user.roles
    mine = task.status == CLAIMED and task.assignee == user.login
    involved = holds_role or task.assignee == user.login or task.completed_by == user.login
    if involved or "auditor" in user.roles or "ops" in user.roles or _supervises(user, task):
        allowed.add(Action.VIEW)
    if holds_role and task.status == READY:
        allowed |= {Action.CLAIM, Action.COMPLETE, Action.SEND_BACK}
    if mine:
        allowed.add(Action.UNCLAIM)
        if holds_role:
            allowed |= {Action.COMPLETE, Action.SEND_BACK}
    if task.status in OPEN and _supervises(user, task):
        allowed.add(Action.REASSIGN)
    return frozenset(allowed)


def case_actions(user: UserView, case: CaseView) -> frozenset[Action]:
    """What ``user`` may do to ``case`` now."""
    allowed: set[Action] = set()
    roles = set(user.roles)
    in_case = case.started_by == user.login or any(t.role in roles for t in case.tasks)
    holder = "process_owner" in roles or _supervises(user, case)
    if in_case or holder or roles & {"auditor", "ops"}:
        allowed.add(Action.VIEW_CASE)
    if holder and case.status == "running":
        allowed |= {Action.CANCEL, Action.SUSPEND}
    if holder and case.status == "suspended":
        allowed.add(Action.RESUME)
    return frozenset(allowed)


def system_actions(user: UserView) -> frozenset[Action]:
    """What ``user`` may do that is about no one task or case."""
    roles = set(user.roles)
    allowed: set[Action] = set()
    if "process_owner" in roles:
        allowed |= {Action.DEPLOY, Action.WITHDRAW_VERSION, Action.START}
    if roles - {"auditor", "ops", "supervisor", "admin", "process_owner"}:
        # An office role may start the processes whose first step its lane does; which ones
        # is checked against the process when it starts (service.start).
        allowed.add(Action.START)
    if roles & {"ops", "supervisor", "auditor"}:
        allowed |= {Action.VIEW_OVERDUE, Action.VIEW_REPORTS}
    if "auditor" in roles:
        allowed.add(Action.AUDIT)
    if "admin" in roles:
        allowed.add(Action.MANAGE_USERS)
    return frozenset(allowed)


def _reopened(task: TaskView) -> TaskView:
    return replace(task, status=READY, assignee=None)


def require(
    user: UserView, action: Action, target: TaskView | CaseView | str | None = None
) -> None:
    """Raise ``Forbidden`` naming who, what and which role would allow it, unless allowed."""
    if isinstance(target, TaskView):
        allowed = task_actions(user, target)
        what = f"{action.value} task {target.id}"
        if action not in allowed and action in task_actions(user, _reopened(target)):
            # Allowed to the user were the task still ready: a state conflict, not a refusal.
            raise TaskNotOpen(target.id, target.status, target.assignee or target.completed_by)
    elif isinstance(target, CaseView):
        allowed = case_actions(user, target)
        what = f"{action.value} case {target.id}"
    else:
        allowed = system_actions(user)
        what = action.value if target is None else f"{action.value} {target}"
    if action not in allowed:
        held = ", ".join(user.roles) or "no role"
        raise Forbidden(user.login, what, f"it needs {_WHO_MAY[action]}; {user.login} holds {held}")
