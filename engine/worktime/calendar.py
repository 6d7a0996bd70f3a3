"""Working time for Thai government offices: office hours, weekends and holidays.

This module owns one question, "is the office open at this instant?", and the arithmetic built
on it. It is pure: it never reads the wall clock or a database; every instant is a parameter.

Instants
    Every ``datetime`` passed in must be timezone-aware (``NaiveDatetimeError`` otherwise);
    every ``datetime`` returned is aware and in UTC. The *date* of an instant is its date in
    the office time zone (Asia/Bangkok by default), so 17:00 UTC is already the next day.
    Arithmetic follows the office's wall clock, which is exact for zones without daylight
    saving time such as Asia/Bangkok.

Office hours
    ``OfficeHours()`` is Monday-Friday 08:30-12:00 and 13:00-16:30 in Asia/Bangkok. A session
    includes its start and excludes its end: the office is open at 08:30 and closed at 12:00.

Holidays
    ``WorkingCalendar.thai()`` takes Thai public and government holidays from the ``holidays``
    package (language "th") and corrects them with ``processes/holidays.toml``:

    * ``[[add]]`` tables add days off (cabinet-declared special days arrive at short notice)::

          [[add]]
          date = 2026-05-15            # a bare TOML date, not a string
          name = "วันหยุดพิเศษ (เพิ่มเติม)"
          reason = "มติคณะรัฐมนตรี ..."  # optional

    * ``[[remove]]`` tables make library holidays working days, either one date
      (``date = 2026-05-01``) or a holiday name in every year (``name = "วันแรงงานแห่งชาติ"``).
      Names are the library's exact Thai names; a date that carries several holidays keeps the
      ones not removed. ``reason`` is optional.

    The file is validated strictly: invalid TOML or dates, unknown keys, a removal that matches
    no library holiday, or a date both added and removed raise ``CalendarFileError`` naming the
    file, the entry and the fix. Years are expanded lazily and cached as one dict per year.

Fingerprint
    ``WorkingCalendar.fingerprint`` is a sha256 of the override file's bytes, the ``holidays``
    version and the office hours, so the engine can notice a changed calendar and recompute
    the due times of open tasks.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import tomllib
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from holidays.version import __version__ as holidays_version

from engine.errors import EngineError, InvalidInput

BANGKOK = ZoneInfo("Asia/Bangkok")

# The repository layout keeps process data next to the engine package.
DEFAULT_OVERRIDE_FILE = Path(__file__).resolve().parents[2] / "processes" / "holidays.toml"

_ONE_DAY = timedelta(days=1)
# No real office is closed for a year; beyond that the holiday data is broken, and failing
# loudly beats looping for ever.
_MAX_CLOSED_DAYS = 366
# The years working-time arithmetic may reach; engine.bounds keeps inputs well inside them.
MIN_CALENDAR_YEAR, MAX_CALENDAR_YEAR = 1800, 2400
# The library joins several holidays on one date with this separator; we keep its convention.
_NAME_SEPARATOR = "; "
_HOLIDAY_CATEGORIES = (holidays_lib.PUBLIC, holidays_lib.GOVERNMENT)


class NaiveDatetimeError(EngineError):
    """A datetime without a timezone was passed where an instant is needed."""

    def __init__(self, argument: str, value: datetime) -> None:
        self.argument = argument
        self.value = value
        super().__init__(
            f"{argument}={value.isoformat()} has no timezone, so it is not an instant; "
            f"pass an aware datetime, e.g. {value.isoformat()}+07:00 for Bangkok time"
        )


class OfficeHoursError(EngineError):
    """An ``OfficeHours`` configuration that cannot describe a working week."""

    def __init__(self, field_name: str, value: object, problem: str) -> None:
        self.field_name = field_name
        self.value = value
        self.problem = problem
        super().__init__(f"OfficeHours.{field_name}={value!r}: {problem}")


class WorkingTimeError(EngineError):
    """Working-time arithmetic was asked for something it cannot answer."""

    def __init__(self, operation: str, value: object, problem: str) -> None:
        self.operation = operation
        self.value = value
        self.problem = problem
        super().__init__(f"{operation}({value!r}): {problem}")


class CalendarFileError(InvalidInput):
    """The holiday override file is malformed; the message names the entry and the fix."""

    def __init__(self, path: Path, entry: str, problem: str) -> None:
        self.path = path
        self.entry = entry
        self.problem = problem
        super().__init__(f"{path}: {entry}: {problem}")


def require_aware(value: datetime, argument: str) -> datetime:
    """Return ``value`` if it is timezone-aware, else raise ``NaiveDatetimeError``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(argument, value)
    return value


