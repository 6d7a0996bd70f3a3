"""Time limits: parsing the text of BPMN task properties and computing due instants.

The worked examples use the real Thai calendar (holidays library + processes/holidays.toml).
All instants are written in Bangkok time (+07:00). 9-13 and 16-20 March 2026 are ordinary
working weeks (Makha Bucha was on 3 March).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.worktime.calendar import BANGKOK, NaiveDatetimeError, WorkingCalendar
from engine.worktime.deadlines import (
    CaseDateError,
    LimitKind,
    LimitParseError,
    TimeLimit,
    Unit,
    compute_due,
    is_due_soon,
    is_on_time,
    lateness,
    parse_limit,
)


def bkk(text: str) -> datetime:
    """An instant written as Bangkok wall-clock time, e.g. "2026-03-10 15:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=BANGKOK)


@pytest.fixture(scope="module")
def thai() -> WorkingCalendar:
    return WorkingCalendar.thai()


# -- worked examples -------------------------------------------------------------------

WORKED_EXAMPLES = [
    # `prflow due "2 working days" --from 2026-04-10T15:00+07:00`: Friday 15:00 is after
    # opening, so Friday does not count; Sat-Sun weekend, Mon-Wed 13-15 April Songkran;
    # Thu 16 is the 1st working day, Fri 17 the 2nd -> Fri 17 April 16:30.
    ("2 working days", "2026-04-10 15:00", "2026-04-17 16:30"),
    # Songkran, working hours: 30 minutes left on Friday (16:00-16:30), the office reopens
    # Thursday 16 April 08:30, +30 minutes -> 09:00.
    ("1 working hour", "2026-04-10 16:00", "2026-04-16 09:00"),
    # New Year: Thu 31 Dec (วันสิ้นปี) and Fri 1 Jan (วันขึ้นปีใหม่) are off, then a weekend;
    # the 1st working day after Wednesday 10:00 is Monday 4 January 2027.
    ("1 working day", "2026-12-30 10:00", "2027-01-04 16:30"),
    # New Year, working hours: 30 minutes on Wednesday, 1h30 from Monday 08:30 -> 10:00.
    ("2 working hours", "2026-12-30 16:00", "2027-01-04 10:00"),
    # Substitution day: Visakha Bucha is Sunday 31 May, Monday 1 June is ชดเชยวันวิสาขบูชา;
    # after Friday 29 May 10:00 the 1st working day is Tuesday 2 June.
    ("1 working day", "2026-05-29 10:00", "2026-06-02 16:30"),
    # Labour Day Friday 1 May 2026 is a working day for government offices (override file).
    ("1 working day", "2026-04-30 15:00", "2026-05-01 16:30"),
    # Labour Day's substitution Monday 3 May 2027 is removed too; Tuesday 4 May is Coronation
    # Day, but the 1st working day after Friday 30 April 15:00 is already Monday 3 May.
    ("1 working day", "2027-04-30 15:00", "2027-05-03 16:30"),
    # Lunch break: 11:00-12:00 is one hour, 13:00-14:00 the second -> 14:00.
    ("2 working hours", "2026-03-10 11:00", "2026-03-10 14:00"),
    # Result exactly at 12:00 stays there, it does not roll to 13:00.
    ("2 working hours", "2026-03-10 10:00", "2026-03-10 12:00"),
    # Result exactly at 16:30 stays there, it does not roll to the next morning.
    ("90 working minutes", "2026-03-10 15:00", "2026-03-10 16:30"),
    # Weekend start: counts from Monday 08:30 opening -> 09:30.
    ("1 working hour", "2026-03-14 10:00", "2026-03-16 09:30"),
    # Weekend start, working days: Saturday is not a working day, so it never counts even
    # before 08:30; Monday is the 1st working day.
    ("1 working day", "2026-03-14 08:00", "2026-03-16 16:30"),
    # After-hours start: Friday 17:00 counts from Monday 08:30 -> 09:30.
    ("1 working hour", "2026-03-13 17:00", "2026-03-16 09:30"),
    # Before opening: arriving at 07:00 counts from 08:30 -> 3 hours later is 11:30.
    ("3 ชั่วโมงทำการ", "2026-03-10 07:00", "2026-03-10 11:30"),
    # s.193/3: arrived Tuesday 08:00, before opening, so Tuesday is the 1st working day.
    ("1 working day", "2026-03-10 08:00", "2026-03-10 16:30"),
    # Arrived at opening time exactly: Tuesday still counts.
    ("1 working day", "2026-03-10 08:30", "2026-03-10 16:30"),
    # Arrived Tuesday 15:00: Tuesday does not count; Wednesday is the 1st working day.
    ("1 working day", "2026-03-10 15:00", "2026-03-11 16:30"),
    # Thai digits: ๒ = 2; Tuesday 15:00 does not count -> Wed (1st), Thu (2nd).
    ("๒ วันทำการ", "2026-03-10 15:00", "2026-03-12 16:30"),
    # Thai-digit range of working days uses the upper bound: ๑-๒ -> 2 working days.
    ("๑-๒ วันทำการ", "2026-03-10 15:00", "2026-03-12 16:30"),
    # Range with a note: the upper bound 4 days in clock time, weekend included -> Sat 15:00.
    ("2-4 วัน (ตามโครงการ)", "2026-03-10 15:00", "2026-03-14 15:00"),
    # En-dash range: upper bound 5 days of clock time -> Sunday 15:00.
    ("2–5 days", "2026-03-10 15:00", "2026-03-15 15:00"),
    # ISO durations are clock time: office hours do not matter, 15:00 + 3h = 18:00.
    ("PT3H", "2026-03-13 15:00", "2026-03-13 18:00"),
    # P1D is 24 hours: Friday 15:00 -> Saturday 15:00.
    ("P1D", "2026-03-13 15:00", "2026-03-14 15:00"),
    # PT30M across close of business: clock time, so 16:15 -> 16:45.
    ("PT30M", "2026-03-10 16:15", "2026-03-10 16:45"),
    # "ไม่เกิน" (at most) is the limit itself: 15 minutes.
    ("ไม่เกิน 15 นาที", "2026-03-10 10:00", "2026-03-10 10:15"),
]


