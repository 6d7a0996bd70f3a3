"""Supervisors' and process owners' moves: reassign, suspend, resume, cancel — and who may not.

Also: a stale save is refused (the case's ``lock_version`` check), on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlmodel import select

from engine.accounts import users
from engine.audit import replay
from engine.audit.timeline import timeline
from engine.cases import service, timers
from engine.cases.permissions import Action, case_actions, task_actions
from engine.cases.status import CaseStatus
from engine.cases.stepping import StaleCase, save_state
from engine.cases.views import case_view
from engine.context import Prflow
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.store.db import read_session, write_session
from engine.store.tables import Case, Event, PendingTimer
from tests.deadlines.conftest import ESCALATION
from tests.factories import P6, add_people, deploy, open_task

UNIT = "กพร."


@pytest.fixture
def office(ctx: Prflow) -> Prflow:
    add_people(ctx, {
        "owner": ["process_owner"], "auditor": ["auditor"], "somchai": ["doh_it_officer"],
        "somsak": ["doh_it_officer"], "malee": ["doh_web_pr_officer"], "boss": ["supervisor"],
        "writer": ["esao_pr_officer"],
    })  # fmt: skip
    with write_session(ctx.db) as session:
        when = datetime(2026, 1, 5, tzinfo=UTC)
        users.add_user(session, ctx.roles, login="elsewhere", display_name="x", unit="other",
                       roles=["supervisor"], now=when, actor="setup")  # fmt: skip
    deploy(ctx, P6, ESCALATION)
    return ctx


def _events(ctx: Prflow, case_id: int) -> list[Event]:
    with read_session(ctx.db) as session:
        return list(session.exec(select(Event).where(Event.case_id == case_id)))


def test_supervisor_reassigns_within_their_unit_only(office: Prflow) -> None:
    cases = [service.start(office, "website_posting", {}, "malee").id for _ in range(3)]
    tasks = [open_task(office, c).id for c in cases]
    service.claim(office, tasks[0], "somchai")
    with pytest.raises(Forbidden, match="supervisor"):
        service.reassign(office, tasks, "somsak", "elsewhere", "leave")
    with pytest.raises(Forbidden, match="supervisor"):
        service.reassign(office, tasks, "somsak", "somchai", "leave")
    with pytest.raises(InvalidInput, match="needs role 'doh_it_officer'"):
        service.reassign(office, tasks, "malee", "boss", "leave")
    with pytest.raises(InvalidInput, match="say why"):
        service.reassign(office, tasks, "somsak", "boss", "  ")
    # Nothing moved on any refusal (all or nothing).
    assert [service.task(office, t).assignee for t in tasks] == ["somchai", None, None]
    moved = service.reassign(office, tasks, "somsak", "boss", "somchai is on leave")
    assert [(t.status, t.assignee) for t in moved] == [("claimed", "somsak")] * 3
    logged = [e for e in _events(office, cases[0]) if e.type == "task_reassigned"]
    assert len(logged) == 1 and '"previous":"somchai"' in logged[0].payload.replace(" ", "")
    assert [t.claimed_by for t in timeline(office, cases[1]).tasks] == ["somsak"]
    assert replay.state_at(office, cases[1], datetime.now(UTC)).open_tasks[0].assignee == "somsak"
    with pytest.raises(Forbidden, match="claimed by somsak"):
        service.complete(office, tasks[0], {}, "somchai")
    service.complete(office, tasks[0], {}, "somsak")


def test_suspended_case_cannot_be_worked_and_its_timers_wait(office: Prflow) -> None:
    with freeze_time("2026-06-01T02:00:00+00:00"):
        case = service.start(office, "escalation_demo", {}, "writer")
        task = open_task(office, case.id)
        with pytest.raises(Forbidden, match="needs role 'process_owner', or 'supervisor'"):
            service.suspend(office, case.id, "writer", "wait")
        service.suspend(office, case.id, "boss", "waiting for the budget")
        with pytest.raises(Conflict, match="is suspended"):
            service.claim(office, task.id, "writer")
        with pytest.raises(Conflict, match="is suspended"):
            service.complete(office, task.id, {}, "writer")
        with pytest.raises(Conflict, match="is suspended"):
            service.suspend(office, case.id, "owner", "again")
    with read_session(office.db) as session:
        fire_at = min(t.fire_at for t in session.exec(select(PendingTimer)))
    swept = timers.sweep(office, fire_at.replace(year=fire_at.year + 1))
    assert swept.fired == [] and swept.cases == []
    with freeze_time("2026-06-02T02:00:00+00:00"):
        resumed = service.resume(office, case.id, "owner", "budget approved")
    assert resumed.status == CaseStatus.RUNNING
    swept = timers.sweep(office, fire_at.replace(year=fire_at.year + 1))
    assert swept.fired and swept.cases == [case.id]
    types = [e.type for e in _events(office, case.id)]
    assert types.index("case_suspended") < types.index("case_resumed") < types.index("timer_fired")


def test_cancelled_case_cancels_its_open_tasks_for_good(office: Prflow) -> None:
    case = service.start(office, "website_posting", {}, "malee")
    task = open_task(office, case.id)
    with pytest.raises(Forbidden):
        service.cancel(office, case.id, "auditor", "no")  # auditors change nothing
    cancelled = service.cancel(office, case.id, "owner", "duplicate request")
    assert cancelled.status == "cancelled"
    assert [t.status for t in cancelled.tasks] == ["cancelled"]
    with pytest.raises(Conflict, match="cancelled"):
        service.complete(office, task.id, {}, "somchai")
    with pytest.raises(Conflict, match="cancelled"):
        service.resume(office, case.id, "owner", "oops")
    result = replay.replay(office, case.id)
    assert result.ok, result.divergence


def test_actions_are_drawn_from_one_function(office: Prflow) -> None:
    case = service.start(office, "website_posting", {}, "malee")
    task = open_task(office, case.id)
    with read_session(office.db) as session:
        view = case_view(session, case.id)
        who = {login: users.get_user(session, login) for login in
               ("somchai", "malee", "boss", "elsewhere", "auditor", "owner")}  # fmt: skip
    assert task_actions(who["somchai"], task) == {
        Action.VIEW,
        Action.CLAIM,
        Action.COMPLETE,
        Action.SEND_BACK,
    }
    assert task_actions(who["malee"], task) == set()
    assert task_actions(who["auditor"], task) == {Action.VIEW}
    assert task_actions(who["boss"], task) == {Action.VIEW, Action.REASSIGN}
    assert task_actions(who["elsewhere"], task) == set()
    assert case_actions(who["boss"], view) == {
        Action.VIEW_CASE, Action.SUSPEND, Action.CANCEL, Action.ATTACH}  # fmt: skip
    assert case_actions(who["somchai"], view) == {Action.VIEW_CASE, Action.ATTACH}
    assert case_actions(who["malee"], view) == {Action.VIEW_CASE}  # started it, works no step
    assert case_actions(who["auditor"], view) == {Action.VIEW_CASE}
    assert case_actions(who["elsewhere"], view) == set()


def test_a_stale_save_is_refused(office: Prflow) -> None:
    """Two commands loaded the same case; the one that saves second must be refused."""
    case_id = service.start(office, "website_posting", {}, "malee").id
    with read_session(office.db) as session:
        stale = session.get(Case, case_id)
        assert stale is not None
        loaded_version, old_state = stale.lock_version, stale.state
    service.complete(office, open_task(office, case_id).id, {}, "somchai")  # the winner
    with pytest.raises(StaleCase), write_session(office.db) as session:
        save_state(session, stale, old_state, loaded_version, CaseStatus.RUNNING)
    with read_session(office.db) as session:
        now = session.get(Case, case_id)
        assert now is not None and now.lock_version == loaded_version + 1
        assert now.state != old_state  # the winner's state, not the stale one


def test_once_there_is_an_admin_only_admins_add_users(office: Prflow) -> None:
    service.add_user(office, login="root", display_name="r", unit="", roles=["admin"],
                     actor="owner")  # fmt: skip
    with pytest.raises(Forbidden, match="owner may not manage users"):
        service.add_user(office, login="newbie", display_name="n", unit="", roles=["auditor"],
                         actor="owner")  # fmt: skip
    added = service.add_user(office, login="newbie", display_name="n", unit="",
                             roles=["auditor"], actor="root")  # fmt: skip
    assert added.roles == ("auditor",)
