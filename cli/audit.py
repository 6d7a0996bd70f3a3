"""``prflow audit``: check the chains, anchor them, read a case's timeline, replay, export,
purge.

Thin like the rest of the CLI: parse options, call ``engine.audit``, print. Times are shown
in Bangkok wall time; ``--json`` prints ISO instants for scripts. ``verify`` and ``replay``
exit 6 when they find the log broken or diverging, so a nightly job can alert on it.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import output
from cli.errors import reported
from cli.options import AsUser, Json
from engine import bounds, clock, files
from engine.audit import export as audit_export
from engine.audit import replay as audit_replay
from engine.audit import retention, timeline, verify
from engine.audit.deep import deep_check
from engine.context import Prflow
from engine.errors import InvalidInput

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: verify, replay, export.")

EXIT_BROKEN = 6


def _engine() -> Prflow:
    return Prflow.from_env()


def _instant(text: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; without an offset it is read as Bangkok time."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidInput(
            f"{option} {text!r} is not a date or date-time; write e.g. 2026-04-10 or "
            "2026-04-10T15:00+07:00"
        ) from err
    value = value if value.tzinfo is not None else value.replace(tzinfo=output.BANGKOK)
    return bounds.check_instant(value, option)


def _seconds(value: Any) -> Any:
    """Durations as whole seconds in JSON (``waiting``, ``working``)."""
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, dict):
        return {k: _seconds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_seconds(v) for v in value]
    return value


def _hours(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


@audit_app.command("verify")
def verify_command(
    anchor: Annotated[
        Path | None, typer.Option(help="an anchor file from `audit anchor` to check against")
    ] = None,
    deep: Annotated[
        bool, typer.Option("--deep", help="also compare every case's and task's rows with the log")
    ] = False,
    as_json: Json = False,
) -> None:
    """Check the event log's MAC chains; name the first broken link (or row difference)."""
    with reported(as_json):
        ctx = _engine()
        kept = None if anchor is None else verify.read_anchor(_read(anchor), str(anchor))
        report = verify.verify_chain(ctx.db, ctx.keyring, kept)
        difference = deep_check(ctx.db) if deep and report.ok else None
        if as_json:
            output.emit_json({"chain": report, "rows": difference})
        elif report.broken is not None:
            b = report.broken
            typer.echo(f"BROKEN at seq {b.seq} ({b.kind}): {b.message}")
            typer.echo(f"  expected: {b.expected}\n  found:    {b.found}")
        elif difference is not None:
            typer.echo(f"ROWS DIFFER ({difference.field}): {difference.message}")
        else:
            checks = " and the anchor" if anchor else ""
            rows = "; case and task rows match the log" if deep else ""
            typer.echo(f"ok: {report.checked} events in {report.chains} chains{checks}{rows}")
        if not report.ok or difference is not None:
            raise typer.Exit(EXIT_BROKEN)


@audit_app.command("anchor")
def anchor_command() -> None:
    """Print every chain's head signed with the server key; keep it outside the database."""
    with reported():
        ctx = _engine()
        typer.echo(json.dumps(verify.take_anchor(ctx.db, ctx.keyring, clock.now()), indent=1))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidInput(f"cannot read the anchor file {path}: {err}") from err


@audit_app.command("timeline", context_settings={"ignore_unknown_options": True})
def timeline_command(case_id: int, as_json: Json = False) -> None:
    """Every event of a case, and each task's waiting and working time (office hours)."""
    with reported(as_json):
        found = timeline.timeline(_engine(), case_id)
        if as_json:
            output.emit_json(_seconds(dataclasses.asdict(found)))
            return
        typer.echo(f"case {case_id}: {found.process_key} v{found.version}")
        output.table(
            ["seq", "at", "event", "step", "role", "actor"],
            [[str(e.seq), output.when(e.at), e.type, e.step or "-", e.role or "-", e.actor]
             for e in found.entries],
        )  # fmt: skip
        typer.echo("")
        output.table(
            ["task", "step", "role", "ready", "waiting", "working", "due", "verdict"],
            [[str(t.task_id), t.step, t.role, output.when(t.ready_at), _hours(t.waiting),
              _hours(t.working), output.when(t.due_at), t.verdict]
             for t in found.tasks],
        )  # fmt: skip


