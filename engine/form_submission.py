"""The one call the use cases make to check a submission against its deployed form.

``checked(session, definition, form_id, case_id, data)`` reads the forms stored with the
case's definition version (so a running case keeps the forms it started with), looks up
people and the case's uploaded files, and returns the typed values to store — or raises
``FormInvalid`` before anything is stepped or saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from engine.deployment import forms_of
from engine.form_values import Lookups, check
from engine.store.tables import Attachment, Definition, UserRole


def checked(
    session: Session,
    definition: Definition,
    form_id: str | None,
    case_id: int,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """The typed submission; unchanged for versions deployed before forms existed."""
    forms = forms_of(definition)
    if form_id is None or form_id not in forms:
        return dict(data)
    return check(forms.get(form_id), data, lookups(session, case_id))


def lookups(session: Session, case_id: int) -> Lookups:
    def holds_role(login: str, role: str) -> bool:
        query = select(UserRole).where(UserRole.login == login, UserRole.role == role)
        return session.exec(query).first() is not None

    def attachment(attachment_id: int) -> Mapping[str, Any] | None:
        row = session.get(Attachment, attachment_id)
        if row is None or row.case_id != case_id:
            return None
        return {
            "id": row.id,
            "name": row.name,
            "kind": row.kind,
            "size": row.size,
            "sha256": row.sha256,
        }

    return Lookups(holds_role, attachment)
