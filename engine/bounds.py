"""The limits on input, checked where it enters the engine so the CLI and the API share them.

Every check raises ``InvalidInput`` saying what is wrong, where, and what is allowed; none
of them touches the database, so a refused command has changed nothing.

- instants: between ``MIN_INSTANT`` and ``MAX_INSTANT`` (1900-2200): a far date would
  overflow the arithmetic of due times and the display of every list it appears in;
- ids: whole numbers 1 <= id < 2^63 (the databases' BIGINT);
- JSON data: at most ``MAX_JSON_DEPTH`` levels and ``MAX_JSON_BYTES`` bytes, no NaN or
  Infinity (not JSON), no NUL and no unpaired surrogates in any string, and any ISO date
  in it within 1900-2200;
- text people see (display names, units): no bidirectional override or isolate characters,
  which make a name read differently from what it is, and no control characters;
- BPMN files: at most ``MAX_BPMN_BYTES`` (``engine.bpmn.definitions`` also refuses a DOCTYPE,
  so no DTD and no external entities);
- cycle timers (reminders, ``R3/PT4H``): an interval of at least ``MIN_CYCLE_INTERVAL`` (the
  sweep runs about every half minute, and a reminder every few seconds is a mistake, not a
  reminder) and at most ``MAX_LIMIT_DAYS`` days; at most ``MAX_CYCLE_REPETITIONS`` firings,
  an unbounded ``R/...`` included: each firing adds its path's tasks to the case's saved
  state until the reminded task ends, so the state of one case stays bounded.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.errors import InvalidInput

MIN_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(2200, 12, 31, 23, 59, 59, tzinfo=UTC)
MAX_ID = 2**63 - 1
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 256 * 1024
MAX_TEXT_LENGTH = 200
MAX_BPMN_BYTES = 2 * 1024 * 1024
MAX_LIMIT_DAYS = 3650
MIN_CYCLE_INTERVAL = timedelta(minutes=1)
MAX_CYCLE_REPETITIONS = 1000

# Bidirectional embeddings, overrides and isolates (LRE..RLO, LRI..PDI), and the marks.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_DATE_LIKE = re.compile(r"\s*\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def check_instant(value: datetime, what: str) -> datetime:
    """An aware instant within 1900-2200."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{what} {value.isoformat()} has no UTC offset; add one, e.g. +07:00 for Bangkok"
        )
    # Comparing aware datetimes converts to UTC, which itself overflows at year 1 or 9999.
    year = value.year
    if not MIN_INSTANT.year <= year <= MAX_INSTANT.year or not (
        MIN_INSTANT <= value <= MAX_INSTANT
    ):
        raise InvalidInput(
            f"{what} {value.isoformat()} is outside the years 1900-2200 prflow accepts; "
            "check the year (Buddhist Era years are 543 more than the Christian Era ones)"
        )
    return value


def parse_instant(text: str, what: str) -> datetime:
    """An ISO-8601 date and time with its UTC offset, within 1900-2200."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{what} {text!r} is not an ISO-8601 date and time; write e.g. 2026-04-10T15:00+07:00"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{what} {text!r} has no UTC offset, so it is not an instant; "
            f"add one, e.g. {value.isoformat(timespec='minutes')}+07:00 for Bangkok time"
        )
    return check_instant(value, what)


def check_id(value: int, what: str) -> int:
    """A row id: a whole number from 1 to 2^63 - 1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(f"{what} {value!r} is not an id; ids are whole numbers from 1 up")
    return value


def check_json(value: Any, what: str) -> Any:
    """JSON data within the depth and size limits, with only values JSON can carry."""
    _check_value(value, what, 0)
    try:
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (ValueError, TypeError) as err:  # pragma: no cover - _check_value refused these
        raise InvalidInput(f"{what} cannot be stored as JSON: {err}") from None
    if size > MAX_JSON_BYTES:
        raise InvalidInput(
            f"{what} is {size:,} bytes; at most {MAX_JSON_BYTES:,} are accepted "
            "(attach large documents by link instead)"
        )
    return value


def _check_value(value: Any, what: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise InvalidInput(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{what}: field name {key!r} is not text")
            _check_string(key, what)
            _check_value(item, what, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, what, depth + 1)
    elif isinstance(value, str):
        _check_string(value, what)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{what} contains {value!r}, which is not a JSON number")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > 2**63:
            raise InvalidInput(f"{what} contains a number with more than 19 digits")
    elif value is not None and not isinstance(value, bool):
        raise InvalidInput(f"{what} contains a {type(value).__name__}, which is not JSON")


def _check_string(text: str, what: str) -> None:
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character (\\u0000); remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} contains an unpaired surrogate; send valid UTF-8") from None
    if _DATE_LIKE.match(text):
        try:
            written = datetime.fromisoformat(text.strip())
        except ValueError:
            return  # text that merely starts like a date
        if not MIN_INSTANT.year <= written.year <= MAX_INSTANT.year:
            raise InvalidInput(
                f"{what}: the date {text!r} is outside the years 1900-2200 prflow accepts; "
                "check the year (Buddhist Era years are 543 more than Christian Era ones)"
            )


def load_json(text: str, what: str) -> Any:
    """Parse JSON text, refusing NaN and Infinity, then check it with ``check_json``."""
    if len(text) > MAX_JSON_BYTES:
        raise InvalidInput(f"{what} is longer than {MAX_JSON_BYTES:,} characters")

    def refuse_constant(name: str) -> Any:
        raise InvalidInput(f"{what} contains {name}, which is not a JSON number")

    try:
        value = json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as err:
        raise InvalidInput(
            f"{what} is not valid JSON ({err.msg} at column {err.colno}); "
            'write an object like \'{"decision": "ok"}\''
        ) from None
    except ValueError as err:  # e.g. an integer of more than 4,300 digits
        raise InvalidInput(f"{what} is not usable JSON: {err}") from None
    except RecursionError:
        raise InvalidInput(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep") from None
    return check_json(value, what)


def check_text(text: str, what: str) -> str:
    """A short text people read: no bidi controls, no control characters."""
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(f"{what} is {len(text)} characters long; at most {MAX_TEXT_LENGTH}")
    bidi = _BIDI.search(text)
    if bidi is not None:
        raise InvalidInput(
            f"{what} {text!r} contains the direction control U+{ord(bidi[0]):04X}, which makes "
            "it display differently from what it is; remove it"
        )
    control = _CONTROL.search(text)
    if control is not None:
        raise InvalidInput(
            f"{what} {text!r} contains the control character U+{ord(control[0]):04X}; remove it"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} contains an unpaired surrogate; send valid UTF-8") from None
    return text
