"""What a mutation probe showed no test checked: Thai digits ๐ and ๖-๙, the on-time
report's half-open period [since, until), ``WorkingCalendar.is_open``; and that the
calendar's counting (which skips whole years instead of walking days) equals a plain
day-by-day walk."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cases import kpi, service
from engine.context import Prflow
from engine.worktime.calendar import BANGKOK, WorkingCalendar
from engine.worktime.deadlines import LimitKind, Unit, parse_limit
from tests.factories import add_people, deploy, open_task

CALENDAR = WorkingCalendar.thai()


@pytest.mark.parametrize(
    ("text", "amount", "unit", "kind"),
    [
        ("๐๑ วัน", 1, Unit.DAYS, LimitKind.CLOCK_TIME),  # a leading ๐ is a zero
        ("๑๐ วัน", 10, Unit.DAYS, LimitKind.CLOCK_TIME),
        ("๖ ชั่วโมง", 6, Unit.HOURS, LimitKind.CLOCK_TIME),
        ("๗ วันทำการ", 7, Unit.DAYS, LimitKind.WORKING_DAYS),
        ("๘ ชั่วโมงทำการ", 8, Unit.HOURS, LimitKind.WORKING_TIME),
        ("๙ นาที", 9, Unit.MINUTES, LimitKind.CLOCK_TIME),
        ("๖๗๘๙ นาที", 6789, Unit.MINUTES, LimitKind.CLOCK_TIME),
        ("๒-๙ วัน", 9, Unit.DAYS, LimitKind.CLOCK_TIME),
    ],
)
def test_every_thai_digit_is_read(text: str, amount: int, unit: Unit, kind: LimitKind) -> None:
    limit = parse_limit(text)
    assert (limit.amount, limit.unit, limit.kind) == (amount, unit, kind)


def _bkk(*args: int) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (_bkk(2026, 6, 8, 8, 29, 59), False),  # Monday before opening
        (_bkk(2026, 6, 8, 8, 30), True),  # a session's start is in
        (_bkk(2026, 6, 8, 11, 59, 59), True),
        (_bkk(2026, 6, 8, 12, 0), False),  # its end is out: lunch
        (_bkk(2026, 6, 8, 13, 0), True),
        (_bkk(2026, 6, 8, 16, 29, 59), True),
        (_bkk(2026, 6, 8, 16, 30), False),  # close of business
        (_bkk(2026, 6, 13, 10, 0), False),  # Saturday
        (_bkk(2026, 4, 13, 10, 0), False),  # Songkran, a Monday
        (datetime(2026, 6, 8, 2, 0, tzinfo=UTC), True),  # 09:00 in Bangkok
        (datetime(2026, 6, 8, 10, 0, tzinfo=UTC), False),  # 17:00 in Bangkok
    ],
)
def test_is_open(at: datetime, open_: bool) -> None:
    assert CALENDAR.is_open(at) is open_


def test_the_on_time_period_includes_since_and_excludes_until(ctx: Prflow) -> None:
    add_people(ctx)
    deploy(ctx)
    done = datetime(2026, 6, 8, 3, 0, tzinfo=UTC)  # Monday 10:00 Bangkok
    with freeze_time(done - timedelta(hours=1)):
        case = service.start(ctx, "website_posting", {}, "malee")
    with freeze_time(done):
        service.complete(ctx, open_task(ctx, case.id).id, {}, "somchai")
    tick = timedelta(microseconds=1)

    def total(since: datetime | None, until: datetime | None) -> int:
        return kpi.on_time_share(ctx, since=since, until=until).total

    assert total(done, done + tick) == 1  # since is inclusive
    assert total(done - tick, done) == 0  # until is exclusive
    assert total(done + tick, None) == 0
    assert total(None, done + tick) == 1
    assert total(None, None) == 1


def test_ontime_until_counts_the_whole_last_day_in_bangkok(ctx: Prflow) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    add_people(ctx)
    deploy(ctx)
    url = ctx.db.url.render_as_string(hide_password=False)
    # 23:59 on Monday 8 June in Bangkok is still the 8th there (16:59 UTC).
    late_evening = _bkk(2026, 6, 8, 23, 59)
    with freeze_time(late_evening - timedelta(hours=1)):
        case = service.start(ctx, "website_posting", {}, "malee")
    with freeze_time(late_evening):
        service.complete(ctx, open_task(ctx, case.id).id, {}, "somchai")

    def total(*args: str) -> int:
        result = CliRunner().invoke(
            app, ["ontime", "--json", *args], env={"PRFLOW_DATABASE_URL": url}
        )
        assert result.exit_code == 0, result.output
        return int(json.loads(result.stdout)["total"])

    assert total("--until", "2026-06-08") == 1
    assert total("--until", "2026-06-07") == 0
    assert total("--since", "2026-06-09") == 0
    assert total("--since", "2026-06-08", "--until", "2026-06-08") == 1


# --- the calendar's counting equals a day-by-day walk -----------------------------------


def _walk_working_days(start: datetime, n: int) -> datetime:
    local = start.astimezone(BANGKOK)
    day = local.date()
    counted = 1 if CALENDAR.is_working_day(day) and local.time() <= CALENDAR.hours.opening else 0
    while counted < n:
        day += timedelta(days=1)
        counted += CALENDAR.is_working_day(day)
    return CALENDAR.close_of_business(day)


def _sessions(day: date) -> list[tuple[datetime, datetime]]:
    if not CALENDAR.is_working_day(day):
        return []
    return [
        (datetime.combine(day, s, BANGKOK), datetime.combine(day, e, BANGKOK))
        for s, e in CALENDAR.hours.sessions
    ]


def _walk_working_time(start: datetime, delta: timedelta) -> datetime:
    if not delta:
        return start.astimezone(UTC)
    day, remaining = start.astimezone(BANGKOK).date(), delta
    while True:
        for begin, end in _sessions(day):
            begin = max(begin, start)
            if end <= begin:
                continue
            if remaining <= end - begin:
                return (begin + remaining).astimezone(UTC)
            remaining -= end - begin
        day += timedelta(days=1)


def _walk_between(a: datetime, b: datetime) -> timedelta:
    total = timedelta(0)
    day = a.astimezone(BANGKOK).date()
    while day <= b.astimezone(BANGKOK).date():
        for begin, end in _sessions(day):
            overlap = min(end, b) - max(begin, a)
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(start=INSTANTS, n=st.integers(1, 400))
def test_add_working_days_equals_the_walk(start: datetime, n: int) -> None:
    assert CALENDAR.add_working_days(start, n) == _walk_working_days(start, n)


@FAST
@given(start=INSTANTS, minutes=st.integers(0, 7 * 60 * 300))
def test_add_working_time_equals_the_walk(start: datetime, minutes: int) -> None:
    delta = timedelta(minutes=minutes)
    assert CALENDAR.add_working_time(start, delta) == _walk_working_time(start, delta)


@FAST
@given(a=INSTANTS, b=INSTANTS)
def test_working_time_between_equals_the_walk(a: datetime, b: datetime) -> None:
    a, b = min(a, b), max(a, b)
    assert CALENDAR.working_time_between(a, b) == _walk_between(a, b)
    assert CALENDAR.working_time_between(b, a) == -_walk_between(a, b)
