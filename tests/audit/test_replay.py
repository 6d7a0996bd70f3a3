"""Replay rebuilds cases from the log on their pinned version and finds altered history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import text

from engine.audit.replay import replay, replay_all, state_at
from engine.audit.verify import BreakKind, verify_chain
from engine.cases import service
from engine.context import Prflow
from engine.errors import NotFound
from tests.audit.conftest import ALL_PROCESSES
from tests.audit.helpers import admin_rights, copy_database, drive, open_copy, plans, process_map
from tests.audit.test_chain import completion_seq
from tests.factories import open_task, verdict


def p6_case(ctx: Prflow, decisions: tuple[str, ...]) -> int:
    case = service.start(ctx, "website_posting", {"title": "ข่าว"}, "malee")
    for decision in decisions:
        service.complete(ctx, open_task(ctx, case.id).id, {"url": "u"}, "somchai")
        service.complete(ctx, open_task(ctx, case.id).id, verdict(decision), "malee")
    if decisions[-1] == "ok":
        service.complete(ctx, open_task(ctx, case.id).id, {}, "malee")
    return case.id


@freeze_time("2026-06-08T02:00:00+00:00")
def test_p6_cases_through_every_branch_replay_as_logged(p6: Prflow) -> None:
    cases = [p6_case(p6, d) for d in [("ok",), ("fix", "ok"), ("fix", "fix", "ok"), ("fix",)]]
    results = replay_all(p6)
    assert [r.case_id for r in results] == cases
    assert all(r.ok for r in results), [r.divergence for r in results]
    assert [r.tasks_appeared for r in results] == [3, 5, 7, 3]
    assert [r.completions_applied for r in results] == [3, 5, 7, 2]


@freeze_time("2026-06-08T02:00:00+00:00")
def test_every_process_replays_through_every_branch(everything: Prflow) -> None:
    """Each process in processes/ is driven once per decision value its gateways test."""
    assert len(ALL_PROCESSES) == 9
    visited: dict[str, set[str]] = {}
    for path in ALL_PROCESSES:
        pm = process_map(path, everything)
        # Case-dependent limits need their field (P8's news_type): one variant per value.
        variants = [{f: v} for f, vs in pm.case_fields.items() for v in vs] or [{}]
        for case_data in variants:
            for plan in plans(pm):
                case_id = drive(everything, pm, plan, case_data)
                steps = {t.element_id for t in service.show(everything, case_id).tasks}
                visited.setdefault(pm.key, set()).update(steps)
    results = replay_all(everything)
    assert len(results) > 40
    assert [r for r in results if not r.ok] == []
    for path in ALL_PROCESSES:
        pm = process_map(path, everything)
        # Every step is reached except escalations, which only a due-time timer starts.
        for choices_task in pm.choices:
            assert choices_task in visited[pm.key], (pm.key, choices_task)


def test_an_altered_completion_in_a_copy_diverges(p6: Prflow, tmp_path: Path) -> None:
    with freeze_time("2026-06-08T02:00:00+00:00"):
        case_id = p6_case(p6, ("fix", "ok"))
    seq = completion_seq(p6, "verify")  # the first verify, which asked for a fix
    url, drop = copy_database(p6, tmp_path)
    copy = open_copy(url)
    try:
        with admin_rights(copy.db) as conn:
            conn.execute(
                text("UPDATE event SET payload = :p WHERE seq = :s"),
                {"p": '{"data": {"decision": "ok"}, "element_id": "verify", '
                      '"role": "doh_web_pr_officer"}', "s": seq},
            )  # fmt: skip
        result = replay(copy, case_id)
        assert not result.ok and result.divergence is not None
        # The log says upload came back next; with "ok" the replay goes on to store.
        assert result.divergence.seq == seq + 1
        assert result.divergence.expected == "upload (doh_it_officer)"
        assert result.divergence.found == "store (doh_web_pr_officer)"
        broken = verify_chain(copy.db, copy.keyring).broken
        assert broken is not None and (broken.kind, broken.seq) == (BreakKind.BAD_MAC, seq)
    finally:
        copy.close()
        drop()
    assert replay(p6, case_id).ok  # the original is untouched


def test_a_case_missing_its_start_is_not_found(p6: Prflow) -> None:
    with pytest.raises(NotFound, match="case 99"):
        replay(p6, 99)


def test_state_at_a_past_instant_comes_from_the_log(p6: Prflow) -> None:
    # Monday 8 June 2026, 09:00 Bangkok: upload is due Tuesday 16:30.
    with freeze_time("2026-06-08T02:00:00+00:00"):
        case = service.start(p6, "website_posting", {}, "malee")
        upload = open_task(p6, case.id)
    with freeze_time("2026-06-08T03:00:00+00:00"):
        service.claim(p6, upload.id, "somchai")
    with freeze_time("2026-06-10T02:00:00+00:00"):
        service.complete(p6, upload.id, {}, "somchai")

    before = state_at(p6, case.id, datetime(2026, 6, 8, 1, 0, tzinfo=UTC))
    assert before.status == "not_started" and before.open_tasks == []
    waiting = state_at(p6, case.id, datetime(2026, 6, 8, 2, 30, tzinfo=UTC))
    assert [(t.step, t.status, t.assignee, t.overdue) for t in waiting.open_tasks] == [
        ("upload", "ready", None, False)
    ]
    late = state_at(p6, case.id, datetime(2026, 6, 9, 10, 0, tzinfo=UTC))  # Tue 17:00
    assert [(t.step, t.status, t.assignee, t.overdue) for t in late.open_tasks] == [
        ("upload", "claimed", "somchai", True)
    ]
    after = state_at(p6, case.id, datetime(2026, 6, 10, 3, 0, tzinfo=UTC))
    assert [(t.step, t.role) for t in after.open_tasks] == [("verify", "doh_web_pr_officer")]
