"""Admin operations: each works for the role it needs, is refused for anyone else (and
changes nothing then), and leaves an event naming who did it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import col, select

from engine import admin
from engine.cases import service
from engine.context import Prflow
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.store.db import read_session
from engine.store.tables import Event
from tests.deadlines.conftest import set_up
from tests.deadlines.test_timers import AFTER, DUE, STARTED
from tests.factories import P6, PEOPLE, add_people, deploy, open_task

STAFF = {**PEOPLE, "root": ["admin"], "ops1": ["ops"], "second": ["admin"]}


def _events(ctx: Prflow, kind: str) -> list[Event]:
    with read_session(ctx.db) as session:
        return list(session.exec(select(Event).where(Event.type == kind)).all())


def _count(ctx: Prflow) -> int:
    with read_session(ctx.db) as session:
        return len(session.exec(select(Event.seq)).all())


@pytest.fixture
def office(ctx: Prflow) -> Prflow:
    add_people(ctx, STAFF)
    deploy(ctx)
    return ctx


def _second_version(ctx: Prflow, tmp_path_factory: pytest.TempPathFactory) -> None:
    changed = P6.read_text(encoding="utf-8").replace(
        "</bpmn:definitions>", "<!-- v2 -->\n</bpmn:definitions>"
    )
    path = tmp_path_factory.mktemp("v2") / "website_posting.bpmn"
    path.write_text(changed, encoding="utf-8")
    deploy(ctx, path)


def test_a_withdrawn_version_starts_no_case_but_its_running_cases_go_on(
    office: Prflow, tmp_path_factory: pytest.TempPathFactory
) -> None:
    running = service.start(office, "website_posting", {}, "malee")
    _second_version(office, tmp_path_factory)
    assert service.start(office, "website_posting", {}, "malee").version == 2

    state = admin.withdraw_version(office, "website_posting", 2, "owner", "wrong lane")
    assert state.withdrawn_at is not None
    # New cases fall back to the newest version still in service.
    assert service.start(office, "website_posting", {}, "malee").version == 1
    admin.withdraw_version(office, "website_posting", 1, "owner", "also broken")
    before = _count(office)
    with pytest.raises(Conflict, match="every version of website_posting is withdrawn"):
        service.start(office, "website_posting", {}, "malee")
    assert _count(office) == before
    # A case already running on a withdrawn version carries on to the end.
    service.complete(office, open_task(office, running.id).id, {}, "somchai")
    assert open_task(office, running.id).element_id == "verify"

    admin.restore_version(office, "website_posting", 2, "owner")
    assert service.start(office, "website_posting", {}, "malee").version == 2
    logged = _events(office, "version_withdrawn")
    assert [(e.actor, e.version, json.loads(e.payload)["reason"]) for e in logged] == [
        ("owner", 2, "wrong lane"), ("owner", 1, "also broken"),
    ]  # fmt: skip
    assert [e.actor for e in _events(office, "version_restored")] == ["owner"]


def test_only_a_process_owner_withdraws_and_a_reason_is_required(office: Prflow) -> None:
    before = _count(office)
    for who in ("malee", "root", "auditor"):
        with pytest.raises(Forbidden, match="process_owner"):
            admin.withdraw_version(office, "website_posting", 1, who, "no")
    with pytest.raises(InvalidInput, match="--reason"):
        admin.withdraw_version(office, "website_posting", 1, "owner", "  ")
    with pytest.raises(Forbidden, match="process_owner"):
        admin.restore_version(office, "website_posting", 1, "malee")
    with pytest.raises(Conflict, match="not withdrawn"):
        admin.restore_version(office, "website_posting", 1, "owner")
    assert _count(office) == before
    assert service.start(office, "website_posting", {}, "malee").version == 1


def test_a_deactivated_user_cannot_act_until_reactivated(office: Prflow) -> None:
    case = service.start(office, "website_posting", {}, "malee")
    task = open_task(office, case.id)
    admin.deactivate_user(office, "somchai", "root", "left the office")
    before = _count(office)
    with pytest.raises(Forbidden, match="deactivated"):
        service.claim(office, task.id, "somchai")
    with pytest.raises(Forbidden, match="deactivated"):
        service.complete(office, task.id, {}, "somchai")
    with pytest.raises(Forbidden, match="deactivated"):
        service.inbox(office, actor="somchai")
    assert _count(office) == before
    assert open_task(office, case.id).status == "ready"

    view = admin.reactivate_user(office, "somchai", "root")
    assert view.active
    service.complete(office, task.id, {}, "somchai")
    deactivated = _events(office, "user_deactivated")
    assert [(e.actor, json.loads(e.payload)) for e in deactivated] == [
        ("root", {"login": "somchai", "reason": "left the office"})
    ]
    assert [e.actor for e in _events(office, "user_reactivated")] == ["root"]


def test_only_an_admin_deactivates_and_never_themselves(office: Prflow) -> None:
    before = _count(office)
    for who in ("owner", "malee", "ops1"):
        with pytest.raises(Forbidden, match="'admin'"):
            admin.deactivate_user(office, "somchai", who, "no")
        with pytest.raises(Forbidden, match="'admin'"):
            admin.reactivate_user(office, "somchai", who)
    with pytest.raises(Conflict, match="yourself"):
        admin.deactivate_user(office, "root", "root", "oops")
    with pytest.raises(Conflict, match="already active"):
        admin.reactivate_user(office, "somchai", "root")
    # A deactivated admin cannot act either.
    admin.deactivate_user(office, "second", "root", "on leave")
    with pytest.raises(Forbidden, match="deactivated"):
        admin.reactivate_user(office, "second", "second")
    assert _count(office) == before + 1


def test_granting_and_revoking_roles_is_logged_and_takes_effect(office: Prflow) -> None:
    case = service.start(office, "website_posting", {}, "malee")
    task = open_task(office, case.id)
    with pytest.raises(Forbidden):
        service.claim(office, task.id, "auditor")
    view = admin.grant_role(office, "auditor", "doh_it_officer", "root")
    assert view.roles == ("auditor", "doh_it_officer")
    service.claim(office, task.id, "auditor")
    service.unclaim(office, task.id, "auditor")
    admin.revoke_role(office, "auditor", "doh_it_officer", "root")
    with pytest.raises(Forbidden):
        service.claim(office, task.id, "auditor")
    granted = [json.loads(e.payload) for e in _events(office, "role_granted")]
    revoked = [json.loads(e.payload) for e in _events(office, "role_revoked")]
    assert granted == revoked == [{"login": "auditor", "role": "doh_it_officer"}]


def test_who_may_not_change_roles(office: Prflow) -> None:
    before = _count(office)
    for who in ("owner", "malee", "auditor"):
        with pytest.raises(Forbidden, match="'admin'"):
            admin.grant_role(office, who, "admin", who)
        with pytest.raises(Forbidden, match="'admin'"):
            admin.revoke_role(office, "root", "admin", who)
    with pytest.raises(InvalidInput, match="unknown role 'ghost'"):
        admin.grant_role(office, "malee", "ghost", "root")
    with pytest.raises(Conflict, match="already holds"):
        admin.grant_role(office, "malee", "doh_web_pr_officer", "root")
    with pytest.raises(Conflict, match="does not hold"):
        admin.revoke_role(office, "malee", "ops", "root")
    with pytest.raises(Conflict, match="your own admin role"):
        admin.revoke_role(office, "root", "admin", "root")
    assert _count(office) == before


def test_sweep_at_fires_the_timers_due_by_that_instant_as_of_it(ctx: Prflow) -> None:
    """An outage: the sweeper was down. Catching up with --at fires the escalation as of
    the instant it was due, not as of whenever the sweeper came back."""
    set_up(ctx)
    add_people(ctx, {"ops1": ["ops"]})
    with freeze_time(STARTED):
        case = service.start(ctx, "escalation_demo", {"title": "ข่าว"}, "writer")
    back = AFTER + timedelta(days=2)  # the sweeper comes back two days later
    with freeze_time(back):
        with pytest.raises(Forbidden, match="'ops'"):
            admin.sweep_at(ctx, AFTER, "writer")
        with pytest.raises(InvalidInput, match="in the future"):
            admin.sweep_at(ctx, back + timedelta(hours=1), "ops1")
        with pytest.raises(InvalidInput, match="1900-2200"):
            admin.sweep_at(ctx, datetime(1899, 1, 1, tzinfo=UTC), "ops1")
        early = admin.sweep_at(ctx, DUE, "ops1")  # not yet past due then: nothing fires
        result = admin.sweep_at(ctx, AFTER, "ops1")
    assert early.fired == []
    assert result.now == AFTER
    assert [f.case_id for f in result.fired] == [case.id]
    fired = [e for e in _events(ctx, "timer_fired") if e.case_id == case.id]
    assert [e.at for e in fired] == [AFTER]
    asked = _events(ctx, "sweep_at")
    assert [(e.actor, json.loads(e.payload)["at"]) for e in asked] == [
        ("ops1", DUE.isoformat()), ("ops1", AFTER.isoformat()),
    ]  # fmt: skip


def test_admin_commands_on_the_cli_report_refusals_with_their_exit_codes(office: Prflow) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    url = office.db.url.render_as_string(hide_password=False)

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env={"PRFLOW_DATABASE_URL": url})
        return result.exit_code, result.stdout

    assert invoke("admin", "grant", "malee", "ops", "--as", "malee")[0] == 4
    code, out = invoke("admin", "grant", "malee", "ops", "--as", "root", "--json")
    assert code == 0 and json.loads(out)["roles"] == ["doh_web_pr_officer", "ops"]
    code, out = invoke("admin", "deactivate-user", "malee", "--as", "root", "--reason", "left")
    assert code == 0 and "malee (deactivated)" in out
    code, out = invoke("admin", "withdraw-version", "website_posting", "1", "--as", "owner",
                       "--reason", "broken")  # fmt: skip
    assert code == 0 and "website_posting v1: withdrawn" in out
    code, out = invoke("versions", "website_posting", "--json")
    assert json.loads(out)[0]["withdrawn_at"] is not None
    assert invoke("admin", "restore-version", "website_posting", "-1", "--as", "owner")[0] == 2
    assert invoke("sweep", "--at", "2026-01-01T00:00+07:00", "--as", "malee")[0] == 4
    with read_session(office.db) as session:
        kinds = session.exec(select(Event.type).order_by(col(Event.seq))).all()
    assert kinds[-3:] == ["role_granted", "user_deactivated", "version_withdrawn"]
