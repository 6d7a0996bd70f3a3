"""Test data built through the real engine: users, deployed processes, P6 cases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from engine.accounts import users
from engine.cases import deployment, service
from engine.cases.views import TaskView
from engine.context import Prflow
from engine.store.db import write_session

# The engine's tests run on P6's first version (the §3 chart's upload / verify / store loop
# only), kept as a fixture: processes/website_posting.bpmn has since gained the manual's
# steps before the loop (issue 12), and a small fixed loop is what these tests need.
P6 = Path(__file__).parent / "processes" / "fixtures" / "website_posting_v1.bpmn"

PEOPLE = {
    "owner": ["process_owner"],
    "auditor": ["auditor"],
    "somchai": ["doh_it_officer"],
    "malee": ["doh_web_pr_officer"],
}


def add_people(ctx: Prflow, people: dict[str, list[str]] | None = None) -> None:
    with write_session(ctx.db) as session:
        for login, roles in (people or PEOPLE).items():
            users.add_user(
                session,
                ctx.roles,
                login=login,
                display_name=login.title(),
                unit="กพร.",
                roles=roles,
                now=datetime(2026, 1, 5, tzinfo=UTC),
                actor="setup",
            )


def deploy(ctx: Prflow, *paths: Path) -> list[deployment.Deployed]:
    return deployment.deploy(ctx, list(paths) or [P6], "owner")


def open_task(ctx: Prflow, case_id: int) -> TaskView:
    """The single open task of a case (P6 has one at a time)."""
    open_tasks = [t for t in service.show(ctx, case_id).tasks if t.status in service.OPEN]
    assert len(open_tasks) == 1, open_tasks
    return open_tasks[0]


def verdict(decision: str) -> dict[str, str]:
    """P6's verify form: sending back ("fix") needs a reason."""
    if decision == "fix":
        return {"decision": "fix", "reason": "แก้ชื่อเรื่อง"}
    return {"decision": decision}


# The bpmn.io diagram racing an agency's reply against a two-hour timer, its lane moved to
# the doh_it_officer role (a lane the API tests' people hold), with its forms beside it.
REPLY_RACE = Path(__file__).parent / "bpmn" / "diagrams" / "bpmnio_reply_race.bpmn"


def waiting_for_reply(ctx: Prflow, folder: Path) -> int:
    """A case of the reply race (lane doh_it_officer) waiting for message agency_reply."""
    path = folder / "reply_race.bpmn"
    if not path.exists():
        (folder / "forms").mkdir(parents=True, exist_ok=True)
        for form in ("io_ask", "io_use", "io_chase"):
            source = REPLY_RACE.parent / "forms" / f"{form}.toml"
            (folder / "forms" / f"{form}.toml").write_bytes(source.read_bytes())
        text = REPLY_RACE.read_text(encoding="utf-8")
        path.write_text(text.replace('name="esao_pr_officer"', 'name="doh_it_officer"'), "utf-8")
    deployment.deploy(ctx, [path], "owner", executable=True)  # unchanged: no new version
    case_id = service.start(ctx, "io_reply_race", {}, "somchai").id
    ask = open_task(ctx, case_id)
    service.complete(ctx, ask.id, {}, "somchai")
    return case_id
