"""BPMN definitions: read, validate, hash, and compile once.

A definition file is checked in four layers, and every problem is reported with the file,
line, element id, what is wrong and how to fix it:

1. XML well-formedness (lxml);
2. the BPMN 2.0 schema and SpiffWorkflow's own parse (flows to missing elements, ...);
3. prflow's engine rules: only the element kinds prflow runs, safe expressions only
   (``engine.expressions``), timer expressions it can evaluate;
4. the project rules of ``engine.process_rules`` (known roles, forms, time limits,
   reachability, diagram), against the role catalogue.

A compiled definition (the SpiffWorkflow spec plus what prflow reads off each user task) is
cached by the SHA-256 of its XML: parsing is the expensive part, and a deployed version's
XML never changes, so each version is parsed once per process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine import timer_events
from engine.errors import InvalidInput
from engine.expressions import DUE_AT, UnsafeExpression, parse_safe
from engine.form_rules import check_forms
from engine.forms import FormCatalogue
from engine.process_rules import check_process_tree
from engine.roles import RoleCatalogue

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}

# The element kinds prflow knows how to run safely. Script, service and business-rule tasks
# would execute code or call out; call activities and subprocesses are not needed by any
# manual yet. Refusing them at deploy is better than failing in the middle of a case.
SUPPORTED_FLOW_NODES = {
    "startEvent",
    "endEvent",
    "userTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "boundaryEvent",
    "intermediateCatchEvent",
}
NON_NODE_CHILDREN = {
    "laneSet",
    "sequenceFlow",
    "documentation",
    "extensionElements",
    "dataObject",
    "dataObjectReference",
    "textAnnotation",
    "association",
    "dataStoreReference",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file."""

    file: str
    line: int | None
    element_id: str | None
    message: str
    rule: str = "bpmn"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}{element}: {self.message} ({self.rule})"


class InvalidDefinition(InvalidInput):
    """A BPMN file was refused; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class UserTaskInfo:
    """What prflow reads off one BPMN user task."""

    element_id: str
    name: str
    role: str
    form: str | None
    due: str | None
    due_cases: tuple[tuple[str, str, str], ...]  # (field, value, limit text), in file order
    due_none: str | None  # why the manual sets no limit, where it sets none
    documentation: str | None


@dataclass(frozen=True)
class Source:
    """A definition file's bytes and identity, before deploy."""

    file_name: str
    xml: bytes
    key: str
    name: str
    sha256: str


@dataclass
class CompiledDefinition:
    """A parsed, validated definition, ready to run cases."""

    key: str
    name: str
    sha256: str
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: dict[str, UserTaskInfo] = field(default_factory=dict)
    has_timers: bool = False


_COMPILED: dict[str, CompiledDefinition] = {}


def read_source(path: Path) -> Source:
    """Read a BPMN file and identify its executable process (refusing malformed XML)."""
    xml = path.read_bytes()
    return source_from_bytes(xml, str(path))


def source_from_bytes(xml: bytes, file_name: str) -> Source:
    tree = _parse_xml(xml, file_name)
    processes = [p for p in tree.findall("bpmn:process", NS) if p.get("isExecutable") == "true"]
    if len(processes) != 1:
        raise InvalidDefinition(
            [
                Problem(
                    file_name,
                    None,
                    None,
                    f"expected exactly one executable bpmn:process, found {len(processes)}; "
                    'mark the process to run with isExecutable="true"',
                )
            ]
        )
    process = processes[0]
    return Source(
        file_name=file_name,
        xml=xml,
        key=process.get("id", ""),
        name=process.get("name") or process.get("id", ""),
        sha256=hashlib.sha256(xml).hexdigest(),
    )


