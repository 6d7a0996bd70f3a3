"""How a stored form value reads on paper: Thai choice labels, BE dates, names, file names.

One function, ``display``, used by the documents and the widgets' read-only views, so a
value prints the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from engine.accounts.users import UserView
from engine.forms.definitions import FormField
from forms.filters import Digits, be_date, be_datetime, thai_digits


def display(
    field: FormField,
    value: Any,
    people: Mapping[str, UserView] | None = None,
    digits: Digits = "thai",
) -> str:
    """The value as a person reads it in Thai; empty for no value."""
    if value is None or value == "" or value == []:
        return ""
    kind = field.type
    if kind == "choice":
        choice = field.choice(value)
        return choice.th if choice else str(value)
    if kind == "multi_choice":
        return ", ".join(display(_single(field), item) for item in value)
    if kind == "date":
        return be_date(value, digits)
    if kind == "datetime":
        return be_datetime(value, digits)
    if kind == "yes_no":
        return "ใช่" if value else "ไม่ใช่"
    if kind == "number":
        return _digits(f"{value:,}" if isinstance(value, int) else f"{value:,.2f}", digits)
    if kind == "person":
        person = (people or {}).get(value)
        return person.display_name if person else str(value)
    if kind == "attachment":
        return f"{value.get('name')} (SHA-256 {str(value.get('sha256', ''))[:12]})"
    if kind == "group":
        rows = []
        for row in value:
            cells = [display(f, row.get(f.name), people, digits) for f in field.fields]
            rows.append(" / ".join(cell for cell in cells if cell))
        return "; ".join(rows)
    return str(value)  # typed text stays as typed (URLs, numbers people wrote)


def _single(field: FormField) -> FormField:
    return replace(field, type="choice")


def _digits(text: str, digits: Digits) -> str:
    return thai_digits(text) if digits == "thai" else text
