"""Deploying definitions: versions, idempotence, all-or-nothing, and refusing bad BPMN."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from engine.bpmn.definitions import InvalidDefinition
from engine.cases import deployment
from engine.context import Prflow
from engine.errors import Forbidden
from engine.store.db import read_session
from engine.store.tables import Definition, Event
from tests.factories import P6, add_people, deploy

GOOD = P6.read_text(encoding="utf-8")


def broken(tmp_path: Path, name: str, old: str, new: str, count: int = 1) -> Path:
    assert GOOD.count(old) >= count, f"fixture text {old!r} not in P6"
    path = tmp_path / name
    path.write_text(GOOD.replace(old, new, count), encoding="utf-8")
    return path


def stored(ctx: Prflow) -> tuple[list[tuple[str, int]], int]:
    with read_session(ctx.db) as session:
        versions = [(d.key, d.version) for d in session.exec(select(Definition)).all()]
        deployed_events = len(session.exec(select(Event).where(Event.type == "deployed")).all())
    return versions, deployed_events


@pytest.fixture
def owner_ctx(ctx: Prflow) -> Prflow:
    add_people(ctx)
    return ctx


def test_same_content_twice_creates_one_version(owner_ctx: Prflow) -> None:
    first = deploy(owner_ctx)
    again = deploy(owner_ctx)
    assert [(d.key, d.version, d.created) for d in first] == [("website_posting", 1, True)]
    assert [(d.key, d.version, d.created) for d in again] == [("website_posting", 1, False)]
    assert stored(owner_ctx) == ([("website_posting", 1)], 1)


def test_only_process_owners_deploy(owner_ctx: Prflow) -> None:
    with pytest.raises(Forbidden, match="needs role 'process_owner'"):
        deployment.deploy(owner_ctx, [P6], "malee")
    assert stored(owner_ctx) == ([], 0)


@pytest.mark.parametrize(
    ("old", "new", "line", "element", "message"),
    [
        # broken XML: an unclosed tag
        ('<bpmn:endEvent id="end"', '<bpmn:endEvent id="end"><oops', None, None,
         "not well-formed XML"),
        # a flow to an element that does not exist
        ('targetRef="store"', 'targetRef="stroe"', None, None, "stroe"),
        # a gateway whose branches have no conditions
        ('<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">decision == "fix"'
         "</bpmn:conditionExpression>", "", None, "Flow_fix", "condition"),
    ],
    ids=["broken-xml", "flow-to-missing-element", "gateway-without-condition"],
)  # fmt: skip
def test_malformed_bpmn_is_refused_precisely_and_nothing_is_deployed(
    owner_ctx: Prflow, tmp_path: Path, old: str, new: str, line: int | None,
    element: str | None, message: str,
) -> None:  # fmt: skip
    bad = broken(tmp_path, "website_posting.bpmn", old, new)
    with pytest.raises(InvalidDefinition) as refused:
        deploy(owner_ctx, bad)
    problem = refused.value.problems[0]
    assert problem.file == str(bad)
    assert message in problem.message
    assert problem.line is not None, "every problem names its line"
    if element:
        assert problem.element_id == element
    assert stored(owner_ctx) == ([], 0)


def test_a_deploy_of_several_files_is_all_or_nothing(owner_ctx: Prflow, tmp_path: Path) -> None:
    good = tmp_path / "good" / "website_posting.bpmn"
    good.parent.mkdir()
    good.write_text(GOOD, encoding="utf-8")
    bad = broken(tmp_path, "other.bpmn", 'id="website_posting"', 'id="other_posting"')
    bad.write_text(bad.read_text().replace('targetRef="store"', 'targetRef="nowhere"'))
    with pytest.raises(InvalidDefinition, match="nowhere"):
        deploy(owner_ctx, good, bad)
    assert stored(owner_ctx) == ([], 0)


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("__import__('os').system('touch /tmp/pwned')", "calling a function"),
        ("decision.__class__", "reading an attribute"),
        ("open('/etc/passwd').read() == 'x'", "calling a function"),
    ],
)
def test_a_condition_that_runs_code_is_refused_at_deploy(
    owner_ctx: Prflow, tmp_path: Path, condition: str, reason: str
) -> None:
    bad = broken(tmp_path, "website_posting.bpmn", 'decision == "fix"', condition)
    with pytest.raises(InvalidDefinition) as refused:
        deploy(owner_ctx, bad)
    # Every layer reports (the forms check may also name the unknown field); the safe
    # expression rule is the one that must refuse it.
    [problem] = [p for p in refused.value.problems if p.rule == "safe-expression"]
    assert problem.element_id == "Flow_fix"
    assert reason in problem.message
    assert stored(owner_ctx) == ([], 0)


def test_script_tasks_are_not_supported(owner_ctx: Prflow, tmp_path: Path) -> None:
    bad = broken(
        tmp_path, "website_posting.bpmn", '<bpmn:userTask id="store"', '<bpmn:scriptTask id="store"'
    )
    bad.write_text(bad.read_text().replace("</bpmn:userTask>\n    <bpmn:endEvent",
                                           "</bpmn:scriptTask>\n    <bpmn:endEvent"))  # fmt: skip
    refusal = r"\[store\] 'จัดเก็บข้อมูล': bpmn:scriptTask is not supported by prflow: it would run"
    with pytest.raises(InvalidDefinition, match=refusal):
        deploy(owner_ctx, bad)


def test_a_timer_that_is_no_time_is_refused_at_deploy(tmp_path: Path, owner_ctx: Prflow) -> None:
    """A bare ISO value (PT3H, as the modelers save it) is read; free text is not."""
    timer = (
        '<bpmn:boundaryEvent id="remind" attachedToRef="verify" cancelActivity="false">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>three hours</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>\n    "
    )
    bad = broken(tmp_path, "website_posting.bpmn", '<bpmn:userTask id="store"',
                 timer + '<bpmn:userTask id="store"')  # fmt: skip
    with pytest.raises(InvalidDefinition) as refused:
        deploy(owner_ctx, bad)
    assert any(
        p.element_id == "remind" and "ISO-8601" in p.message and "PT3H" in p.message
        for p in refused.value.problems
    ), refused.value.problems


def test_message_events_and_correlation_expressions_are_refused(
    owner_ctx: Prflow, tmp_path: Path
) -> None:
    """Correlation expressions are evaluated by SpiffWorkflow itself, outside our
    interpreter: a diagram must not be able to carry them at all."""
    bad = broken(
        tmp_path, "website_posting.bpmn",
        '<bpmn:incoming>Flow_store_end</bpmn:incoming>',
        '<bpmn:incoming>Flow_store_end</bpmn:incoming>'
        '<bpmn:messageEventDefinition id="med" messageRef="Msg" />',
    )  # fmt: skip
    bad.write_text(bad.read_text().replace(
        '  <bpmn:collaboration id="Collaboration_website_posting">',
        '  <bpmn:message id="Msg" name="done" />\n'
        '  <bpmn:correlationProperty id="cp" name="cp"><bpmn:correlationPropertyRetrievalExpression'
        ' messageRef="Msg"><bpmn:formalExpression>__import__("os").system("id")'
        "</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression>"
        "</bpmn:correlationProperty>\n"
        '  <bpmn:collaboration id="Collaboration_website_posting">',
    ))  # fmt: skip
    with pytest.raises(InvalidDefinition) as refused:
        deploy(owner_ctx, bad)
    found = {(p.element_id, p.rule) for p in refused.value.problems}
    assert found == {("cp", "supported"), ("end", "supported")}
    assert stored(owner_ctx) == ([], 0)