@pytest.mark.parametrize(("text", "arrived", "due"), WORKED_EXAMPLES)
def test_worked_examples(thai: WorkingCalendar, text: str, arrived: str, due: str) -> None:
    result = compute_due(parse_limit(text), bkk(arrived), thai, {})
    assert result == bkk(due)
    assert result.tzinfo is UTC


def test_prflow_due_command_semantics(thai: WorkingCalendar) -> None:
    # What `prflow due "2 working days" --from 2026-04-10T15:00+07:00` computes.
    arrived = datetime.fromisoformat("2026-04-10T15:00+07:00")
    due = compute_due(parse_limit("2 working days"), arrived, thai, {})
    assert due.isoformat() == "2026-04-17T09:30:00+00:00"  # Friday 17 April 16:30 Bangkok


def test_instant_late_in_the_utc_day_is_the_next_bangkok_day(thai: WorkingCalendar) -> None:
    # 01:00 UTC Friday is 08:00 Friday in Bangkok: before opening, so Friday counts.
    arrived = datetime(2026, 3, 13, 1, 0, tzinfo=UTC)
    assert compute_due(parse_limit("1 working day"), arrived, thai, {}) == bkk("2026-03-13 16:30")
    # 17:00 UTC Thursday is already 00:00 Friday in Bangkok: Friday counts too.
    arrived = datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
    assert compute_due(parse_limit("1 working day"), arrived, thai, {}) == bkk("2026-03-13 16:30")


def test_labour_day_is_off_without_the_override_file() -> None:
    plain = WorkingCalendar.thai(override_file=None)
    # Fri 1 May off, weekend, Mon 4 May Coronation Day -> Tuesday 5 May.
    due = compute_due(parse_limit("1 working day"), bkk("2026-04-30 15:00"), plain, {})
    assert due == bkk("2026-05-05 16:30")


