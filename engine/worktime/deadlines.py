"""Time limits of BPMN tasks: parsing their text and computing due instants.

This module owns the meaning of a task's time-limit property. It is pure: time is passed in,
and working time comes from ``engine.worktime.calendar.WorkingCalendar``.

Accepted text (Thai digits ๐-๙ and Arabic digits alike; whitespace is free)
    * Working days: ``2 working days``, ``1 working day``, ``2 วันทำการ``, ``๒ วันทำการ``.
      Due at close of business (16:30) of the N-th working day; the arrival day counts only
      if the task arrived at or before opening time (08:30) of a working day (CCC s.193/3).
    * Working time: ``3 working hours``, ``3 ชั่วโมงทำการ``, ``30 working minutes``,
      ``30 นาทีทำการ``. Due at the earliest instant that much office time has passed; a start
      outside office hours counts from the next opening; 12:00 and 16:30 are kept as results.
    * Clock time: ``24 hours``, ``3 days``, ``45 minutes``, ``3 วัน``, ``3 ชั่วโมง`` (``ชม.``),
      ``45 นาที``, and ISO-8601 durations ``PT3H``, ``P1D``, ``PT30M``, ``P1DT2H``, ``P1W``
      (a day is 24 hours; years and months are refused). Due that much elapsed time later.
    * Ranges ``1-2 days``, ``2–5 days``, ``2-4 วัน (ตามโครงการ)`` mean the upper bound.
    * Text in parentheses is a note kept on the limit, not part of it.
    * ``at most`` / ``within`` / ``ไม่เกิน`` / ``ภายใน`` before the amount changes nothing.
    * Relative service standards, in clock time: ``meeting_ended_at + 3 hours`` (after a case
      date field) and ``press_conference_at - 3 hours`` (before it). The field is snake_case;
      its value in the case data is an aware datetime or an ISO-8601 string with an offset.

Anything else raises ``LimitParseError`` naming the text, the reason and the accepted forms.
Instants in must be aware (``NaiveDatetimeError``); instants out are aware UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from engine import bounds
from engine.errors import InvalidInput
from engine.worktime.calendar import WorkingCalendar, require_aware

# The longest time limit accepted: ten years, counted in the limit's own unit (3,650 working
# days, 87,600 hours, ...). Longer ones are typos, and would overflow date arithmetic.
MAX_LIMIT = timedelta(days=bounds.MAX_LIMIT_DAYS)

ACCEPTED_FORMS = (
    "2 working days",
    "๒ วันทำการ",
    "3 working hours",
    "3 ชั่วโมงทำการ",
    "30 working minutes",
    "24 hours",
    "3 วัน",
    "45 นาที",
    "PT3H",
    "P1D",
    "1-2 days",
    "2-4 วัน (ตามโครงการ)",
    "ไม่เกิน 15 นาที",
    "at most 2 hours",
    "meeting_ended_at + 3 hours",
    "press_conference_at - 3 hours",
)


class LimitParseError(InvalidInput):
    """A time-limit text that does not follow any accepted form."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        forms = ", ".join(repr(form) for form in ACCEPTED_FORMS)
        super().__init__(f"cannot read the time limit {text!r}: {reason}. Accepted forms: {forms}")


