"""Every path of every process, played through the engine on SQLite and PostgreSQL.

- Each scenario of ``tests.support.scenarios`` plays to its end with all of ``processes/``
  deployed; the engine's task record equals the scenario's steps.
- Each step's role is the manual's: ``MANUAL_ROLES`` was written from the manuals, not the
  diagrams, and ``drive`` checks the engine opens each task in that role.
- Coverage is proved from the diagrams: every outgoing flow of every exclusive gateway is
  taken by some scenario, and every user task (but timer-only escalations) is done in one.
  A branch or step added to a diagram without a scenario fails here.
- A P8 escalation timer fires through the timer sweep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from lxml import etree

from engine.audit.replay import replay
from engine.bpmn.process_rules import NS
from engine.cases import service, timers
from engine.cases.views import TaskView
from engine.context import Prflow
from engine.settings import REPO_PROCESSES_DIR
from tests.factories import add_people, deploy
from tests.processes.test_process_rules import MANUAL_ROLES
from tests.support.scenarios import (
    SCENARIOS,
    Scenario,
    drive,
    login_for,
    people_for_all_roles,
    scenario,
)

BPMN = f"{{{NS['bpmn']}}}"


@dataclass(frozen=True)
class Diagram:
    """What coverage needs from one process file."""

    key: str
    branches: dict[str, list[tuple[str, str]]]  # gateway -> [(flow id, target id)]
    decided_by: dict[str, str]  # user task -> the gateway its outgoing flow enters
    end_events: frozenset[str]
    user_tasks: frozenset[str]


def read_diagram(path: Path) -> Diagram:
    process = etree.parse(str(path)).getroot().find("bpmn:process", NS)
    assert process is not None, path
    flows = [
        (f.get("id"), f.get("sourceRef"), f.get("targetRef"))
        for f in process.iter(f"{BPMN}sequenceFlow")
    ]
    gateways = {g.get("id") for g in process.iter(f"{BPMN}exclusiveGateway")}
    user_tasks = frozenset(t.get("id") for t in process.iter(f"{BPMN}userTask"))
    return Diagram(
        key=process.get("id"),
        branches={g: [(f, t) for f, s, t in flows if s == g] for g in gateways},
        decided_by={s: t for _, s, t in flows if s in user_tasks and t in gateways},
        end_events=frozenset(e.get("id") for e in process.iter(f"{BPMN}endEvent")),
        user_tasks=user_tasks,
    )


DIAGRAMS = {d.key: d for d in map(read_diagram, sorted(REPO_PROCESSES_DIR.glob("*.bpmn")))}


def taken_flows(played: Scenario, diagram: Diagram) -> set[str]:
    """The gateway flows a scenario takes: after a deciding task, the next step (or, after
    the last step of a completed case, the gateway's end event) names the branch."""
    ids = [step.element_id for step in played.steps]
    taken = set()
    for index, element in enumerate(ids):
        gateway = diagram.decided_by.get(element)
        if gateway is None:
            continue
        following = ids[index + 1] if index + 1 < len(ids) else None
        if following is None and played.ends != "completed":
            continue  # a prefix stops before the decision is taken
        matches = [
            flow
            for flow, target in diagram.branches[gateway]
            if (target == following if following else target in diagram.end_events)
        ]
        assert len(matches) == 1, (
            f"{played.name}: after {element}, {gateway} has {len(matches)} flows to "
            f"{following or 'an end event'}; a scenario step must name one branch"
        )
        taken.add(f"{diagram.key}:{matches[0]}")
    return taken


def uncovered_flows(diagrams: Iterable[Diagram], scenarios: Iterable[Scenario]) -> list[str]:
    """Gateway flows (``process:flow id``) that no scenario takes."""
    by_key = {d.key: d for d in diagrams}
    every = {
        f"{d.key}:{flow}" for d in by_key.values() for b in d.branches.values() for flow, _ in b
    }
    taken = set().union(*(taken_flows(s, by_key[s.process_key]) for s in scenarios))
    return sorted(every - taken)


# --- static: roles and coverage ---------------------------------------------------------------


def test_every_step_is_done_by_the_role_the_manual_names() -> None:
    wrong = [
        (s.name, step.element_id, step.role, MANUAL_ROLES.get((s.process_key, step.element_id)))
        for s in SCENARIOS
        for step in s.steps
        if MANUAL_ROLES.get((s.process_key, step.element_id)) != step.role
    ]
    assert wrong == []


def test_scenario_names_are_unique() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))


def test_every_gateway_flow_is_taken_by_a_scenario() -> None:
    total = sum(len(b) for d in DIAGRAMS.values() for b in d.branches.values())
    assert total > 0  # 37 in the nine diagrams today; zero would mean the parse found none
    assert uncovered_flows(DIAGRAMS.values(), SCENARIOS) == []


def test_every_send_back_loop_is_taken_more_than_once_somewhere() -> None:
    """Loops (a gateway flow back to an earlier step) are taken in every process, and P1/P6
    repeat theirs: a second round must work on state the first round left behind."""
    repeats = {
        s.process_key
        for s in SCENARIOS
        if any(
            s.steps[i].element_id == s.steps[j].element_id
            for i in range(len(s.steps))
            for j in range(i + 1, len(s.steps))
        )
    }
    assert repeats == set(DIAGRAMS)


