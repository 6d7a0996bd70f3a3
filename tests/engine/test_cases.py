"""Cases end to end through the engine service, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import text
from sqlmodel import col, select

from engine.cases import deployment, service, stepping
from engine.cases.status import TaskNotOpen
from engine.cases.stepping import StaleCase
from engine.context import Prflow
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session
from engine.store.tables import Case, Event, TaskRow
from tests.factories import PEOPLE, add_people, deploy, open_task, verdict

# Friday 10 April 2026, 15:00 in Bangkok: Songkran (13–15 April) follows the weekend.
FRIDAY_AFTERNOON = "2026-04-10T08:00:00+00:00"


@pytest.fixture
def p6(ctx: Prflow) -> Prflow:
    add_people(ctx)
    deploy(ctx)
    return ctx


def snapshot(ctx: Prflow, case_id: int) -> tuple[object, ...]:
    """Everything a command could have changed for one case."""
    with read_session(ctx.db) as session:
        case = session.get(Case, case_id)
        assert case is not None
        tasks = session.exec(select(TaskRow).where(TaskRow.case_id == case_id)).all()
        events = session.exec(select(Event).order_by(col(Event.seq))).all()
        return (
            case.state, case.lock_version, case.status,
            [(t.id, t.status, t.assignee, t.completed_by, t.data) for t in tasks],
            [e.hash for e in events],
        )  # fmt: skip


def test_p6_case_loops_through_two_fixes_then_stores(p6: Prflow) -> None:
    with freeze_time(FRIDAY_AFTERNOON):
        case = service.start(p6, "website_posting", {"title": "ข่าวกรมอนามัย"}, "malee")
        for decision in ("fix", "fix", "ok"):
            upload = open_task(p6, case.id)
            service.complete(p6, upload.id, {"url": "https://example.go.th/news/1"}, "somchai")
            verify = open_task(p6, case.id)
            service.complete(p6, verify.id, verdict(decision), "malee")
        store = open_task(p6, case.id)
        service.complete(p6, store.id, {}, "malee")

    done = service.show(p6, case.id)
    assert done.status == "completed"
    steps = [(t.element_id, t.role, t.status, t.completed_by) for t in done.tasks]
    assert steps == [
        ("upload", "doh_it_officer", "completed", "somchai"),
        ("verify", "doh_web_pr_officer", "completed", "malee"),
        ("upload", "doh_it_officer", "completed", "somchai"),
        ("verify", "doh_web_pr_officer", "completed", "malee"),
        ("upload", "doh_it_officer", "completed", "somchai"),
        ("verify", "doh_web_pr_officer", "completed", "malee"),
        ("store", "doh_web_pr_officer", "completed", "malee"),
    ]
    # 1 working day from Friday 15:00 skips the weekend and Songkran: Thursday 16 April 16:30.
    assert {t.due_at for t in done.tasks} == {datetime(2026, 4, 16, 9, 30, tzinfo=UTC)}
    assert done.tasks[1].data == verdict("fix")

    with read_session(p6.db) as session:
        logged = session.exec(
            select(Event).where(Event.case_id == case.id).order_by(col(Event.seq))
        ).all()
    kinds = [(e.type, json.loads(e.payload).get("element_id")) for e in logged]
    per_step = []
    for step in ("upload", "verify") * 3 + ("store",):
        # Completing an unclaimed task claims it implicitly, so each step logs three events.
        per_step += [("task_ready", step), ("task_claimed", step), ("task_completed", step)]
    assert kinds == [("case_started", None), *per_step, ("case_completed", None)]
    assert all(e.actor in {"malee", "somchai"} for e in logged)
    assert {e.version for e in logged} == {1}


def test_state_survives_a_new_engine_object(p6: Prflow, database_url: str) -> None:
    case = service.start(p6, "website_posting", {}, "malee")
    service.complete(p6, open_task(p6, case.id).id, {}, "somchai")

    fresh = Prflow(
        Settings(database_url=database_url, processes_dir=p6.settings.processes_dir, mode="test")
    )
    try:
        verify = open_task(fresh, case.id)
        assert verify.element_id == "verify"
        service.complete(fresh, verify.id, {"decision": "ok"}, "malee")
        service.complete(fresh, open_task(fresh, case.id).id, {}, "malee")
        assert service.show(fresh, case.id).status == "completed"
    finally:
        fresh.close()


def test_inbox_shows_role_tasks_most_urgent_first(p6: Prflow) -> None:
    with freeze_time("2026-04-20T02:00:00+00:00"):  # Monday 09:00 Bangkok
        later = service.start(p6, "website_posting", {}, "malee")
    with freeze_time("2026-04-17T02:00:00+00:00"):  # the Friday before: due sooner
        sooner = service.start(p6, "website_posting", {}, "malee")
    inbox = service.inbox(p6, actor="somchai")
    assert [t.case_id for t in inbox] == [sooner.id, later.id]
    assert service.inbox(p6, actor="malee") == []
    assert [t.case_id for t in service.inbox(p6, role="doh_it_officer")] == [sooner.id, later.id]


def test_claimed_task_belongs_to_its_claimant(p6: Prflow) -> None:
    add_people(p6, {"prasert": ["doh_it_officer"]})
    case = service.start(p6, "website_posting", {}, "malee")
    upload = open_task(p6, case.id)
    service.claim(p6, upload.id, "somchai")

    assert [t.id for t in service.inbox(p6, actor="prasert")] == []
    with pytest.raises(TaskNotOpen, match="already claimed by somchai"):
        service.claim(p6, upload.id, "prasert")
    with pytest.raises(Forbidden, match="claimed by somchai"):
        service.complete(p6, upload.id, {}, "prasert")
    with pytest.raises(Forbidden, match="claimed by somchai"):
        service.unclaim(p6, upload.id, "prasert")

    service.unclaim(p6, upload.id, "somchai")
    assert service.claim(p6, upload.id, "prasert").assignee == "prasert"


def test_double_completion_is_refused_and_changes_nothing(p6: Prflow) -> None:
    case = service.start(p6, "website_posting", {}, "malee")
    upload = open_task(p6, case.id)
    service.complete(p6, upload.id, {"url": "a"}, "somchai")
    before = snapshot(p6, case.id)

    with pytest.raises(TaskNotOpen, match=f"task {upload.id} is already completed by somchai"):
        service.complete(p6, upload.id, {"url": "b"}, "somchai")
    assert snapshot(p6, case.id) == before


def test_completion_against_a_stale_case_is_refused_and_changes_nothing(p6: Prflow) -> None:
    case = service.start(p6, "website_posting", {}, "malee")
    seen_version = service.show(p6, case.id).lock_version
    service.complete(p6, open_task(p6, case.id).id, {}, "somchai")  # someone moves the case on
    verify = open_task(p6, case.id)
    before = snapshot(p6, case.id)

    with pytest.raises(StaleCase, match=f"case {case.id} changed since it was read"):
        service.complete(p6, verify.id, {"decision": "ok"}, "malee", expected_version=seen_version)
    assert snapshot(p6, case.id) == before


def test_racing_completions_give_one_success_and_one_clear_error(
    p6: Prflow, database_url: str
) -> None:
    case = service.start(p6, "website_posting", {}, "malee")
    upload = open_task(p6, case.id)
    engines = [
        Prflow(
            Settings(
                database_url=database_url, processes_dir=p6.settings.processes_dir, mode="test"
            )
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def attempt(engine: Prflow) -> None:
        barrier.wait()
        try:
            outcomes.append(service.complete(engine, upload.id, {}, "somchai").status)
        except Conflict as err:
            outcomes.append(err)

    threads = [threading.Thread(target=attempt, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.close()

    assert sorted(map(type, outcomes), key=str) == sorted([str, TaskNotOpen], key=str) or (
        sorted(map(type, outcomes), key=str) == sorted([str, StaleCase], key=str)
    ), outcomes
    shown = service.show(p6, case.id)
    assert [(t.element_id, t.status) for t in shown.tasks] == [
        ("upload", "completed"),
        ("verify", "ready"),
    ]
    assert shown.lock_version == 2


def test_task_actions_need_the_tasks_role(p6: Prflow) -> None:
    case = service.start(p6, "website_posting", {}, "malee")
    upload = open_task(p6, case.id)
    before = snapshot(p6, case.id)
    with pytest.raises(Forbidden, match="needs role 'doh_it_officer'; malee holds"):
        service.complete(p6, upload.id, {}, "malee")
    with pytest.raises(Forbidden):
        service.claim(p6, upload.id, "malee")
    assert snapshot(p6, case.id) == before


def test_unknown_things_are_named(p6: Prflow) -> None:
    with pytest.raises(NotFound, match=r"process 'no_such' does not exist.*website_posting"):
        service.start(p6, "no_such", {}, "malee")
    with pytest.raises(NotFound, match="task 999 does not exist"):
        service.complete(p6, 999, {}, "malee")
    with pytest.raises(NotFound, match="user 'nobody' does not exist"):
        service.start(p6, "website_posting", {}, "nobody")


def test_a_form_missing_the_decision_field_is_refused_and_changes_nothing(p6: Prflow) -> None:
    case = service.start(p6, "website_posting", {}, "malee")
    service.complete(p6, open_task(p6, case.id).id, {}, "somchai")
    verify = open_task(p6, case.id)
    before = snapshot(p6, case.id)

    # The form refuses it before the gateway could: the field, in Thai and English.
    with pytest.raises(InvalidInput, match=r"decision: กรุณากรอก .* Decision is required"):
        service.complete(p6, verify.id, {"reason": "ดูดี"}, "malee")
    assert snapshot(p6, case.id) == before
    # The case is not damaged: the right data still moves it on.
    service.complete(p6, verify.id, {"decision": "ok"}, "malee")
    assert open_task(p6, case.id).element_id == "store"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "must be a JSON object"),
        ({"__class__": 1}, "field name '__class__' is not allowed"),
        ({"due_at": "x"}, "reserved"),
    ],
)
def test_bad_form_data_is_refused(p6: Prflow, data: object, message: str) -> None:
    case = service.start(p6, "website_posting", {}, "malee")
    with pytest.raises(InvalidInput, match=message):
        service.complete(p6, open_task(p6, case.id).id, data, "somchai")  # type: ignore[arg-type]


def test_running_cases_keep_their_version(p6: Prflow, tmp_path: object) -> None:
    from pathlib import Path

    from tests.factories import P6

    old_case = service.start(p6, "website_posting", {}, "malee")
    changed = Path(str(tmp_path)) / "website_posting.bpmn"
    changed.write_text(
        P6.read_text(encoding="utf-8").replace('value="1 working day"', 'value="2 working days"'),
        encoding="utf-8",
    )
    assert [(d.version, d.created) for d in deploy(p6, changed)] == [(2, True)]
    new_case = service.start(p6, "website_posting", {}, "malee")

    assert service.show(p6, old_case.id).version == 1
    assert service.show(p6, new_case.id).version == 2
    assert open_task(p6, old_case.id).due_text == "1 working day"
    assert open_task(p6, new_case.id).due_text == "2 working days"
    listed = [(v.version, v.running_cases, v.all_cases) for v in deployment.versions(p6)]
    assert listed == [(1, 1, 1), (2, 1, 1)]


def test_a_claim_racing_a_completion_waits_for_it_then_is_refused(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL, where writers do not queue: somsak claims the upload while somchai's
    completion of it is between reading the task and writing it. The claim must wait for
    the completion and then be refused, not slip in under it."""
    settings = Settings(database_url=postgres_url, processes_dir=REPO_PROCESSES_DIR, mode="test")
    first, second = Prflow(settings, upgrade=True), Prflow(settings)
    try:
        add_people(first, {**PEOPLE, "somsak": ["doh_it_officer"]})
        deploy(first)
        case = service.start(first, "website_posting", {}, "malee")
        upload = open_task(first, case.id)
        claimed: list[object] = []

        def claim() -> None:
            try:
                claimed.append(service.claim(second, upload.id, "somsak"))
            except TaskNotOpen as err:
                claimed.append(err)

        claimer = threading.Thread(target=claim)
        load_workflow = stepping.load_workflow

        def interleave(*args: object, **kwargs: object) -> object:
            claimer.start()
            wait_until_blocked_on_a_lock(first, claimer)
            return load_workflow(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(service, "load_workflow", interleave)
        done = service.complete(first, upload.id, {}, "somchai")
        claimer.join()
    finally:
        first.close()
        second.close()
    assert (done.status, done.completed_by) == ("completed", "somchai")
    [refused] = claimed
    assert isinstance(refused, TaskNotOpen) and "already completed by somchai" in str(refused)


def wait_until_blocked_on_a_lock(ctx: Prflow, waiter: threading.Thread) -> None:
    """Poll PostgreSQL until another session waits on a row lock (no sleeping on a timer);
    fail as soon as the waiter finished without ever waiting."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )
    with ctx.db.connect() as connection:
        while waiter.is_alive():
            if connection.execute(query).scalar():
                return
            connection.rollback()  # a fresh snapshot of pg_stat_activity
    raise AssertionError("the claim went through without waiting for the completion")
