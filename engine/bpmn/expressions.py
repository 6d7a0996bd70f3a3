"""Safe expressions: the only code a BPMN file may contain.

SpiffWorkflow evaluates gateway conditions and timer expressions with plain ``eval`` and
full builtins, so a diagram could run ``__import__('os')`` on the server. prflow never
calls ``eval``: an expression is parsed with ``ast`` and checked against an allow-list
(names of case data, literals, comparisons, ``and``/``or``/``not``, ``in``, tuples and
lists of literals), then interpreted by walking that tree. The same check runs at deploy
time, so an unsafe diagram is refused before any case can reach it.

``SafeScriptEngine`` plugs the interpreter into SpiffWorkflow. It is not saved with a
workflow's JSON, so the runtime sets it again after every restore.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.errors import InvalidInput

_COMPARATORS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}

ALLOWED_FORMS = (
    "field names, string/number/True/False/None literals, ==, !=, <, <=, >, >=, in, not in, "
    'and, or, not, and tuples or lists of literals — e.g. decision == "approve"'
)


class UnsafeExpression(InvalidInput):
    """An expression uses something outside the allow-list (or is not Python at all)."""

    def __init__(self, expression: str, reason: str) -> None:
        self.expression = expression
        self.reason = reason
        super().__init__(
            f"expression {expression!r} is not allowed: {reason}. Allowed: {ALLOWED_FORMS}"
        )


class MissingField(InvalidInput):
    """An expression reads a case-data field that the case does not have."""

    def __init__(self, expression: str, field: str, available: list[str]) -> None:
        self.expression = expression
        self.field = field
        self.available = available
        known = ", ".join(sorted(available)) or "none"
        super().__init__(
            f"expression {expression!r} reads field {field!r}, which the case data does not "
            f"have (fields present: {known}); submit {field!r} with the form"
        )


def parse_safe(expression: str) -> ast.Expression:
    """Parse ``expression`` and check every node against the allow-list."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as err:
        raise UnsafeExpression(expression, f"not a valid expression ({err.msg})") from err
    for node in ast.walk(tree):
        _check_node(expression, node)
    return tree


def _check_node(expression: str, node: ast.AST) -> None:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str | int | float | bool | type(None)):
            raise UnsafeExpression(expression, f"literal {node.value!r} is not allowed")
        return
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise UnsafeExpression(expression, f"name {node.id!r} starts with an underscore")
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARATORS:
                raise UnsafeExpression(expression, f"operator {type(op).__name__} is not allowed")
        return
    allowed = (
        ast.Expression,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.UnaryOp,
        ast.Not,
        ast.USub,
        ast.Tuple,
        ast.List,
        ast.Load,
    )
    if not isinstance(node, allowed) and type(node) not in _COMPARATORS:
        what = {
            ast.Call: "calling a function",
            ast.Attribute: "reading an attribute",
            ast.Subscript: "indexing",
            ast.Lambda: "a lambda",
        }.get(type(node), f"{type(node).__name__} syntax")
        raise UnsafeExpression(expression, f"{what} is not allowed")
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and not (
            isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)
            and not isinstance(node.operand.value, bool)
        )
    ):
        raise UnsafeExpression(expression, "unary minus applies to number literals only")


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """Interpret a checked expression against case data; never calls ``eval``."""
    tree = _checked(expression)
    return _eval(expression, tree.body, data)


@functools.lru_cache(maxsize=4096)
def _checked(expression: str) -> ast.Expression:
    # A diagram has a handful of conditions, evaluated at every step that passes them:
    # parse and check each text once (the tree is only read; a refused one is not cached).
    return parse_safe(expression)


def _eval(expression: str, node: ast.AST, data: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in data:
            raise MissingField(expression, node.id, list(data))
        return data[node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_eval(expression, element, data) for element in node.elts)
    if isinstance(node, ast.UnaryOp):
        value = _eval(expression, node.operand, data)
        return (not value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            result: Any = True
            for value_node in node.values:
                result = _eval(expression, value_node, data)
                if not result:
                    return result
            return result
        result = False
        for value_node in node.values:
            result = _eval(expression, value_node, data)
            if result:
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _eval(expression, node.left, data)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(expression, right_node, data)
            try:
                holds = _COMPARATORS[type(op)](left, right)
            except TypeError as err:
                raise InvalidInput(
                    f"expression {expression!r} compares {left!r} with {right!r}: {err}"
                ) from err
            if not holds:
                return False
            left = right
        return True
    raise UnsafeExpression(expression, f"{type(node).__name__} syntax is not allowed")


DueResolver = Callable[[Any], str]
"""Given a SpiffWorkflow boundary-event task, the ISO due time of the task it is attached to."""

DUE_AT = "due_at"
"""The timer expression meaning 'the due time of the task this boundary event is attached to'."""


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """SpiffWorkflow's script environment, minus ``eval`` and ``exec``.

    Some of SpiffWorkflow's code (message correlation, for one) calls the environment
    directly rather than the script engine, so replacing the engine's methods alone would
    leave the default environment's plain ``eval`` reachable from a diagram.
    """

    def evaluate(self, expression: str, context: Any, external_context: Any = None) -> Any:
        return evaluate(expression, context)

    def execute(self, script: str, context: Any, external_context: Any = None) -> Any:
        raise UnsafeExpression(script, "prflow runs no scripts")

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise UnsafeExpression(str(kwargs.get("operation_name", "")), "prflow calls no services")


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """A SpiffWorkflow script engine that evaluates safe expressions and runs no scripts."""

    def __init__(self, due_resolver: DueResolver | None = None) -> None:
        super().__init__(environment=SafeEnvironment())
        self.due_resolver = due_resolver

    def validate(self, expression: str) -> None:
        parse_safe(expression)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        if expression.strip() == DUE_AT and DUE_AT not in task.data:
            if self.due_resolver is None:
                raise WorkflowTaskException("no due-time resolver is configured", task=task)
            return self.due_resolver(task)
        try:
            return evaluate(expression, task.data)
        except InvalidInput as err:
            # Spiff wraps evaluation errors itself; keep ours intact so callers see the cause.
            raise WorkflowTaskException(str(err), task=task, exception=err) from err

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        raise WorkflowTaskException(
            "prflow runs no scripts; remove the script from the diagram", task=task
        )