def test_cabinet_added_day_from_a_tmp_override_file(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text('[[add]]\ndate = 2026-03-11\nname = "วันหยุดพิเศษ (เพิ่มเติม)"\n', encoding="utf-8")
    calendar = WorkingCalendar.thai(path)
    # Tuesday 15:00 does not count, Wednesday 11 March is now off -> Thursday 12 March.
    due = compute_due(parse_limit("1 working day"), bkk("2026-03-10 15:00"), calendar, {})
    assert due == bkk("2026-03-12 16:30")


@pytest.mark.parametrize(
    ("text", "case_data", "due"),
    [
        # P8 standard: report within 3 hours after the meeting ended, in clock time.
        ("meeting_ended_at + 3 hours", {"meeting_ended_at": "2026-03-13T15:00+07:00"}, "18:00"),
        # Field values may be aware datetimes in any zone: 08:00 UTC is 15:00 Bangkok.
        (
            "inspection_ended_at + 24 hours",
            {"inspection_ended_at": datetime(2026, 3, 12, 8, 0, tzinfo=UTC)},
            "15:00",
        ),
        # Before the anchor: the invitation is due 3 hours before the press conference.
        (
            "press_conference_at - 3 hours",
            {"press_conference_at": "2026-03-13T10:00+07:00"},
            "07:00",
        ),
        # "Z" suffix is accepted; 03:00Z is 10:00 Bangkok, minus 30 minutes.
        ("press_conference_at − PT30M", {"press_conference_at": "2026-03-13T03:00Z"}, "09:30"),
    ],
)
def test_relative_standards(
    thai: WorkingCalendar, text: str, case_data: dict[str, object], due: str
) -> None:
    arrived = bkk("2026-03-01 09:00")  # not used by a relative standard
    assert compute_due(parse_limit(text), arrived, thai, case_data) == bkk(f"2026-03-13 {due}")


# -- parsing -----------------------------------------------------------------------------

D, W, C = LimitKind.WORKING_DAYS, LimitKind.WORKING_TIME, LimitKind.CLOCK_TIME


@pytest.mark.parametrize(
    ("text", "kind", "amount", "unit", "note", "range_from"),
    [
        ("2 working days", D, 2, Unit.DAYS, None, None),
        ("1 working day", D, 1, Unit.DAYS, None, None),
        ("2 วันทำการ", D, 2, Unit.DAYS, None, None),
        ("๑๕ วันทำการ", D, 15, Unit.DAYS, None, None),
        ("2วันทำการ", D, 2, Unit.DAYS, None, None),
        ("ภายใน ๓ วันทำการ", D, 3, Unit.DAYS, None, None),
        ("3 working hours", W, 3, Unit.HOURS, None, None),
        ("1 Working Hour", W, 1, Unit.HOURS, None, None),
        ("3 ชั่วโมงทำการ", W, 3, Unit.HOURS, None, None),
        ("30 working minutes", W, 30, Unit.MINUTES, None, None),
        ("24 hours", C, 24, Unit.HOURS, None, None),
        ("3 days", C, 3, Unit.DAYS, None, None),
        ("3 วัน", C, 3, Unit.DAYS, None, None),
        ("2 ชม.", C, 2, Unit.HOURS, None, None),
        ("45 นาที", C, 45, Unit.MINUTES, None, None),
        ("at most 2 hours", C, 2, Unit.HOURS, None, None),
        ("PT3H", C, 3, Unit.HOURS, None, None),
        ("P1D", C, 1, Unit.DAYS, None, None),
        ("PT30M", C, 30, Unit.MINUTES, None, None),
        ("P1DT2H", C, 26, Unit.HOURS, None, None),
        ("P1W", C, 7, Unit.DAYS, None, None),
        ("PT90S", C, 90, Unit.SECONDS, None, None),
        ("1-2 days", C, 2, Unit.DAYS, None, 1),
        ("2-4 วัน (ตามโครงการ)", C, 4, Unit.DAYS, "ตามโครงการ", 2),
        ("2–5 days", C, 5, Unit.DAYS, None, 2),
        ("ไม่เกิน 15 นาที (นับจากได้รับเรื่อง)", C, 15, Unit.MINUTES, "นับจากได้รับเรื่อง", None),
    ],
)
def test_parse_limit(
    text: str, kind: LimitKind, amount: int, unit: Unit, note: str | None, range_from: int | None
) -> None:
    assert parse_limit(text) == TimeLimit(text, kind, amount, unit, note, range_from)


@pytest.mark.parametrize(
    ("text", "anchor", "sign", "hours"),
    [
        ("meeting_ended_at + 3 hours", "meeting_ended_at", 1, 3),
        ("inspection_ended_at+24 hours", "inspection_ended_at", 1, 24),
        ("press_conference_at - 3 hours", "press_conference_at", -1, 3),
        ("press_conference_at – 3 ชั่วโมง", "press_conference_at", -1, 3),  # en dash, Thai
    ],
)
def test_parse_relative(text: str, anchor: str, sign: int, hours: int) -> None:
    limit = parse_limit(text)
    assert (limit.kind, limit.anchor, limit.sign) == (C, anchor, sign)
    assert limit.duration == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("2 working days", "2 working days, due at close of business of the 2nd working day"),
        ("1 working day", "1 working day, due at close of business of the 1st working day"),
        ("30 working minutes", "30 working minutes (office time only)"),
        ("PT1H", "1 hour of clock time"),
        (
            "2-4 วัน (ตามโครงการ)",
            "4 days of clock time (upper bound of the range 2-4); note: ตามโครงการ",
        ),
        ("press_conference_at - 3 hours", "3 hours before press_conference_at"),
        ("meeting_ended_at + 3 hours", "3 hours after meeting_ended_at"),
    ],
)
def test_describe(text: str, description: str) -> None:
    assert parse_limit(text).describe() == description


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no amount or unit given"),
        ("(ตามโครงการ)", "no amount or unit given"),
        ("soon", "no number found"),
        ("days 2", "put the number before the unit, e.g. 2 working days"),
        ("2", "the number has no unit; add days, hours or minutes"),
        ("2 weeks", "unknown unit 'weeks'; use days, hours or minutes (วัน, ชั่วโมง, นาที)"),
        ("1.5 hours", "use whole numbers, e.g. 90 minutes instead of 1.5 hours"),
        ("0 days", "the amount must be greater than zero"),
        ("4-2 days", "the range 4-2 runs backwards; write it 2-4"),
        ("P1Y", "ISO-8601 years and months have no fixed length; use days, e.g. P30D"),
        ("P3M", "ISO-8601 years and months have no fixed length; use days, e.g. P30D"),
        ("PT", "not a supported ISO-8601 duration; use e.g. PT3H, P1D, PT30M or P1DT2H"),
        (
            "Meeting_Ended_At + 3 hours",
            "the case date field 'Meeting_Ended_At' must be snake_case, e.g. meeting_ended_at",
        ),
        (
            "meeting_ended_at + 2 working days",
            "relative standards count clock time; drop 'working' / 'ทำการ'",
        ),
        ("2 days (note", "unbalanced parentheses; put a note in one pair ( )"),
    ],
)
def test_unparseable_text(text: str, reason: str) -> None:
    with pytest.raises(LimitParseError) as caught:
        parse_limit(text)
    assert caught.value.text == text
    assert caught.value.reason == reason
    message = str(caught.value)
    assert message.startswith(f"cannot read the time limit {text!r}: {reason}. Accepted forms: ")
    assert "'2 working days'" in message
    assert "'meeting_ended_at + 3 hours'" in message


