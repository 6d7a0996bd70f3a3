"""Tasks: the worklist, one task, claim, unclaim, complete (with If-Match), reassign, bulk.

The bulk routes come before ``/{task_id}/…`` so that ``bulk`` is never read as a task id.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from api.deps import Ctx, CurrentUser, Lang
from api.errors import PreconditionFailed, problem
from api.language import Language
from api.routes import PROBLEMS
from api.schemas import (
    BulkClaim,
    BulkOutcome,
    BulkReassign,
    BulkResult,
    CompleteTask,
    Problem,
    Reassign,
    Task,
    TaskId,
    WorkItem,
    WorkPage,
)
from engine.accounts.users import UserView
from engine.cases import permissions, service
from engine.cases.permissions import Action
from engine.cases.views import MAX_PAGE_SIZE as MAX_PAGE
from engine.cases.views import TaskView
from engine.context import Prflow
from engine.errors import EngineError

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"], responses=PROBLEMS)


class Scope(StrEnum):
    MINE = "mine"  # tasks I claimed
    ROLES = "roles"  # ready tasks of my roles and tasks I claimed


def _task(ctx: Prflow, user: UserView, task_id: TaskId, action: Action) -> TaskView:
    task = service.task(ctx, task_id)
    permissions.require(user, action, task)
    return task


def _fields(task: TaskView) -> dict[str, object]:
    return {**task.__dict__, "case_version": task.case_lock_version, "unit": task.case_unit}


def _out(ctx: Prflow, user: UserView, task_id: int) -> Task:
    """The task as it is after a command (read again: the command may have moved it on)."""
    return _shown(user, service.task(ctx, task_id))


def _shown(user: UserView, task: TaskView) -> Task:
    actions = sorted(a.value for a in permissions.task_actions(user, task))
    return Task.model_validate({**_fields(task), "actions": actions})


def _item(task: TaskView) -> WorkItem:
    return WorkItem.model_validate(_fields(task))


@router.get("", response_model=WorkPage)
def list_tasks(
    ctx: Ctx,
    user: CurrentUser,
    scope: Scope = Scope.ROLES,
    role: Annotated[str | None, Query(max_length=100)] = None,
    process: Annotated[str | None, Query(max_length=100)] = None,
    due_before: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> WorkPage:
    """Your open tasks, soonest due first (no time limit last), one keyset page at a time."""
    page = service.worklist(
        ctx, actor=user.login, role=role, process=process, due_before=due_before,
        mine=scope is Scope.MINE, after=cursor, limit=limit,
    )  # fmt: skip
    return WorkPage(items=[_item(task) for task in page.items], next_cursor=page.next_cursor)


@router.post("/bulk/claim", response_model=BulkResult)
def bulk_claim(body: BulkClaim, ctx: Ctx, user: CurrentUser, lang: Lang) -> BulkResult:
    """Claim each task; every task gets its own outcome (one refusal stops none of the rest)."""
    return BulkResult(results=[_each(ctx, user, lang, task_id, Action.CLAIM, None, None)
                               for task_id in body.task_ids])  # fmt: skip


@router.post("/bulk/reassign", response_model=BulkResult)
def bulk_reassign(body: BulkReassign, ctx: Ctx, user: CurrentUser, lang: Lang) -> BulkResult:
    return BulkResult(results=[_each(ctx, user, lang, task_id, Action.REASSIGN, body.to,
                                     body.reason)
                               for task_id in body.task_ids])  # fmt: skip


@router.get("/{task_id}", response_model=Task)
def get_task(task_id: TaskId, ctx: Ctx, user: CurrentUser, response: Response) -> Task:
    """A task, with what you may do now; its ``ETag`` is the case version for ``If-Match``."""
    task = _shown(user, _task(ctx, user, task_id, Action.VIEW))
    response.headers["ETag"] = f'"{task.case_version}"'
    return task


@router.post("/{task_id}/claim", response_model=Task)
def claim(task_id: TaskId, ctx: Ctx, user: CurrentUser) -> Task:
    _task(ctx, user, task_id, Action.CLAIM)
    service.claim(ctx, task_id, user.login)
    return _out(ctx, user, task_id)


@router.post("/{task_id}/unclaim", response_model=Task)
def unclaim(task_id: TaskId, ctx: Ctx, user: CurrentUser) -> Task:
    _task(ctx, user, task_id, Action.UNCLAIM)
    service.unclaim(ctx, task_id, user.login)
    return _out(ctx, user, task_id)


@router.post("/{task_id}/complete", response_model=Task)
def complete(
    task_id: TaskId,
    body: CompleteTask,
    ctx: Ctx,
    user: CurrentUser,
    if_match: Annotated[str | None, Header(description="the case_version you read")] = None,
) -> Task:
    """Complete with form data; with ``If-Match`` a case that moved on since is a 409."""
    _task(ctx, user, task_id, Action.COMPLETE)
    service.complete(ctx, task_id, body.data, user.login, _version(if_match))
    return _out(ctx, user, task_id)


@router.post("/{task_id}/reassign", response_model=Task)
def reassign(task_id: TaskId, body: Reassign, ctx: Ctx, user: CurrentUser) -> Task:
    _task(ctx, user, task_id, Action.REASSIGN)
    service.reassign(ctx, [task_id], body.to, user.login, body.reason)
    return _out(ctx, user, task_id)


def _each(
    ctx: Prflow, user: UserView, lang: Language, task_id: TaskId, action: Action,
    to: str | None, reason: str | None,
) -> BulkOutcome:  # fmt: skip
    try:
        _task(ctx, user, task_id, action)
        if action is Action.CLAIM:
            service.claim(ctx, task_id, user.login)
        else:
            service.reassign(ctx, [task_id], to or "", user.login, reason or "")
        item = _item(service.task(ctx, task_id))
        return BulkOutcome(task_id=task_id, ok=True, task=item)
    except EngineError as err:
        refusal = Problem.model_validate(problem(err, lang))
        return BulkOutcome(task_id=task_id, ok=False, problem=refusal)


def _version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(
            f"If-Match {if_match!r} is not a case version; send the task's case_version, "
            'e.g. If-Match: "3"'
        )
    return int(value)
