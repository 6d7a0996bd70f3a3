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
