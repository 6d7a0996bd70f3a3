"""Working-time calendar: Thai holidays, the override file and office-time arithmetic."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from holidays.version import __version__ as holidays_version

from engine.worktime.calendar import (
    BANGKOK,
    CalendarFileError,
    NaiveDatetimeError,
    OfficeHours,
    OfficeHoursError,
    WorkingCalendar,
    WorkingTimeError,
)


def bkk(text: str) -> datetime:
    """An instant written as Bangkok wall-clock time, e.g. "2026-03-10 15:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=BANGKOK)


@pytest.fixture(scope="module")
def thai() -> WorkingCalendar:
    return WorkingCalendar.thai()


# -- what the holidays library (0.109) says, corrected by processes/holidays.toml ------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        # Songkran 2026 is Monday-Wednesday 13-15 April: no substitution day follows.
        (date(2026, 4, 13), "วันสงกรานต์"),
        (date(2026, 4, 14), "วันสงกรานต์"),
        (date(2026, 4, 15), "วันสงกรานต์"),
        (date(2026, 4, 16), None),
        # New Year 2026/27: Thursday 31 Dec and Friday 1 Jan.
        (date(2026, 12, 31), "วันสิ้นปี"),
        (date(2027, 1, 1), "วันขึ้นปีใหม่"),
        # Visakha Bucha falls on Sunday 31 May 2026; Monday 1 June is its substitution day.
        (date(2026, 6, 1), "ชดเชยวันวิสาขบูชา"),
        # Cabinet special day already in the library.
        (date(2026, 1, 2), "วันหยุดพิเศษ (เพิ่มเติม)"),
        # Removed by name in the override file: government offices work on Labour Day.
        (date(2026, 5, 1), None),
        (date(2027, 5, 3), None),  # its substitution day (1 May 2027 is a Saturday)
        # A weekend is not a holiday.
        (date(2026, 3, 14), None),
    ],
)
def test_holiday_names(thai: WorkingCalendar, day: date, name: str | None) -> None:
    assert thai.holiday_name(day) == name


def test_several_holidays_on_one_date_are_joined(thai: WorkingCalendar) -> None:
    # 5 Dec 2026 is a Saturday: Monday 7 Dec substitutes three holidays at once.
    name = thai.holiday_name(date(2026, 12, 7))
    assert name is not None
    assert name.split("; ")[1:] == ["ชดเชยวันชาติ", "ชดเชยวันพ่อแห่งชาติ"]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 10), True),  # Friday before Songkran
        (date(2026, 4, 13), False),  # Songkran
        (date(2026, 4, 16), True),  # Thursday after Songkran
        (date(2026, 4, 11), False),  # Saturday
        (date(2026, 5, 1), True),  # Labour Day: offices open
        (date(2026, 5, 4), False),  # Coronation Day
        (date(2026, 5, 13), False),  # Royal Ploughing: a GOVERNMENT-category holiday
        (date(2026, 6, 1), False),  # substitution day
        (date(2027, 1, 4), True),  # first working day of 2027
    ],
)
def test_is_working_day(thai: WorkingCalendar, day: date, working: bool) -> None:
    assert thai.is_working_day(day) is working


def test_without_override_file_labour_day_is_off() -> None:
    plain = WorkingCalendar.thai(override_file=None)
    assert plain.holiday_name(date(2026, 5, 1)) == "วันแรงงานแห่งชาติ"
    assert plain.holiday_name(date(2027, 5, 3)) == "ชดเชยวันแรงงานแห่งชาติ"


def test_date_of_an_instant_is_taken_in_bangkok(thai: WorkingCalendar) -> None:
    # 17:00 UTC on Friday is 00:00 on Saturday in Bangkok.
    friday_utc_evening = datetime(2026, 3, 13, 17, 0, tzinfo=UTC)
    assert thai.local_date(friday_utc_evening) == date(2026, 3, 14)
    assert thai.is_working_day(friday_utc_evening) is False


def test_year_is_expanded_once_and_cached() -> None:
    class CountingSource:
        def __init__(self) -> None:
            self.years: list[int] = []

        def holidays_in(self, year: int) -> Mapping[date, str]:
            self.years.append(year)
            return {date(year, 4, 13): "วันสงกรานต์"}

        def fingerprint_bytes(self) -> bytes:
            return b"counting"

    source = CountingSource()
    calendar = WorkingCalendar(OfficeHours(), source)
    for day in range(1, 29):
        calendar.is_working_day(date(2026, 2, day))
    assert calendar.holiday_name(date(2027, 4, 13)) == "วันสงกรานต์"
    assert source.years == [2026, 2027]


# -- arithmetic: explicit holidays keep these independent of the library ------------------