class CaseDateError(InvalidInput):
    """A relative standard's case date field is missing or not an aware date and time."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(
            f"case date field {field!r} {reason} (got {value!r}); fill it in as a date and "
            f"time with its offset, e.g. 2026-04-10T15:00+07:00"
        )


class LimitKind(StrEnum):
    """How a limit is counted."""

    WORKING_DAYS = "working_days"  # to close of business of the N-th working day
    WORKING_TIME = "working_time"  # office time only (hours or minutes)
    CLOCK_TIME = "clock_time"  # elapsed time, nights and holidays included


class Unit(StrEnum):
    DAYS = "days"
    HOURS = "hours"
    MINUTES = "minutes"
    SECONDS = "seconds"  # only reachable through ISO-8601 durations such as PT90S


_UNIT_LENGTH = {
    Unit.DAYS: timedelta(days=1),
    Unit.HOURS: timedelta(hours=1),
    Unit.MINUTES: timedelta(minutes=1),
    Unit.SECONDS: timedelta(seconds=1),
}

_ALLOWED_UNITS = {
    LimitKind.WORKING_DAYS: {Unit.DAYS},
    LimitKind.WORKING_TIME: {Unit.HOURS, Unit.MINUTES},
    LimitKind.CLOCK_TIME: set(Unit),
}


@dataclass(frozen=True)
class TimeLimit:
    """A parsed time limit.

    ``amount`` of ``unit`` counted as ``kind``. For a range, ``amount`` is the upper bound and
    ``range_from`` the lower. ``anchor`` names the case date field of a relative standard,
    ``sign`` is +1 (after it) or -1 (before it). ``text`` is the original text.
    """

    text: str
    kind: LimitKind
    amount: int
    unit: Unit
    note: str | None = None
    range_from: int | None = None
    anchor: str | None = None
    sign: Literal[1, -1] = 1

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise LimitParseError(self.text, "the amount must be greater than zero")
        most = MAX_LIMIT // _UNIT_LENGTH[self.unit]
        if self.amount > most:
            raise LimitParseError(
                self.text,
                f"at most {MAX_LIMIT.days:,} days ({most:,} {self.unit}) can be given; "
                "a longer limit is a typo or belongs outside the workflow",
            )
        if self.unit not in _ALLOWED_UNITS[self.kind]:
            raise LimitParseError(self.text, f"{self.kind} cannot be counted in {self.unit}")
        if self.anchor is not None and self.kind is not LimitKind.CLOCK_TIME:
            raise LimitParseError(
                self.text, "relative standards count clock time; drop 'working' / 'ทำการ'"
            )

    @property
    def duration(self) -> timedelta:
        """``amount`` × ``unit``; for working days this is N×24h and not how due is computed."""
        return self.amount * _UNIT_LENGTH[self.unit]

    def describe(self) -> str:
        """Human English, e.g. "2 working days, due at close of business of the 2nd one"."""
        unit = str(self.unit) if self.amount != 1 else str(self.unit).removesuffix("s")
        if self.kind is LimitKind.WORKING_DAYS:
            text = (
                f"{self.amount} working {unit}, due at close of business "
                f"of the {_ordinal(self.amount)} working day"
            )
        elif self.kind is LimitKind.WORKING_TIME:
            text = f"{self.amount} working {unit} (office time only)"
        elif self.anchor is not None:
            direction = "after" if self.sign > 0 else "before"
            text = f"{self.amount} {unit} {direction} {self.anchor}"
        else:
            text = f"{self.amount} {unit} of clock time"
        if self.range_from is not None:
            text += f" (upper bound of the range {self.range_from}-{self.amount})"
        if self.note:
            text += f"; note: {self.note}"
        return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# En dash, em dash, minus sign and Unicode hyphens all mean "-" in a range or an offset.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—−", "-"))
_NOTE = re.compile(r"\(([^()]*)\)")
_RELATIVE = re.compile(r"(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<sign>[+-])\s*(?P<rest>.+)")
_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_PREFIX = re.compile(r"(?:at\s+most|within|ไม่เกิน|ภายใน)\s*", re.IGNORECASE)
_NUMBER = re.compile(r"(?P<low>\d+)(?:\s*-\s*(?P<high>\d+))?\s*(?P<rest>.*)")
_UNIT_WORDS = re.compile(
    r"(?:(?P<working>working|business)\s+)?"
    r"(?P<unit>days?|hours?|hrs?|minutes?|mins?|วัน|ชั่วโมง|ชม\.?|นาที)"
    r"\s*(?P<thai_working>ทำการ)?",
    re.IGNORECASE,
)
_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
    re.IGNORECASE,
)
_UNIT_BY_WORD = {
    "day": Unit.DAYS,
    "วัน": Unit.DAYS,
    "hour": Unit.HOURS,
    "hr": Unit.HOURS,
    "ชั่วโมง": Unit.HOURS,
    "ชม": Unit.HOURS,
    "minute": Unit.MINUTES,
    "min": Unit.MINUTES,
    "นาที": Unit.MINUTES,
}


@dataclass(frozen=True)
class _Amount:
    kind: LimitKind
    amount: int
    unit: Unit
    range_from: int | None


def parse_limit(text: str) -> TimeLimit:
    """Parse a task's time-limit text (forms in the module docstring)."""
    normalised = text.translate(_THAI_DIGITS).translate(_DASHES)
    notes = [note.strip() for note in _NOTE.findall(normalised) if note.strip()]
    body = " ".join(_NOTE.sub(" ", normalised).split())
    if "(" in body or ")" in body:
        raise LimitParseError(text, "unbalanced parentheses; put a note in one pair ( )")
    if not body:
        raise LimitParseError(text, "no amount or unit given")
    note = "; ".join(notes) or None

    relative = _RELATIVE.fullmatch(body)
    if relative is not None:
        field = relative["field"]
        if not _SNAKE_CASE.fullmatch(field):
            raise LimitParseError(
                text, f"the case date field {field!r} must be snake_case, e.g. meeting_ended_at"
            )
        parsed = _parse_amount(text, relative["rest"])
        if parsed.kind is not LimitKind.CLOCK_TIME:
            raise LimitParseError(
                text, "relative standards count clock time; drop 'working' / 'ทำการ'"
            )
        sign: Literal[1, -1] = 1 if relative["sign"] == "+" else -1
        return TimeLimit(
            text, parsed.kind, parsed.amount, parsed.unit, note, parsed.range_from, field, sign
        )

    parsed = _parse_amount(text, body)
    return TimeLimit(text, parsed.kind, parsed.amount, parsed.unit, note, parsed.range_from)