def test_naive_arrival_is_refused(thai: WorkingCalendar) -> None:
    with pytest.raises(NaiveDatetimeError) as caught:
        compute_due(parse_limit("PT3H"), datetime(2026, 3, 10, 15, 0), thai, {})
    assert str(caught.value).startswith("arrived_at=2026-03-10T15:00:00 has no timezone")


@pytest.mark.parametrize(
    ("case_data", "message"),
    [
        ({}, "case date field 'meeting_ended_at' is missing (got None)"),
        ({"meeting_ended_at": ""}, "case date field 'meeting_ended_at' is missing (got '')"),
        (
            {"meeting_ended_at": "2026-03-13T15:00"},
            "case date field 'meeting_ended_at' has no timezone offset (got '2026-03-13T15:00')",
        ),
        (
            {"meeting_ended_at": datetime(2026, 3, 13, 15, 0)},
            "case date field 'meeting_ended_at' has no timezone offset "
            "(got datetime.datetime(2026, 3, 13, 15, 0))",
        ),
        (
            {"meeting_ended_at": "yesterday"},
            "case date field 'meeting_ended_at' is not an ISO-8601 date and time (got 'yesterday')",
        ),
        (
            {"meeting_ended_at": date(2026, 3, 13)},
            "case date field 'meeting_ended_at' is a date without a time "
            "(got datetime.date(2026, 3, 13))",
        ),
        (
            {"meeting_ended_at": 1773388800},
            "case date field 'meeting_ended_at' is of type int, not a date and time "
            "(got 1773388800)",
        ),
    ],
)
def test_case_date_errors(
    thai: WorkingCalendar, case_data: dict[str, object], message: str
) -> None:
    limit = parse_limit("meeting_ended_at + 3 hours")
    with pytest.raises(CaseDateError) as caught:
        compute_due(limit, bkk("2026-03-13 15:00"), thai, case_data)
    assert str(caught.value) == (
        f"{message}; fill it in as a date and time with its offset, e.g. 2026-04-10T15:00+07:00"
    )
    assert caught.value.field == "meeting_ended_at"


