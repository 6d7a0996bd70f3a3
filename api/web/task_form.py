"""A task's deployed form on the page: rendered by the forms package's widgets, and a
posted form read back into the values the engine checks.

The widgets draw the whole ``<form>``; the page adds its hidden fields (the session's CSRF
token and the case version it read) right after the opening tag. Reading a post: a
multiple choice is every checked value, a group is its table's rows (inputs named
``group.row.field``, blank rows left out), a file input is an ``Upload`` (or the id of a
file stored by an earlier try), other fields are their text; empty fields are left out so
the engine reports missing ones. ``store_uploads`` keeps the chosen files on the case and
puts their ids where the form expects them, before the form is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from starlette.datastructures import FormData, UploadFile

from api.routes.attachments import upload_bytes
from engine.cases import attachments
from engine.context import Prflow
from engine.forms.definitions import Form, FormField
from engine.forms.values import FieldError, FormInvalid
from forms.widgets import FormView, render_form

FORM_TAG_END = 'enctype="multipart/form-data">'
MAX_ROW_DIGITS = 4  # row numbers are the page's own, 0..max_items; more is not a real post


@dataclass(frozen=True)
class Upload:
    """A file chosen in a form's file input; ``where`` names the field (``links[2].file``)."""

    where: str
    name: str
    content: bytes
    limit: int


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
        value = _value(field, posted, field.name, field.name)
        if value is not None:
            data[field.name] = value
    return data


def _value(field: FormField, posted: FormData, key: str, where: str) -> Any:
    if field.type == "multi_choice":
        chosen = [str(v) for v in posted.getlist(key) if isinstance(v, str) and v]
        return chosen or None
    if field.type == "attachment":
        return _attachment(field, posted.getlist(key), where)
    if field.type == "group":
        return _rows(field, posted)
    raw = posted.get(key)
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip()


def _attachment(field: FormField, posted: list[Any], where: str) -> Any:
    for value in posted:
        if isinstance(value, UploadFile) and value.filename:
            return Upload(where, value.filename, upload_bytes(value), field.max_bytes)
    for value in posted:
        if isinstance(value, str) and value.isdigit() and len(value) <= 12:
            return {"id": int(value)}  # stored by an earlier, refused try of this form
    return None


def _rows(group: FormField, posted: FormData) -> list[dict[str, Any]] | None:
    prefix = f"{group.name}."
    numbers = {
        int(number)
        for key in posted
        if key.startswith(prefix)
        for number in [key[len(prefix) :].split(".", 1)[0]]
        if number.isdigit() and len(number) <= MAX_ROW_DIGITS
    }
    rows: list[dict[str, Any]] = []
    for number in sorted(numbers):
        row: dict[str, Any] = {}
        for sub in group.fields:
            where = f"{group.name}[{len(rows)}].{sub.name}"
            value = _value(sub, posted, f"{prefix}{number}.{sub.name}", where)
            if value is not None:
                row[sub.name] = value
        if row:
            rows.append(row)
    return rows or None


def store_uploads(
    ctx: Prflow, form: Form, case_id: int, data: dict[str, Any], actor: str
) -> dict[str, Any]:
    """``data`` with each ``Upload`` stored on the case and replaced by its file's id.

    A file over its field's limit is refused as that field's error before anything is
    stored; one of a kind the server does not keep is refused by ``attachments.store``.
    """
    uploads = list(_uploads(data))
    too_big = [
        FieldError(u.where, f"ไฟล์ใหญ่เกิน {u.limit} ไบต์", f"the file is over {u.limit} bytes")
        for u in uploads
        if len(u.content) > u.limit
    ]
    if too_big:
        raise FormInvalid(form, too_big)
    return _replace(ctx, case_id, data, actor)  # type: ignore[no-any-return]


def _uploads(value: Any) -> Any:
    if isinstance(value, Upload):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _uploads(item)
    elif isinstance(value, list):
        for item in value:
            yield from _uploads(item)


def _replace(ctx: Prflow, case_id: int, value: Any, actor: str) -> Any:
    if isinstance(value, Upload):
        stored = attachments.store(ctx, case_id, value.name, value.content, actor)
        return {"id": stored.id, "name": stored.name}
    if isinstance(value, dict):
        return {k: _replace(ctx, case_id, v, actor) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(ctx, case_id, v, actor) for v in value]
    return value


def without_uploads(value: Any) -> Any:
    """``value`` with chosen files left out: a start form has no case to keep them on yet."""
    if isinstance(value, dict):
        return {k: without_uploads(v) for k, v in value.items() if not isinstance(v, Upload)}
    if isinstance(value, list):
        return [without_uploads(v) for v in value if not isinstance(v, Upload)]
    return value