@dataclass(frozen=True)
class OfficeHours:
    """When an office is open: sessions on each workday, in one time zone.

    ``sessions`` are (start, end) local times, sorted and not overlapping; the gap between
    two sessions is the lunch break. ``workdays`` are ``date.weekday()`` numbers (0 = Monday).
    """

    sessions: tuple[tuple[time, time], ...] = (
        (time(8, 30), time(12, 0)),
        (time(13, 0), time(16, 30)),
    )
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    tz: ZoneInfo = field(default=BANGKOK)

    def __post_init__(self) -> None:
        # Accept any iterable of weekday numbers but store a frozenset so the value hashes.
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        if not self.sessions:
            raise OfficeHoursError("sessions", self.sessions, "give at least one session")
        previous_end: time | None = None
        for start, end in self.sessions:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise OfficeHoursError(
                    "sessions", self.sessions, "use naive local times; the zone is OfficeHours.tz"
                )
            if start >= end:
                raise OfficeHoursError(
                    "sessions", self.sessions, f"session {start}-{end} must end after it starts"
                )
            if previous_end is not None and start < previous_end:
                raise OfficeHoursError(
                    "sessions", self.sessions, "sessions must be sorted and must not overlap"
                )
            previous_end = end
        if not self.workdays or not self.workdays <= set(range(7)):
            raise OfficeHoursError(
                "workdays", sorted(self.workdays), "give weekday numbers 0 (Monday) to 6 (Sunday)"
            )

    @property
    def opening(self) -> time:
        """When the first session of a workday starts (08:30)."""
        return self.sessions[0][0]

    @property
    def closing(self) -> time:
        """Close of business: when the last session of a workday ends (16:30)."""
        return self.sessions[-1][1]

    @property
    def day_length(self) -> timedelta:
        """Office time in one working day (7 hours)."""
        day = date(2000, 1, 1)
        return sum(
            (
                datetime.combine(day, end) - datetime.combine(day, start)
                for start, end in self.sessions
            ),
            timedelta(0),
        )

    def canonical(self) -> str:
        """A stable text form, used in the calendar fingerprint."""
        sessions = ",".join(f"{s.isoformat()}-{e.isoformat()}" for s, e in self.sessions)
        days = ",".join(str(d) for d in sorted(self.workdays))
        return f"{sessions};{days};{self.tz.key}"


class HolidaySource(Protocol):
    """Where a calendar gets its days off, one year at a time."""

    def holidays_in(self, year: int) -> Mapping[date, str]:
        """Every day off in ``year`` with its name (weekend holidays included)."""
        ...

    def fingerprint_bytes(self) -> bytes:
        """Bytes that change whenever the answers of ``holidays_in`` may change."""
        ...


class FixedHolidays:
    """An explicit list of days off, for tests and for offices with their own calendar."""

    def __init__(self, days: Mapping[date, str]) -> None:
        self._by_year: dict[int, dict[date, str]] = {}
        for day, name in days.items():
            if isinstance(day, datetime):
                raise TypeError(f"holiday {day!r} must be a date, not a datetime")
            self._by_year.setdefault(day.year, {})[day] = name

    def holidays_in(self, year: int) -> Mapping[date, str]:
        return self._by_year.get(year, {})

    def fingerprint_bytes(self) -> bytes:
        days = sorted((d, n) for year in self._by_year.values() for d, n in year.items())
        return "\n".join(f"{d.isoformat()} {n}" for d, n in days).encode()


