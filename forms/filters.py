"""Jinja2 filters for Thai dates and digits: the one place documents format time for people.

Dates shown to people are Buddhist Era (CE + 543) with Thai month names, in Asia/Bangkok:
an instant is converted to Bangkok *before* its day is taken, so 17:00 UTC is already the
next Thai day. Thai digits (๑๒๓) are optional (``digits="arabic"`` keeps 123).

    {{ task.completed_at | be_date }}        ๑๗ พฤษภาคม ๒๕๖๙
    {{ task.completed_at | be_datetime }}    ๑๗ พฤษภาคม ๒๕๖๙ เวลา ๑๖.๓๐ น.
    {{ "2026-05-17" | be_date("arabic") }}   17 พฤษภาคม 2569
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jinja2 import Environment

BANGKOK = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543
THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
Digits = Literal["thai", "arabic"]


def thai_digits(value: object) -> str:
    """The text with 0-9 written as Thai digits ๐-๙."""
    return str(value).translate(_THAI_DIGITS)


def thai_month(month: int) -> str:
    """The Thai name of a month number 1-12."""
    return THAI_MONTHS[month - 1]


def bangkok(value: datetime | str) -> datetime:
    """An aware instant (or ISO text with an offset) in Asia/Bangkok; naive is refused."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        raise ValueError(f"{value!r} has no timezone offset; cannot place it in Bangkok")
    return instant.astimezone(BANGKOK)


def _day(value: date | datetime | str) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return bangkok(value).date()
    return value


def _digits(text: str, digits: Digits) -> str:
    return thai_digits(text) if digits == "thai" else text


def be_date(value: date | datetime | str | None, digits: Digits = "thai") -> str:
    """``17 พฤษภาคม 2569`` (Thai digits by default); empty for no value."""
    if value is None or value == "":
        return ""
    day = _day(value)
    text = f"{day.day} {thai_month(day.month)} {day.year + BE_OFFSET}"
    return _digits(text, digits)


def be_time(value: datetime | str | None, digits: Digits = "thai") -> str:
    """``16.30 น.``, the way Thai official documents write a time."""
    if value is None or value == "":
        return ""
    local = bangkok(value)
    return _digits(f"{local:%H.%M} น.", digits)


def be_datetime(value: datetime | str | None, digits: Digits = "thai") -> str:
    """``17 พฤษภาคม 2569 เวลา 16.30 น.``"""
    if value is None or value == "":
        return ""
    return f"{be_date(value, digits)} เวลา {be_time(value, digits)}"


FILTERS: dict[str, Any] = {
    "thai_digits": thai_digits,
    "thai_month": thai_month,
    "bangkok": bangkok,
    "be_date": be_date,
    "be_time": be_time,
    "be_datetime": be_datetime,
}


def install(env: Environment) -> Environment:
    """Add every filter of this module to a Jinja2 environment."""
    env.filters.update(FILTERS)
    return env
