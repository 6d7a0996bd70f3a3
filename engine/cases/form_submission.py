"""The one call the use cases make to check a submission against its deployed form.

``checked(session, forms, form_id, case_id, data)`` checks against the forms stored with
the case's definition version and the called versions pinned with it
(``engine.cases.deployment.case_forms``: a running case keeps the forms it started with), looks up
people and the case's uploaded files, and returns the typed values to store — or raises
``FormInvalid`` before anything is stepped or saved. ``checked_start`` does the same for
a new case's data when the process has a start form (``<process key>_start``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from engine.cases.deployment import forms_of, start_form
from engine.forms.definitions import FormCatalogue
from engine.forms.values import Lookups, check
from engine.store.tables import Attachment, Definition, UserRole

NO_CASE = 0  # before a case exists no file can belong to it


def checked(
    session: Session,
    forms: FormCatalogue,
    form_id: str | None,
    case_id: int,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """The typed submission; unchanged for versions deployed before forms existed."""
    if form_id is None or form_id not in forms:
        return dict(data)
    return check(forms.get(form_id), data, lookups(session, case_id))


def checked_start(
    session: Session, definition: Definition, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Case data checked against the process's start form, where it has one."""
    return checked(session, forms_of(definition), start_form(definition.key), NO_CASE, data)


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
