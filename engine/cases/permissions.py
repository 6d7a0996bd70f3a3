"""Who may do what: the one place every command, route and page asks.

``task_actions`` / ``case_actions`` / ``system_actions`` answer "what may this user do now"
(pages draw their buttons from them); ``require`` refuses with ``Forbidden`` naming who,
what, and which role would allow it. The answers read only the views (``engine.cases.views``)
and the user's roles and unit, so they cost no query.

Roles: office roles (the lanes) act on their lane's tasks; ``process_owner`` deploys,
withdraws versions, starts any process and cancels, suspends or resumes any case;
``auditor`` sees and audits everything and changes nothing; ``ops`` watches deadlines
and reports and may open any case or task to see why it is late; ``supervisor`` reassigns
tasks and cancels, suspends or resumes the cases of their own unit (a case's unit is its
starter's); ``admin`` manages users. The roles of a process's lanes may see its cases.
"""

from __future__ import annotations

from enum import StrEnum

from engine.accounts.users import UserView
from engine.cases.status import CaseNotActive, CaseStatus, TaskNotOpen, TaskStatus
from engine.cases.views import CaseView, ProcessView, TaskView
from engine.errors import Forbidden


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
    SWEEP_AT = "sweep_at"


# System actions and the system roles that hold them (START also belongs to start lanes).
_SYSTEM: dict[Action, frozenset[str]] = {
    Action.START: frozenset({"process_owner"}),
    Action.DEPLOY: frozenset({"process_owner"}),
    Action.WITHDRAW_VERSION: frozenset({"process_owner"}),
    Action.VIEW_OVERDUE: frozenset({"ops", "auditor", "process_owner", "supervisor"}),
    Action.VIEW_REPORTS: frozenset({"ops", "auditor", "process_owner", "supervisor"}),
    Action.AUDIT: frozenset({"auditor"}),
    Action.MANAGE_USERS: frozenset({"admin"}),
    Action.SWEEP_AT: frozenset({"ops"}),
}
_PHRASES = {
    Action.DEPLOY: "deploy definitions",
    Action.WITHDRAW_VERSION: "withdraw a version",
    Action.VIEW_OVERDUE: "see overdue work",
    Action.VIEW_REPORTS: "see reports",
    Action.AUDIT: "read or export the audit trail",
    Action.MANAGE_USERS: "manage users",
    Action.SWEEP_AT: "sweep as of another instant",
}
_SEE_ALL = frozenset({"auditor", "process_owner", "ops"})  # read-only: ops open late cases
_ACTIVE = {CaseStatus.RUNNING}
_OPEN = {TaskStatus.READY, TaskStatus.CLAIMED}


def _holds(user: UserView, roles: frozenset[str]) -> bool:
    return not roles.isdisjoint(user.roles)


def _supervises(user: UserView, unit: str) -> bool:
    return "supervisor" in user.roles and bool(user.unit) and user.unit == unit


def _involved(user: UserView, task: TaskView) -> bool:
    return task.role in user.roles or user.login in (task.assignee, task.completed_by)


def task_actions(user: UserView, task: TaskView) -> frozenset[Action]:
    """What ``user`` may do with ``task`` now."""
    found: set[Action] = set()
    involved = user.login in (task.assignee, task.completed_by)
    if (
        task.role in user.roles
        or involved
        or _holds(user, _SEE_ALL)
        or _supervises(user, task.case_unit)
    ):
        found.add(Action.VIEW)
    if task.case_status not in _ACTIVE or task.status not in _OPEN:
        if _supervises(user, task.case_unit) and task.status in _OPEN:
            found.add(Action.REASSIGN)  # a suspended case's work can still be handed over
        return frozenset(found)
    if task.status == TaskStatus.READY and task.role in user.roles:
        found |= {Action.CLAIM, Action.COMPLETE, Action.SEND_BACK}
    if task.status == TaskStatus.CLAIMED and task.assignee == user.login:
        found |= {Action.UNCLAIM, Action.COMPLETE, Action.SEND_BACK}
    if _supervises(user, task.case_unit):
        found.add(Action.REASSIGN)
    return frozenset(found)


def case_actions(user: UserView, case: CaseView) -> frozenset[Action]:
    """What ``user`` may do with ``case`` now."""
    found: set[Action] = set()
    manages = "process_owner" in user.roles or _supervises(user, case.unit)
    if (
        manages
        or _holds(user, _SEE_ALL)
        or case.started_by == user.login
        or not case.lanes.isdisjoint(user.roles)  # its lanes see what will reach them
        or any(_involved(user, task) for task in case.tasks)
    ):
        found.add(Action.VIEW_CASE)
    if manages:
        if case.status == CaseStatus.RUNNING:
            found |= {Action.SUSPEND, Action.CANCEL}
        elif case.status == CaseStatus.SUSPENDED:
            found |= {Action.RESUME, Action.CANCEL}
    return frozenset(found)


