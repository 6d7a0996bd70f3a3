"""Validate one form submission and turn it into typed values.

``check(form, data, lookups)`` returns the values to store — trimmed text, numbers as
numbers, dates as ISO dates, date-times as UTC instants, yes/no as booleans, attachments as
their stored record — or raises ``FormInvalid`` carrying one ``FieldError`` per bad field,
each in Thai and English (what is wrong, what is allowed). Nothing here touches the
database: the caller passes ``Lookups`` for people and uploaded files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from engine.errors import InvalidInput
from engine.forms.definitions import Form, FormField

MIN_YEAR, MAX_YEAR = 1900, 2200
YES = frozenset({"yes", "true", "ใช่", "1"})
NO = frozenset({"no", "false", "ไม่ใช่", "0"})


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field (``links[2].url`` inside a group), in Thai and English."""

    field: str
    th: str
    en: str


class FormInvalid(InvalidInput):
    """A submission broke its form's rules; nothing was saved."""

    def __init__(self, form: Form, errors: list[FieldError]) -> None:
        self.form_id = form.id
        self.errors = errors
        lines = [f"  {e.field}: {e.th} / {e.en}" for e in errors]
        super().__init__(
            f"form {form.id} ({form.en}): {len(errors)} field(s) need fixing, nothing was "
            "saved\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class Lookups:
    """What validation needs from the store: does a login hold a role; an uploaded file."""

    holds_role: Callable[[str, str], bool]
    attachment: Callable[[int], Mapping[str, Any] | None]


NO_LOOKUPS = Lookups(lambda _login, _role: False, lambda _id: None)


def check(form: Form, data: Mapping[str, Any], lookups: Lookups) -> dict[str, Any]:
    """The typed values of a valid submission; ``FormInvalid`` listing every bad field."""
    errors: list[FieldError] = []
    typed = _check_fields(form.fields, data, lookups, "", errors)
    if errors:
        raise FormInvalid(form, errors)
    return typed


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _check_fields(
    fields: tuple[FormField, ...],
    data: Mapping[str, Any],
    lookups: Lookups,
    prefix: str,
    errors: list[FieldError],
) -> dict[str, Any]:
    known = {f.name for f in fields}
    for key in data:
        if key not in known:
            errors.append(
                FieldError(
                    f"{prefix}{key}",
                    f"ไม่มีช่อง {key} ในแบบฟอร์มนี้ ช่องที่มี: {', '.join(sorted(known)) or '-'}",
                    f"{key} is not a field of this form; its fields: "
                    f"{', '.join(sorted(known)) or 'none'}",
                )
            )
    typed: dict[str, Any] = {}
    for each in fields:
        where = f"{prefix}{each.name}"
        value = data.get(each.name)
        if _empty(value):
            needed = each.required or (each.required_when and each.required_when.applies(data))
            if needed:
                errors.append(_missing(each, where, data))
            continue
        try:
            typed[each.name] = _value(each, value, lookups, where, errors)
        except _Bad as bad:
            errors.append(FieldError(where, f"{each.th}: {bad.th}", f"{each.en}: {bad.en}"))
    return typed


class _Bad(Exception):
    def __init__(self, th: str, en: str) -> None:
        self.th = th
        self.en = en


def _missing(each: FormField, where: str, data: Mapping[str, Any]) -> FieldError:
    th, en = f"กรุณากรอก {each.th}", f"{each.en} is required"
    if each.required_when and not each.required:
        rule = each.required_when
        shown = data.get(rule.field)
        th += f" (จำเป็นเมื่อ {rule.field} = {shown})"
        en += f" when {rule.field} is {shown!r}"
    if each.choices:
        th += f"; เลือกได้: {_choices_th(each)}"
        en += f"; allowed: {', '.join(each.choice_values)}"
    return FieldError(where, th, en)


def _choices_th(each: FormField) -> str:
    return ", ".join(f"{c.value} ({c.th})" for c in each.choices)


def _value(
    each: FormField, value: Any, lookups: Lookups, where: str, errors: list[FieldError]
) -> Any:
    kind = each.type
    if kind in {"text", "long_text"}:
        return _text(each, value)
    if kind == "choice":
        return _choice(each, value)
    if kind == "multi_choice":
        items = value if isinstance(value, list) else [value]
        chosen = {_choice(each, item) for item in items}
        return [v for v in each.choice_values if v in chosen]
    if kind == "date":
        return _date(value).isoformat()
    if kind == "datetime":
        return _datetime(value).astimezone(UTC).isoformat()
    if kind == "number":
        return _number(each, value)
    if kind == "yes_no":
        return _yes_no(value)
    if kind == "person":
        return _person(each, value, lookups)
    if kind == "attachment":
        return _attachment(each, value, lookups)
    return _group(each, value, lookups, where, errors)


def _text(each: FormField, value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad("ต้องเป็นข้อความ", f"must be text, not {type(value).__name__}")
    text = value.strip() if each.type == "text" else value
    if each.type == "text" and "\n" in text:
        raise _Bad("ต้องเป็นข้อความบรรทัดเดียว", "must be a single line")
    limit = each.max_length or 0
    if len(text) > limit:
        raise _Bad(
            f"ยาว {len(text)} ตัวอักษร เกินกว่าที่กำหนด {limit} ตัวอักษร",
            f"is {len(text)} characters long; at most {limit} allowed",
        )
    return text


def _choice(each: FormField, value: Any) -> str:
    if not isinstance(value, str) or each.choice(value) is None:
        raise _Bad(
            f"{value!r} ไม่ใช่ตัวเลือกที่กำหนด เลือกได้: {_choices_th(each)}",
            f"{value!r} is not one of the choices; allowed: {', '.join(each.choice_values)}",
        )
    return value


_DATE_HELP_TH = f"ใช้รูปแบบ ปปปป-ดด-วว ปี ค.ศ. ระหว่าง {MIN_YEAR}-{MAX_YEAR} (พ.ศ. ลบ 543)"
_DATE_HELP_EN = f"use YYYY-MM-DD, a CE year between {MIN_YEAR} and {MAX_YEAR}"


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        raise _Bad("ต้องเป็นวันที่ ไม่มีเวลา", "must be a date without a time")
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise _Bad(
                f"{value!r} ไม่ใช่วันที่ {_DATE_HELP_TH}", f"{value!r} is not a date; {_DATE_HELP_EN}"
            ) from None
    else:
        raise _Bad(f"ไม่ใช่วันที่ {_DATE_HELP_TH}", f"is not a date; {_DATE_HELP_EN}")
    _year(day.year)
    return day


def _year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        hint_th = " (ดูเหมือนเป็นปี พ.ศ.)" if year > MAX_YEAR else ""
        hint_en = " (it looks like a Buddhist Era year)" if year > MAX_YEAR else ""
        raise _Bad(
            f"ปี {year} อยู่นอกช่วง {MIN_YEAR}-{MAX_YEAR}{hint_th}; {_DATE_HELP_TH}",
            f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}{hint_en}; {_DATE_HELP_EN}",
        )


def _datetime(value: Any) -> datetime:
    help_th = "ใช้รูปแบบ ปปปป-ดด-ววTชช:นน+07:00 (ต้องระบุเขตเวลา)"
    help_en = "use YYYY-MM-DDTHH:MM+07:00 (with the offset)"
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Bad(
                f"{value!r} ไม่ใช่วันและเวลา {help_th}", f"{value!r} is not a date and time; {help_en}"
            ) from None
    else:
        raise _Bad(f"ไม่ใช่วันและเวลา {help_th}", f"is not a date and time; {help_en}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise _Bad(f"ไม่ได้ระบุเขตเวลา {help_th}", f"has no timezone offset; {help_en}")
    _year(instant.year)
    return instant


def _number(each: FormField, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _Bad("ต้องเป็นตัวเลข", "must be a number")
    if isinstance(raw, str):
        try:
            raw = float(raw.strip().replace(",", ""))
        except ValueError:
            raise _Bad(f"{raw!r} ไม่ใช่ตัวเลข", f"{raw!r} is not a number") from None
    if not isinstance(raw, int | float) or not math.isfinite(raw):
        raise _Bad("ต้องเป็นตัวเลขที่มีค่าจำกัด", "must be a finite number")
    value: int | float = raw
    if each.integer:
        if value != int(value):
            raise _Bad("ต้องเป็นจำนวนเต็ม", "must be a whole number")
        value = int(value)
    if each.min is not None and value < each.min:
        raise _Bad(f"ต้องไม่น้อยกว่า {each.min:g}", f"must be at least {each.min:g}")
    if each.max is not None and value > each.max:
        raise _Bad(f"ต้องไม่เกิน {each.max:g}", f"must be at most {each.max:g}")
    return value


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES | NO:
        return value.strip().lower() in YES
    raise _Bad("ต้องเป็น ใช่ หรือ ไม่ใช่ (yes/no)", "must be yes or no (true/false)")


def _person(each: FormField, value: Any, lookups: Lookups) -> str:
    assert each.role is not None
    if not isinstance(value, str) or not lookups.holds_role(value.strip(), each.role):
        raise _Bad(
            f"{value!r} ไม่ใช่ผู้ใช้ที่มีบทบาท {each.role}",
            f"{value!r} is not the login of a user holding the role {each.role}",
        )
    return value.strip()


def _attachment(each: FormField, value: Any, lookups: Lookups) -> dict[str, Any]:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    stored = lookups.attachment(value) if isinstance(value, int) else None
    if stored is None:
        raise _Bad(
            f"{value!r} ไม่ใช่ไฟล์ที่อัปโหลดไว้ในเรื่องนี้ กรุณาอัปโหลดไฟล์ก่อน",
            f"{value!r} is not a file uploaded to this case; upload the file first",
        )
    if stored["kind"] not in each.accept:
        raise _Bad(
            f"ไฟล์ชนิด {stored['kind']} ไม่อนุญาต ใช้ได้: {', '.join(each.accept)}",
            f"a {stored['kind']} file is not allowed; allowed: {', '.join(each.accept)}",
        )
    if stored["size"] > each.max_bytes:
        raise _Bad(
            f"ไฟล์ใหญ่ {stored['size']} ไบต์ เกินกำหนด {each.max_bytes} ไบต์",
            f"the file has {stored['size']} bytes; at most {each.max_bytes} allowed",
        )
    return dict(stored)


def _group(
    each: FormField, value: Any, lookups: Lookups, where: str, errors: list[FieldError]
) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise _Bad("ต้องเป็นรายการของแถวข้อมูล", "must be a list of rows (objects)")
    most = each.max_items if each.max_items is not None else len(value)
    if not each.min_items <= len(value) <= most:
        raise _Bad(
            f"มี {len(value)} แถว ต้องมี {each.min_items}-{most} แถว",
            f"has {len(value)} rows; {each.min_items} to {most} allowed",
        )
    return [
        _check_fields(each.fields, row, lookups, f"{where}[{index}].", errors)
        for index, row in enumerate(value, start=1)
    ]
