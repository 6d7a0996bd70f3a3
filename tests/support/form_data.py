"""Valid form submissions built from the form definitions, for tests that drive cases.

``filled(form, chosen, person)`` starts from the values a test chose (the gateway fields)
and fills every other field the form requires — including fields required only because of
a chosen value — with a plain valid value of its type. ``person(role)`` names a login
holding ``role`` for person fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.forms.definitions import Form, FormField

SAMPLE_TEXT = "ข้อมูลทดสอบ"


def filled(form: Form, chosen: Mapping[str, Any], person: Callable[[str], str]) -> dict[str, Any]:
    data = dict(chosen)
    # Two passes: a value filled in the first may make another field required.
    for _ in range(2):
        for each in form.fields:
            if each.name in data:
                continue
            needed = each.required or (each.required_when and each.required_when.applies(data))
            if needed:
                data[each.name] = sample(each, person)
    return data


def sample(each: FormField, person: Callable[[str], str]) -> Any:
    kind = each.type
    if kind in {"text", "long_text"}:
        return SAMPLE_TEXT
    if kind == "choice":
        return each.choice_values[0]
    if kind == "multi_choice":
        return [each.choice_values[0]]
    if kind == "date":
        return "2026-03-09"
    if kind == "datetime":
        return "2026-03-09T08:30:00+07:00"
    if kind == "number":
        return int(each.min) if each.min is not None else 1
    if kind == "yes_no":
        return True
    if kind == "person":
        assert each.role is not None
        return person(each.role)
    if kind == "group":
        rows = max(each.min_items, 1)
        return [filled_row(each, person) for _ in range(rows)]
    raise AssertionError(f"no sample for a required {kind} field {each.name!r}; upload one")


def filled_row(group: FormField, person: Callable[[str], str]) -> dict[str, Any]:
    return {f.name: sample(f, person) for f in group.fields if f.required}
