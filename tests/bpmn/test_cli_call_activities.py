"""Call activities through the ``prflow`` command: a Camunda 7 process calls a bpmn.io one.

``camunda7_call_release.bpmn`` (saved by Camunda Modeler 7) drafts a release and calls
``io_called_review`` (``bpmnio_called_review.bpmn``, saved by bpmn.io, so deployed with
``--executable``), whose director's decision comes back to the caller's gateway. Every
command starts from an empty compiled-definition cache, as a separate process would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text as sql
from typer.testing import CliRunner

from cli.main import app
from engine.store.db import connect
from tests.bpmn.cli import Prflow, ok, prflow_on
from tests.bpmn.test_cli_diagrams import DIAGRAMS, PEOPLE, complete, open_tasks, status

CALLER = DIAGRAMS / "camunda7_call_release.bpmn"
CALLED = DIAGRAMS / "bpmnio_called_review.bpmn"
DRAFT, REVIEW, PUBLISH = "Activity_0draftc", "Activity_0ioreview", "Activity_0publish"


@pytest.fixture
def prflow(database_url: str) -> Prflow:
    """``prflow ARGS`` on a fresh database with the people of ``test_cli_diagrams``."""

    return prflow_on(database_url, PEOPLE)


def deploy_pair(prflow: Prflow) -> None:
    ok(prflow, "deploy", str(CALLER), str(CALLED), "--executable", "--as", "owner")


@pytest.mark.parametrize(
    ("decisions", "end"),
    [(["approve"], "published"), (["refuse"], "refused"), (["revise", "approve"], "published")],
)
def test_a_camunda7_process_calls_a_bpmn_io_process_to_every_end(
    prflow: Prflow, decisions: list[str], end: str
) -> None:
    code, _, err = prflow("deploy", str(CALLER), "--as", "owner")
    assert code == 2 and "[Activity_0callrv]" in err and "'io_called_review'" in err
    assert "camunda7_call_release.bpmn:38" in err and "deploy it first" in err
    ok(prflow, "validate", str(CALLER), str(CALLED), "--executable")
    deploy_pair(prflow)
    case = ok(prflow, "start", "c7_call_release", "--as", "pr",
              "--data", json.dumps({"title": "ข่าว"})).strip()  # fmt: skip
    for decision in decisions:
        complete(prflow, case, DRAFT, "pr", {"headline": f"หัวข้อ {decision}"})
        [review] = open_tasks(prflow, case)
        # A step of the called process is a task of the calling case, with its role (the
        # called diagram's lane), form and time limit.
        assert (review["element_id"], review["role"], review["form"]) == (
            REVIEW, "esao_director", "io_called_review",
        )  # fmt: skip
        assert review["due_text"] == "3 working hours"
        code, _, err = prflow("complete", str(review["id"]), "--as", "director",
                              "--data", '{"decision": "maybe"}')  # fmt: skip
        assert code == 2 and "decision" in err  # the called version's form checks it
        complete(prflow, case, REVIEW, "director", {"decision": decision})
    if end == "published":
        [publish] = open_tasks(prflow, case)
        assert publish["role"] == "esao_webmaster"
        complete(prflow, case, PUBLISH, "web", {"url": "https://example.go.th/1"})
    shown = json.loads(ok(prflow, "show", case, "--json"))
    assert shown["status"] == "completed"
    assert shown["data"]["decision"] == decisions[-1] and shown["data"]["title"] == "ข่าว"
    assert "esao_director" in shown["lanes"]  # the called process's role may see the case
    timeline = ok(prflow, "audit", "timeline", case)
    assert REVIEW in timeline and DRAFT in timeline
    assert "ok" in ok(prflow, "audit", "replay", case)
    ok(prflow, "audit", "verify")


def test_a_running_case_keeps_the_called_version_it_started_with(
    prflow: Prflow, tmp_path: Path, database_url: str
) -> None:
    deploy_pair(prflow)
    old = ok(prflow, "start", "c7_call_release", "--as", "pr").strip()
    # Version 2 of the called process: the group director reviews, as another step.
    text = CALLED.read_text(encoding="utf-8").replace("Activity_0ioreview", "Activity_0groupreview")
    text = text.replace('name="esao_director"', 'name="esao_group_director"')
    newer = tmp_path / "bpmnio_called_review.bpmn"
    newer.write_text(text, encoding="utf-8")
    (tmp_path / "forms").symlink_to(DIAGRAMS / "forms")
    assert "io_called_review v2" in ok(
        prflow, "deploy", str(newer), "--executable", "--as", "owner"
    )
    new = ok(prflow, "start", "c7_call_release", "--as", "pr").strip()

    for case in (old, new):
        complete(prflow, case, DRAFT, "pr", {"headline": "h"})
    [old_review] = open_tasks(prflow, old)
    [new_review] = open_tasks(prflow, new)
    assert (old_review["element_id"], old_review["role"]) == (REVIEW, "esao_director")
    assert (new_review["element_id"], new_review["role"]) == (
        "Activity_0groupreview", "esao_group_director",
    )  # fmt: skip
    complete(prflow, old, REVIEW, "director", {"decision": "revise"})
    complete(prflow, old, DRAFT, "pr", {"headline": "h2"})
    [again] = open_tasks(prflow, old)  # called again: still the version pinned at start
    assert again["element_id"] == REVIEW
    complete(prflow, old, REVIEW, "director", {"decision": "approve"})
    complete(prflow, old, PUBLISH, "web", {})
    complete(prflow, new, "Activity_0groupreview", "group", {"decision": "refuse"})
    assert status(prflow, old) == status(prflow, new) == "completed"
    replayed = ok(prflow, "audit", "replay", "--all")
    assert replayed.count(": ok") == 2, replayed
    ok(prflow, "audit", "verify", "--deep")
    # The pins are evidence too: a row changed behind the log is caught by the deep check.
    db = connect(database_url)
    with db.begin() as connection:
        connection.execute(
            sql("UPDATE process_case SET called_versions = '' WHERE id = :id"), {"id": int(old)}
        )
    db.dispose()
    code, out, err = prflow("audit", "verify", "--deep")
    assert code == 6 and "called_versions" in out + err


def validate(tmp_path: Path, *files: Path) -> tuple[int, str]:
    """``prflow validate --executable`` with no database (it needs none)."""
    url = f"sqlite:///{tmp_path / 'none.db'}"
    args = ["validate", "--executable", *map(str, files)]
    result = CliRunner().invoke(app, args, env={"PRFLOW_DATABASE_URL": url})
    assert not (tmp_path / "none.db").exists()
    return result.exit_code, result.stderr


def edited(tmp_path: Path, source: Path, *replacements: tuple[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8")
    if not (tmp_path / "forms").exists():
        (tmp_path / "forms").symlink_to(DIAGRAMS / "forms")
    return path


CALL_LINE = (
    '<bpmn:callActivity id="Activity_0callrv" name="ผู้อำนวยการตรวจข่าว" '
    'calledElement="io_called_review" camunda:calledElementBinding="latest">'
)


def test_validate_alone_names_the_call_to_a_process_not_given(tmp_path: Path) -> None:
    code, err = validate(tmp_path, CALLER)
    assert code == 2
    assert "camunda7_call_release.bpmn:38 [Activity_0callrv] 'ผู้อำนวยการตรวจข่าว'" in err
    assert "validate the called process's file together with this one" in err
    assert validate(tmp_path, CALLER, CALLED)[0] == 0


def test_a_call_cycle_is_refused_at_the_call(tmp_path: Path) -> None:
    caller = edited(tmp_path, CALLER)
    called = tmp_path / "called_back.bpmn"
    text = CALLED.read_text(encoding="utf-8")
    text = text.replace(
        '<bpmn:userTask id="Activity_0ioreview"',
        '<bpmn:callActivity id="Activity_0back" name="ส่งกลับ" calledElement="c7_call_release">'
        "<bpmn:incoming>Flow_0io1</bpmn:incoming><bpmn:outgoing>Flow_0back</bpmn:outgoing>"
        '</bpmn:callActivity><bpmn:userTask id="Activity_0ioreview"',
    ).replace('targetRef="Activity_0ioreview"', 'targetRef="Activity_0back"')
    called.write_text(text, encoding="utf-8")
    code, err = validate(tmp_path, caller, called)
    assert code == 2
    assert "[Activity_0callrv]" in err and "[Activity_0back]" in err
    assert "call cycle: c7_call_release calls io_called_review calls c7_call_release" in err


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('camunda:calledElementBinding="latest"',
         'camunda:calledElementBinding="version" camunda:calledElementVersion="3"'),
        ('camunda:calledElementBinding="latest"', 'camunda:calledElementBinding="deployment"'),
        ('calledElement="io_called_review"', 'calledElement="${reviewProcess}"'),
        ('<camunda:in variables="all" />', '<camunda:in source="headline" target="title" />'),
        ('calledElement="io_called_review"', 'calledElement="io_called_reviw"'),
    ],
)  # fmt: skip
def test_what_prflow_cannot_pin_or_pass_is_refused_precisely(
    tmp_path: Path, old: str, new: str
) -> None:
    code, err = validate(tmp_path, edited(tmp_path, CALLER, (old, new)), CALLED)
    assert code == 2 and "Traceback" not in err
    assert "[Activity_0callrv] 'ผู้อำนวยการตรวจข่าว'" in err
    assert "camunda7_call_release.bpmn:" in err


def test_a_zeebe_called_element_is_read(tmp_path: Path) -> None:
    zeebe = (
        CALL_LINE,
        '<bpmn:callActivity id="Activity_0callrv" name="ผู้อำนวยการตรวจข่าว" '
        'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0">',
    )
    mapping = (
        '<camunda:in variables="all" />\n        <camunda:out variables="all" />',
        '<zeebe:calledElement processId="io_called_review" />',
    )
    assert validate(tmp_path, edited(tmp_path, CALLER, zeebe, mapping), CALLED)[0] == 0
    narrow = ('processId="io_called_review" />',
              'processId="io_called_review" propagateAllChildVariables="false" />')  # fmt: skip
    code, err = validate(tmp_path, edited(tmp_path, CALLER, zeebe, mapping, narrow), CALLED)
    assert code == 2 and "propagateAllChildVariables" in err and "[Activity_0callrv]" in err


def test_a_step_id_used_in_both_processes_is_refused(tmp_path: Path) -> None:
    called = tmp_path / "same_ids.bpmn"
    called.write_text(
        CALLED.read_text(encoding="utf-8").replace("Activity_0ioreview", DRAFT), encoding="utf-8"
    )
    code, err = validate(tmp_path, edited(tmp_path, CALLER), called)
    assert code == 2 and f"user task id {DRAFT!r} is used in both" in err
    assert "[Activity_0callrv]" in err


def test_deploy_checks_a_new_called_version_against_the_deployed_callers(
    prflow: Prflow, tmp_path: Path
) -> None:
    deploy_pair(prflow)
    calls_back = edited(
        tmp_path, CALLED,
        ('<bpmn:userTask id="Activity_0ioreview"',
         '<bpmn:callActivity id="Activity_0back" name="ส่งกลับ" calledElement="c7_call_release">'
         "<bpmn:incoming>Flow_0io1</bpmn:incoming><bpmn:outgoing>Flow_0back</bpmn:outgoing>"
         '</bpmn:callActivity><bpmn:userTask id="Activity_0ioreview"'),
        ('targetRef="Activity_0ioreview"', 'targetRef="Activity_0back"'),
    )  # fmt: skip
    code, _, err = prflow("deploy", str(calls_back), "--executable", "--as", "owner")
    assert code == 2 and "[Activity_0back] 'ส่งกลับ'" in err
    assert "call cycle: io_called_review calls c7_call_release calls io_called_review" in err
    same_id = edited(tmp_path, CALLED, ("Activity_0ioreview", DRAFT))
    code, _, err = prflow("deploy", str(same_id), "--executable", "--as", "owner")
    assert code == 2 and f"user task id {DRAFT!r} is used in both" in err
    assert "[io_called_review]" in err
    versions = json.loads(ok(prflow, "versions", "io_called_review", "--json"))
    assert [v["version"] for v in versions] == [1]  # nothing stored
