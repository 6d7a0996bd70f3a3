"""``prflow serve``: the HTTP server (uvicorn), and with ``--demo`` a ready-made demo.

One worker serves the embedded SQLite database; ``--workers N`` starts N processes behind
one PostgreSQL database (SQLite's single writer would only make them queue). Each worker
runs the timer sweep loop; the database lease lets one of them sweep at a time. The secret
key is checked before anything starts: a missing or default one is refused outside demo mode.

``--demo`` deploys ``processes/``, adds a demo person for every role with a password, plays
a spread of cases of all nine manuals (finished, sent back, overdue, waiting, just
started; ``cli.demo``'s stories plus a few more), prints logins, passwords and the address,
then serves. Played once per database: run again, it only serves.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.engine import make_url

from cli import demo as demo_module
from cli import output
from cli.demo import Story
from cli.errors import reported
from engine import clock
from engine.accounts import passwords
from engine.accounts.secret import checked_secret
from engine.cases import deployment, service, timers
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes (PostgreSQL only)", min=1)] = 1,
    sweep_every: Annotated[
        float, typer.Option(help="seconds between timer sweeps; 0 turns the sweeper off", min=0)
    ] = 30.0,
    demo: Annotated[bool, typer.Option(help="set up and serve the demo (public secret)")] = False,
) -> None:
    """Serve the web pages and the JSON API (/api/v1, OpenAPI at /api/v1/openapi.json)."""
    with reported():
        if demo:
            os.environ["PRFLOW_DEMO"] = "1"
            if not os.environ.get("PRFLOW_AUDIT_KEY"):  # a trial: the public demo key signs
                os.environ["PRFLOW_MODE"] = "demo"
        settings = Settings.from_env()
        checked_secret(settings)
        backend = make_url(settings.database_url).get_backend_name()
        if workers > 1 and backend != "postgresql":
            raise InvalidInput(
                f"--workers {workers} needs PostgreSQL (PRFLOW_DATABASE_URL=postgresql://…): "
                "SQLite has one writer, so more workers would only queue; use --workers 1"
            )
        if demo:
            ctx = Prflow(settings, upgrade=True)  # the demo sets up its own database
            try:
                prepare_demo(ctx)
            finally:
                ctx.close()
        if sweep_every:
            os.environ["PRFLOW_SWEEP_INTERVAL"] = str(sweep_every)
    typer.echo(f"prflow is serving at http://{host}:{port}/  (sign in at /sign-in; "
               "API at /api/v1, Ctrl-C stops)")  # fmt: skip
    uvicorn.run("api.app:create_app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning")  # fmt: skip


def demo_password(login: str) -> str:
    return f"{login}-demo"


def prepare_demo(ctx: Prflow) -> None:
    logins = demo_module.people(ctx)
    deployment.deploy(ctx, [ctx.settings.processes_dir], "owner")
    if not service.has_cases(ctx):
        for login in logins.values():
            passwords.set_password(ctx, login, demo_password(login))
        demo_module.play(ctx, logins, demo_module.stories() + more_stories())
        _claim_some(ctx, logins)
        timers.sweep(ctx)
    typer.echo("demo people (login / password / role):")
    output.table(
        ["login", "password", "role"],
        [[login, demo_password(login), role] for role, login in sorted(logins.items())],
    )
    typer.echo("")


def more_stories() -> list[Story]:
    """More of the stages an office sees on an ordinary morning."""
    late = (clock.now() - timedelta(hours=6)).isoformat(timespec="minutes")
    return [
        Story("website_posting", {"title": "ประกาศรับสมัครอาสาสมัครสาธารณสุข"}, [
            ("write_release", {"headline": "ประกาศรับสมัครอาสาสมัครสาธารณสุข"}),
            ("consider_release", {"decision": "approve"}),
            ("send_files", {"sent_by": "email"}),
            ("upload", {"url": "https://example.go.th/news/volunteers"}),
            ("verify", {"decision": "fix", "reason": "ภาพประกอบไม่ชัด กรุณาเปลี่ยน"}),
        ], "sent back with a reason"),
        Story("website_posting", {"title": "สัปดาห์รณรงค์ล้างมือ"}, [
            ("write_release", {"headline": "สัปดาห์รณรงค์ล้างมือ"}),
            ("consider_release", {"decision": "revise", "reason": "เพิ่มภาพกิจกรรมในโรงเรียน"}),
        ], "sent back by the superior before it went on the website"),
        Story("news_production", {"agenda": "ประชุมคณะกรรมการเขตพื้นที่"}, [
            ("receive_agenda", {"agenda_kind": "daily", "agenda_date": late[:10]}),
            ("select_and_assign", {"newsworthy": "yes", "news_type": "meeting_summary",
                                   "topic": "ประชุมคณะกรรมการเขตพื้นที่",
                                   "officer": "esao-pr-officer"}),
            ("plan_news", {"category": "policy"}),
            ("collect_information", {"method": "meeting", "meeting_ended_at": late}),
        ], "meeting ended 6 hours ago: overdue"),
        Story("office_website_publishing", {"subject": "ประกาศวันหยุดราชการ"}, [
            ("prepare_information", {"details": "ประกาศวันหยุดราชการประจำปี",
                                     "sources_cited": True, "no_copyright_infringement": True}),
        ], "content being checked"),
    ]  # fmt: skip


def _claim_some(ctx: Prflow, logins: dict[str, str]) -> None:
    """Half the open tasks claimed by their role's demo person, as in a working office."""
    open_tasks = [task for role in ctx.roles for task in service.inbox(ctx, role=role.id)]
    for task in open_tasks[::2]:
        service.claim(ctx, task.id, logins[task.role])
