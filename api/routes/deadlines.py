"""Deadlines: overdue work, work due soon, and the on-time report against the target."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Ctx, CurrentUser
from api.routes import PROBLEMS
from api.schemas import DueSoonTask, OnTimeReport, OverdueTask
from engine import clock
from engine.cases import kpi, overdue, permissions
from engine.cases.permissions import Action
from engine.cases.views import DueSoonTask as DueSoonRow
from engine.cases.views import OverdueTask as OverdueRow

router = APIRouter(prefix="/api/v1", tags=["deadlines"], responses=PROBLEMS)
Name = Annotated[str | None, Query(max_length=100)]


@router.get("/overdue", response_model=list[OverdueTask])
def overdue_tasks(
    ctx: Ctx, user: CurrentUser, role: Name = None, unit: Name = None, process: Name = None
) -> list[OverdueRow]:
    """Open tasks past due, oldest due first, with lateness in working time."""
    permissions.require(user, Action.VIEW_OVERDUE)
    return overdue.overdue(ctx, clock.now(), role=role, unit=unit, process=process)


@router.get("/due-soon", response_model=list[DueSoonTask])
def due_soon(
    ctx: Ctx, user: CurrentUser, role: Name = None, unit: Name = None, process: Name = None
) -> list[DueSoonRow]:
    """Open tasks with at most two working hours left."""
    permissions.require(user, Action.VIEW_OVERDUE)
    return overdue.due_soon(ctx, clock.now(), role=role, unit=unit, process=process)


@router.get("/reports/on-time", response_model=OnTimeReport)
def on_time(
    ctx: Ctx,
    user: CurrentUser,
    process: Name = None,
    step: Name = None,
    role: Name = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> kpi.OnTimeReport:
    """Share of completed tasks done on time in [since, until), against the 80 % target."""
    permissions.require(user, Action.VIEW_REPORTS)
    return kpi.on_time_share(ctx, process=process, step=step, role=role, since=since,
                             until=until)  # fmt: skip