@functools.cache
def _library_year(year: int) -> Mapping[date, tuple[str, ...]]:
    """The ``holidays`` library's Thai public and government holidays of one year."""
    found = holidays_lib.country_holidays(
        "TH", categories=_HOLIDAY_CATEGORIES, language="th", years=year
    )
    return {day: tuple(found.get_list(day)) for day in sorted(found)}


@functools.cache
def _library_names() -> frozenset[str]:
    """Every holiday name the library can produce, to validate removals by name."""
    thailand = holidays_lib.country_holidays("TH")
    names: set[str] = set()
    for year in range(thailand.start_year, thailand.end_year + 1):
        for day_names in _library_year(year).values():
            names.update(day_names)
    return frozenset(names)


@dataclass(frozen=True)
class HolidayOverrides:
    """The parsed, validated content of a holiday override file."""

    path: Path | None
    content: bytes
    added: Mapping[date, str]
    removed_dates: frozenset[date]
    removed_names: frozenset[str]

    @classmethod
    def none(cls) -> HolidayOverrides:
        """No corrections: the library's calendar as it is."""
        return cls(None, b"", {}, frozenset(), frozenset())

    @classmethod
    def load(cls, path: Path) -> HolidayOverrides:
        """Read and validate an override file (format in the module docstring)."""
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CalendarFileError(
                path, "(file)", f"cannot be read ({exc.strerror}); create it or pass None"
            ) from exc
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise CalendarFileError(path, "(file)", "is not UTF-8; save it as UTF-8") from exc
        except tomllib.TOMLDecodeError as exc:
            raise CalendarFileError(
                path,
                "(file)",
                f"is not valid TOML ({exc}); write dates bare and real, e.g. date = 2026-05-01",
            ) from exc
        return _Parser(path, content).parse(data)


