"""Cases: start one, read one, its timeline in working time; suspend, resume or cancel it."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Ctx, CurrentUser
from api.routes import PROBLEMS
from api.schemas import Case, CaseChange, CaseId, StartCase, Timeline
from engine.accounts.users import UserView
from engine.audit import timeline as audit_timeline
from engine.cases import permissions, service
from engine.cases.permissions import Action
from engine.context import Prflow

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=PROBLEMS)


def _out(ctx: Prflow, user: UserView, case_id: int) -> Case:
    case = service.show(ctx, case_id)
    permissions.require(user, Action.VIEW_CASE, case)
    actions = sorted(a.value for a in permissions.case_actions(user, case))
    return Case.model_validate({**case.__dict__, "actions": actions})


@router.post("", response_model=Case, status_code=status.HTTP_201_CREATED)
def start_case(body: StartCase, ctx: Ctx, user: CurrentUser) -> Case:
    """Start a case on the newest version of a process."""
    permissions.require(user, Action.START, service.process(ctx, body.process))
    case = service.start(ctx, body.process, body.data, user.login)
    return _out(ctx, user, case.id)


@router.get("/{case_id}", response_model=Case)
def get_case(case_id: CaseId, ctx: Ctx, user: CurrentUser) -> Case:
    return _out(ctx, user, case_id)


@router.get("/{case_id}/timeline", response_model=Timeline)
def case_timeline(case_id: CaseId, ctx: Ctx, user: CurrentUser) -> audit_timeline.Timeline:
    """Who did what and when, each task's waiting and working time and its verdict."""
    service.show(ctx, case_id, user.login)  # VIEW_CASE checked
    return audit_timeline.timeline(ctx, case_id)


@router.post("/{case_id}/suspend", response_model=Case)
def suspend_case(case_id: CaseId, body: CaseChange, ctx: Ctx, user: CurrentUser) -> Case:
    """Hold a running case: its tasks cannot be claimed or completed, its timers wait."""
    permissions.require(user, Action.VIEW_CASE, service.show(ctx, case_id))
    service.suspend(ctx, case_id, user.login, body.reason)
    return _out(ctx, user, case_id)


@router.post("/{case_id}/resume", response_model=Case)
def resume_case(case_id: CaseId, body: CaseChange, ctx: Ctx, user: CurrentUser) -> Case:
    """Let a suspended case go on; timers that came due meanwhile fire on the next sweep."""
    permissions.require(user, Action.VIEW_CASE, service.show(ctx, case_id))
    service.resume(ctx, case_id, user.login, body.reason)
    return _out(ctx, user, case_id)


@router.post("/{case_id}/cancel", response_model=Case)
def cancel_case(case_id: CaseId, body: CaseChange, ctx: Ctx, user: CurrentUser) -> Case:
    """Stop a case for good: its open tasks are cancelled and its timers dropped."""
    permissions.require(user, Action.VIEW_CASE, service.show(ctx, case_id))
    service.cancel(ctx, case_id, user.login, body.reason)
    return _out(ctx, user, case_id)
