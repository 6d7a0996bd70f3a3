"""A task's deployed form on the page: rendered by the forms package's widgets, and a
posted form read back into the values the engine checks.

The widgets draw the whole ``<form>``; the page adds its hidden fields (the session's CSRF
token and the case version it read) right after the opening tag. Reading a post: a
multiple choice is every checked value, a group is the JSON text its widget holds, other
fields are their text; empty fields are left out so the engine reports missing ones.
File uploads are not taken from the page yet (attachment fields stay empty).
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup, escape
from starlette.datastructures import FormData

from engine.forms.definitions import Form
from engine.forms.values import FieldError
from forms.widgets import FormView, render_form

FORM_TAG_END = 'enctype="multipart/form-data">'


def render(form: Form, action: str, hidden: dict[str, str], values: dict[str, Any],
           errors: list[FieldError]) -> Markup:  # fmt: skip
    html = render_form(FormView(form, values, errors, action))
    fields = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in hidden.items()
    )
    # The widgets escape what they render; the added fields are escaped above.
    return Markup(html.replace(FORM_TAG_END, FORM_TAG_END + fields, 1))


def read(form: Form, posted: FormData) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in form.fields:
        if field.type == "multi_choice":
            chosen = [str(v) for v in posted.getlist(field.name) if isinstance(v, str) and v]
            if chosen:
                data[field.name] = chosen
            continue
        raw = posted.get(field.name)
        if not isinstance(raw, str) or not raw.strip():
            continue
        if field.type == "group":
            try:
                data[field.name] = json.loads(raw)
            except ValueError:
                data[field.name] = raw  # the engine says what is wrong with it
        else:
            data[field.name] = raw.strip()
    return data
