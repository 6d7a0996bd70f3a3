"""The deadline commands through the real Typer app: output, JSON and exit codes."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from cli.main import app
from engine.cases import service
from engine.context import Prflow
from tests.deadlines.conftest import set_up


def invoke(*args: str, db: str = "sqlite:///:memory:") -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"PRFLOW_DATABASE_URL": db})
    return result.exit_code, result.stdout, result.stderr


def test_due_prints_bangkok_time_with_weekday_and_utc() -> None:
    # Friday 15:00; Songkran (Mon 13 - Wed 15 April) and the weekend are skipped: the 2nd
    # working day is Friday 17 April, due at its close of business.
    code, out, _ = invoke("due", "2 working days", "--from", "2026-04-10T15:00+07:00")
    assert code == 0
    assert out.splitlines() == [
        "limit    2 working days: 2 working days, due at close of business of the 2nd working day",
        "from     2026-04-10 15:00 Fri (Asia/Bangkok)",
        "due      2026-04-17 16:30 Fri (Asia/Bangkok)",
        "due UTC  2026-04-17T09:30:00+00:00",
    ]


def test_due_reads_thai_and_defaults_to_now() -> None:
    with freeze_time("2026-04-20T02:00:00+00:00"):  # Monday 09:00 Bangkok
        code, out, _ = invoke("due", "๔ ชั่วโมงทำการ", "--json")
    assert code == 0
    assert json.loads(out) == {
        "limit": "๔ ชั่วโมงทำการ",
        "meaning": "4 working hours (office time only)",
        "from": "2026-04-20T02:00:00+00:00",
        # 09:00-12:00 is 3 hours; lunch does not count; the 4th hour ends at 14:00.
        "due_at": "2026-04-20T07:00:00+00:00",
        "due_at_bangkok": "2026-04-20T14:00:00+07:00",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2 wrking days", "--from", "2026-04-10T15:00+07:00"],
         "cannot read the time limit '2 wrking days': unknown unit 'wrking days'"),
        (["2 working days", "--from", "2026-04-10T15:00"],
         "--from '2026-04-10T15:00' has no UTC offset, so it is not an instant; add one, "
         "e.g. 2026-04-10T15:00+07:00"),
        (["2 working days", "--from", "next friday"],
         "--from 'next friday' is not an ISO-8601 date and time"),
    ],
)  # fmt: skip
def test_due_refuses_bad_input_with_exit_code_2(args: list[str], message: str) -> None:
    code, out, err = invoke("due", *args)
    assert (code, out) == (2, "")
    assert err.startswith("error: " + message)


def test_overdue_sweep_and_ontime_commands(ctx: Prflow, database_url: str) -> None:
    set_up(ctx)
    with freeze_time("2026-04-20T02:00:00+00:00"):  # Monday 09:00; write due 11:00
        case_id = service.start(ctx, "escalation_demo", {}, "writer").id
    with freeze_time("2026-04-20T05:00:00+00:00"):  # 12:00: one working hour late
        code, out, _ = invoke("sweep", "--json", db=database_url)
        assert code == 0
        swept = json.loads(out)
        assert [(f["case_id"], f["element_id"]) for f in swept["fired"]] == [(case_id, "due_write")]
        code, out, _ = invoke("overdue", "--role", "esao_pr_officer", "--json", db=database_url)
        assert code == 0
        [late] = json.loads(out)
        assert (late["case_id"], late["element_id"], late["lateness_seconds"]) == (
            case_id, "write", 3600,
        )  # fmt: skip
        code, out, _ = invoke("overdue", db=database_url)
        assert "write" in out and "1:00" in out
        code, _, err = invoke("overdue", "--unit", "nowhere", db=database_url)
        assert code == 2 and "unknown unit 'nowhere'" in err
    with freeze_time("2026-04-20T06:30:00+00:00"):  # 13:30
        write = next(t for t in service.show(ctx, case_id).tasks if t.element_id == "write")
        service.complete(ctx, write.id, {}, "writer")
    code, out, _ = invoke("ontime", "--since", "2026-04-20", "--until", "2026-04-20", "--json",
                          db=database_url)  # fmt: skip
    assert code == 0
    report = json.loads(out)
    # 09:00 -> 13:30 is 4h30 clock and 3h30 working (the lunch hour does not count).
    assert (report["total"], report["on_time"], report["share"]) == (1, 0, 0.0)
    assert (report["median_taken_seconds"], report["median_working_taken_seconds"]) == (
        16200, 12600,
    )  # fmt: skip
    code, out, _ = invoke("ontime", "--since", "2026-04-21", db=database_url)
    assert code == 0 and "no completed tasks" in out