def test_every_process_step_is_done_in_some_scenario() -> None:
    """Escalation follow-ups open only from timers; the timer test below reaches one."""
    done = {(s.process_key, step.element_id) for s in SCENARIOS for step in s.steps}
    steps = {
        (d.key, task)
        for d in DIAGRAMS.values()
        for task in d.user_tasks
        if not task.startswith("follow_up_")
    }
    assert sorted(steps - done) == []


def test_a_new_branch_without_a_scenario_is_reported(tmp_path: Path) -> None:
    """The coverage check itself: a branch added to P6 is named as not taken."""
    source = REPO_PROCESSES_DIR / "website_posting.bpmn"
    tree = etree.parse(str(source))
    process = tree.getroot().find("bpmn:process", NS)
    flow = etree.SubElement(process, f"{BPMN}sequenceFlow")
    flow.set("id", "Flow_skip")
    flow.set("sourceRef", "verify_result")
    flow.set("targetRef", "end")
    changed = tmp_path / source.name
    tree.write(str(changed), xml_declaration=True, encoding="UTF-8")
    diagrams = [
        *(d for d in DIAGRAMS.values() if d.key != "website_posting"),
        read_diagram(changed),
    ]
    assert uncovered_flows(diagrams, SCENARIOS) == ["website_posting:Flow_skip"]


# --- on the databases -------------------------------------------------------------------------


@pytest.fixture
def everyone(ctx: Prflow) -> dict[str, list[str]]:
    """One user per role and the owner, with every process of ``processes/`` deployed."""
    people = people_for_all_roles()
    add_people(ctx, people)
    deploy(ctx, REPO_PROCESSES_DIR)
    return people


@pytest.mark.parametrize("played", SCENARIOS, ids=lambda s: s.name)
def test_scenario_plays_to_its_end(
    ctx: Prflow, everyone: dict[str, list[str]], played: Scenario
) -> None:
    case_id = drive(ctx, played, everyone)

    record = service.show(ctx, case_id)
    assert record.process_key == played.process_key
    assert [(t.element_id, t.role, t.status, t.completed_by) for t in record.tasks] == [
        (step.element_id, step.role, "completed", login_for(step.role, everyone))
        for step in played.steps
    ]
    # What each step chose is stored as given, typed: date-times as UTC instants.
    for task, step in zip(record.tasks, played.steps, strict=True):
        assert task.data is not None
        assert {key: task.data.get(key) for key in step.data} == {
            key: _as_stored(value) for key, value in step.data.items()
        }


def _as_stored(value: object) -> object:
    if isinstance(value, str) and value[:4].isdigit() and "T" in value:
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    return value


def test_p8_write_news_escalates_when_its_due_time_passes(
    ctx: Prflow, everyone: dict[str, list[str]]
) -> None:

    meeting = scenario("p8_meeting_summary_self_fix")
    # Up to collect_information: write_news is then open, due 3 hours after the meeting.
    until_writing = replace(
        meeting, name="p8_until_writing", steps=meeting.steps[:4], ends="running"
    )
    case_id = drive(ctx, until_writing, everyone)
    (write,) = _open(ctx, case_id)
    assert (write.element_id, write.due_text) == ("write_news", "meeting_ended_at + 3 hours")
    due = datetime(2026, 3, 9, 4, 30, tzinfo=UTC)  # meeting ended 08:30 +07:00, + 3 hours
    assert write.due_at == due

    with freeze_time(due - timedelta(minutes=1)):
        assert not timers.sweep(ctx).fired
    assert [t.element_id for t in _open(ctx, case_id)] == ["write_news"]

    with freeze_time(due + timedelta(minutes=1)):
        swept = timers.sweep(ctx)
    assert (swept.failed, swept.cases) == ([], [case_id])
    # Non-interrupting: writing stays open, the Administration Group director follows up.
    assert sorted((t.element_id, t.role) for t in _open(ctx, case_id)) == [
        ("follow_up_write_news", "esao_admin_director"),
        ("write_news", "esao_pr_officer"),
    ]
    # The auditor's replay re-fires the logged timer at its logged instant and agrees.
    replayed = replay(ctx, case_id)
    assert replayed.ok, replayed.divergence


def _open(ctx: Prflow, case_id: int) -> list[TaskView]:
    return [t for t in service.show(ctx, case_id).tasks if t.status in service.OPEN]


def test_p8_news_without_a_standard_has_no_due_time_and_never_escalates(
    ctx: Prflow, everyone: dict[str, list[str]]
) -> None:
    """Proactive news (news_type other) runs with no due time; its escalation timer never
    fires, where before the missing standard failed the step."""
    other = scenario("p8_other_news_no_standard")
    until_writing = replace(other, name="p8_other_until_writing", steps=other.steps[:4])
    case_id = drive(ctx, replace(until_writing, ends="running"), everyone)
    (write,) = _open(ctx, case_id)
    assert (write.element_id, write.due_text, write.due_at) == ("write_news", None, None)
    with freeze_time(datetime(2026, 6, 1, tzinfo=UTC)):  # months later
        swept = timers.sweep(ctx)
    assert case_id not in swept.cases
    assert [t.element_id for t in _open(ctx, case_id)] == ["write_news"]
    replayed = replay(ctx, case_id)
    assert replayed.ok, replayed.divergence
