"""Deploy checks between a diagram and its forms.

A process is refused when a user task names a form that has no definition, when a gateway
condition reads a field (or compares it with a value) that no form of the tasks before the
gateway can produce, or when a ``due.<field>=<value>`` limit names a value that is not one
of that field's choices (P8's ``news_type``). Each problem is a ``RuleViolation`` naming the
element, the line and the fix, like the other project rules.
"""

from __future__ import annotations

import ast
from typing import Any

from engine.bpmn.process_rules import NS, RuleViolation
from engine.forms.definitions import FormCatalogue, FormField


def check_forms(root: Any, forms: FormCatalogue) -> list[RuleViolation]:
    """Every form-related problem of one parsed BPMN document."""
    problems: list[RuleViolation] = []

    def add(rule: str, element: Any, message: str) -> None:
        problems.append(RuleViolation(rule, element.get("id"), element.sourceline, message))

    for process in root.findall("bpmn:process", NS):
        tasks = {t.get("id"): t for t in process.findall("bpmn:userTask", NS)}
        task_forms: dict[str, str] = {}
        for task_id, task in tasks.items():
            form_id = _properties(task).get("form", "").strip()
            if not form_id:
                continue  # process_rules reports the missing property
            if form_id not in forms:
                add(
                    "task-form",
                    task,
                    f"user task {task_id!r} names form {form_id!r}, which "
                    f"has no definition; add processes/forms/{form_id}.toml "
                    "(see processes/forms/README.md)",
                )
                continue
            task_forms[task_id] = form_id
        _check_due_values(tasks, task_forms, forms, add)
        _check_conditions(process, task_forms, forms, add)
    return problems


def _check_due_values(
    tasks: dict[str, Any], task_forms: dict[str, str], forms: FormCatalogue, add: Any
) -> None:
    for task_id, task in tasks.items():
        for name in _properties(task):
            if not name.startswith("due.") or "=" not in name:
                continue
            field_name, _, value = name[len("due.") :].partition("=")
            field_name, value = field_name.strip(), value.strip()
            found = _fields_named(field_name, task_forms.values(), forms)
            choices = sorted({v for f in found for v in f.choice_values})
            if not found:
                add(
                    "form-due",
                    task,
                    f"user task {task_id!r}: {name!r} reads field "
                    f"{field_name!r}, which no form of this process has; add it as a choice "
                    "field to the form that sets it",
                )
            elif value not in choices:
                add(
                    "form-due",
                    task,
                    f"user task {task_id!r}: {name!r} names value "
                    f"{value!r}, which is not a choice of field {field_name!r}; allowed: "
                    f"{', '.join(choices) or 'none (make it a choice field)'}",
                )


def _check_conditions(
    process: Any, task_forms: dict[str, str], forms: FormCatalogue, add: Any
) -> None:
    incoming: dict[str, set[str]] = {}
    calls = {call.get("id") for call in process.iter(f"{{{NS['bpmn']}}}callActivity")}
    for flow in process.findall("bpmn:sequenceFlow", NS):
        incoming.setdefault(flow.get("targetRef"), set()).add(flow.get("sourceRef"))
    for flow in process.findall("bpmn:sequenceFlow", NS):
        condition = flow.find("bpmn:conditionExpression", NS)
        text = (condition.text or "").strip() if condition is not None else ""
        if not text:
            continue
        upstream = _upstream(flow.get("sourceRef"), incoming)
        upstream_forms = [task_forms[t] for t in upstream if t in task_forms]
        for field_name, values in _reads(text).items():
            found = _fields_named(field_name, upstream_forms, forms)
            if not found and upstream & calls:
                continue  # a called process's steps (another file's forms) may produce it
            if not found:
                add(
                    "form-condition",
                    flow,
                    f"condition {text!r} reads field {field_name!r}, "
                    f"which no form before it produces (forms: "
                    f"{', '.join(sorted(set(upstream_forms))) or 'none'}); add the field to "
                    "the form of the step before the gateway",
                )
                continue
            choices = {v for f in found for v in f.choice_values}
            if not choices:
                continue  # a free field: any value can be compared
            for value in sorted(values - choices):
                add(
                    "form-condition",
                    flow,
                    f"condition {text!r} compares {field_name!r} with "
                    f"{value!r}, which its form cannot produce; choices: "
                    f"{', '.join(sorted(choices))}",
                )


def _upstream(node_id: str, incoming: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [node_id]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(incoming.get(current, ()))
    return seen


def _reads(text: str) -> dict[str, set[str]]:
    """Field names a condition reads, each with the string literals it is compared with."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return {}  # engine.bpmn.expressions refuses it with a better message
    reads: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            reads.setdefault(node.id, set())
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
            for right in node.comparators:
                reads.setdefault(node.left.id, set()).update(_literals(right))
    return reads


def _literals(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {v for each in node.elts for v in _literals(each)}
    return set()


def _fields_named(name: str, form_ids: Any, forms: FormCatalogue) -> list[FormField]:
    found = []
    for form_id in set(form_ids):
        each = forms.get(form_id).field(name)
        if each is not None:
            found.append(each)
    return found


def _properties(node: Any) -> dict[str, str]:
    found = node.findall(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
    )
    return {p.get("name", ""): p.get("value", "") for p in found if isinstance(p.tag, str)}
