"""Message diagrams saved by bpmn.io and Camunda Modeler 7, through the ``prflow`` command:
validate, deploy, deliver replies with ``prflow message``, race a reply against a timer
(the clock frozen, the timer fired by ``prflow sweep``), and every refusal with its exit code.

Every command starts from an empty compiled-definition cache, as a new process would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import select

from engine.store.db import connect, read_session
from engine.store.tables import PendingTimer
from tests.bpmn.cli import Prflow, ok, prflow_on

DIAGRAMS = Path(__file__).parent / "diagrams"
RACE = DIAGRAMS / "bpmnio_reply_race.bpmn"
OPINION = DIAGRAMS / "camunda7_opinion.bpmn"
PEOPLE = {
    "owner": "process_owner",
    "pr": "esao_pr_officer",
    "director": "esao_director",
    "ops": "ops",
    "admin": "admin",
}
START = "2026-06-09T03:00:00+00:00"  # Tuesday 10:00 in Bangkok


@pytest.fixture
def prflow(database_url: str) -> Prflow:
    return prflow_on(database_url, PEOPLE)


def shown(prflow: Prflow, case: str) -> dict[str, object]:
    return dict(json.loads(ok(prflow, "show", case, "--json")))


def open_steps(prflow: Prflow, case: str) -> list[str]:
    tasks = shown(prflow, case)["tasks"]
    assert isinstance(tasks, list)
    return [t["element_id"] for t in tasks if t["status"] in ("ready", "claimed")]


def complete(prflow: Prflow, case: str, element: str, login: str, data: object = None) -> None:
    tasks = shown(prflow, case)["tasks"]
    assert isinstance(tasks, list)
    [task] = [t for t in tasks if t["element_id"] == element and t["status"] == "ready"]
    ok(prflow, "complete", str(task["id"]), "--as", login, "--data", json.dumps(data or {}))


def pending_timers(database_url: str, case: str) -> list[str]:
    engine = connect(database_url)
    try:
        with read_session(engine) as session:
            rows = session.exec(select(PendingTimer).where(PendingTimer.case_id == int(case)))
            return [row.element_id for row in rows]
    finally:
        engine.dispose()


def start_race(prflow: Prflow) -> str:
    code, _, err = prflow("validate", str(RACE))
    assert code == 2 and "--executable" in err  # bpmn.io saves isExecutable="false"
    ok(prflow, "validate", str(RACE), "--executable")
    ok(prflow, "deploy", str(RACE), "--as", "owner", "--executable")
    case = ok(prflow, "start", "io_reply_race", "--as", "pr", "--data", '{"topic": "งบ"}').strip()
    complete(prflow, case, "Activity_0ask", "pr")
    return case


def test_the_reply_wins_the_race_and_cancels_the_pending_timer(
    prflow: Prflow, database_url: str
) -> None:
    with freeze_time(START) as clock:
        case = start_race(prflow)
        assert shown(prflow, case)["waiting_messages"] == [
            {
                "name": "agency_reply",
                "element_id": "Event_0reply",
                "role": "esao_pr_officer",
                "element_name": "หน่วยงานตอบ",
            }
        ]
        assert pending_timers(database_url, case) == ["Event_0late"]
        clock.tick(3600)
        out = ok(prflow, "message", case, "agency_reply", "--as", "pr",
                 "--data", '{"answer": "อนุมัติงบ"}')  # fmt: skip
        assert "delivered" in out and "Activity_0use" in out
        assert pending_timers(database_url, case) == []
        clock.tick(7200)  # past the timer's time: nothing is left to fire
        assert json.loads(ok(prflow, "sweep", "--json"))["fired"] == []
        assert open_steps(prflow, case) == ["Activity_0use"]
        case_view = shown(prflow, case)
        assert case_view["data"] == {"topic": "งบ", "answer": "อนุมัติงบ"}
        assert case_view["waiting_messages"] == []
        complete(prflow, case, "Activity_0use", "pr")
        assert shown(prflow, case)["status"] == "completed"
        [replayed] = json.loads(ok(prflow, "audit", "replay", case, "--json"))
        assert replayed["ok"], replayed
        timeline = ok(prflow, "audit", "timeline", case, "--json")
        assert "message_delivered" in timeline and "อนุมัติงบ" in timeline
        ok(prflow, "users", "add", "auditor", "--role", "auditor")
        ok(prflow, "audit", "verify")
        exported = ok(prflow, "audit", "export", "--format", "csv", "--as", "auditor")
        assert f"{case},Event_0reply," in exported  # the catch event the reply completed


def test_the_timer_wins_the_race_when_the_sweep_fires_it_first(
    prflow: Prflow, database_url: str
) -> None:
    with freeze_time(START) as clock:
        case = start_race(prflow)
        clock.tick(2 * 3600 + 60)
        fired = json.loads(ok(prflow, "sweep", "--json"))["fired"]
        assert [t["element_id"] for t in fired] == ["Event_0late"]
        assert open_steps(prflow, case) == ["Activity_0chase"]
        assert pending_timers(database_url, case) == []
        code, _, err = prflow("message", case, "agency_reply", "--as", "pr")
        assert code == 5 and "not waiting for message 'agency_reply'" in err
        assert "waits for no message now" in err
        complete(prflow, case, "Activity_0chase", "pr")
        assert shown(prflow, case)["status"] == "completed"
        [replayed] = json.loads(ok(prflow, "audit", "replay", case, "--json"))
        assert replayed["ok"], replayed


def test_a_receive_task_and_a_message_boundary_through_separate_commands(
    prflow: Prflow,
) -> None:
    ok(prflow, "validate", str(OPINION))  # Camunda 7: executable, roles in lane properties
    ok(prflow, "deploy", str(OPINION), "--as", "owner")
    finished = ok(prflow, "start", "c7_opinion", "--as", "pr").strip()
    complete(prflow, finished, "Activity_0send", "pr")
    assert "waits for message 'opinion_received' (at Activity_0wait, role esao_director)" in ok(
        prflow, "show", finished
    )
    code, _, err = prflow("message", finished, "opinion_received", "--as", "pr")
    assert code == 4 and "esao_director" in err and "ops" in err  # the lane that waits, or ops
    code, _, err = prflow("message", finished, "opinion_received", "--as", "admin")
    assert code == 4  # admin manages accounts, not cases
    ok(prflow, "message", finished, "opinion_received", "--as", "director",
       "--data", '{"opinion": "เห็นชอบ"}')  # fmt: skip
    assert open_steps(prflow, finished) == ["Activity_0review"]
    complete(prflow, finished, "Activity_0review", "director")
    assert shown(prflow, finished)["status"] == "completed"
    code, _, err = prflow("message", finished, "request_withdrawn", "--as", "ops")
    assert code == 5 and "is completed" in err

    withdrawn = ok(prflow, "start", "c7_opinion", "--as", "pr").strip()
    complete(prflow, withdrawn, "Activity_0send", "pr")
    ok(prflow, "message", withdrawn, "opinion_received", "--as", "ops", "--json")
    case_view = shown(prflow, withdrawn)
    assert case_view["waiting_messages"] == [
        {
            "name": "request_withdrawn",
            "element_id": "Event_0withdraw",
            "role": "esao_director",
            "element_name": "หน่วยงานถอนเรื่อง",
        }
    ]
    ok(prflow, "message", withdrawn, "request_withdrawn", "--as", "ops", "--data", '{"why": "x"}')
    final = shown(prflow, withdrawn)
    assert final["status"] == "completed"
    tasks = final["tasks"]
    assert isinstance(tasks, list)
    assert {t["element_id"]: t["status"] for t in tasks}["Activity_0review"] == "cancelled"
    replays = json.loads(ok(prflow, "audit", "replay", "--all", "--json"))
    assert all(r["ok"] for r in replays), replays


def test_refused_deliveries_exit_as_the_readme_says_and_store_nothing(prflow: Prflow) -> None:
    ok(prflow, "deploy", str(OPINION), "--as", "owner")
    case = ok(prflow, "start", "c7_opinion", "--as", "pr").strip()
    complete(prflow, case, "Activity_0send", "pr")
    before = ok(prflow, "show", case, "--json")
    for data, why in [
        ("[1]", "must be a JSON object"),
        ('{"_x": 1}', "field name '_x' is not allowed"),
        ('{"a": NaN}', "NaN"),
        ("{bad", "JSON"),
        ('{"a": "' + "x" * 300_000 + '"}', "262,144"),
    ]:
        code, _, err = prflow("message", case, "opinion_received", "--as", "director",
                              "--data", data)  # fmt: skip
        assert code == 2 and why in err, (data[:20], err)
    code, out, err = prflow("message", case, "nope", "--as", "director", "--json")
    assert code == 5 and "it waits for 'opinion_received' (at Activity_0wait" in err
    assert json.loads(out)["waiting"] == ["opinion_received"]
    assert prflow("message", "99", "opinion_received", "--as", "director")[0] == 3
    assert prflow("message", "0", "opinion_received", "--as", "director")[0] == 2
    assert prflow("message", case, "opinion_received", "--as", "nobody")[0] == 3
    ok(prflow, "suspend", case, "--as", "owner", "--reason", "รอ")
    code, _, err = prflow("message", case, "opinion_received", "--as", "director")
    assert code == 5 and "is suspended" in err
    ok(prflow, "resume", case, "--as", "owner", "--reason", "ต่อ")
    after = json.loads(ok(prflow, "show", case, "--json"))
    assert after["data"] == json.loads(before)["data"]
    assert [t["status"] for t in after["tasks"]] == ["completed"]


def test_a_lane_that_only_waits_for_a_message_may_see_and_answer_its_case(
    prflow: Prflow, tmp_path: Path
) -> None:
    """The director's lane holds only the receive task: the review moved to the PR lane."""
    text = OPINION.read_text(encoding="utf-8")
    for old, new in [
        ("        <bpmn:flowNodeRef>Activity_0review</bpmn:flowNodeRef>\n", ""),
        ("<bpmn:flowNodeRef>Activity_0send</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>Activity_0send</bpmn:flowNodeRef>"
         "<bpmn:flowNodeRef>Activity_0review</bpmn:flowNodeRef>"),
        ('<dc:Bounds x="590" y="220" width="100" height="80" />',
         '<dc:Bounds x="590" y="100" width="100" height="80" />'),
    ]:  # fmt: skip
        assert old in text, old
        text = text.replace(old, new, 1)
    (tmp_path / "forms").mkdir()
    for form in ("c7m_send", "c7m_review"):
        source = DIAGRAMS / "forms" / f"{form}.toml"
        (tmp_path / "forms" / f"{form}.toml").write_bytes(source.read_bytes())
    path = tmp_path / "camunda7_opinion.bpmn"
    path.write_text(text, encoding="utf-8")
    ok(prflow, "deploy", str(path), "--as", "owner")
    case = ok(prflow, "start", "c7_opinion", "--as", "pr").strip()
    complete(prflow, case, "Activity_0send", "pr")
    assert "opinion_received" in ok(prflow, "show", case, "--as", "director")
    ok(prflow, "message", case, "opinion_received", "--as", "director")
    assert open_steps(prflow, case) == ["Activity_0review"]