# Tuesday 10 March 2026 is an ordinary working day; Wednesday 11 March is a test holiday.
PLAIN = WorkingCalendar(OfficeHours(), {date(2026, 3, 11): "test holiday"})


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-03-10 10:00", "2026-03-10 10:00"),  # open: the instant itself
        ("2026-03-10 08:30", "2026-03-10 08:30"),  # a session includes its start
        ("2026-03-10 07:00", "2026-03-10 08:30"),  # before opening
        ("2026-03-10 12:00", "2026-03-10 13:00"),  # a session excludes its end: lunch
        ("2026-03-10 16:30", "2026-03-12 08:30"),  # closed; Wednesday is a holiday
        ("2026-03-13 17:00", "2026-03-16 08:30"),  # Friday evening -> Monday
        ("2026-03-14 10:00", "2026-03-16 08:30"),  # Saturday -> Monday
    ],
)
def test_next_opening(at: str, expected: str) -> None:
    assert PLAIN.next_opening(bkk(at)) == bkk(expected)


@pytest.mark.parametrize(
    ("a", "b", "elapsed"),
    [
        ("2026-03-10 08:30", "2026-03-10 16:30", timedelta(hours=7)),  # a day, lunch excluded
        ("2026-03-10 11:00", "2026-03-10 14:00", timedelta(hours=2)),  # across lunch
        ("2026-03-10 12:10", "2026-03-10 12:50", timedelta(0)),  # inside lunch
        ("2026-03-10 16:00", "2026-03-12 09:00", timedelta(hours=1)),  # over a holiday
        ("2026-03-13 16:00", "2026-03-16 09:00", timedelta(hours=1)),  # over a weekend
        ("2026-03-14 09:00", "2026-03-15 15:00", timedelta(0)),  # all weekend
        ("2026-03-10 10:00", "2026-03-10 10:00", timedelta(0)),  # equal instants
        ("2026-03-10 14:00", "2026-03-10 11:00", -timedelta(hours=2)),  # reversed: negative
    ],
)
def test_working_time_between(a: str, b: str, elapsed: timedelta) -> None:
    assert PLAIN.working_time_between(bkk(a), bkk(b)) == elapsed


@pytest.mark.parametrize(
    ("start", "delta", "expected"),
    [
        ("2026-03-10 11:00", timedelta(hours=2), "2026-03-10 14:00"),  # 1h + lunch + 1h
        ("2026-03-10 10:00", timedelta(hours=2), "2026-03-10 12:00"),  # stays at 12:00
        ("2026-03-10 15:00", timedelta(minutes=90), "2026-03-10 16:30"),  # stays at 16:30
        ("2026-03-10 16:00", timedelta(hours=1), "2026-03-12 09:00"),  # skips the holiday
        ("2026-03-13 17:00", timedelta(hours=1), "2026-03-16 09:30"),  # after hours Friday
        ("2026-03-10 10:00", timedelta(0), "2026-03-10 10:00"),  # zero: start itself
        ("2026-03-10 08:30", timedelta(hours=14), "2026-03-12 16:30"),  # Tue + Thu in full
    ],
)
def test_add_working_time(start: str, delta: timedelta, expected: str) -> None:
    assert PLAIN.add_working_time(bkk(start), delta) == bkk(expected)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-03-10 08:00", 1, "2026-03-10 16:30"),  # before opening: the day counts
        ("2026-03-10 08:30", 1, "2026-03-10 16:30"),  # at opening: the day counts
        ("2026-03-10 08:31", 1, "2026-03-12 16:30"),  # after opening: next (Wed is off)
        ("2026-03-12 15:00", 2, "2026-03-16 16:30"),  # Fri, then Mon
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert PLAIN.add_working_days(bkk(start), n) == bkk(expected)


def test_results_are_utc() -> None:
    due = PLAIN.add_working_days(bkk("2026-03-10 08:00"), 1)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_custom_office_hours() -> None:
    # One session 09:00-17:00, Monday to Saturday.
    hours = OfficeHours(((time(9), time(17)),), frozenset(range(6)), tz=BANGKOK)
    calendar = WorkingCalendar(hours)
    saturday = bkk("2026-03-14 16:00")
    assert calendar.add_working_time(saturday, timedelta(hours=2)) == bkk("2026-03-16 10:00")
    assert calendar.add_working_days(bkk("2026-03-14 08:00"), 1) == bkk("2026-03-14 17:00")


# -- errors ------------------------------------------------------------------------------


