"""Replay re-delivers each logged message at its point in the log; an altered one diverges."""

from __future__ import annotations

import json
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import text
from sqlmodel import select

from engine.audit.replay import replay
from engine.cases import service
from engine.context import Prflow
from engine.store.db import read_session
from engine.store.tables import Event
from tests.audit.helpers import admin_rights, copy_database, open_copy
from tests.factories import open_task, waiting_for_reply


def delivered_seq(ctx: Prflow, case_id: int) -> int:
    with read_session(ctx.db) as session:
        seq = session.exec(
            select(Event.seq).where(Event.case_id == case_id, Event.type == "message_delivered")
        ).one()
    assert seq is not None
    return seq


def test_a_delivered_reply_replays_and_an_altered_one_diverges(p6: Prflow, tmp_path: Path) -> None:
    with freeze_time("2026-06-09T03:00:00+00:00"):
        case_id = waiting_for_reply(p6, tmp_path / "diagram")
        service.deliver_message(p6, case_id, "agency_reply", {"answer": "ได้"}, "somchai")
        service.complete(p6, open_task(p6, case_id).id, {}, "somchai")
    assert replay(p6, case_id).ok
    seq = delivered_seq(p6, case_id)
    url, drop = copy_database(p6, tmp_path)
    copy = open_copy(url)
    try:
        payload = {"caught": ["Event_0reply"], "data": {}, "element_id": "Event_0reply",
                   "name": "agency_reminder"}  # fmt: skip
        with admin_rights(copy.db) as conn:
            conn.execute(text("UPDATE event SET payload = :p WHERE seq = :s"),
                         {"p": json.dumps(payload), "s": seq})  # fmt: skip
        result = replay(copy, case_id)
        assert not result.ok and result.divergence is not None
        assert result.divergence.seq == seq
        assert result.divergence.expected == "the case waits for message 'agency_reminder'"
        assert result.divergence.found == "it waits for agency_reply"
    finally:
        copy.close()
        drop()