@audit_app.command("replay", context_settings={"ignore_unknown_options": True})
def replay_command(
    case_id: Annotated[int | None, typer.Argument(help="a case id (or --all)")] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="replay every case")] = False,
    at: Annotated[str | None, typer.Option(help="show the case as it stood at TIME")] = None,
    as_json: Json = False,
) -> None:
    """Rebuild a case from its log on its pinned version; report the first divergence."""
    with reported(as_json):
        ctx = _engine()
        if (case_id is not None) == all_cases:
            raise InvalidInput("give one CASE id or --all")
        if at is not None:
            if case_id is None:
                raise InvalidInput("--at needs one CASE id")
            instant = _instant(at, "--at")
            assert instant is not None
            _print_state(audit_replay.state_at(ctx, case_id, instant), as_json)
            return
        results = audit_replay.replay_all(ctx) if case_id is None else [
            audit_replay.replay(ctx, case_id)
        ]  # fmt: skip
        if as_json:
            output.emit_json(results)
        for r in [] if as_json else results:
            head = f"case {r.case_id} {r.process_key} v{r.version}:"
            if r.divergence is None:
                typer.echo(f"{head} ok ({r.tasks_appeared} tasks, {r.completions_applied} done)")
            else:
                d = r.divergence
                where = f"seq {d.seq}" if d.seq is not None else "end of log"
                typer.echo(f"{head} DIVERGES at {where}: {d.message}")
                typer.echo(f"  log says: {d.expected}\n  replay:   {d.found}")
        if not all(r.ok for r in results):
            raise typer.Exit(EXIT_BROKEN)


def _print_state(state: audit_replay.CaseStateAt, as_json: bool) -> None:
    if as_json:
        output.emit_json(state)
        return
    typer.echo(f"case {state.case_id} at {output.when(state.at)}: {state.status}")
    output.table(
        ["task", "step", "role", "status", "with", "ready", "due", "overdue"],
        [[str(t.task_id), t.step, t.role, t.status, t.assignee or "-", output.when(t.ready_at),
          output.when(t.due_at), "yes" if t.overdue else "no"] for t in state.open_tasks],
    )  # fmt: skip


@audit_app.command("export")
def export_command(
    actor: AsUser,
    fmt: Annotated[audit_export.ExportFormat, typer.Option("--format")],
    process: Annotated[str | None, typer.Option(help="only this process id")] = None,
    since: Annotated[str | None, typer.Option(help="from this date (inclusive)")] = None,
    until: Annotated[str | None, typer.Option(help="up to this date (exclusive)")] = None,
    out: Annotated[Path | None, typer.Option("--output", help="file (default stdout)")] = None,
) -> None:
    """Export task events as XES (process mining) or CSV; auditors only."""
    with reported():
        text = audit_export.export(
            _engine(), actor, fmt, process_key=process,
            since=_instant(since, "--since"), until=_instant(until, "--until"),
        )  # fmt: skip
        if out is None:
            typer.echo(text, nl=False)
        else:
            files.write_atomically(out, text)
            typer.echo(f"wrote {out}", err=True)


@audit_app.command("purge", context_settings={"ignore_unknown_options": True})
def purge_command(case_id: int, actor: AsUser, as_json: Json = False) -> None:
    """Purge a completed case past its retention period (refusals are logged)."""
    with reported(as_json):
        done = retention.purge(_engine(), case_id, actor)
        if as_json:
            output.emit_json(done)
        else:
            typer.echo(
                f"purged case {done.case_id} ({done.tasks_cleared} tasks cleared); events kept"
            )
