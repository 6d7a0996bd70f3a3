"""Each bound on input, at the engine (shared by the CLI and the API): refused with a
message saying what and how to fix it, and nothing stored."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from engine import bounds
from engine.accounts import users
from engine.bpmn.definitions import InvalidDefinition
from engine.cases import deployment, service
from engine.context import Prflow
from engine.errors import InvalidInput
from engine.files import write_atomically
from engine.store.db import read_session, write_session
from engine.store.tables import Event, User
from engine.worktime.calendar import WorkingCalendar
from engine.worktime.deadlines import LimitParseError, case_instant, compute_due, parse_limit
from tests.factories import add_people, deploy, open_task

CALENDAR = WorkingCalendar.thai()
ARRIVED = datetime(2026, 4, 10, 8, 0, tzinfo=UTC)


def _events(ctx: Prflow) -> int:
    with read_session(ctx.db) as session:
        return len(session.exec(select(Event.seq)).all())


@pytest.mark.parametrize(
    "text",
    ["9999-12-31T23:00+07:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59+00:00",
     "1899-12-31T23:59+00:00", "2201-01-01T00:00+07:00"],
)  # fmt: skip
def test_instants_outside_1900_to_2200_are_refused_without_overflow(text: str) -> None:
    with pytest.raises(InvalidInput, match="outside the years 1900-2200"):
        bounds.parse_instant(text, "--from")
    with pytest.raises(InvalidInput, match="1900-2200"):
        bounds.check_json({"meeting_ended_at": text}, "form data")
    with pytest.raises(InvalidInput, match="1900-2200"):
        case_instant({"meeting_ended_at": text}, "meeting_ended_at")


def test_instants_inside_the_range_pass() -> None:
    assert bounds.parse_instant("2200-12-31T23:00+07:00", "x").year == 2200
    assert bounds.parse_instant("1900-01-01T07:00+07:00", "x").year == 1900
    with pytest.raises(InvalidInput, match="no UTC offset"):
        bounds.parse_instant("2026-04-10T15:00", "--from")


@pytest.mark.parametrize("text", ["99999999 working days", "999999999999 hours",
                                  "3651 days", "87601 hours", "P3651D", "P99999999999W",
                                  "3651 วันทำการ", "9" * 5000 + " days"])  # fmt: skip
def test_time_limits_longer_than_ten_years_are_refused(text: str) -> None:
    with pytest.raises(LimitParseError, match="at most 3,650 days"):
        parse_limit(text)


def test_the_longest_limits_compute_without_walking_the_days() -> None:
    start = time.perf_counter()
    days = compute_due(parse_limit("3650 working days"), ARRIVED, CALENDAR, {})
    hours = compute_due(parse_limit("87600 working hours"), ARRIVED, CALENDAR, {})
    took = time.perf_counter() - start
    assert days.year == 2041 and hours.year == 2077
    short = compute_due(parse_limit("2 working days"), ARRIVED, CALENDAR, {})
    assert short == datetime(2026, 4, 17, 9, 30, tzinfo=UTC)  # Songkran skipped
    # Years of holiday data are computed once; the counting itself does not walk the days.
    again = time.perf_counter()
    compute_due(parse_limit("3650 working days"), ARRIVED, CALENDAR, {})
    assert time.perf_counter() - again < 0.05, "a long limit must not be counted day by day"
    assert took < 10


@pytest.mark.parametrize("value", [0, -1, 2**63, 10**30, True])
def test_ids_must_be_from_1_to_2_to_the_63(value: int) -> None:
    with pytest.raises(InvalidInput, match="not an id"):
        bounds.check_id(value, "task id")
    assert bounds.check_id(2**63 - 1, "task id") == 2**63 - 1


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": NaN}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ('{"a": -Infinity}', "-Infinity"),
        ('{"a": "x\\u0000y"}', "NUL"),
        ('{"a\\u0000": 1}', "NUL"),
        ('{"a": "\\ud800"}', "unpaired surrogate"),
        ("[" * 5000 + "]" * 5000, "nested more than 32"),
        (json.dumps(_nested(40)), "nested more than 32"),
        (json.dumps({"a": "x" * (300 * 1024)}), "longer than 262,144"),
        ('{"a": ' + "1" * 5000 + "}", "not usable JSON"),
    ],
)
def test_json_data_is_bounded_and_plain(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        bounds.load_json(text, "--data")


def test_bad_data_reaches_no_case(ctx: Prflow) -> None:
    add_people(ctx)
    deploy(ctx)
    case = service.start(ctx, "website_posting", {}, "malee")
    task = open_task(ctx, case.id)
    before = _events(ctx)
    for data in ({"a": float("nan")}, {"a": "\x00"}, _nested(40), {"d": "9999-12-31"}):
        with pytest.raises(InvalidInput):
            service.complete(ctx, task.id, data, "malee")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            service.start(ctx, "website_posting", data, "malee")  # type: ignore[arg-type]
    for bad_id in (0, -5, 2**63):
        with pytest.raises(InvalidInput, match="not an id"):
            service.claim(ctx, bad_id, "somchai")
        with pytest.raises(InvalidInput, match="not an id"):
            service.show(ctx, bad_id)
    assert _events(ctx) == before
    assert open_task(ctx, case.id).status == "ready"


@pytest.mark.parametrize(
    "name", ["\u202egnp.exe", "a\u2066b\u2069", "abc\u200f", "ok\x07", "x" * 201]
)
def test_display_names_refuse_direction_overrides_and_control_characters(
    ctx: Prflow, name: str
) -> None:
    with pytest.raises(InvalidInput), write_session(ctx.db) as session:
        users.add_user(
            session, ctx.roles, login="eve", display_name=name, unit="", roles=["ops"],
            now=ARRIVED, actor="setup",
        )  # fmt: skip
    with read_session(ctx.db) as session:
        assert session.get(User, "eve") is None
    assert bounds.check_text("สมชาย ใจดี", "display name") == "สมชาย ใจดี"


DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>
"""


