"""The form catalogue: the fields of every task's form, read from ``processes/forms/*.toml``.

This module loads form definitions (one TOML file per form, the format documented in
``processes/forms/README.md``), checks every entry, and expands steps that use the shared
decision form. It is pure: no database, no web. ``engine.forms.values`` validates a
submission against a ``Form``; ``engine.bpmn.form_rules`` checks diagrams against the catalogue.

A catalogue is built from *sources* (form id -> TOML text) so the same code reads the files
on disk at deploy time and the copies stored with a definition version afterwards.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput, NotFound

FORM_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DECISION = "decision"  # the shared decision form's id
OUTCOMES = ("approve", "send_back", "refuse")
TYPES = frozenset(
    {
        "text",
        "long_text",
        "choice",
        "multi_choice",
        "date",
        "datetime",
        "number",
        "yes_no",
        "person",
        "attachment",
        "group",
    }
)
ATTACHMENT_KINDS = frozenset(
    {"pdf", "png", "jpeg", "gif", "webp", "docx", "xlsx", "pptx", "zip", "txt"}
)
DEFAULT_MAX_LENGTH = {"text": 500, "long_text": 10000}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENTS = frozenset({"form", "memo", "summary_memo", "permission"})
FORM_KEYS = frozenset({"th", "en", "source", "reading", "document", "uses", "outcomes", "fields"})
FIELD_KEYS = frozenset(
    {
        "name",
        "type",
        "th",
        "en",
        "help_th",
        "help_en",
        "required",
        "required_when",
        "reading",
        "max_length",
        "choices",
        "min",
        "max",
        "integer",
        "role",
        "accept",
        "max_bytes",
        "fields",
        "min_items",
        "max_items",
    }
)


class FormCatalogueError(InvalidInput):
    """A form file cannot be read or an entry in it is malformed."""

    def __init__(self, form_id: str, field_name: str | None, reason: str) -> None:
        self.form_id = form_id
        self.field_name = field_name
        self.reason = reason
        where = f"processes/forms/{form_id}.toml"
        if field_name:
            where += f": field {field_name!r}"
        super().__init__(f"{where}: {reason} (see processes/forms/README.md)")


class UnknownForm(NotFound):
    def __init__(self, form_id: str) -> None:
        self.form_id = form_id
        super().__init__("form", form_id, f"add processes/forms/{form_id}.toml")


@dataclass(frozen=True)
class Choice:
    value: str
    th: str
    en: str


@dataclass(frozen=True)
class RequiredWhen:
    """Required when ``field`` has one of ``values`` (any value when ``values`` is None)."""

    field: str
    values: tuple[str, ...] | None

    def applies(self, data: Mapping[str, Any]) -> bool:
        value = data.get(self.field)
        if value is None or value == "" or value == []:
            return False
        if self.values is None:
            return True
        given = value if isinstance(value, list) else [value]
        return any(str(item) in self.values for item in given)


@dataclass(frozen=True)
class FormField:
    """One field of a form; which keys matter depends on ``type``."""

    name: str
    type: str
    th: str
    en: str
    help_th: str = ""
    help_en: str = ""
    required: bool = False
    required_when: RequiredWhen | None = None
    reading: bool = False
    max_length: int | None = None
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    role: str | None = None
    accept: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    fields: tuple[FormField, ...] = ()
    min_items: int = 0
    max_items: int | None = None

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)

    def choice(self, value: object) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class Form:
    """A form: titles, fields in display order, and where it comes from."""

    id: str
    th: str
    en: str
    fields: tuple[FormField, ...]
    source: str = ""
    reading: str = ""
    document: str = "form"
    outcomes: Mapping[str, str] = field(default_factory=dict)  # outcome kind -> gateway value

    def field(self, name: str) -> FormField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class FormCatalogue:
    """Forms by id, with the TOML text each was read from (stored with a deploy)."""

    forms: Mapping[str, Form]
    sources: Mapping[str, str]

    @classmethod
    def load(cls, folders: Iterable[Path]) -> FormCatalogue:
        """Read every ``*.toml`` in the folders (later folders win); check every file."""
        sources: dict[str, str] = {}
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.toml")):
                try:
                    sources[path.stem] = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as err:
                    raise FormCatalogueError(path.stem, None, f"cannot read it ({err})") from err
        return cls.from_sources(sources)

    @classmethod
    def from_sources(cls, sources: Mapping[str, str]) -> FormCatalogue:
        parsed: dict[str, dict[str, Any]] = {}
        for form_id, text in sources.items():
            if not FORM_ID.match(form_id):
                raise FormCatalogueError(form_id, None, "the file name must be snake_case ASCII")
            try:
                parsed[form_id] = tomllib.loads(text)
            except tomllib.TOMLDecodeError as err:
                raise FormCatalogueError(form_id, None, f"not valid TOML: {err}") from err
        forms = {form_id: _form(form_id, data, parsed) for form_id, data in parsed.items()}
        return cls(forms, dict(sources))

    @classmethod
    def from_json(cls, text: str | None) -> FormCatalogue:
        """The catalogue stored with a definition version (empty for old versions)."""
        return cls.from_sources(json.loads(text) if text else {})

    def __contains__(self, form_id: object) -> bool:
        return form_id in self.forms

    def __iter__(self) -> Iterator[Form]:
        return iter(self.forms.values())

    def get(self, form_id: str) -> Form:
        try:
            return self.forms[form_id]
        except KeyError:
            raise UnknownForm(form_id) from None

    def subset_json(self, form_ids: Iterable[str]) -> str:
        """The sources of these forms (and the shared decision form they use), as JSON."""
        wanted = {f for f in form_ids if f in self.sources}
        if any(self.forms[f].outcomes for f in wanted) and DECISION in self.sources:
            wanted.add(DECISION)
        return json.dumps({f: self.sources[f] for f in sorted(wanted)}, ensure_ascii=False)


def sources_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading one file -------------------------------------------------------------------


def _form(form_id: str, data: Mapping[str, Any], parsed: Mapping[str, Any]) -> Form:
    unknown = sorted(set(data) - FORM_KEYS)
    if unknown:
        raise FormCatalogueError(form_id, None, f"unknown key(s) {', '.join(unknown)}")
    th, en = _text(form_id, None, data, "th"), _text(form_id, None, data, "en")
    document = data.get("document", "form")
    if document not in DOCUMENTS:
        raise FormCatalogueError(
            form_id, None, f"document {document!r} is not one of {', '.join(sorted(DOCUMENTS))}"
        )
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list):
        raise FormCatalogueError(form_id, None, "missing 'fields' (write fields = [] if none)")
    fields = [_field(form_id, raw, nested=False) for raw in raw_fields]
    outcomes: dict[str, str] = {}
    uses = data.get("uses")
    if form_id == DECISION:
        pass  # the shared form itself: its [outcomes] holds labels, read by the users
    elif uses is not None:
        if uses != DECISION:
            raise FormCatalogueError(form_id, None, f'uses = {uses!r}; only "decision" exists')
        if DECISION not in parsed:
            raise FormCatalogueError(form_id, None, "uses the decision form; add decision.toml")
        shared = _form(DECISION, parsed[DECISION], parsed)
        outcomes, labels = _outcomes(form_id, data.get("outcomes"), parsed[DECISION])
        fields = [*_decision_fields(shared, outcomes, labels), *fields]
    elif "outcomes" in data:
        raise FormCatalogueError(form_id, None, '[outcomes] needs uses = "decision"')
    names = [f.name for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FormCatalogueError(form_id, duplicates[0], "defined twice")
    for each in fields:
        if each.required_when and each.required_when.field not in names:
            raise FormCatalogueError(
                form_id,
                each.name,
                f"required_when names unknown field {each.required_when.field!r}",
            )
    return Form(
        id=form_id,
        th=th,
        en=en,
        fields=tuple(fields),
        source=str(data.get("source", "")),
        reading=str(data.get("reading", "")),
        document=document,
        outcomes=outcomes,
    )


def _outcomes(
    form_id: str, raw: object, shared: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    if not isinstance(raw, dict) or not raw:
        raise FormCatalogueError(
            form_id, None, "a step using the decision form needs [outcomes] (approve = ...)"
        )
    defaults = shared.get("outcomes", {})
    values: dict[str, str] = {}
    labels: dict[str, tuple[str, str]] = {}
    for kind, spec in raw.items():
        if kind not in OUTCOMES:
            raise FormCatalogueError(
                form_id, None, f"outcome {kind!r} is not one of {', '.join(OUTCOMES)}"
            )
        default = defaults.get(kind, {})
        if isinstance(spec, str):
            spec = {"value": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("value"), str):
            raise FormCatalogueError(form_id, None, f'outcome {kind}: write {kind} = "value"')
        values[kind] = spec["value"]
        labels[kind] = (
            str(spec.get("th", default.get("th", kind))),
            str(spec.get("en", default.get("en", kind))),
        )
    if "approve" not in values:
        raise FormCatalogueError(form_id, None, "a decision step needs an approve outcome")
    return values, labels


def _decision_fields(
    shared: Form, outcomes: Mapping[str, str], labels: Mapping[str, tuple[str, str]]
) -> list[FormField]:
    choices = tuple(Choice(value, *labels[kind]) for kind, value in outcomes.items())
    back = tuple(value for kind, value in outcomes.items() if kind != "approve")
    fields: list[FormField] = []
    for each in shared.fields:
        if each.name == "decision":
            each = replace(each, choices=choices)
        elif each.name == "reason" and back:
            each = replace(each, required_when=RequiredWhen("decision", back))
        fields.append(each)
    return fields


def _field(form_id: str, raw: object, nested: bool) -> FormField:
    if not isinstance(raw, dict):
        raise FormCatalogueError(form_id, None, "each [[fields]] entry must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        raise FormCatalogueError(form_id, str(name), "name must be snake_case ASCII")
    if name in {"due_at"}:
        raise FormCatalogueError(form_id, name, "the name due_at is reserved for due times")
    unknown = sorted(set(raw) - FIELD_KEYS)
    if unknown:
        raise FormCatalogueError(form_id, name, f"unknown key(s) {', '.join(unknown)}")
    kind = raw.get("type")
    if kind not in TYPES:
        raise FormCatalogueError(
            form_id, name, f"type {kind!r} is not one of {', '.join(sorted(TYPES))}"
        )
    assert isinstance(kind, str)
    values: dict[str, Any] = {
        "name": name,
        "type": kind,
        "th": _text(form_id, name, raw, "th"),
        "en": _text(form_id, name, raw, "en"),
        "help_th": str(raw.get("help_th", "")),
        "help_en": str(raw.get("help_en", "")),
        "required": _bool(form_id, name, raw, "required"),
        "reading": _bool(form_id, name, raw, "reading"),
    }
    if "required_when" in raw:
        values["required_when"] = _required_when(form_id, name, raw["required_when"])
    if kind in DEFAULT_MAX_LENGTH:
        values["max_length"] = _int(form_id, name, raw, "max_length", DEFAULT_MAX_LENGTH[kind])
    if kind in {"choice", "multi_choice"} and not (form_id == DECISION and "choices" not in raw):
        # The shared decision form's choices come from each step's [outcomes].
        values["choices"] = _choices(form_id, name, raw.get("choices"))
    if kind == "number":
        for key in ("min", "max"):
            if key in raw and not isinstance(raw[key], int | float):
                raise FormCatalogueError(form_id, name, f"{key} must be a number")
            values[key] = raw.get(key)
        values["integer"] = _bool(form_id, name, raw, "integer")
    if kind == "person":
        role = raw.get("role")
        if not isinstance(role, str) or not role:
            raise FormCatalogueError(form_id, name, 'a person field needs role = "<role id>"')
        values["role"] = role
    if kind == "attachment":
        accept = raw.get("accept", sorted(ATTACHMENT_KINDS))
        if not isinstance(accept, list) or not set(accept) <= ATTACHMENT_KINDS or not accept:
            raise FormCatalogueError(
                form_id, name, f"accept must list kinds from {', '.join(sorted(ATTACHMENT_KINDS))}"
            )
        values["accept"] = tuple(accept)
        values["max_bytes"] = _int(form_id, name, raw, "max_bytes", DEFAULT_MAX_BYTES)
    if kind == "group":
        if nested:
            raise FormCatalogueError(form_id, name, "a group cannot hold another group")
        inner = raw.get("fields")
        if not isinstance(inner, list) or not inner:
            raise FormCatalogueError(form_id, name, "a group needs fields = [ {...}, ... ]")
        values["fields"] = tuple(_field(form_id, each, nested=True) for each in inner)
        values["min_items"] = _int(form_id, name, raw, "min_items", 0)
        values["max_items"] = _int(form_id, name, raw, "max_items", 100)
    return FormField(**values)


def _text(form_id: str, name: str | None, raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise FormCatalogueError(form_id, name, f'missing or empty {key!r}; write {key} = "..."')
    return value.strip()


def _bool(form_id: str, name: str, raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise FormCatalogueError(form_id, name, f"{key} must be true or false")
    return value


def _int(form_id: str, name: str, raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FormCatalogueError(form_id, name, f"{key} must be a whole number >= 0")
    return value


def _choices(form_id: str, name: str, raw: object) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        raise FormCatalogueError(
            form_id, name, 'needs choices = [{ value = "...", th = "...", en = "..." }, ...]'
        )
    choices = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            raise FormCatalogueError(form_id, name, "each choice needs value, th and en")
        choices.append(
            Choice(
                entry["value"],
                _text(form_id, name, entry, "th"),
                _text(form_id, name, entry, "en"),
            )
        )
    values = [c.value for c in choices]
    if len(set(values)) != len(values):
        raise FormCatalogueError(form_id, name, "two choices have the same value")
    return tuple(choices)


def _required_when(form_id: str, name: str, raw: object) -> RequiredWhen:
    if not isinstance(raw, dict) or not isinstance(raw.get("field"), str):
        raise FormCatalogueError(
            form_id, name, 'required_when = { field = "other_field", in = ["value"] }'
        )
    values = raw.get("in")
    if values is not None and (
        not isinstance(values, list) or not all(isinstance(v, str) for v in values)
    ):
        raise FormCatalogueError(form_id, name, "required_when.in must list string values")
    return RequiredWhen(raw["field"], tuple(values) if values is not None else None)