# -- on time, late, due soon -----------------------------------------------------------


def test_is_on_time() -> None:
    due = bkk("2026-03-10 16:30")
    assert is_on_time(due, due)  # at the due instant is on time
    assert is_on_time(due - timedelta(minutes=1), due)
    assert not is_on_time(due + timedelta(microseconds=1), due)
    with pytest.raises(NaiveDatetimeError):
        is_on_time(datetime(2026, 3, 10, 16, 0), due)


@pytest.mark.parametrize(
    ("now", "late"),
    [
        ("2026-03-13 16:00", timedelta(0)),  # before due: not late
        ("2026-03-13 18:00", timedelta(0)),  # past due, but no office time has passed
        ("2026-03-16 09:30", timedelta(hours=1)),  # Monday 08:30-09:30
    ],
)
def test_lateness(thai: WorkingCalendar, now: str, late: timedelta) -> None:
    assert lateness(bkk(now), bkk("2026-03-13 16:30"), thai) == late


@pytest.mark.parametrize(
    ("now", "due", "soon"),
    [
        ("2026-03-10 12:30", "2026-03-10 14:00", True),  # 1 working hour left (lunch free)
        ("2026-03-10 11:00", "2026-03-10 14:00", True),  # exactly 2 working hours left
        ("2026-03-10 10:59", "2026-03-10 14:00", False),  # 2h01 left
        ("2026-03-10 14:00", "2026-03-10 14:00", True),  # at due: still on time
        ("2026-03-10 14:01", "2026-03-10 14:00", False),  # past due: late, not soon
        ("2026-03-13 17:00", "2026-03-16 09:00", True),  # Friday evening: 30 minutes left
        ("2026-03-13 10:00", "2026-03-16 09:00", False),  # 6h30 + 30 min left
    ],
)
def test_is_due_soon(thai: WorkingCalendar, now: str, due: str, soon: bool) -> None:
    assert is_due_soon(bkk(now), bkk(due), thai) is soon