def test_naive_datetime_is_refused() -> None:
    naive = datetime(2026, 3, 10, 15, 0)
    with pytest.raises(NaiveDatetimeError) as caught:
        PLAIN.add_working_days(naive, 1)
    assert str(caught.value) == (
        "start=2026-03-10T15:00:00 has no timezone, so it is not an instant; "
        "pass an aware datetime, e.g. 2026-03-10T15:00:00+07:00 for Bangkok time"
    )
    assert caught.value.argument == "start"
    for call in (
        lambda: PLAIN.next_opening(naive),
        lambda: PLAIN.add_working_time(naive, timedelta(hours=1)),
        lambda: PLAIN.working_time_between(naive, bkk("2026-03-10 15:00")),
        lambda: PLAIN.is_open(naive),
    ):
        with pytest.raises(NaiveDatetimeError):
            call()


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(WorkingTimeError, match="count at least 1 working day"):
        PLAIN.add_working_days(bkk("2026-03-10 10:00"), 0)
    with pytest.raises(WorkingTimeError, match="must not be negative"):
        PLAIN.add_working_time(bkk("2026-03-10 10:00"), -timedelta(minutes=1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sessions": ()}, "give at least one session"),
        ({"sessions": ((time(12), time(8, 30)),)}, "must end after it starts"),
        (
            {"sessions": ((time(8), time(12)), (time(11), time(16)))},
            "sessions must be sorted and must not overlap",
        ),
        ({"workdays": frozenset({7})}, "give weekday numbers 0 (Monday) to 6 (Sunday)"),
    ],
)
def test_bad_office_hours(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(OfficeHoursError, match=re.escape(message)):
        OfficeHours(**kwargs)  # type: ignore[arg-type]


# -- the override file -----------------------------------------------------------------


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "holidays.toml"
    path.write_text(content, encoding="utf-8")
    return path


def test_cabinet_added_day(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[add]]\ndate = 2026-03-13\nname = "วันหยุดพิเศษ (ทดสอบ)"\nreason = "มติ ครม."\n',
    )
    calendar = WorkingCalendar.thai(path)
    assert calendar.holiday_name(date(2026, 3, 13)) == "วันหยุดพิเศษ (ทดสอบ)"
    # Thursday 15:00 + 1 working day: Friday is now off, so Monday.
    assert calendar.add_working_days(bkk("2026-03-12 15:00"), 1) == bkk("2026-03-16 16:30")


def test_remove_by_date(tmp_path: Path) -> None:
    path = write(tmp_path, "[[remove]]\ndate = 2026-06-01\n")
    assert WorkingCalendar.thai(path).is_working_day(date(2026, 6, 1))


def test_fingerprint_is_stable_and_follows_the_file(tmp_path: Path) -> None:
    first = WorkingCalendar.thai(write(tmp_path, "")).fingerprint
    again = WorkingCalendar.thai(write(tmp_path, "")).fingerprint
    changed = WorkingCalendar.thai(write(tmp_path, "# a comment\n")).fingerprint
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first == again
    assert first != changed
    assert WorkingCalendar.thai().fingerprint != first


@pytest.mark.parametrize(
    ("content", "entry", "problem"),
    [
        (
            '[[add]]\ndate = 2026-02-30\nname = "x"\n',
            "(file)",
            "is not valid TOML (Invalid date or datetime (at line 2, column 8)); "
            "write dates bare and real, e.g. date = 2026-05-01",
        ),
        (
            '[[add]]\ndate = "2026-05-15"\nname = "x"\n',
            "[[add]] entry 1",
            "date '2026-05-15' is a string; write it bare, without quotes: date = 2026-05-15",
        ),
        (
            '[[add]]\ndate = 2026-05-15T10:00:00\nname = "x"\n',
            "[[add]] entry 1",
            "date datetime.datetime(2026, 5, 15, 10, 0) is not a calendar date; "
            "write date = YYYY-MM-DD",
        ),
        (
            "holidayz = 1\n",
            "key 'holidayz'",
            "unknown top-level key; use [[add]] or [[remove]] tables",
        ),
        (
            '[[add]]\ndate = 2026-05-15\nname = "x"\nnote = "y"\n',
            "[[add]] entry 1",
            "unknown key 'note'; allowed keys are date, name, reason",
        ),
        ("[[add]]\ndate = 2026-05-15\n", "[[add]] entry 1", "missing key 'name'"),
        ('add = "2026-05-15"\n', "add", "write each entry as a [[add]] table"),
        (
            "[[remove]]\ndate = 2026-03-11\n",
            "[[remove]] entry 1",
            "removal matches nothing: the holidays library {version} has no holiday on 2026-03-11; "
            "fix the date or delete the entry",
        ),
        (
            '[[remove]]\nname = "วันแรงงาน"\n',
            "[[remove]] entry 1",
            "removal matches nothing: no holiday in the holidays library {version} is named "
            "'วันแรงงาน'; names must match exactly; did you mean 'วันแรงงานแห่งชาติ' or "
            "'ชดเชยวันแรงงานแห่งชาติ'?",
        ),
        (
            '[[remove]]\ndate = 2026-04-13\nname = "วันสงกรานต์"\n',
            "[[remove]] entry 1",
            'give exactly one of date = YYYY-MM-DD or name = "..."',
        ),
        (
            '[[add]]\ndate = 2026-04-13\nname = "x"\n[[remove]]\ndate = 2026-04-13\n',
            "[[remove]] entry 1",
            "2026-04-13 is both added and removed; delete one of the entries",
        ),
    ],
)
def test_bad_override_file(tmp_path: Path, content: str, entry: str, problem: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(CalendarFileError) as caught:
        WorkingCalendar.thai(path)
    problem = problem.replace("{version}", holidays_version)
    assert str(caught.value) == f"{path}: {entry}: {problem}"
    assert (caught.value.path, caught.value.entry, caught.value.problem) == (path, entry, problem)


def test_missing_override_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(CalendarFileError) as caught:
        WorkingCalendar.thai(path)
    assert str(caught.value) == (
        f"{path}: (file): cannot be read (No such file or directory); create it or pass None"
    )
