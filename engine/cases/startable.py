"""Which processes a user may start a case of, and the form each case starts with.

The start page lists these; ``service.start`` checks the same permission and the same
start form again when the case is started, so the list is a convenience, never the guard.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from engine.accounts.users import get_user
from engine.cases.deployment import compiled_row, forms_of, start_form, startable_version
from engine.cases.permissions import Action, process_actions
from engine.cases.views import process_view
from engine.context import Prflow
from engine.errors import Conflict, NotFound
from engine.forms.definitions import Form
from engine.store.db import read_session
from engine.store.tables import Definition


@dataclass(frozen=True)
class Startable:
    """A process ``actor`` may start, on the version a new case would pin."""

    key: str
    name: str
    version: int
    form: Form | None  # the process's start form; None: the case starts with free data


def startable(ctx: Prflow, actor: str) -> list[Startable]:
    """The processes ``actor`` may start now, by name (withdrawn-only processes left out)."""
    with read_session(ctx.db) as session:
        user = get_user(session, actor)
        found: list[Startable] = []
        for key in session.exec(select(Definition.key).distinct()).all():
            try:
                definition = startable_version(session, key)
            except Conflict:
                continue  # every version withdrawn: nothing to start until one is restored
            view = process_view(key, compiled_row(definition))
            if Action.START in process_actions(user, view):
                forms = forms_of(definition)
                form = forms.get(start_form(key)) if start_form(key) in forms else None
                found.append(Startable(key, definition.name, definition.version, form))
    return sorted(found, key=lambda s: (s.name, s.key))


def one(ctx: Prflow, actor: str, key: str) -> Startable:
    """The process ``key`` if ``actor`` may start it; ``NotFound`` names what they may start."""
    listed = startable(ctx, actor)
    for process in listed:
        if process.key == key:
            return process
    may = ", ".join(p.key for p in listed) or "none"
    raise NotFound("process that you may start", key, f"{actor} may start: {may}")