def test_a_bpmn_with_a_dtd_or_too_big_is_refused_with_a_clear_message(
    ctx: Prflow, tmp_path: Path
) -> None:
    evil = tmp_path / "evil.bpmn"
    evil.write_bytes(DOCTYPE)
    with pytest.raises(InvalidDefinition, match="DOCTYPE"):
        deployment.validate_files(ctx, [evil])
    huge = tmp_path / "huge.bpmn"
    huge.write_bytes(b"<a>" + b" " * bounds.MAX_BPMN_BYTES + b"</a>")
    with pytest.raises(InvalidDefinition, match="at most 2,097,152"):
        deployment.validate_files(ctx, [huge])
    with pytest.raises(InvalidDefinition, match="DOCTYPE"):
        deployment.deploy(ctx, [evil], "owner")


def test_files_are_written_atomically_with_clear_messages_for_bad_paths(tmp_path: Path) -> None:
    target = tmp_path / "log.xes"
    write_atomically(target, "first")
    write_atomically(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["log.xes"]  # no temporary left behind
    with pytest.raises(InvalidInput, match="does not exist; create it first"):
        write_atomically(tmp_path / "missing" / "log.xes", "x")
    with pytest.raises(InvalidInput, match="is a folder"):
        write_atomically(tmp_path, "x")


def test_an_engine_without_its_holiday_file_says_so(tmp_path: Path, ctx: Prflow) -> None:
    from engine.settings import Settings

    (tmp_path / "roles.toml").write_bytes(ctx.settings.roles_file.read_bytes())
    bare = Prflow(Settings(database_url=ctx.settings.database_url, processes_dir=tmp_path))
    try:
        with pytest.raises(InvalidInput, match=r"holidays\.toml"):
            bare.calendar  # noqa: B018
    finally:
        bare.close()
