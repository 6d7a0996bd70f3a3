"""Shared set-up for the form tests: every role's user, the processes deployed, helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.cases import service
from engine.context import Prflow
from engine.forms.definitions import FormCatalogue
from engine.settings import REPO_PROCESSES_DIR, Settings
from tests.factories import add_people, deploy
from tests.support.form_data import filled
from tests.support.scenarios import login_for, people_for_all_roles

PEOPLE = people_for_all_roles()
FORMS = FormCatalogue.load([REPO_PROCESSES_DIR / "forms"])
P8 = REPO_PROCESSES_DIR / "news_production.bpmn"
P9 = REPO_PROCESSES_DIR / "office_website_publishing.bpmn"


@pytest.fixture
def office(ctx: Prflow) -> Prflow:
    """Both databases: every role's user (``u_<role>``), P8 and P9 deployed."""
    add_people(ctx, PEOPLE)
    deploy(ctx, P8, P9)
    return ctx


@pytest.fixture
def lite(sqlite_url: str) -> Iterator[Prflow]:
    """SQLite only, for checks that do not depend on the database (deploy refusals, PDF)."""
    engine = Prflow(
        Settings(database_url=sqlite_url, processes_dir=REPO_PROCESSES_DIR, mode="test"),
        upgrade=True,
    )
    add_people(engine, PEOPLE)
    try:
        yield engine
    finally:
        engine.close()


def open_task(ctx: Prflow, case_id: int) -> service.TaskView:
    found = [t for t in service.show(ctx, case_id).tasks if t.status in service.OPEN]
    assert len(found) == 1, found
    return found[0]


def step(ctx: Prflow, case_id: int, element_id: str, chosen: dict[str, Any] | None = None) -> Any:
    """Complete the case's open task (it must be ``element_id``) with a valid form."""
    task = open_task(ctx, case_id)
    assert task.element_id == element_id
    data = filled(FORMS.get(task.form or ""), chosen or {}, lambda r: login_for(r, PEOPLE))
    return service.complete(ctx, task.id, data, login_for(task.role, PEOPLE))


def copy_processes(tmp_path: Path) -> Path:
    """A copy of processes/ to edit (a diagram or a form) without touching the repo."""
    import shutil

    target = tmp_path / "processes"
    shutil.copytree(REPO_PROCESSES_DIR, target)
    return target
