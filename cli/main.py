"""The ``prflow`` command: one subcommand per engine use case, each with ``--json``.

Commands stay thin: parse options, call ``engine.cases.service`` (or deployment/users), print.
Errors are turned into messages and exit codes in ``cli.errors``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli import demo as demo_module
from cli import output
from cli.admin import admin_app
from cli.audit import audit_app
from cli.db import db_app
from cli.deadlines import deadlines_app
from cli.errors import parse_json_object, reported
from cli.forms import forms_app, upload_attachments
from cli.options import AsUser, Json
from cli.serve import serve
from cli.tokens import set_password, tokens_app
from engine.cases import deployment, service
from engine.cases.views import TaskView
from engine.context import Prflow
from engine.settings import Settings

app = typer.Typer(no_args_is_help=True, help="prflow: run Thai office manuals as BPMN workflows.")
users_app = typer.Typer(no_args_is_help=True, help="Users and their roles.")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(deadlines_app)  # due, overdue, sweep, ontime sit at the top level
app.add_typer(admin_app, name="admin")
app.add_typer(db_app, name="db")
app.add_typer(forms_app)  # forms, print
# Lets a negative id reach the engine's id check instead of "No such option".
NUMBERS = {"ignore_unknown_options": True}
app.add_typer(tokens_app, name="tokens")
app.command()(serve)
users_app.command("password")(set_password)

Paths = Annotated[list[Path], typer.Argument(help="BPMN files or folders of them")]
Executable = Annotated[
    bool,
    typer.Option(
        "--executable",
        help='run a file\'s only process even if the modeler saved isExecutable="false"',
    ),
]


def _engine() -> Prflow:
    return Prflow.from_env()


@app.command()
def validate(paths: Paths, as_json: Json = False, executable: Executable = False) -> None:
    """Check BPMN files without deploying them."""
    with reported(as_json):
        # Checking files needs no database: it works before `prflow db upgrade`, anywhere.
        offline = Prflow(Settings.from_env(), offline=True)
        validated = deployment.validate_files(offline, paths, executable, offline=True)
        if as_json:
            output.emit_json(
                [{"key": s.key, "file": s.file_name, "sha256": s.sha256} for s, _ in validated]
            )
            return
        for source, compiled in validated:
            typer.echo(
                f"ok  {source.file_name}  {source.key}  ({len(compiled.user_tasks)} user tasks)"
            )


@app.command()
def deploy(
    paths: Paths, actor: AsUser, as_json: Json = False, executable: Executable = False
) -> None:
    """Deploy BPMN files as new definition versions (all or nothing)."""
    with reported(as_json):
        results = deployment.deploy(_engine(), paths, actor, executable)
        if as_json:
            output.emit_json(results)
            return
        for r in results:
            state = "deployed" if r.created else "unchanged"
            typer.echo(f"{state:9}  {r.key} v{r.version}  ({r.file_name})")


@app.command()
def versions(
    process_key: Annotated[str | None, typer.Argument(help="one process id")] = None,
    as_json: Json = False,
) -> None:
    """Deployed definition versions, with the cases running on each."""
    with reported(as_json):
        found = deployment.versions(_engine(), process_key)
        if as_json:
            output.emit_json(found)
            return
        output.table(
            ["process", "version", "deployed", "by", "running", "cases", "sha256"],
            [[v.key, str(v.version), output.when(v.deployed_at), v.deployed_by,
              str(v.running_cases), str(v.all_cases), v.sha256[:12]] for v in found],
        )  # fmt: skip


@app.command()
def start(
    process_key: Annotated[str, typer.Argument(help="process id, e.g. website_posting")],
    actor: AsUser,
    data: Annotated[str, typer.Option(help="case data as a JSON object")] = "{}",
    as_json: Json = False,
) -> None:
    """Start a case on the newest version of a process; prints the case id."""
    with reported(as_json):
        case = service.start(_engine(), process_key, parse_json_object(data, "--data"), actor)
        if as_json:
            output.emit_json(case)
        else:
            typer.echo(case.id)


@app.command()
def inbox(
    actor: Annotated[str | None, typer.Option("--as", help="a person's inbox")] = None,
    role: Annotated[str | None, typer.Option(help="all open tasks of a role")] = None,
    as_json: Json = False,
) -> None:
    """Open tasks, most urgent first."""
    with reported(as_json):
        if actor is None and role is None:
            raise typer.BadParameter("give --as LOGIN or --role ROLE")
        tasks = service.inbox(_engine(), actor=actor, role=role)
        if as_json:
            output.emit_json(tasks)
            return
        output.table(
            ["task", "case", "process", "step", "form", "role", "status", "assignee", "due"],
            [
                [
                    str(t.id),
                    str(t.case_id),
                    f"{t.process_key} v{t.version}",
                    t.element_id,
                    t.form or "-",
                    t.role,
                    t.status,
                    t.assignee or "-",
                    output.when(t.due_at),
                ]
                for t in tasks
            ],
        )


@app.command(context_settings=NUMBERS)
def claim(task_id: int, actor: AsUser, as_json: Json = False) -> None:
    """Take a task so nobody else works on it."""
    with reported(as_json):
        _print_task(service.claim(_engine(), task_id, actor), as_json)


@app.command(context_settings=NUMBERS)
def unclaim(task_id: int, actor: AsUser, as_json: Json = False) -> None:
    """Give a claimed task back to its role."""
    with reported(as_json):
        _print_task(service.unclaim(_engine(), task_id, actor), as_json)


@app.command(context_settings=NUMBERS)
def complete(
    task_id: int,
    actor: AsUser,
    data: Annotated[str, typer.Option(help="form data as a JSON object")] = "{}",
    case_version: Annotated[int | None, typer.Option(help="refuse if the case moved on")] = None,
    attach: Annotated[list[str] | None, typer.Option(help="upload field=path first")] = None,
    as_json: Json = False,
) -> None:
    """Complete a task with its form data; the case moves on. Refused forms list each field."""
    with reported(as_json):
        form = parse_json_object(data, "--data")
        engine = _engine()
        form.update(upload_attachments(engine, task_id, attach or [], actor))
        _print_task(service.complete(engine, task_id, form, actor, case_version), as_json)


@app.command(context_settings=NUMBERS)
def show(
    case_id: int,
    actor: Annotated[str | None, typer.Option("--as", help="check that LOGIN may see it")] = None,
    as_json: Json = False,
) -> None:
    """A case: its version, status, data and every task so far."""
    with reported(as_json):
        case = service.show(_engine(), case_id, actor)
        if as_json:
            output.emit_json(case)
            return
        typer.echo(f"case {case.id}: {case.process_key} v{case.version} ({case.process_name})")
        typer.echo(
            f"status {case.status}, started {output.when(case.started_at)} by {case.started_by}"
        )
        typer.echo("data")
        for field, value in sorted(case.data.items()):
            typer.echo(f"  {field} = {json.dumps(value, ensure_ascii=False, default=str)}")
        for waiting in case.waiting_messages:
            role = f", role {waiting.role}" if waiting.role else ""
            typer.echo(f"waits for message {waiting.name!r} (at {waiting.element_id}{role})")
        output.table(
            ["task", "step", "role", "status", "by", "created", "done", "due"],
            [
                [
                    str(t.id),
                    t.element_id,
                    t.role,
                    t.status,
                    t.completed_by or t.assignee or "-",
                    output.when(t.created_at),
                    output.when(t.completed_at),
                    output.when(t.due_at),
                ]
                for t in case.tasks
            ],
        )


@app.command(context_settings=NUMBERS)
def message(
    case_id: int,
    name: Annotated[str, typer.Argument(help="the message's name, e.g. agency_reply")],
    actor: AsUser,
    data: Annotated[str, typer.Option(help="the message's data as a JSON object")] = "{}",
    case_version: Annotated[int | None, typer.Option(help="refuse if the case moved on")] = None,
    as_json: Json = False,
) -> None:
    """Deliver a message (a reply from outside) to a case that waits for it; its data joins
    the case data and the case moves on."""
    with reported(as_json):
        case = service.deliver_message(
            _engine(), case_id, name, parse_json_object(data, "--data"), actor, case_version
        )
        if as_json:
            output.emit_json(case)
            return
        typer.echo(f"case {case.id}: message {name!r} delivered; the case is {case.status}")
        for task in case.tasks:
            if task.status in ("ready", "claimed"):
                typer.echo(f"  open: task {task.id} ({task.element_id}, {task.role})")
        for waiting in case.waiting_messages:
            typer.echo(f"  waits for message {waiting.name!r} at {waiting.element_id}")


def _print_task(task: TaskView, as_json: bool) -> None:
    if as_json:
        output.emit_json(task)
    else:
        who = task.completed_by or task.assignee or "-"
        typer.echo(f"task {task.id} ({task.element_id}) is {task.status} [{who}]")


Reason = Annotated[str, typer.Option(help="why (kept in the audit log)")]


@app.command()
def reassign(
    task_ids: Annotated[list[int], typer.Argument(help="one or more task ids")],
    to: Annotated[str, typer.Option("--to", help="login of the person who takes them")],
    actor: AsUser,
    reason: Reason,
    as_json: Json = False,
) -> None:
    """Hand open tasks to someone else of their lane (supervisors, within their unit)."""
    with reported():
        moved = service.reassign(_engine(), task_ids, to, actor, reason)
        if as_json:
            output.emit_json(moved)
            return
        for task in moved:
            _print_task(task, False)


def _case_command(action: str, help_text: str) -> None:
    def command(case_id: int, actor: AsUser, reason: Reason, as_json: Json = False) -> None:
        with reported():
            case = getattr(service, action)(_engine(), case_id, actor, reason)
            if as_json:
                output.emit_json(case)
            else:
                typer.echo(f"case {case.id} is {case.status}")

    command.__doc__ = help_text
    app.command(name=action)(command)


_case_command("suspend", "Hold a case: no claims, completions or timers until resumed.")
_case_command("resume", "Let a suspended case go on.")
_case_command("cancel", "Stop a case for good; its open tasks are cancelled.")


@users_app.command("add")
def users_add(
    login: str,
    role: Annotated[list[str], typer.Option(help="a role the user holds (repeatable)")],
    name: Annotated[str, typer.Option(help="display name")] = "",
    unit: Annotated[str, typer.Option(help="office unit")] = "",
    actor: Annotated[str, typer.Option("--by", help="who is adding the user (logged)")] = "admin",
    as_json: Json = False,
) -> None:
    """Add a user with roles from the role catalogue (or a system role)."""
    with reported(as_json):
        user = service.add_user(
            _engine(), login=login, display_name=name, unit=unit, roles=role, actor=actor
        )
        if as_json:
            output.emit_json(user)
        else:
            typer.echo(f"added {user.login} ({', '.join(user.roles)})")


@users_app.command("list")
def users_list(as_json: Json = False) -> None:
    """Every user and their roles."""
    with reported(as_json):
        found = service.list_users(_engine())
        if as_json:
            output.emit_json(found)
            return
        output.table(
            ["login", "name", "unit", "roles"],
            [[u.login, u.display_name, u.unit, ",".join(u.roles)] for u in found],
        )


@app.command()
def demo() -> None:
    """Run real demo cases of all nine manuals and print cases, inboxes and a log (migrates
    the database first)."""
    with reported():
        settings = Settings.from_env()
        if settings.audit_key is None:  # a trial database: sign with the public demo key
            settings = settings.model_copy(update={"mode": "demo"})
        demo_module.run_demo(Prflow(settings, upgrade=True))
