"""The overdue board for ops: late tasks oldest first, and the on-time share per process
as a bar chart against the 80 % target (an SVG drawn on the server: no script needed)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import Ctx
from api.web import text
from api.web.pages import PageShell, Session, render
from engine import clock
from engine.cases import case_pages, deployment, kpi, overdue, permissions
from engine.cases.permissions import Action
from engine.cases.views import OverdueTask

router = APIRouter(include_in_schema=False)
BAR_HEIGHT = 28
CHART_LEFT = 180  # room for the process name
CHART_WIDTH = 320


@dataclass(frozen=True)
class Bar:
    """One process's bar: its share (None: nothing completed) drawn ``width`` px wide."""

    process: str
    share: float | None
    total: int
    y: int
    width: int
    meets: bool


@dataclass(frozen=True)
class BoardPage:
    """Context of ``overdue.html``: late tasks, the bars, and the chart's geometry."""

    late: list[OverdueTask]
    lateness: dict[int, str]
    bars: list[Bar]
    target: float
    target_x: int
    height: int
    left: int = CHART_LEFT
    width: int = CHART_WIDTH


@router.get("/overdue")
def board(ctx: Ctx, signed: Session, shell: PageShell) -> Response:
    permissions.require(signed.user, Action.VIEW_OVERDUE)
    now = clock.now()
    late = overdue.overdue(ctx, now)
    day = case_pages.working_day(ctx)
    lateness = {t.task_id: text.due_words(shell.lang, -t.lateness, day) for t in late}
    keys = sorted({v.key for v in deployment.versions(ctx)})
    bars = []
    target = ctx.settings.kpi_target
    for index, key in enumerate(keys):
        report = kpi.on_time_share(ctx, process=key)
        width = round((report.share or 0) * CHART_WIDTH)
        bars.append(Bar(key, report.share, report.total, 10 + index * (BAR_HEIGHT + 8), width,
                        bool(report.meets_target)))  # fmt: skip
    page = BoardPage(late, lateness, bars, target, CHART_LEFT + round(target * CHART_WIDTH),
                     20 + len(bars) * (BAR_HEIGHT + 8))  # fmt: skip
    return render(shell, "overdue.html", page)