def _parse_xml(xml: bytes, file_name: str) -> Any:
    try:
        return etree.fromstring(
            xml, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError as err:
        line = err.lineno if err.lineno else None
        raise InvalidDefinition(
            [
                Problem(
                    file_name,
                    line,
                    None,
                    f"the file is not well-formed XML: {err.msg}",
                    "xml",
                )
            ]
        ) from err


def validate(
    source: Source, roles: RoleCatalogue, forms: FormCatalogue | None = None
) -> CompiledDefinition:
    """Run every check on a source; return it compiled or raise ``InvalidDefinition``.

    With ``forms``, tasks' forms, gateway conditions and ``due.`` values are checked
    against the form definitions too (``engine.form_rules``).
    """
    tree = _parse_xml(source.xml, source.file_name)
    problems = _engine_rules(tree, source.file_name)
    if problems:
        raise InvalidDefinition(problems)
    # SpiffWorkflow's parse reports structural faults (a flow to a missing element) most
    # precisely, so it runs before the project rules, which would only see the symptom.
    compiled = _compile(source)
    problems = _rule_problems(tree, source.file_name, roles)
    if forms is not None:
        problems += [
            Problem(source.file_name, v.line, v.element_id, v.message, v.rule)
            for v in check_forms(tree, forms)
        ]
    if problems:
        raise InvalidDefinition(problems)
    return compiled


def _rule_problems(tree: Any, file_name: str, roles: RoleCatalogue) -> list[Problem]:
    return [
        Problem(file_name, v.line, v.element_id, v.message, v.rule)
        for v in check_process_tree(tree, roles)
    ]


def compiled_for(sha256: str, xml: bytes, file_name: str) -> CompiledDefinition:
    """The compiled definition of already-deployed XML, parsed at most once per process."""
    cached = _COMPILED.get(sha256)
    if cached is None:
        cached = _COMPILED[sha256] = _compile(source_from_bytes(xml, file_name))
    return cached


def _compile(source: Source) -> CompiledDefinition:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_str(source.xml, filename=source.file_name)
        spec = parser.get_spec(source.key)
        subprocess_specs = parser.get_subprocess_specs(source.key)
        for each in (spec, *subprocess_specs.values()):
            timer_events.install(each)
    except ValidationException as err:
        line = int(err.line_number) if err.line_number else _line_of(source.xml, err.id)
        raise InvalidDefinition(
            [
                Problem(
                    source.file_name,
                    line,
                    err.id or None,
                    f"{str(err).splitlines()[0].strip()}; fix this element in the modeler "
                    "and validate again",
                    "bpmn",
                )
            ]
        ) from err
    compiled = CompiledDefinition(
        key=source.key,
        name=source.name,
        sha256=source.sha256,
        spec=spec,
        subprocess_specs=subprocess_specs,
        user_tasks=_user_tasks(spec),
        has_timers=any(
            isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)
            for each in (spec, *subprocess_specs.values())
            for task_spec in each.task_specs.values()
        ),
    )
    return compiled


def _line_of(xml: bytes, element_id: str | None) -> int | None:
    if not element_id:
        return None
    for node in etree.fromstring(xml).iter():
        if isinstance(node.tag, str) and node.get("id") == element_id:
            return int(node.sourceline)
    return None


def _user_tasks(spec: Any) -> dict[str, UserTaskInfo]:
    tasks: dict[str, UserTaskInfo] = {}
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ != "UserTask":
            continue
        properties: dict[str, str] = dict(task_spec.extensions.get("properties", {}))
        due_cases = []
        for name, value in properties.items():
            if name.startswith("due.") and "=" in name:
                field_name, _, field_value = name[len("due.") :].partition("=")
                due_cases.append((field_name.strip(), field_value.strip(), value))
        tasks[task_spec.bpmn_id] = UserTaskInfo(
            element_id=task_spec.bpmn_id,
            name=task_spec.bpmn_name or task_spec.bpmn_id,
            role=task_spec.lane or "",
            form=properties.get("form"),
            due=properties.get("due"),
            due_cases=tuple(due_cases),
            due_none=properties.get("due_none"),
            documentation=task_spec.documentation,
        )
    return tasks


