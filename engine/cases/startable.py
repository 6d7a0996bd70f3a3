"""Which processes a user may start a case of, and the form each case starts with.

The start page lists these; ``service.start`` checks the same permission and the same
start form again when the case is started, so the list is a convenience, never the guard.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from engine.accounts.users import UserView, get_user
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
        keys = session.exec(select(Definition.key).distinct()).all()
        found = [s for s in (_startable(session, user, key) for key in keys) if s is not None]
    return sorted(found, key=lambda s: (s.name, s.key))


def one(ctx: Prflow, actor: str, key: str) -> Startable:
    """The process ``key`` if ``actor`` may start it; ``NotFound`` names what they may start."""
    with read_session(ctx.db) as session:
        found = _startable(session, get_user(session, actor), key)
    if found is not None:
        return found
    may = ", ".join(p.key for p in startable(ctx, actor)) or "none"
    raise NotFound("process that you may start", key, f"{actor} may start: {may}")


def _startable(session: Session, user: UserView, key: str) -> Startable | None:
    try:
        definition = startable_version(session, key)
    except (Conflict, NotFound):
        return None  # never deployed, or every version withdrawn until one is restored
    if Action.START not in process_actions(user, process_view(key, compiled_row(definition))):
        return None
    forms = forms_of(definition)
    form = forms.get(start_form(key)) if start_form(key) in forms else None
    return Startable(key, definition.name, definition.version, form)