def system_actions(user: UserView) -> frozenset[Action]:
    """System-wide actions ``user`` holds (START here means: any process)."""
    return frozenset(action for action, roles in _SYSTEM.items() if _holds(user, roles))


def process_actions(user: UserView, process: ProcessView) -> frozenset[Action]:
    if "process_owner" in user.roles or _holds(user, process.start_lanes):
        return frozenset({Action.START})
    return frozenset()


def require(
    user: UserView,
    action: Action,
    target: TaskView | CaseView | ProcessView | str | None = None,
) -> None:
    """Refuse with ``Forbidden`` unless ``user`` may do ``action`` on ``target``.

    ``target`` is a task, a case, a process (START: a ``ProcessView``, or a bare process key,
    which only a process owner may start) or ``None`` for system actions.
    """
    if isinstance(target, TaskView):
        allowed, what = task_actions(user, target), f"{action} task {target.id}"
    elif isinstance(target, CaseView):
        verb = "view" if action == Action.VIEW_CASE else str(action)
        allowed, what = case_actions(user, target), f"{verb} case {target.id}"
    elif isinstance(target, ProcessView):
        allowed, what = process_actions(user, target), f"{action} a {target.key} case"
    else:
        allowed = system_actions(user)
        what = f"{action} a {target} case" if target else _PHRASES.get(action, str(action))
    if action not in allowed:
        if isinstance(target, TaskView) and _moved_on(user, action, target):
            # The user could have acted a moment ago: the task was finished, or (for a claim)
            # taken, meanwhile: a conflict (exit 5, HTTP 409). Completing or giving back a
            # task someone else holds stays "not allowed" (exit 4, HTTP 403).
            raise TaskNotOpen(target.id, target.status, target.assignee or target.completed_by)
        if isinstance(target, TaskView) and _held_up(user, action, target):
            # Same reasoning for a case put on hold: the user's work waits, not forbidden.
            raise CaseNotActive(target.case_id, target.case_status, f"{action} task {target.id}")
        raise Forbidden(user.login, what, _why(user, action, target))


def _moved_on(user: UserView, action: Action, task: TaskView) -> bool:
    if action not in (Action.CLAIM, Action.UNCLAIM, Action.COMPLETE, Action.SEND_BACK):
        return False
    involved = task.role in user.roles or user.login in (task.assignee, task.completed_by)
    taken = action == Action.CLAIM and task.status == TaskStatus.CLAIMED
    gone = task.status not in _OPEN
    return involved and task.case_status == CaseStatus.RUNNING and (taken or gone)


def _held_up(user: UserView, action: Action, task: TaskView) -> bool:
    if action not in (Action.CLAIM, Action.UNCLAIM, Action.COMPLETE, Action.SEND_BACK):
        return False
    involved = task.role in user.roles or user.login == task.assignee
    return involved and task.case_status == CaseStatus.SUSPENDED and task.status in _OPEN


def _why(
    user: UserView, action: Action, target: TaskView | CaseView | ProcessView | str | None
) -> str:
    held = ", ".join(user.roles) or "no roles"
    if isinstance(target, TaskView):
        if target.case_status != CaseStatus.RUNNING and action != Action.VIEW:
            return f"case {target.case_id} is {target.case_status}"
        if target.status not in _OPEN and action != Action.VIEW:
            return f"the task is {target.status}"
        if action == Action.REASSIGN:
            unit = target.case_unit
            return f"it needs role 'supervisor' in unit {unit!r}; {user.login} holds {held}"
        if target.status == TaskStatus.CLAIMED and target.assignee != user.login:
            return f"it is claimed by {target.assignee}"
        if target.status == TaskStatus.READY and action == Action.UNCLAIM:
            return "it is not claimed"
        return f"it needs role {target.role!r}; {user.login} holds {held}"
    if isinstance(target, CaseView):
        if action in (Action.CANCEL, Action.SUSPEND, Action.RESUME) and (
            "process_owner" in user.roles or _supervises(user, target.unit)
        ):
            return f"case {target.id} is {target.status}"
        return (
            f"it needs role 'process_owner', or 'supervisor' in unit {target.unit!r}; "
            f"{user.login} holds {held}"
        )
    if isinstance(target, ProcessView):
        lanes = ", ".join(sorted(target.start_lanes | {"process_owner"}))
        return f"it needs one of the roles {lanes}; {user.login} holds {held}"
    roles = sorted(_SYSTEM.get(action, frozenset()))
    needs = f"role {roles[0]!r}" if len(roles) == 1 else f"one of the roles {', '.join(roles)}"
    return f"it needs {needs}; {user.login} holds {held}"
