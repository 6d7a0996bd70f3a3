"""Exports: XES that pm4py reads back with the log's cases and activities; auditors only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pm4py
import pytest
from freezegun import freeze_time

from engine.audit.export import ExportFormat, export
from engine.context import Prflow
from engine.errors import Forbidden
from tests.audit.test_replay import p6_case


@pytest.fixture
def three_cases(p6: Prflow) -> list[int]:
    with freeze_time("2026-06-08T02:00:00+00:00"):
        cases = [p6_case(p6, ("ok",)), p6_case(p6, ("fix", "ok"))]
    with freeze_time("2026-07-01T02:00:00+00:00"):
        cases.append(p6_case(p6, ("fix",)))  # still open: upload waits
    return cases


def test_xes_read_back_by_pm4py_matches_the_log(
    p6: Prflow, three_cases: list[int], tmp_path: Path
) -> None:
    path = tmp_path / "log.xes"
    path.write_text(export(p6, "auditor", ExportFormat.XES), encoding="utf-8")
    frame = pm4py.read_xes(str(path))
    assert sorted(frame["case:concept:name"].unique()) == sorted(str(c) for c in three_cases)
    assert set(pm4py.get_event_attribute_values(frame, "concept:name")) == {
        "upload", "verify", "store",
    }  # fmt: skip
    assert set(frame["lifecycle:transition"]) == {"start", "complete"}
    assert set(frame["org:resource"]) == {"somchai", "malee"}
    # 3 + 5 + 2 completions, each with a (possibly implicit) claim before it.
    assert len(frame) == 2 * (3 + 5 + 2)
    first = frame[frame["case:concept:name"] == str(three_cases[0])]
    assert list(first["concept:name"])[::2] == ["upload", "verify", "store"]
    assert str(first["time:timestamp"].iloc[0]).startswith("2026-06-08 02:00:00")


def test_csv_is_filtered_by_period_and_process(p6: Prflow, three_cases: list[int]) -> None:
    text = export(
        p6, "auditor", ExportFormat.CSV, process_key="website_posting",
        since=datetime(2026, 6, 30, tzinfo=UTC), until=datetime(2026, 7, 2, tzinfo=UTC),
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["case_id"] for r in rows} == {str(three_cases[2])}
    assert [(r["activity"], r["lifecycle"]) for r in rows] == [
        ("upload", "start"), ("upload", "complete"), ("verify", "start"), ("verify", "complete"),
    ]  # fmt: skip
    assert export(p6, "auditor", ExportFormat.CSV, process_key="pr_campaign").count("\n") == 1


def test_export_is_refused_to_people_who_are_not_auditors(
    p6: Prflow, three_cases: list[int]
) -> None:
    for login in ("malee", "owner"):
        with pytest.raises(Forbidden, match="auditor") as refused:
            export(p6, login, ExportFormat.XES)
        assert refused.value.actor == login
