"""Safe expressions: what a diagram's conditions may do, and that nothing else can run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.bpmn.expressions import MissingField, SafeScriptEngine, UnsafeExpression, evaluate
from engine.bpmn.timer_events import stepping
from engine.cases import runtime
from tests.factories import P6

NOW = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "data", "expected"),
    [
        ('decision == "ok"', {"decision": "ok"}, True),
        ('decision != "ok"', {"decision": "ok"}, False),
        ('channel in ("formal", "semi_formal")', {"channel": "formal"}, True),
        ('channel not in ["formal"]', {"channel": "informal"}, True),
        ('a == "x" and not b', {"a": "x", "b": False}, True),
        ("count >= 3 or late", {"count": 2, "late": True}, True),
        ("1 < n <= 3", {"n": 3}, True),
        ("n > -1", {"n": 0}, True),
    ],
)
def test_allowed_expressions_compare_case_data(
    expression: str, data: dict[str, object], expected: bool
) -> None:
    assert evaluate(expression, data) is expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("__import__('os').system('id')", "calling a function"),
        ("decision.upper() == 'OK'", "calling a function"),
        ("decision.real == 1", "reading an attribute"),
        ("().__class__.__bases__", "reading an attribute"),
        ("data['x']", "indexing"),
        ("[x for x in y]", "ListComp syntax"),
        ("(lambda: 1)()", "calling a function"),
        ("_secret == 1", "underscore"),
        ("a + b", "BinOp syntax"),
        ("decision ==", "not a valid expression"),
        ("x is None", "operator Is"),
    ],
)
def test_code_in_an_expression_is_refused(expression: str, reason: str) -> None:
    with pytest.raises(UnsafeExpression, match=reason):
        evaluate(expression, {"decision": "ok", "x": None, "y": [], "a": 1, "b": 2})


def test_a_missing_field_is_named_with_the_fields_present() -> None:
    with pytest.raises(MissingField, match=r"reads field 'decision'.*present: comments"):
        evaluate('decision == "ok"', {"comments": ""})


def test_an_unsafe_condition_cannot_run_even_if_it_skips_deploy(tmp_path: Path) -> None:
    """Bypass prflow's deploy checks entirely: the script engine still refuses the code."""
    marker = tmp_path / "pwned"
    xml = P6.read_text(encoding="utf-8")
    xml = xml.replace('decision == "ok"', f"__import__('pathlib').Path('{marker}').touch() or True")
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(xml.encode(), filename="evil.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("website_posting"))
    workflow.script_engine = SafeScriptEngine()
    with stepping(NOW):
        workflow.do_engine_steps()
    upload = runtime.ready_user_tasks(workflow)[0]
    runtime.complete_task(workflow, str(upload.id), {}, NOW)
    verify = runtime.ready_user_tasks(workflow)[0]

    with pytest.raises(runtime.StepFailed, match="calling a function is not allowed"):
        runtime.complete_task(workflow, str(verify.id), {"decision": "ok"}, NOW)
    assert not marker.exists()


def test_the_script_environment_spiffworkflow_calls_directly_is_safe_too() -> None:
    """SpiffWorkflow evaluates some expressions (message correlation) through the engine's
    environment, not the engine: that path must not reach eval either."""
    environment = SafeScriptEngine().environment
    with pytest.raises(UnsafeExpression, match="calling a function"):
        environment.evaluate("__import__('os').system('id')", {})
    with pytest.raises(UnsafeExpression, match="runs no scripts"):
        environment.execute("import os", {})
    assert environment.evaluate('decision == "ok"', {"decision": "ok"}) is True


def test_unary_minus_applies_to_numbers_only() -> None:
    with pytest.raises(UnsafeExpression, match="number literals only"):
        evaluate('-"x" == 1', {})
