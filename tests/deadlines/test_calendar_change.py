"""A changed holiday file moves open tasks' due times, and their timers, on the next sweep."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time

from engine.audit.replay import replay
from engine.cases import service, timers
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR, Settings
from engine.store.db import read_session
from engine.store.tables import Case
from tests.deadlines.conftest import events_of, open_step, pending_timers, set_up, tasks_of

# Friday 17 April 2026, 16:00 Bangkok. "write" has 2 working hours: 30 minutes on Friday
# and 1h30 on Monday 20 April, so it is due Monday 10:00 Bangkok (03:00 UTC). Once Monday
# becomes a holiday, it is due Tuesday 21 April 10:00 Bangkok (03:00 UTC).
STARTED = datetime(2026, 4, 17, 9, 0, tzinfo=UTC)
OLD_DUE = datetime(2026, 4, 20, 3, 0, tzinfo=UTC)
NEW_DUE = datetime(2026, 4, 21, 3, 0, tzinfo=UTC)

MONDAY_OFF = """
[[add]]
date = 2026-04-20
name = "วันหยุดพิเศษ (ทดสอบ)"
reason = "test: a special day declared at short notice"
"""


@pytest.fixture
def processes(tmp_path: Path) -> Path:
    folder = tmp_path / "processes"
    shutil.copytree(REPO_PROCESSES_DIR, folder)
    return folder


@pytest.fixture
def engines(database_url: str, processes: Path) -> Iterator[list[Prflow]]:
    made: list[Prflow] = []
    yield made
    for engine in made:
        engine.close()


def open_engine(engines: list[Prflow], url: str, processes: Path) -> Prflow:
    engine = Prflow(Settings(database_url=url, processes_dir=processes, mode="test"), upgrade=True)
    engines.append(engine)
    return engine


def test_a_new_holiday_moves_the_due_time_and_the_escalation(
    database_url: str, processes: Path, engines: list[Prflow]
) -> None:
    before = set_up(open_engine(engines, database_url, processes))
    with freeze_time(STARTED):
        case_id = service.start(before, "escalation_demo", {}, "writer").id
    write = open_step(before, case_id, "write")
    assert write.due_at == OLD_DUE
    assert timers.sweep(before, datetime(2026, 4, 17, 10, tzinfo=UTC)).recomputed == []
    old_fingerprint = before.calendar.fingerprint

    with (processes / "holidays.toml").open("a", encoding="utf-8") as file:
        file.write(MONDAY_OFF)
    after = open_engine(engines, database_url, processes)  # restarted with the new file
    assert after.calendar.fingerprint != old_fingerprint

    saturday = datetime(2026, 4, 18, 3, 0, tzinfo=UTC)
    result = timers.sweep(after, saturday)
    moved = [(r.case_id, r.task_id, r.element_id, r.old_due_at, r.new_due_at)
             for r in result.recomputed]  # fmt: skip
    assert moved == [(case_id, write.id, "write", OLD_DUE, NEW_DUE)]
    assert (result.fired, result.cases) == ([], [case_id])
    assert open_step(after, case_id, "write").due_at == NEW_DUE
    assert pending_timers(after) == [(case_id, "due_write", NEW_DUE.isoformat())]
    [(logged_case, payload)] = events_of(after, "due_recomputed")
    assert logged_case == case_id
    assert (payload["old_due_at"], payload["due_at"]) == (OLD_DUE.isoformat(), NEW_DUE.isoformat())
    assert [t["fire_at"] for t in payload["timers"]] == [NEW_DUE.isoformat()]  # type: ignore[attr-defined]
    with read_session(after.db) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.calendar_fingerprint == after.calendar.fingerprint

    # The old due time passes without an escalation, and nothing is recomputed twice.
    monday = timers.sweep(after, datetime(2026, 4, 20, 3, 30, tzinfo=UTC))
    assert (monday.fired, monday.recomputed, monday.cases) == ([], [], [])
    with freeze_time(datetime(2026, 4, 21, 3, 0, 1, tzinfo=UTC)):
        tuesday = timers.sweep(after)
    assert [(f.element_id, f.fire_at) for f in tuesday.fired] == [("due_write", NEW_DUE)]
    assert [t.element_id for t in tasks_of(after, case_id)] == ["write", "follow_up"]


def test_a_finished_case_keeps_its_due_times(
    database_url: str, processes: Path, engines: list[Prflow]
) -> None:
    before = set_up(open_engine(engines, database_url, processes))
    with freeze_time(STARTED):
        case_id = service.start(before, "website_posting", {}, "malee").id
        steps = [("upload", "somchai", {}), ("verify", "malee", {"decision": "ok"}),
                 ("store", "malee", {})]  # fmt: skip
        for step, actor, data in steps:
            service.complete(before, open_step(before, case_id, step).id, data, actor)
    dues = [t.due_at for t in tasks_of(before, case_id)]

    with (processes / "holidays.toml").open("a", encoding="utf-8") as file:
        file.write(MONDAY_OFF)
    after = open_engine(engines, database_url, processes)
    result = timers.sweep(after, datetime(2026, 4, 18, 3, 0, tzinfo=UTC))
    assert (result.recomputed, result.cases) == ([], [])
    assert [t.due_at for t in tasks_of(after, case_id)] == dues


def test_replay_uses_the_logged_due_times_not_todays_calendar(
    database_url: str, processes: Path, engines: list[Prflow]
) -> None:
    """The case ran when Monday was a holiday; the holiday was then withdrawn, the due time
    moved to Monday and the escalation fired on Monday. Replayed on a calendar where Monday
    is (again) a holiday, the replay must still fire on Monday, as the log says."""
    original = (processes / "holidays.toml").read_text(encoding="utf-8")
    (processes / "holidays.toml").write_text(original + MONDAY_OFF, encoding="utf-8")
    with_holiday = set_up(open_engine(engines, database_url, processes))
    with freeze_time(STARTED):
        case_id = service.start(with_holiday, "escalation_demo", {}, "writer").id
    assert open_step(with_holiday, case_id, "write").due_at == NEW_DUE

    (processes / "holidays.toml").write_text(original, encoding="utf-8")
    without_holiday = open_engine(engines, database_url, processes)
    assert [r.new_due_at for r in timers.sweep(without_holiday, STARTED).recomputed] == [OLD_DUE]
    monday = timers.sweep(without_holiday, datetime(2026, 4, 20, 3, 30, tzinfo=UTC))
    assert [f.fire_at for f in monday.fired] == [OLD_DUE]

    replayed = replay(with_holiday, case_id)
    assert replayed.ok, replayed.divergence


def test_a_running_engine_notices_an_edited_holiday_file(
    database_url: str, processes: Path, engines: list[Prflow]
) -> None:
    """A server or ``sweep --loop`` keeps one engine object: no restart is needed."""
    running = set_up(open_engine(engines, database_url, processes))
    with freeze_time(STARTED):
        case_id = service.start(running, "escalation_demo", {}, "writer").id
    assert open_step(running, case_id, "write").due_at == OLD_DUE

    with (processes / "holidays.toml").open("a", encoding="utf-8") as file:
        file.write(MONDAY_OFF)
    swept = timers.sweep(running, datetime(2026, 4, 18, 3, 0, tzinfo=UTC))
    assert [(r.case_id, r.new_due_at) for r in swept.recomputed] == [(case_id, NEW_DUE)]
    assert open_step(running, case_id, "write").due_at == NEW_DUE