def _parse_amount(text: str, body: str) -> _Amount:
    """Parse "[at most] N[-M] [working] unit [ทำการ]" or an ISO-8601 duration."""
    prefix = _PREFIX.match(body)
    if prefix is not None:
        body = body[prefix.end() :]
    if body[:1] in ("P", "p"):
        return _parse_iso(text, body)
    if re.search(r"\d\s*[.,]\s*\d", body):
        raise LimitParseError(text, "use whole numbers, e.g. 90 minutes instead of 1.5 hours")
    number = _NUMBER.fullmatch(body)
    if number is None:
        if re.search(r"\d", body):
            raise LimitParseError(text, "put the number before the unit, e.g. 2 working days")
        raise LimitParseError(text, "no number found")
    if max(len(number["low"]), len(number["high"] or "")) > 9:
        raise LimitParseError(text, f"at most {MAX_LIMIT.days:,} days can be given")
    low = int(number["low"])
    high = int(number["high"]) if number["high"] is not None else None
    if high is not None and high < low:
        raise LimitParseError(text, f"the range {low}-{high} runs backwards; write it {high}-{low}")
    rest = number["rest"]
    if not rest:
        raise LimitParseError(text, "the number has no unit; add days, hours or minutes")
    words = _UNIT_WORDS.fullmatch(rest)
    if words is None:
        raise LimitParseError(
            text, f"unknown unit {rest!r}; use days, hours or minutes (วัน, ชั่วโมง, นาที)"
        )
    unit = _UNIT_BY_WORD[words["unit"].lower().rstrip(".").removesuffix("s")]
    working = words["working"] is not None or words["thai_working"] is not None
    if not working:
        kind = LimitKind.CLOCK_TIME
    elif unit is Unit.DAYS:
        kind = LimitKind.WORKING_DAYS
    else:
        kind = LimitKind.WORKING_TIME
    amount = high if high is not None else low
    if amount <= 0:
        raise LimitParseError(text, "the amount must be greater than zero")
    return _Amount(kind, amount, unit, low if high is not None else None)


