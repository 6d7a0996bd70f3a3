"""Form widgets: a form definition rendered as HTML inputs with Thai/English labels.

``render_form(FormView(...))`` shows every field with its label, help and the messages of
a refused submission next to it, and re-shows what the person typed, so nothing is lost
when the engine refuses a form. The context is the ``FormView`` dataclass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.forms.definitions import Form, FormField
from engine.forms.values import FieldError
from forms.documents import ENV

INPUT_TYPES = {"text": "text", "date": "date", "datetime": "datetime-local", "number": "number",
               "person": "text"}  # fmt: skip


@dataclass(frozen=True)
class FormView:
    """Context of ``widgets.html``.

    ``values`` are what was submitted (or stored), by field name; ``errors`` the engine's
    ``FieldError``s of a refused submission; ``action`` the URL the form posts to.
    """

    form: Form
    values: Mapping[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    action: str = ""

    def errors_for(self, name: str) -> list[FieldError]:
        """Messages about a field, or a row of it (``links[2].url``)."""
        return [e for e in self.errors if e.field == name or e.field.startswith(f"{name}[")]

    def text(self, name: str) -> str:
        value = self.values.get(name)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, dict):
            return str(value.get("id", ""))
        return str(value)

    def rows(self, group: FormField) -> list[Mapping[str, Any]]:
        """A group's items as table rows, plus one blank row to fill (within max_items)."""
        value = self.values.get(group.name)
        items = (
            [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []
        )
        wanted = max(len(items) + 1, group.min_items, 1)
        if group.max_items is not None:
            wanted = min(wanted, max(group.max_items, len(items)))
        return items + [{}] * (wanted - len(items))

    def chosen(self, name: str, value: str) -> bool:
        current = self.values.get(name)
        return value in current if isinstance(current, list) else current == value


def input_type(kind: str) -> str:
    return INPUT_TYPES.get(kind, "text")


ENV.globals["input_type"] = input_type


def render_form(view: FormView) -> str:
    return ENV.get_template("widgets.html").render(view=view)
