"""Deploy checks a diagram against its forms, and forms are versioned with the process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from engine.bpmn.definitions import InvalidDefinition
from engine.cases import deployment, service
from engine.context import Prflow
from engine.forms.values import FormInvalid
from engine.settings import Settings
from engine.store.db import read_session
from engine.store.tables import Definition
from tests.factories import P6, add_people
from tests.forms.conftest import PEOPLE, copy_processes, open_task


def edited(processes: Path, file_name: str, old: str, new: str) -> Path:
    path = processes / file_name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def engine_on(url: str, processes: Path) -> Prflow:
    ctx = Prflow(Settings(database_url=url, processes_dir=processes, mode="test"), upgrade=True)
    add_people(ctx, PEOPLE)
    return ctx


@pytest.mark.parametrize(
    ("file_name", "old", "new", "message"),
    [
        ("news_production.bpmn", 'name="due.news_type=inspection"',
         'name="due.news_type=field_trip"',
         "'due.news_type=field_trip' names value 'field_trip', which is not a choice of field "
         "'news_type'; allowed: inspection, meeting_summary, other, press_conference"),
        ("website_posting.bpmn", 'value="p6_store"', 'value="p6_archive"',
         "names form 'p6_archive', which has no definition; add processes/forms/p6_archive.toml"),
        ("website_posting.bpmn", 'decision == "fix"', 'verdict == "fix"',
         "reads field 'verdict', which no form before it produces"),
        ("website_posting.bpmn", 'decision == "fix"', 'decision == "redo"',
         "compares 'decision' with 'redo', which its form cannot produce; "
         "choices: approve, fix, ok, revise"),
    ],
)  # fmt: skip
def test_deploy_refuses_a_diagram_its_forms_cannot_serve(
    sqlite_url: str, tmp_path: Path, file_name: str, old: str, new: str, message: str
) -> None:
    processes = copy_processes(tmp_path)
    path = edited(processes, file_name, old, new)
    ctx = engine_on(sqlite_url, processes)
    try:
        with pytest.raises(InvalidDefinition) as refused:
            deployment.deploy(ctx, [path], "owner")
        assert message in str(refused.value)
        with read_session(ctx.db) as session:
            assert session.exec(select(Definition)).all() == []
    finally:
        ctx.close()


def test_a_changed_form_is_a_new_version_and_running_cases_keep_theirs(
    database_url: str, tmp_path: Path
) -> None:
    processes = copy_processes(tmp_path)
    ctx = engine_on(database_url, processes)
    try:
        p6 = processes / "website_posting.bpmn"
        shutil.copyfile(P6, p6)  # the chart's first version: upload is its first step
        assert [d.version for d in deployment.deploy(ctx, [p6], "owner")] == [1]
        old_case = service.start(ctx, "website_posting", {}, "u_doh_web_pr_officer")
        # The office makes the page link required: the same diagram, a changed form.
        edited(processes / "forms", "p6_upload.toml", 'en = "URL of the page"',
               'en = "URL of the page"\nrequired = true')  # fmt: skip
        assert [(d.version, d.created) for d in deployment.deploy(ctx, [p6], "owner")] == [
            (2, True)
        ]
        assert [(d.version, d.created) for d in deployment.deploy(ctx, [p6], "owner")] == [
            (2, False)
        ]
        new_case = service.start(ctx, "website_posting", {}, "u_doh_web_pr_officer")
        # The running case keeps version 1's form: an upload without a link still passes.
        service.complete(ctx, open_task(ctx, old_case.id).id, {}, "u_doh_it_officer")
        with pytest.raises(FormInvalid, match="url"):
            service.complete(ctx, open_task(ctx, new_case.id).id, {}, "u_doh_it_officer")
        with read_session(ctx.db) as session:
            stored = session.exec(select(Definition).order_by(Definition.version)).all()
        uploads = [json.loads(d.forms or "{}")["p6_upload"] for d in stored]
        assert ['page"\nrequired = true' in text for text in uploads] == [False, True]
        assert stored[0].sha256 == stored[1].sha256  # same diagram
    finally:
        ctx.close()


def test_a_start_form_checks_the_data_a_case_starts_with(sqlite_url: str, tmp_path: Path) -> None:
    processes = copy_processes(tmp_path)
    (processes / "forms" / "website_posting_start.toml").write_text(
        'th = "เรื่องที่จะเผยแพร่"\nen = "What to publish"\n[[fields]]\nname = "title"\n'
        'type = "text"\nth = "ชื่อเรื่อง"\nen = "Title"\nrequired = true\n',
        encoding="utf-8",
    )
    ctx = engine_on(sqlite_url, processes)
    try:
        deployment.deploy(ctx, [processes / "website_posting.bpmn"], "owner")
        with pytest.raises(FormInvalid, match="Title is required"):
            service.start(ctx, "website_posting", {}, "u_doh_web_pr_officer")
        case = service.start(ctx, "website_posting", {"title": " ข่าว "}, "u_doh_web_pr_officer")
        assert case.data["title"] == "ข่าว"
    finally:
        ctx.close()