class _Parser:
    """Validates one override file's TOML data; every error names the entry."""

    def __init__(self, path: Path, content: bytes) -> None:
        self.path = path
        self.content = content

    def fail(self, entry: str, problem: str) -> CalendarFileError:
        return CalendarFileError(self.path, entry, problem)

    def parse(self, data: Mapping[str, object]) -> HolidayOverrides:
        for key in data:
            if key not in ("add", "remove"):
                raise self.fail(
                    f"key {key!r}", "unknown top-level key; use [[add]] or [[remove]] tables"
                )
        added: dict[date, str] = {}
        for label, entry in self.tables(data, "add"):
            self.check_keys(label, entry, required={"date", "name"}, optional={"reason"})
            day = self.date_of(label, entry["date"])
            name = self.text_of(label, "name", entry["name"])
            if day in added:
                raise self.fail(label, f"{day} is already added above; keep one entry per date")
            added[day] = name
        removed_dates: set[date] = set()
        removed_names: set[str] = set()
        for label, entry in self.tables(data, "remove"):
            self.check_keys(label, entry, required=set(), optional={"date", "name", "reason"})
            if ("date" in entry) == ("name" in entry):
                raise self.fail(label, 'give exactly one of date = YYYY-MM-DD or name = "..."')
            if "date" in entry:
                day = self.date_of(label, entry["date"])
                self.check_date_removal(label, day, added, removed_dates)
                removed_dates.add(day)
            else:
                name = self.text_of(label, "name", entry["name"])
                self.check_name_removal(label, name, removed_names)
                removed_names.add(name)
        return HolidayOverrides(
            self.path, self.content, added, frozenset(removed_dates), frozenset(removed_names)
        )

    def tables(
        self, data: Mapping[str, object], key: str
    ) -> Iterator[tuple[str, Mapping[str, object]]]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, f"write each entry as a [[{key}]] table")
        for number, entry in enumerate(value, start=1):
            label = f"[[{key}]] entry {number}"
            if not isinstance(entry, dict):
                raise self.fail(label, f"write each entry as a [[{key}]] table")
            yield label, entry

    def check_keys(
        self, label: str, entry: Mapping[str, object], required: set[str], optional: set[str]
    ) -> None:
        allowed = required | optional
        for key in entry:
            if key not in allowed:
                raise self.fail(
                    label, f"unknown key {key!r}; allowed keys are {', '.join(sorted(allowed))}"
                )
        missing = sorted(required - set(entry))
        if missing:
            raise self.fail(label, f"missing key {missing[0]!r}")
        if "reason" in entry:
            self.text_of(label, "reason", entry["reason"])

    def date_of(self, label: str, value: object) -> date:
        # datetime is a subclass of date, so exclude it explicitly.
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            problem = f"date {value!r} is a string; write it bare, without quotes: date = {value}"
        else:
            problem = f"date {value!r} is not a calendar date; write date = YYYY-MM-DD"
        raise self.fail(label, problem)

    def text_of(self, label: str, key: str, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(label, f"{key} must be a non-empty string in double quotes")
        return value.strip()

    def check_date_removal(
        self, label: str, day: date, added: Mapping[date, str], removed: set[date]
    ) -> None:
        if day in added:
            raise self.fail(label, f"{day} is both added and removed; delete one of the entries")
        if day in removed:
            raise self.fail(label, f"{day} is already removed above; keep one entry per date")
        if day not in _library_year(day.year):
            raise self.fail(
                label,
                f"removal matches nothing: the holidays library {holidays_version} has no "
                f"holiday on {day}; fix the date or delete the entry",
            )

    def check_name_removal(self, label: str, name: str, removed: set[str]) -> None:
        if name in removed:
            raise self.fail(label, f"{name!r} is already removed above; keep one entry")
        known = _library_names()
        if name not in known:
            # A partial name is the usual mistake; else fall back to similar spellings.
            close = sorted((n for n in known if name in n), key=len)[:3]
            close = close or difflib.get_close_matches(name, sorted(known), n=3)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise self.fail(
                label,
                f"removal matches nothing: no holiday in the holidays library "
                f"{holidays_version} is named {name!r}; names must match exactly{hint}",
            )


class ThaiHolidays:
    """Thai public and government holidays from the ``holidays`` library, corrected."""

    def __init__(self, overrides: HolidayOverrides) -> None:
        self.overrides = overrides

    def holidays_in(self, year: int) -> Mapping[date, str]:
        removed_names = self.overrides.removed_names
        days: dict[date, str] = {}
        for day, names in _library_year(year).items():
            if day in self.overrides.removed_dates:
                continue
            kept = [name for name in names if name not in removed_names]
            if kept:
                days[day] = _NAME_SEPARATOR.join(kept)
        for day, name in self.overrides.added.items():
            if day.year != year:
                continue
            # The library may catch up with a cabinet day we added; do not repeat its name.
            existing = days.get(day)
            if existing is None:
                days[day] = name
            elif name not in existing.split(_NAME_SEPARATOR):
                days[day] = f"{existing}{_NAME_SEPARATOR}{name}"
        return days

    def fingerprint_bytes(self) -> bytes:
        return b"holidays " + holidays_version.encode() + b"\0" + self.overrides.content


class WorkingCalendar:
    """Office hours plus days off, and the working-time arithmetic on them.

    ``WorkingCalendar(hours, holidays)`` takes an explicit ``{date: name}`` mapping (or any
    ``HolidaySource``); ``WorkingCalendar.thai()`` builds the Thai government calendar.
    """

    def __init__(
        self,
        hours: OfficeHours | None = None,
        holidays: Mapping[date, str] | HolidaySource | None = None,
    ) -> None:
        self.hours = hours if hours is not None else OfficeHours()
        if holidays is None:
            self._source: HolidaySource = FixedHolidays({})
        elif isinstance(holidays, Mapping):
            self._source = FixedHolidays(holidays)
        else:
            self._source = holidays
        self._years: dict[int, Mapping[date, str]] = {}
        self._workdays: dict[int, list[date]] = {}
        digest = hashlib.sha256(self._source.fingerprint_bytes())
        digest.update(b"\0" + self.hours.canonical().encode())
        self._fingerprint = digest.hexdigest()

    @classmethod
    def thai(
        cls,
        override_file: Path | None = DEFAULT_OVERRIDE_FILE,
        hours: OfficeHours | None = None,
    ) -> WorkingCalendar:
        """The Thai government calendar, corrected by ``override_file`` (None: no file)."""
        if override_file is None:
            overrides = HolidayOverrides.none()
        else:
            overrides = HolidayOverrides.load(override_file)
        return cls(hours, ThaiHolidays(overrides))

    @property
    def fingerprint(self) -> str:
        """Hex sha256 that changes whenever holidays or office hours may have changed."""
        return self._fingerprint

    # -- days ------------------------------------------------------------------------------

    def holidays_in(self, year: int) -> Mapping[date, str]:
        """Every day off in ``year`` with its name; computed once per year, then cached."""
        days = self._years.get(year)
        if days is None:
            days = dict(self._source.holidays_in(year))
            self._years[year] = days
        return days

    def local_date(self, at: datetime) -> date:
        """The office-zone date of an instant (17:00 UTC is the next day in Bangkok)."""
        return self._local(at, "at").date()

    def holiday_name(self, d: date) -> str | None:
        """The holiday's name on ``d`` (several joined by "; "), or None; weekends are None."""
        day = self._as_date(d)
        return self.holidays_in(day.year).get(day)

    def is_working_day(self, d: date) -> bool:
        """True on a workday (Mon-Fri) that is not a holiday.

        An aware datetime is accepted and taken at its office-zone date.
        """
        day = self._as_date(d)
        return day.weekday() in self.hours.workdays and day not in self.holidays_in(day.year)

    def close_of_business(self, d: date) -> datetime:
        """The end of the last session on ``d`` (16:30), as a UTC instant."""
        return self._instant(datetime.combine(self._as_date(d), self.hours.closing))

    # -- instants --------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """True if ``at`` falls in a session of a working day (start in, end out)."""
        local = self._local(at, "at")
        return any(start <= local < end for start, end in self._sessions(local.date()))

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself if the office is open then, else the start of the next session.

        12:00 gives 13:00 the same day; 16:30 on a Friday gives 08:30 the next working day.
        """
        local = self._local(at, "at")
        start, _ = next(self._open_intervals(local))
        return self._instant(start)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Close of business (16:30) of the ``n``-th working day counted from ``start``.

        The day of ``start`` counts only if it is a working day and ``start`` is at or before
        opening time (08:30), as in Civil and Commercial Code s.193/3: the first day of a
        period is not counted unless it begins at the start of office hours. ``n`` must be >= 1.
        """
        if n < 1:
            raise WorkingTimeError("add_working_days", n, "count at least 1 working day")
        local = self._local(start, "start")
        day = local.date()
        counted = 1 if self.is_working_day(day) and local.time() <= self.hours.opening else 0
        if counted < n:
            day = self._nth_working_day_after(day, n - counted)
        return self.close_of_business(day)

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The earliest instant at which ``delta`` of office time has passed since ``start``.

        A start outside office hours counts from the next opening; lunch, nights, weekends and
        holidays do not count. A result exactly at a session end stays there (12:00 or 16:30,
        not 13:00 or the next morning). A zero ``delta`` returns ``start``; negative raises.
        """
        if delta < timedelta(0):
            raise WorkingTimeError("add_working_time", delta, "the duration must not be negative")
        local = self._local(start, "start")
        if not delta:
            return start.astimezone(UTC)
        remaining = delta
        # What is left of the first day, then whole working days skipped by counting (so a
        # long limit costs no more than a short one), then the day the time runs out.
        for begin, end in self._sessions(local.date()):
            begin = max(begin, local)
            if end <= begin:
                continue
            if remaining <= end - begin:
                return self._instant(begin + remaining)
            remaining -= end - begin
        day_length = self.hours.day_length
        whole_days = (remaining - timedelta(microseconds=1)) // day_length
        day = self._nth_working_day_after(local.date(), whole_days + 1)
        remaining -= whole_days * day_length
        for begin, end in self._sessions(day):
            if remaining <= end - begin:
                return self._instant(begin + remaining)
            remaining -= end - begin
        raise AssertionError("unreachable: under a day is left")  # pragma: no cover

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time elapsed from ``a`` to ``b``.

        Signed: if ``b`` is before ``a`` the result is minus the office time from ``b`` to
        ``a``, and equal instants give zero. So ``working_time_between(due, now) > 0`` means
        "late by that much office time".
        """
        start = self._local(a, "a")
        end = self._local(b, "b")
        if end < start:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        edge_days = {start.date(), end.date()}
        for day in edge_days:
            for begin, finish in self._sessions(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > timedelta(0):
                    total += overlap
        # The days strictly between are whole: count them instead of walking them.
        if len(edge_days) == 2:
            between = self._working_days_between(start.date() + _ONE_DAY, end.date())
            total += between * self.hours.day_length
        return total

    # -- internals: naive local wall-clock datetimes in hours.tz ----------------------------

    def _local(self, at: datetime, argument: str) -> datetime:
        return require_aware(at, argument).astimezone(self.hours.tz).replace(tzinfo=None)

    def _instant(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.hours.tz).astimezone(UTC)

    def _as_date(self, d: date) -> date:
        return self.local_date(d) if isinstance(d, datetime) else d

    def _sessions(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, start), datetime.combine(day, end))
            for start, end in self.hours.sessions
        ]

    def _open_intervals(self, local: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open stretches of office time from ``local`` on, in order, without end."""
        day = local.date()
        closed_days = 0
        while True:
            sessions = [(max(b, local), e) for b, e in self._sessions(day) if e > local]
            closed_days = 0 if sessions else closed_days + 1
            if closed_days > _MAX_CLOSED_DAYS:
                raise WorkingTimeError(
                    "open_intervals", local, f"no office hours in {_MAX_CLOSED_DAYS} days"
                )
            yield from sessions
            day += _ONE_DAY

    def _working_days_of(self, year: int) -> list[date]:
        """The working days of ``year`` in order; computed once per year."""
        days = self._workdays.get(year)
        if days is None:
            if not MIN_CALENDAR_YEAR <= year <= MAX_CALENDAR_YEAR:
                raise WorkingTimeError(
                    "working days", year,
                    f"the calendar covers {MIN_CALENDAR_YEAR}-{MAX_CALENDAR_YEAR} only",
                )  # fmt: skip
            first = date(year, 1, 1)
            every = (first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days))
            days = [d for d in every if self.is_working_day(d)]
            self._workdays[year] = days
        return days

    def _working_days_between(self, first: date, last: date) -> int:
        """How many working days ``d`` have ``first <= d < last``, a year at a time."""
        count = 0
        for year in range(first.year, last.year + 1):
            listed = self._working_days_of(year)
            low = bisect_left(listed, first) if year == first.year else 0
            high = bisect_left(listed, last) if year == last.year else len(listed)
            count += max(0, high - low)
        return count

    def _nth_working_day_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (n >= 1), skipping whole years at a time."""
        year = day.year
        listed = self._working_days_of(year)
        index = bisect_right(listed, day)
        empty_years = 0
        while n > len(listed) - index:
            n -= len(listed) - index
            empty_years = empty_years + 1 if not listed else 0
            if empty_years > 1:
                raise WorkingTimeError(
                    "next_working_day", day, f"no working day in {_MAX_CLOSED_DAYS} days"
                )
            year += 1
            listed, index = self._working_days_of(year), 0
        return listed[index + n - 1]
