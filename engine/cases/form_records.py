"""A case's filled forms, for printing: who filled each, when, with the version's own forms.

``case_forms(ctx, case_id, actor)`` checks that the actor may see the case, then returns
the case (tasks with their stored, typed data and the engine's own times), the forms
deployed with its definition version, and the people who acted, by login. The ``forms``
package turns this into documents; the engine stays free of templates.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.accounts.users import UserView, get_user
from engine.cases import service
from engine.cases.deployment import case_forms as forms_of_case
from engine.cases.deployment import pins_of
from engine.cases.permissions import Action, require
from engine.cases.views import CaseView, case_view
from engine.context import Prflow
from engine.errors import NotFound
from engine.forms.definitions import FormCatalogue
from engine.store.db import read_session
from engine.store.tables import Case, Definition


@dataclass(frozen=True)
class CaseForms:
    case: CaseView
    forms: FormCatalogue
    people: dict[str, UserView]


def case_forms(ctx: Prflow, case_id: int, actor: str) -> CaseForms:
    with read_session(ctx.db) as session:
        user = get_user(session, actor)
        row = session.get(Case, case_id)
        if row is None:
            raise NotFound("case", case_id)
        require(user, Action.VIEW_CASE, case_view(session, case_id))
        definition = session.get(Definition, row.definition_id)
        assert definition is not None  # a foreign key guarantees it
        forms = forms_of_case(session, definition, pins_of(row.called_versions))
    case = service.show(ctx, case_id)
    logins = {case.started_by} | {t.completed_by for t in case.tasks if t.completed_by}
    with read_session(ctx.db) as session:
        people = {login: get_user(session, login) for login in sorted(logins)}
    return CaseForms(case, forms, people)