def _parse_iso(text: str, body: str) -> _Amount:
    if re.search(r"\d{10}", body):
        raise LimitParseError(text, f"at most {MAX_LIMIT.days:,} days can be given")
    iso = _ISO_DURATION.fullmatch(body)
    if iso is None or body.upper() in ("P", "PT"):
        if re.fullmatch(r"P\d*Y.*|P[^T]*M.*", body, re.IGNORECASE):
            reason = "ISO-8601 years and months have no fixed length; use days, e.g. P30D"
        else:
            reason = "not a supported ISO-8601 duration; use e.g. PT3H, P1D, PT30M or P1DT2H"
        raise LimitParseError(text, reason)
    parts = {name: int(value) for name, value in iso.groupdict().items() if value is not None}
    try:
        total = timedelta(
            weeks=parts.get("weeks", 0),
            days=parts.get("days", 0),
            hours=parts.get("hours", 0),
            minutes=parts.get("minutes", 0),
            seconds=parts.get("seconds", 0),
        )
    except OverflowError:
        total = MAX_LIMIT * 2  # refused below as too long, with the limit named
    if total > MAX_LIMIT:
        raise LimitParseError(text, f"at most {MAX_LIMIT.days:,} days can be given")
    if total <= timedelta(0):
        raise LimitParseError(text, "the amount must be greater than zero")
    # Express the duration in the largest unit that divides it, so P1DT2H is 26 hours.
    for unit in (Unit.DAYS, Unit.HOURS, Unit.MINUTES, Unit.SECONDS):
        if total % _UNIT_LENGTH[unit] == timedelta(0):
            return _Amount(LimitKind.CLOCK_TIME, total // _UNIT_LENGTH[unit], unit, None)
    raise AssertionError("unreachable: whole seconds always divide")  # pragma: no cover


def compute_due(
    limit: TimeLimit,
    arrived_at: datetime,
    calendar: WorkingCalendar,
    case_data: Mapping[str, object],
) -> datetime:
    """The instant (aware, UTC) by which a task that arrived at ``arrived_at`` is due.

    ``case_data`` supplies the anchor field of a relative standard; it is not read otherwise.
    """
    require_aware(arrived_at, "arrived_at")
    if limit.kind is LimitKind.WORKING_DAYS:
        return calendar.add_working_days(arrived_at, limit.amount)
    if limit.kind is LimitKind.WORKING_TIME:
        return calendar.add_working_time(arrived_at, limit.duration)
    base = arrived_at if limit.anchor is None else case_instant(case_data, limit.anchor)
    # Add in UTC: adding a timedelta to a zone-local datetime is wall-clock arithmetic.
    return base.astimezone(UTC) + limit.sign * limit.duration


def case_instant(case_data: Mapping[str, object], field: str) -> datetime:
    """Read an aware instant from a case date field, or raise ``CaseDateError``."""
    value = case_data.get(field)
    if value is None or value == "":
        raise CaseDateError(field, value, "is missing")
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, date):
        raise CaseDateError(field, value, "is a date without a time")
    elif isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value.strip())
        except ValueError:
            raise CaseDateError(field, value, "is not an ISO-8601 date and time") from None
    else:
        raise CaseDateError(field, value, f"is of type {type(value).__name__}, not a date and time")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CaseDateError(field, value, "has no timezone offset")
    try:
        return bounds.check_instant(instant, f"case date field {field!r}")
    except InvalidInput:
        raise CaseDateError(field, value, "is outside the years 1900-2200") from None


def is_on_time(completed_at: datetime, due_at: datetime) -> bool:
    """On time means completed at or before the due instant."""
    return require_aware(completed_at, "completed_at") <= require_aware(due_at, "due_at")


def lateness(now: datetime, due_at: datetime, calendar: WorkingCalendar) -> timedelta:
    """Office time elapsed since ``due_at``; zero if not late.

    Only office time counts: a task due at 16:30 and still open at 18:00 is past due but
    zero working time late.
    """
    return max(timedelta(0), calendar.working_time_between(due_at, now))


def is_due_soon(
    now: datetime,
    due_at: datetime,
    calendar: WorkingCalendar,
    within: timedelta = timedelta(hours=2),
) -> bool:
    """True if not yet past due and at most ``within`` office time is left.

    Exactly at ``due_at`` the task is still on time, so it is due soon, not late.
    """
    if require_aware(now, "now") > require_aware(due_at, "due_at"):
        return False
    if due_at - now > within + timedelta(days=366):
        return False  # no office closes for a year: far more than ``within`` is left
    return calendar.working_time_between(now, due_at) <= within
