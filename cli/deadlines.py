"""Deadline commands: ``prflow due``, ``overdue``, ``sweep`` and ``ontime``.

``cli.main`` merges ``deadlines_app`` into the top level, so the deadline commands live
together without growing ``cli/main.py``.
Like the rest of the CLI they are thin: parse options, call the engine, print. Instants are
printed in Bangkok wall time for people and as ISO-8601 in ``--json``; durations are printed
as hours:minutes and given in whole seconds in ``--json``.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Annotated, Any

import typer

from cli import output
from cli.errors import parse_json_object, reported
from cli.options import Json
from engine import admin, bounds, clock, sweep_loop
from engine.cases import kpi, timers, views
from engine.cases import overdue as overdue_tasks
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.settings import Settings
from engine.worktime.calendar import BANGKOK, WorkingCalendar
from engine.worktime.deadlines import compute_due, parse_limit

Role = Annotated[str | None, typer.Option(help="only tasks of this role (lane)")]
Unit = Annotated[str | None, typer.Option(help="only tasks of roles in this office unit")]
Process = Annotated[str | None, typer.Option(help="only cases of this process key")]
_TASK_HEADERS = ["task", "case", "process", "step", "role", "status", "assignee", "due"]


deadlines_app = typer.Typer()
"""Commands merged into the top level of ``prflow`` (``prflow due``, not a sub-group)."""


@deadlines_app.command()
def due(
    limit: Annotated[str, typer.Argument(help='a time limit, e.g. "2 working days"')],
    start: Annotated[
        str | None,
        typer.Option("--from", help="arrival instant with offset, e.g. 2026-04-10T15:00+07:00"),
    ] = None,
    data: Annotated[
        str, typer.Option(help="case data for relative limits, as a JSON object")
    ] = "{}",
    as_json: Json = False,
) -> None:
    """When a task with this time limit, arriving at --from (default now), is due."""
    with reported(as_json):
        arrived = clock.now() if start is None else _instant(start, "--from")
        parsed = parse_limit(limit)
        calendar = WorkingCalendar.thai(Settings.from_env().holidays_file)
        due_at = compute_due(parsed, arrived, calendar, parse_json_object(data, "--data"))
        if as_json:
            output.emit_json(
                {
                    "limit": limit,
                    "meaning": parsed.describe(),
                    "from": arrived.isoformat(),
                    "due_at": due_at.astimezone(UTC).isoformat(),
                    "due_at_bangkok": due_at.astimezone(BANGKOK).isoformat(),
                }
            )
            return
        typer.echo(f"limit    {limit}: {parsed.describe()}")
        typer.echo(f"from     {_bangkok(arrived)}")
        typer.echo(f"due      {_bangkok(due_at)}")
        typer.echo(f"due UTC  {due_at.astimezone(UTC).isoformat()}")


@deadlines_app.command()
def overdue(
    role: Role = None,
    unit: Unit = None,
    process: Process = None,
    soon: Annotated[
        bool,
        typer.Option(
            "--soon", help="list tasks due within PRFLOW_DUE_SOON_HOURS (2) working hours instead"
        ),
    ] = False,
    as_json: Json = False,
) -> None:
    """Open tasks past their due time, oldest due first, with working time late."""
    with reported(as_json):
        ctx = Prflow.from_env()
        now = clock.now()
        found: list[Any]
        if soon:
            found = overdue_tasks.due_soon(ctx, now, role=role, unit=unit, process=process)
        else:
            found = overdue_tasks.overdue(ctx, now, role=role, unit=unit, process=process)
        if as_json:
            output.emit_json([_plain(task) for task in found])
            return
        output.table(
            [*_TASK_HEADERS, "left" if soon else "late"],
            [
                [
                    str(t.task_id),
                    str(t.case_id),
                    f"{t.process_key} v{t.version}",
                    t.element_id,
                    t.role,
                    t.status,
                    t.assignee or "-",
                    output.when(t.due_at),
                    _hours(_slack(t)),
                ]
                for t in found
            ],
        )


@deadlines_app.command()
def sweep(
    loop: Annotated[
        float | None, typer.Option(help="repeat every SECONDS until Ctrl-C", min=1)
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="sweep as of this past instant (catch-up after an outage; needs --as)"),
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--as", help="who runs a sweep --at (role ops; logged)")
    ] = None,
    as_json: Json = False,
) -> None:
    """Fire due BPMN timers and recompute due times after a calendar change (one pass)."""
    with reported(as_json):
        if at is not None:
            if actor is None or loop is not None:
                raise InvalidInput("sweep --at needs --as LOGIN and cannot be combined with --loop")
            instant = bounds.parse_instant(at, "--at")
            ctx = Prflow.from_env()
            try:
                _print_sweep(admin.sweep_at(ctx, instant, actor), as_json)
            finally:
                ctx.close()
            return
        ctx = Prflow.from_env()
        try:
            if loop is None:
                _print_sweep(timers.sweep(ctx), as_json)
            else:
                # Sweeps only while holding the database lease: one sweeper with the server's.
                sweep_loop.run(ctx, threading.Event(), interval=loop,
                               on_sweep=lambda result: _print_sweep(result, as_json))  # fmt: skip
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)
        finally:
            ctx.close()


@deadlines_app.command()
def ontime(
    process: Process = None,
    step: Annotated[str | None, typer.Option(help="only this step (element id)")] = None,
    role: Role = None,
    since: Annotated[
        str | None, typer.Option(help="first day, YYYY-MM-DD (Bangkok), inclusive")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="last day, YYYY-MM-DD (Bangkok), inclusive")
    ] = None,
    as_json: Json = False,
) -> None:
    """Share of completed tasks done by their due time, against the 80% target."""
    with reported(as_json):
        report = kpi.on_time_share(
            Prflow.from_env(),
            process=process,
            step=step,
            role=role,
            since=None if since is None else _day_start(since, "--since"),
            until=None if until is None else _day_start(until, "--until") + timedelta(days=1),
        )
        if as_json:
            output.emit_json(_plain(report))
            return
        share = "-" if report.share is None else f"{report.share:.1%}"
        verdict = {None: "no completed tasks", True: "meets", False: "below"}[report.meets_target]
        typer.echo(f"completed  {report.total} (on time {report.on_time}, late {report.late})")
        typer.echo(f"on time    {share}  target {report.target:.0%}: {verdict}")
        typer.echo(f"median     {_hours(report.median_taken)} clock time")
        typer.echo(f"           {_hours(report.median_working_taken)} working time")


# --- helpers ---------------------------------------------------------------------------


def _instant(text: str, option: str) -> datetime:
    return bounds.parse_instant(text, option)


def _day_start(text: str, option: str) -> datetime:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} {text!r} is not a date; write YYYY-MM-DD") from None
    return bounds.check_instant(datetime.combine(day, clock_time(0), BANGKOK), option)


def _bangkok(value: datetime) -> str:
    return value.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M %a (Asia/Bangkok)")


def _hours(value: timedelta | None) -> str:
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _slack(task: views.OverdueTask | views.DueSoonTask) -> timedelta:
    """Working time late (overdue) or left (due soon)."""
    if isinstance(task, views.OverdueTask):
        return task.lateness
    return task.time_left


def _plain(value: Any) -> dict[str, Any]:
    """A dataclass as JSON-ready fields; durations become ``<name>_seconds``."""
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if isinstance(item, timedelta):
            fields[f"{f.name}_seconds"] = int(item.total_seconds())
        elif isinstance(item, datetime):
            fields[f.name] = item.isoformat()
        else:
            fields[f.name] = item
    return fields


def _print_sweep(result: timers.SweepResult, as_json: bool) -> None:
    if as_json:
        output.emit_json(result)
        return
    typer.echo(
        f"{output.when(result.now)}  fired {len(result.fired)} timer(s), "
        f"recomputed {len(result.recomputed)} due time(s) in {len(result.cases)} case(s); "
        f"skipped {len(result.skipped)} busy, {len(result.failed)} failed"
    )
    for fired in result.fired:
        again = f" (repetition {fired.repetition})" if fired.repetition is not None else ""
        typer.echo(f"  fired     case {fired.case_id} {fired.element_id}{again}")
    for moved in result.recomputed:
        typer.echo(
            f"  due moved case {moved.case_id} task {moved.task_id} {moved.element_id}: "
            f"{output.when(moved.old_due_at)} -> {output.when(moved.new_due_at)}"
        )
    for failure in result.failed:
        typer.echo(f"  failed    case {failure.case_id}: {failure.error}", err=True)
