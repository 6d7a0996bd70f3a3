"""Retention: purging a case early is refused and the attempt is logged; later it is allowed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import col, select

from engine.audit.replay import state_at
from engine.audit.retention import (
    CaseNotFinished,
    RetentionNotElapsed,
    parse_period,
    purge,
)
from engine.audit.timeline import timeline
from engine.audit.verify import verify_chain
from engine.cases import service
from engine.context import Prflow
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.store.db import read_session
from engine.store.tables import Case, Event, TaskRow
from tests.audit.test_replay import p6_case
from tests.factories import P6, deploy

COMPLETED = "2026-06-08T02:00:00+00:00"


def logged_types(ctx: Prflow, case_id: int) -> list[str]:
    with read_session(ctx.db) as session:
        query = select(Event.type).where(Event.case_id == case_id).order_by(col(Event.seq))
        return list(session.exec(query).all())


def test_a_purge_within_ten_years_is_refused_and_logged(p6: Prflow) -> None:
    with freeze_time(COMPLETED):
        case_id = p6_case(p6, ("ok",))
    with freeze_time("2036-06-07T00:00:00+00:00"), pytest.raises(RetentionNotElapsed) as refused:
        purge(p6, case_id, "owner")
    assert refused.value.period == "10 years"
    assert refused.value.ends.isoformat() == "2036-06-08T02:00:00+00:00"
    assert "may be purged from 2036-06-08" in str(refused.value)
    # The refusal committed although the command failed, and the case is untouched.
    assert logged_types(p6, case_id)[-1] == "purge_refused"
    assert verify_chain(p6.db, p6.keyring).ok
    with read_session(p6.db) as session:
        assert session.get(Case, case_id) is not None


def test_after_retention_the_case_data_goes_and_the_events_stay(p6: Prflow) -> None:
    with freeze_time(COMPLETED):
        case_id = p6_case(p6, ("fix", "ok"))
    with freeze_time("2036-06-08T02:00:00+00:00"):
        done = purge(p6, case_id, "owner")
    assert (done.tasks_cleared, done.retention) == (5, "10 years")
    with read_session(p6.db) as session:
        case = session.get(Case, case_id)
        assert case is not None and (case.status, case.state) == ("purged", "")
        tasks = session.exec(select(TaskRow).where(TaskRow.case_id == case_id)).all()
        assert [t.data for t in tasks] == [None] * 5
    with pytest.raises(Conflict, match="purged"):
        service.show(p6, case_id)
    # A new case never takes a purged case's id (SQLite reuses deleted rowids).
    assert service.start(p6, "website_posting", {}, "malee").id != case_id
    assert logged_types(p6, case_id)[-1] == "case_purged"
    assert verify_chain(p6.db, p6.keyring).ok
    # The history is still readable from the log alone.
    assert len(timeline(p6, case_id).tasks) == 5
    assert state_at(p6, case_id, datetime(2030, 1, 1, tzinfo=UTC)).status == "completed"


def test_running_cases_and_people_without_the_role_are_refused_and_logged(p6: Prflow) -> None:
    with freeze_time(COMPLETED):
        case_id = p6_case(p6, ("fix",))
    with pytest.raises(CaseNotFinished):
        purge(p6, case_id, "owner")
    with pytest.raises(Forbidden, match="process_owner"):
        purge(p6, case_id, "auditor")
    assert logged_types(p6, case_id)[-2:] == ["purge_refused", "purge_refused"]


def test_a_process_can_declare_its_own_retention(p6: Prflow, tmp_path: Path) -> None:
    xml = P6.read_text(encoding="utf-8").replace(
        '<bpmn:laneSet id="LaneSet_website_posting">',
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="retention" value="2 ปี" />'
        "</spiffworkflow:properties></bpmn:extensionElements>\n"
        '    <bpmn:laneSet id="LaneSet_website_posting">',
    )
    short = tmp_path / "website_posting.bpmn"
    short.write_text(xml, encoding="utf-8")
    assert deploy(p6, short)[0].version == 2
    with freeze_time(COMPLETED):
        case_id = p6_case(p6, ("ok",))
    with freeze_time("2028-06-08T01:00:00+00:00"), pytest.raises(RetentionNotElapsed) as early:
        purge(p6, case_id, "owner")
    assert early.value.period == "2 ปี"
    with freeze_time("2028-06-08T03:00:00+00:00"):
        assert purge(p6, case_id, "owner").retention == "2 ปี"


def test_periods_are_read_in_english_and_thai() -> None:
    assert parse_period("10 years").months == 120
    assert parse_period("18 เดือน").months == 18
    assert parse_period("90 days").days == 90
    with pytest.raises(InvalidInput, match="10 years"):
        parse_period("ten years")