def _engine_rules(tree: Any, file_name: str) -> list[Problem]:
    problems: list[Problem] = []

    def add(node: Any, message: str, rule: str) -> None:
        problems.append(Problem(file_name, node.sourceline, node.get("id"), message, rule))

    for process in tree.findall("bpmn:process", NS):
        for child in process:
            if not isinstance(child.tag, str):
                continue  # comments
            local = etree.QName(child).localname
            if local not in SUPPORTED_FLOW_NODES | NON_NODE_CHILDREN:
                add(
                    child,
                    f"bpmn:{local} is not supported by prflow; use user tasks, gateways "
                    "and timer events only (scripts and service calls are not run)",
                    "supported",
                )
    ids = {node.get("id") for node in tree.iter() if isinstance(node.tag, str)}
    for flow in tree.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in ids:
                add(
                    flow,
                    f"{end} {flow.get(end)!r} is not an element of this file; connect "
                    "the flow to an existing task, event or gateway",
                    "flow-ends",
                )
    for boundary in tree.iter(f"{{{BPMN_NS}}}boundaryEvent"):
        if boundary.get("attachedToRef") not in ids:
            add(
                boundary,
                f"attachedToRef {boundary.get('attachedToRef')!r} is not an element "
                "of this file; attach the event to an existing task",
                "flow-ends",
            )
    # Events may wait for time and nothing else: messages, signals and their correlation
    # expressions would be code evaluated by SpiffWorkflow outside our interpreter.
    for node in tree.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = etree.QName(node).localname
        if local.endswith("EventDefinition") and local != "timerEventDefinition":
            event = node.getparent()
            add(
                event,
                f"bpmn:{local} is not supported by prflow; events may only be timers "
                "(use a user task for a message or signal a person handles)",
                "supported",
            )
        elif local in {"correlationProperty", "correlationKey", "correlationSubscription"}:
            add(node, f"bpmn:{local} is not supported by prflow; remove it", "supported")
    for expression in tree.iter(f"{{{BPMN_NS}}}conditionExpression"):
        flow = expression.getparent()
        try:
            parse_safe(expression.text or "")
        except UnsafeExpression as err:
            add(flow, f"condition is refused: {err}", "safe-expression")
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for timer in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            event = timer.getparent().getparent()
            problem = _timer_problem(tag, (timer.text or "").strip(), event)
            if problem:
                add(event, problem, "timer")
    for script in tree.iter("{*}preScript", "{*}postScript", "{*}script"):
        add(
            script.getparent().getparent(),
            "scripts are not run by prflow; remove them",
            "safe-expression",
        )
    return problems


def _timer_problem(tag: str, text: str, event: Any) -> str | None:
    if text == DUE_AT:
        if tag != "timeDate" or etree.QName(event).localname != "boundaryEvent":
            return (
                f"'{DUE_AT}' means the due time of the attached task: use it only as the "
                "timeDate of a boundary event"
            )
        return None
    try:
        tree = parse_safe(text)
    except UnsafeExpression as err:
        return f"timer expression is refused: {err}"
    literal = tree.body
    if not (isinstance(getattr(literal, "value", None), str)):
        return (
            f"timer expression {text!r} must be a quoted ISO-8601 literal such as "
            f'"PT3H" or "2026-04-10T15:00:00+07:00", or {DUE_AT}'
        )
    value = literal.value  # type: ignore[attr-defined]
    if tag == "timeCycle":
        return "cycle timers are not supported by prflow; use a timeDate or timeDuration"
    try:
        if tag == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        else:
            if "+" not in value[10:] and not value.endswith("Z") and "-" not in value[10:]:
                return (
                    f"timer date {value!r} has no UTC offset; write one, e.g. "
                    f"{value}+07:00, or it would be read in the server's zone"
                )
            TimerEventDefinition.get_datetime(value)
    except Exception as err:
        return f"timer value {value!r} is not valid ISO-8601 ({err})"
    return None
