"""Modelers' diagrams through the ``prflow`` command: validate, deploy, run to every end.

Every command starts from an empty compiled-definition cache, as a new process would, so
the cases are restored onto freshly compiled specs between commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bpmn.cli import Prflow, ok, prflow_on
from tests.factories import P6

DIAGRAMS = Path(__file__).parent / "diagrams"
C7 = DIAGRAMS / "camunda7_release_review.bpmn"
C8 = DIAGRAMS / "camunda8_signoff.bpmn"
IO = DIAGRAMS / "bpmnio_redo_loop.bpmn"
PEOPLE = {
    "owner": "process_owner",
    "pr": "esao_pr_officer",
    "director": "esao_director",
    "group": "esao_group_director",
    "web": "esao_webmaster",
}


@pytest.fixture
def prflow(database_url: str) -> Prflow:
    return prflow_on(database_url, PEOPLE)


def open_tasks(prflow: Prflow, case: str) -> list[dict[str, object]]:
    shown = json.loads(ok(prflow, "show", case, "--json"))
    return [t for t in shown["tasks"] if t["status"] in ("ready", "claimed")]


def complete(prflow: Prflow, case: str, element: str, login: str, data: object) -> None:
    [first, *_] = [t for t in open_tasks(prflow, case) if t["element_id"] == element]
    ok(prflow, "complete", str(first["id"]), "--as", login, "--data", json.dumps(data))


def status(prflow: Prflow, case: str) -> str:
    return str(json.loads(ok(prflow, "show", case, "--json"))["status"])


def test_camunda7_review_runs_a_parallel_check_per_source_and_refuses_an_unknown_decision(
    prflow: Prflow,
) -> None:
    ok(prflow, "validate", str(C7))
    ok(prflow, "deploy", str(C7), "--as", "owner")
    case = ok(prflow, "start", "c7_release_review", "--as", "pr",
              "--data", json.dumps({"sources": ["ข่าว", "ภาพ"]})).strip()  # fmt: skip
    complete(prflow, case, "Activity_0draft1", "pr", {"text": "ร่าง"})
    checks = [t for t in open_tasks(prflow, case) if t["element_id"] == "Activity_1check2"]
    assert len(checks) == 2 and {t["role"] for t in checks} == {"esao_pr_officer"}
    complete(prflow, case, "Activity_1check2", "pr", {"news_ok": True})
    complete(prflow, case, "Activity_1check2", "pr", {"photo_ok": True})
    [approve] = open_tasks(prflow, case)
    assert approve["role"] == "esao_director"  # from the Thai lane's role property

    before = ok(prflow, "show", case, "--json")
    code, _, err = prflow("complete", str(approve["id"]), "--as", "director",
                          "--data", '{"decision": "maybe", "urgent": false}')  # fmt: skip
    assert code == 2
    assert "Gateway_0dec9qz" in err and "decision == 'approve'" in err
    assert ok(prflow, "show", case, "--json") == before  # nothing stored

    complete(prflow, case, "Activity_0appr4m", "director", {"decision": "revise", "urgent": False})
    complete(prflow, case, "Activity_0draft1", "pr", {})
    complete(prflow, case, "Activity_1check2", "pr", {})
    complete(prflow, case, "Activity_1check2", "pr", {})
    complete(prflow, case, "Activity_0appr4m", "director", {"decision": "approve"})
    assert status(prflow, case) == "completed"


@pytest.mark.parametrize(("cancelled", "end"), [(False, "signed"), (True, "default")])
def test_camunda8_signoff_collects_signatures_one_signer_at_a_time(
    prflow: Prflow, cancelled: bool, end: str
) -> None:
    ok(prflow, "deploy", str(C8), "--as", "owner")
    start = {"signers": ["x", "y"], "cancelled": cancelled, "withdrawn": False}
    case = ok(prflow, "start", "c8_signoff", "--as", "pr", "--data", json.dumps(start)).strip()
    complete(prflow, case, "Activity_0prep5x", "pr", {})
    for signature in ("X", "Y"):
        [sign] = open_tasks(prflow, case)
        assert sign["role"] == "esao_group_director"  # zeebe candidateGroups
        complete(prflow, case, "Activity_1sign6y", "group", {"signature": signature})
    assert status(prflow, case) == "completed"


def test_a_bpmn_io_diagram_needs_executable_then_runs_its_loop(prflow: Prflow) -> None:
    code, _, err = prflow("validate", str(IO))
    assert code == 2
    assert "[io_redo_loop]" in err and "--executable" in err
    ok(prflow, "validate", str(IO), "--executable")
    ok(prflow, "deploy", str(IO), "--as", "owner", "--executable")
    case = ok(prflow, "start", "io_redo_loop", "--as", "web").strip()
    for redo in (True, True, False):
        complete(prflow, case, "Activity_1", "web", {"redo": redo})
    assert status(prflow, case) == "completed"


def test_a_terminate_end_event_cancels_the_open_task_of_the_other_branch(prflow: Prflow) -> None:
    ok(prflow, "deploy", str(DIAGRAMS / "bpmnio_terminate.bpmn"), "--as", "owner")
    case = ok(prflow, "start", "io_terminate", "--as", "pr").strip()
    assert {t["element_id"] for t in open_tasks(prflow, case)} == {
        "Activity_0write", "Activity_0cancel",
    }  # fmt: skip
    complete(prflow, case, "Activity_0cancel", "pr", {"cancel": True})
    shown = json.loads(ok(prflow, "show", case, "--json"))
    assert shown["status"] == "completed"
    assert {t["element_id"]: t["status"] for t in shown["tasks"]}["Activity_0write"] == "cancelled"


@pytest.mark.parametrize(("bad", "then"), [(True, "Activity_0fix"), (False, "Activity_0after")])
def test_a_subprocess_error_is_caught_through_separate_commands(
    prflow: Prflow, bad: bool, then: str
) -> None:
    ok(prflow, "deploy", str(DIAGRAMS / "bpmnio_subprocess_error.bpmn"), "--as", "owner")
    case = ok(prflow, "start", "io_subprocess_error", "--as", "pr").strip()
    [inner] = open_tasks(prflow, case)
    assert inner["element_id"] == "Activity_0in" and inner["role"] == "esao_pr_officer"
    complete(prflow, case, "Activity_0in", "pr", {"bad": bad})
    [next_task] = open_tasks(prflow, case)
    assert next_task["element_id"] == then
    complete(prflow, case, then, "pr", {})
    assert status(prflow, case) == "completed"


def test_website_posting_with_an_unknown_decision_exits_2_and_stores_nothing(
    prflow: Prflow,
) -> None:
    """Issue 11: this ended in a traceback (WorkflowException is not WorkflowTaskException)."""
    ok(prflow, "users", "add", "somchai", "--role", "doh_it_officer")
    ok(prflow, "users", "add", "malee", "--role", "doh_web_pr_officer")
    ok(prflow, "deploy", str(P6), "--as", "owner")
    case = ok(prflow, "start", "website_posting", "--as", "malee").strip()
    complete(prflow, case, "upload", "somchai", {"url": "https://example.go.th/1"})
    before = ok(prflow, "show", case, "--json")
    [verify] = open_tasks(prflow, case)
    code, _, err = prflow(
        "complete", str(verify["id"]), "--as", "malee", "--data", '{"decision": "maybe"}'
    )
    # The decision form refuses the value before the gateway could meet it.
    assert code == 2 and "Traceback" not in err
    assert "decision" in err and "ok" in err and "fix" in err
    assert ok(prflow, "show", case, "--json") == before


def test_a_multi_instance_case_finishes_when_every_command_is_its_own_process(
    database_url: str,
) -> None:
    """The stall of issue 11, as a person at a terminal met it: separate OS processes."""
    env = {**os.environ, "PRFLOW_DATABASE_URL": database_url}

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("db", "upgrade")
    run("users", "add", "owner", "--role", "process_owner")
    run("users", "add", "pr", "--role", "esao_pr_officer")
    run("deploy", str(C8), "--as", "owner")
    start = {"signers": ["x", "y"], "cancelled": False, "withdrawn": False}
    case = run("start", "c8_signoff", "--as", "pr", "--data", json.dumps(start)).strip()
    inbox = json.loads(run("inbox", "--as", "pr", "--json"))
    run("complete", str(inbox[0]["id"]), "--as", "pr")
    run("users", "add", "group", "--role", "esao_group_director")
    for signature in ("X", "Y"):
        [sign] = json.loads(run("inbox", "--as", "group", "--json"))
        run("complete", str(sign["id"]), "--as", "group", "--data",
            json.dumps({"signature": signature}))  # fmt: skip
    assert json.loads(run("show", case, "--json"))["status"] == "completed"
