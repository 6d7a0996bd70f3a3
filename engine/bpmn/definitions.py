"""BPMN definitions: read, validate, hash, and compile once.

A definition file is checked in layers, and every problem is reported with the file,
line, element id and name, what is wrong and how to fix it:

1. XML well-formedness (lxml): nothing else can be read from a broken file;
2. the modeler's dialect (``engine.bpmn.dialects``): Camunda 7/8 attributes and JUEL/FEEL
   conditions are rewritten into prflow's dialect, or refused where they cannot be;
3. which process runs (exactly one executable process, or ``--executable`` for bpmn.io's
   ``isExecutable="false"`` on the only one);
4. prflow's engine rules: only the element kinds prflow runs, safe expressions only
   (``engine.bpmn.expressions``), timer expressions it can evaluate;
5. the BPMN 2.0 schema and SpiffWorkflow's own parse (flows to missing elements, ...);
6. the project rules of ``engine.bpmn.process_rules`` (known roles, forms, time limits,
   reachability, diagram), against the role catalogue.

Layers 2-6 all run, whatever an earlier one found, so an owner sees every problem of a
file in one round; deploy stays all-or-nothing.

A compiled definition (the SpiffWorkflow spec plus what prflow reads off each user task) is
cached by the SHA-256 of its XML: parsing is the expensive part, and a deployed version's
XML never changes, so each version is parsed once per process.

**Call activities.** A file is compiled on its own: a ``callActivity`` whose
``calledElement`` is another file's process is listed in ``CompiledDefinition.calls``
(with its element id, name and line), and its spec is not looked up. Whether the called
process exists, and that calls make no cycle, is a question about several files and the
deployed versions (``engine.cases.deployment``). A case runs on ``composed(root, called)``:
the caller's spec with the called versions' specs (pinned when the case started) added as
SpiffWorkflow subprocess specs, and their user tasks added to ``user_tasks``.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine import bounds
from engine.bpmn import dialects, message_rules, timer_events
from engine.bpmn.expressions import DUE_AT, UnsafeExpression, parse_safe
from engine.bpmn.form_rules import check_forms
from engine.bpmn.process_rules import check_process_tree
from engine.errors import InvalidInput
from engine.forms.definitions import FormCatalogue
from engine.roles import RoleCatalogue

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}

# The element kinds prflow knows how to run safely. Script, service and business-rule tasks
# would execute code or call out. Refusing them at deploy is better than failing in the
# middle of a case; REFUSED_WHY says why each is refused, in the owner's terms.
SUPPORTED_FLOW_NODES = {
    "startEvent",
    "endEvent",
    "userTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "boundaryEvent",
    "intermediateCatchEvent",
    "subProcess",
    "receiveTask",  # a message from outside (engine.bpmn.message_rules)
    "eventBasedGateway",  # a message racing a timer (engine.bpmn.message_rules)
    "callActivity",
}
REFUSED_WHY = {
    "scriptTask": "it would run code on the server; model the step as a user task",
    "serviceTask": "prflow calls no outside services; model the step as a user task whose "
    "form records the result",
    "businessRuleTask": "prflow runs no decision tables; model the decision as an exclusive "
    "gateway with conditions",
    "sendTask": "prflow sends no messages; model the step as a user task",
    "manualTask": "prflow mirrors only user tasks into the worklist; make it a user task",
    "task": "an untyped task has no role or form; make it a user task",
    "adHocSubProcess": "ad-hoc subprocesses are not run; draw the steps inline",
    "transaction": "transactions are not run; draw the steps inline",
    "complexGateway": "complex gateways are not run; use exclusive, inclusive or parallel gateways",
    "intermediateThrowEvent": "prflow throws no events; remove it or use a user task",
}
EVENT_WHY = {
    "signalEventDefinition": "signals are not delivered to cases; use a user task",
    "conditionalEventDefinition": "conditional events are not run; use an exclusive gateway",
    "compensateEventDefinition": "compensation is not run; model the undo steps as tasks",
    "cancelEventDefinition": "cancel events belong to transactions, which are not run",
    "linkEventDefinition": "link events are not run; draw the sequence flow",
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
    "incoming",  # a subprocess's own flows, read by the engine rules below
    "outgoing",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
    "ioSpecification",
    "property",
    "group",
    "category",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file."""

    file: str
    line: int | None
    element_id: str | None
    message: str
    rule: str = "bpmn"
    element_name: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        element = f" [{self.element_id}]" if self.element_id else ""
        if self.element_name and self.element_name != self.element_id:
            element += f" {self.element_name!r}"
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
    # Why no process could be chosen to run (then ``key`` is ""): reported by ``validate``
    # together with every other problem of the file.
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class CallInfo:
    """A call activity that calls a process of another file (``called``, its process id)."""

    element_id: str
    name: str | None
    line: int | None
    called: str


@dataclass(frozen=True)
class CallNode:
    """A process as the checks across files see it: whom it calls, which step ids it has."""

    key: str
    calls: tuple[CallInfo, ...]
    task_ids: frozenset[str]


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
    # Each element that waits for a message -> the role of its lane (who may deliver it).
    message_roles: dict[str, str] = field(default_factory=dict)
    # Call activities to processes outside this file, in file order.
    calls: tuple[CallInfo, ...] = ()


_COMPILED: dict[str, CompiledDefinition] = {}


def read_source(path: Path, executable: bool = False) -> Source:
    """Read a BPMN file and identify its executable process (refusing malformed XML).

    ``executable`` accepts ``isExecutable="false"`` on a file's only process (bpmn.io and
    Camunda Modeler save new processes that way).
    """
    size = path.stat().st_size
    if size > bounds.MAX_BPMN_BYTES:  # refuse before reading a huge file into memory
        raise InvalidDefinition([Problem(str(path), None, None, _too_big(size), "size")])
    xml = path.read_bytes()
    return source_from_bytes(xml, str(path), executable)


def _too_big(size: int) -> str:
    return (
        f"the file has {size:,} bytes; a BPMN file may have at most {bounds.MAX_BPMN_BYTES:,} "
        "(split the process or remove embedded images)"
    )


def source_from_bytes(xml: bytes, file_name: str, executable: bool = False) -> Source:
    tree = _parse_xml(xml, file_name)
    process, problems = _choose_process(tree, file_name, executable)
    key = process.get("id", "") if process is not None else ""
    name = (process.get("name") or key) if process is not None else ""
    return Source(
        file_name=file_name,
        xml=xml,
        key=key,
        name=name,
        sha256=hashlib.sha256(xml).hexdigest(),
        problems=tuple(problems),
    )


def _choose_process(tree: Any, file_name: str, executable: bool) -> tuple[Any, list[Problem]]:
    processes = tree.findall("bpmn:process", NS)
    marked = [p for p in processes if p.get("isExecutable") == "true"]
    if len(marked) == 1:
        return marked[0], []
    if not marked and len(processes) == 1:
        if executable:
            return processes[0], []
        only = processes[0]
        return None, [
            Problem(
                file_name,
                only.sourceline,
                only.get("id"),
                'the only process is marked isExecutable="false" (the modeler\'s default); '
                'tick "Executable" in the modeler, set isExecutable="true", or run '
                "validate/deploy with --executable",
                "executable",
                only.get("name"),
            )
        ]
    if not processes:
        return None, [
            Problem(
                file_name,
                None,
                None,
                "the file has no bpmn:process; draw the process in the modeler and save again",
                "executable",
            )
        ]
    candidates = marked or processes
    listed = ", ".join(f"{p.get('id')!r} (line {p.sourceline})" for p in candidates)
    return None, [
        Problem(
            file_name,
            p.sourceline,
            p.get("id"),
            f"{len(candidates)} processes could run ({listed}); prflow runs one process per "
            'file: keep isExecutable="true" on the one to run and set the others to "false" '
            "(or move them to their own files)",
            "executable",
            p.get("name"),
        )
        for p in candidates
    ]


def _parse_xml(xml: bytes, file_name: str) -> Any:
    if len(xml) > bounds.MAX_BPMN_BYTES:
        raise InvalidDefinition([Problem(file_name, None, None, _too_big(len(xml)), "size")])
    if re.search(rb"<!DOCTYPE|<!ENTITY", xml, re.IGNORECASE):
        raise InvalidDefinition(
            [
                Problem(
                    file_name, None, None,
                    "the file declares a DOCTYPE (a DTD or entities); BPMN files must not, "
                    "since entities could read files or hang the parser: remove the declaration",
                    "xml",
                )
            ]
        )  # fmt: skip
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

    Every layer after XML runs even when an earlier one found problems, so the owner gets
    the whole list at once. With ``forms``, tasks' forms, gateway conditions and ``due.``
    values are checked against the form definitions too (``engine.bpmn.form_rules``).
    """
    tree = _parse_xml(source.xml, source.file_name)
    problems = list(source.problems)
    problems += _dialect_problems(tree, source.file_name)
    problems += _engine_rules(tree, source.file_name)
    problems += _message_problems(tree, source.file_name)
    compiled = None
    if source.key:
        try:
            compiled = _compile_tree(source, tree)
        except InvalidDefinition as err:
            # SpiffWorkflow reports a flow to a missing element too; ours says it better.
            problems += [p for p in err.problems if (p.element_id, p.line) not in
                         {(q.element_id, q.line) for q in problems}]  # fmt: skip
    problems += _rule_problems(tree, source.file_name, roles)
    if forms is not None:
        problems += [
            Problem(source.file_name, v.line, v.element_id, v.message, v.rule)
            for v in check_forms(tree, forms)
        ]
    if problems or compiled is None:
        # Names as the owner wrote them (the dialect layer renames lanes to role ids).
        raise InvalidDefinition(_named(_unique(problems), _parse_xml(source.xml, source.file_name)))
    return compiled


def _dialect_problems(tree: Any, file_name: str) -> list[Problem]:
    return [
        Problem(file_name, p.element.sourceline, p.element.get("id"), p.message, p.rule)
        for p in dialects.normalize(tree)
    ]


def _message_problems(tree: Any, file_name: str) -> list[Problem]:
    return [
        Problem(
            file_name,
            p.element.sourceline,
            p.element.get("id"),
            p.message,
            p.rule,
            p.element.get("name"),
        )
        for p in message_rules.check_messages(tree)
    ]


def _rule_problems(tree: Any, file_name: str, roles: RoleCatalogue) -> list[Problem]:
    return [
        Problem(file_name, v.line, v.element_id, v.message, v.rule)
        for v in check_process_tree(tree, roles)
    ]


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for problem in problems:
        key = (problem.line, problem.element_id, problem.message)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def _named(problems: list[Problem], tree: Any) -> list[Problem]:
    """Each problem with its element's own name (what the owner sees in the modeler)."""
    names = {
        node.get("id"): node.get("name")
        for node in tree.iter()
        if isinstance(node.tag, str) and node.get("id") and node.get("name")
    }
    return [
        replace(p, element_name=names.get(p.element_id))
        if p.element_id and not p.element_name
        else p
        for p in problems
    ]


def compiled_for(sha256: str, xml: bytes, file_name: str) -> CompiledDefinition:
    """The compiled definition of already-deployed XML, parsed at most once per process."""
    cached = _COMPILED.get(sha256)
    if cached is None:
        # A deployed file passed validation, with --executable if it needed it.
        source = source_from_bytes(xml, file_name, executable=True)
        if source.problems:
            raise InvalidDefinition(list(source.problems))
        tree = _parse_xml(xml, file_name)
        dialects.normalize(tree)
        cached = _COMPILED[sha256] = _compile_tree(source, tree)
    return cached


def _compile_tree(source: Source, tree: Any) -> CompiledDefinition:
    """Compile a parsed (and dialect-normalized) document with SpiffWorkflow."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    # A copy: SpiffWorkflow keeps the tree, and the caller's checks read it afterwards.
    document = copy.deepcopy(tree)
    for process in document.findall("bpmn:process", NS):
        if process.get("id") == source.key:
            process.set("isExecutable", "true")  # the process chosen to run (--executable)
    try:
        parser.add_bpmn_xml(document, filename=source.file_name)
        spec = parser.get_spec(source.key)
        subprocess_specs, outside = _specs_in_file(parser, spec)
        for each in (spec, *subprocess_specs.values()):
            timer_events.install(each)
    except ValidationException as err:
        element_id = err.id or _id_in_message(tree, str(err))
        line = int(err.line_number) if err.line_number else _line_of(tree, element_id)
        element_id = element_id or _id_at_line(tree, line)
        raise InvalidDefinition(
            [
                Problem(
                    source.file_name,
                    line,
                    element_id,
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
        user_tasks={
            element_id: info
            for each in (spec, *subprocess_specs.values())
            for element_id, info in _user_tasks(each, _lanes(tree)).items()
        },
        has_timers=any(
            isinstance(definition, TimerEventDefinition)
            for each in (spec, *subprocess_specs.values())
            for task_spec in each.task_specs.values()
            for definition in timer_events.event_definitions(task_spec)
        ),
        message_roles=message_rules.message_roles(tree, _lanes(tree)),
        calls=tuple(c for c in _call_node(source.key, tree).calls if c.called in outside),
    )
    return compiled


def call_node(source: Source) -> CallNode:
    """Whom a file's process calls, read from its XML (even a file that fails validation:
    its calls are checked with every other problem)."""
    tree = _parse_xml(source.xml, source.file_name)
    dialects.normalize(tree)
    return _call_node(source.key, tree)


def _call_node(key: str, tree: Any) -> CallNode:
    in_file = {process.get("id") for process in tree.findall("bpmn:process", NS)}
    calls = tuple(
        CallInfo(node.get("id"), node.get("name"), node.sourceline, called)
        for node in tree.iter(f"{{{BPMN_NS}}}callActivity")
        if (called := (node.get("calledElement") or "").strip()) and called not in in_file
    )
    task_ids = frozenset(
        str(node.get("id")) for node in tree.iter(f"{{{BPMN_NS}}}userTask") if node.get("id")
    )
    return CallNode(key, calls, task_ids)


def _specs_in_file(parser: Any, spec: Any) -> tuple[dict[str, Any], set[str]]:
    """The specs of the subprocesses and called processes found in the file, and the ids of
    called processes that are not (another file's, pinned when a case starts).

    SpiffWorkflow's ``get_subprocess_specs`` insists on every called process below the
    first level; a call inside an embedded subprocess is as much another file's as any.
    """
    found: dict[str, Any] = {}
    outside: set[str] = set()
    stack = [spec]
    while stack:
        for task_spec in stack.pop().task_specs.values():
            if not isinstance(task_spec, SubWorkflowTask):
                continue
            name = str(task_spec.spec)
            if name in found or name in outside:
                continue
            subprocess = parser.get_spec(name, required=False)
            if subprocess is None:
                outside.add(name)
            else:
                found[name] = subprocess
                stack.append(subprocess)
    return found, outside


def compose(root: CompiledDefinition, called: dict[str, CompiledDefinition]) -> CompiledDefinition:
    """``root`` with the called processes (every one its calls reach, by process id) added:
    their specs as SpiffWorkflow subprocess specs, their user tasks to ``user_tasks``."""
    if not called:
        return root
    specs = dict(root.subprocess_specs)
    user_tasks = dict(root.user_tasks)
    message_roles = dict(root.message_roles)
    for name, each in sorted(called.items()):
        specs[name] = each.spec
        specs.update(each.subprocess_specs)
        for element_id, info in each.user_tasks.items():
            # Deploy refuses an id used in two processes of one call tree.
            user_tasks.setdefault(element_id, info)
        for element_id, role in each.message_roles.items():
            message_roles.setdefault(element_id, role)  # a called process's waits too
    return replace(
        root,
        subprocess_specs=specs,
        user_tasks=user_tasks,
        has_timers=root.has_timers or any(c.has_timers for c in called.values()),
        message_roles=message_roles,
    )


def composed(root: CompiledDefinition, called: dict[str, CompiledDefinition]) -> CompiledDefinition:
    """``compose``, cached like a compiled version by the hashes of every file involved: the
    same pinned versions always compose the same way."""
    if not called:
        return root
    key = root.sha256 + "".join(f"+{k}={c.sha256}" for k, c in sorted(called.items()))
    cached = _COMPILED.get(key)
    if cached is None:
        cached = _COMPILED[key] = compose(root, called)
    return cached


def _line_of(tree: Any, element_id: str | None) -> int | None:
    if not element_id:
        return None
    for node in tree.iter():
        if isinstance(node.tag, str) and node.get("id") == element_id:
            return int(node.sourceline)
    return None


def _id_at_line(tree: Any, line: int | None) -> str | None:
    """The id of the element written at ``line``, or of its nearest ancestor with one.

    Schema errors name a line, not an element; an ``ioSpecification`` written without an
    id is reported on the task that holds it.
    """
    if line is None:
        return None
    for node in tree.iter():
        if isinstance(node.tag, str) and node.sourceline == line:
            return _owner_id(node)
    return None


def _id_in_message(tree: Any, message: str) -> str | None:
    """The element a SpiffWorkflow message names by its name or called process, if any.

    Some parse errors carry no id ("Data Store with name X has no implementation", "The
    process 'P' was not found"); the owner still needs to know which element to fix.
    """
    for node in tree.iter():
        if not isinstance(node.tag, str) or not node.get("id"):
            continue
        for value in (node.get("name"), node.get("calledElement")):
            if value and len(value) > 2 and (f"'{value}'" in message or f" {value} " in message):
                return str(node.get("id"))
    return None


def _owner_id(node: Any) -> str | None:
    while node is not None:
        if node.get("id") and etree.QName(node).localname not in _NOT_OWNERS:
            return str(node.get("id"))
        node = node.getparent()
    return None


_NOT_OWNERS = {"extensionElements", "ioSpecification", "dataInput", "dataOutput",
               "inputSet", "outputSet", "conditionExpression", "timeDate", "timeDuration",
               "timeCycle", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics",
               "script"}  # fmt: skip


def _lanes(tree: Any) -> dict[str, str]:
    """Each flow node's lane (its role id), a node in a subprocess taking the subprocess's.

    SpiffWorkflow gives a task inside an embedded subprocess no lane.
    """
    listed = {
        (ref.text or "").strip(): lane.get("name", "")
        for lane in tree.iter(f"{{{BPMN_NS}}}lane")
        for ref in lane.findall("bpmn:flowNodeRef", NS)
    }
    found: dict[str, str] = {}
    for node in tree.iter():
        if not isinstance(node.tag, str) or not node.get("id"):
            continue
        owner = node
        while owner is not None and owner.get("id") not in listed:
            owner = owner.getparent()
        if owner is not None:
            found[node.get("id")] = listed[owner.get("id")]
    return found


def _user_tasks(spec: Any, lanes: dict[str, str]) -> dict[str, UserTaskInfo]:
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
            # A candidate group (read from the modeler's dialect) names the role when the
            # task has one; else the lane does (its role id, see engine.bpmn.dialects).
            role=properties.get("role") or task_spec.lane or lanes.get(task_spec.bpmn_id, ""),
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
        problems.append(
            Problem(file_name, node.sourceline, _owner_id(node), message, rule, node.get("name"))
        )

    for process in tree.findall("bpmn:process", NS):
        for child in process.iter():
            if not isinstance(child.tag, str) or child.getparent() is None:
                continue  # comments
            if etree.QName(child.getparent()).localname not in ("process", "subProcess"):
                continue
            local = etree.QName(child).localname
            if local not in SUPPORTED_FLOW_NODES | NON_NODE_CHILDREN and (
                etree.QName(child).namespace == BPMN_NS
            ):
                why = REFUSED_WHY.get(local, "prflow does not run it")
                add(child, f"bpmn:{local} is not supported by prflow: {why}", "supported")
        if not process.findall(".//bpmn:userTask", NS):
            add(
                process,
                "the process has no user task, so no role could start or work a case; add at "
                "least one user task in the lane of the role that does the work",
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
    for call in tree.iter(f"{{{BPMN_NS}}}callActivity"):
        called = (call.get("calledElement") or "").strip()
        process = next(call.iterancestors(f"{{{BPMN_NS}}}process"), None)
        if not called:
            add(
                call,
                "the call activity names no process to call; set its calledElement (in the "
                "modeler: Called element / Process ID) to the id of a deployed process",
                "call-target",
            )
        elif process is not None and called == process.get("id"):
            add(
                call,
                f"the call activity calls its own process {called!r}, which would never end; "
                "call another process, or draw the repeated steps as a loop",
                "call-cycle",
            )
    for boundary in tree.iter(f"{{{BPMN_NS}}}boundaryEvent"):
        if boundary.get("attachedToRef") not in ids:
            add(
                boundary,
                f"attachedToRef {boundary.get('attachedToRef')!r} is not an element "
                "of this file; attach the event to an existing task",
                "flow-ends",
            )
    # Events may wait for time (or end the case): messages, signals and their correlation
    # expressions would be code evaluated by SpiffWorkflow outside our interpreter.
    for node in tree.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = etree.QName(node).localname
        if local.endswith("EventDefinition") and local not in _EVENTS_RUN:
            event = node.getparent()
            if event is None or etree.QName(event).localname in ("definitions",):
                event = node
            why = EVENT_WHY.get(local, "prflow does not run it")
            add(event, f"bpmn:{local} is not supported by prflow: {why}", "supported")
        elif local in {"correlationProperty", "correlationKey", "correlationSubscription"}:
            add(node, f"bpmn:{local} is not supported by prflow; remove it", "supported")
        elif (
            local == "terminateEventDefinition"
            and etree.QName(node.getparent()).localname != "endEvent"
        ):
            add(node.getparent(), "a terminate event must be an end event", "supported")
    for expression in tree.iter(f"{{{BPMN_NS}}}conditionExpression"):
        flow = expression.getparent()
        if dialects.is_modeler_expression(expression.text or ""):
            continue  # left untranslated: the dialect layer said which part and why
        try:
            parse_safe(expression.text or "")
        except UnsafeExpression as err:
            add(flow, f"condition is refused: {err}", "safe-expression")
    for tag in ("loopCondition", "completionCondition", "loopCardinality"):
        for expression in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            if dialects.is_modeler_expression(expression.text or ""):
                continue
            try:
                parse_safe(expression.text or "")
            except UnsafeExpression as err:
                add(expression, f"{tag} is refused: {err}", "safe-expression")
    for definition in tree.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        if not any(
            definition.find(f"{{{BPMN_NS}}}{tag}") is not None
            for tag in ("timeDate", "timeDuration", "timeCycle")
        ):
            add(
                definition.getparent(),
                "the timer has no time, so it would never fire; give it a timeDuration "
                "(PT4H), a timeDate with its offset, or, on a non-interrupting boundary "
                "event, a timeCycle (R3/PT4H)",
                "timer",
            )
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for timer in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            event = timer.getparent().getparent()
            problem = _timer_problem(tag, (timer.text or "").strip(), event)
            if problem:
                add(event, problem, "timer")
    for script in tree.iter("{*}preScript", "{*}postScript", "{*}script"):
        owner = script.getparent()
        if etree.QName(owner).localname == "extensionElements":
            owner = owner.getparent()
        if etree.QName(owner).localname == "scriptTask":
            continue  # refused above as an element kind, with the reason
        add(owner, "scripts are not run by prflow; remove them", "safe-expression")
    return problems


# Errors and escalations never leave the case: an end event inside a subprocess throws,
# a boundary event on the subprocess catches. No expression is evaluated for them.
_THROWN_AND_CAUGHT = {"errorEventDefinition", "escalationEventDefinition"}
# Messages are delivered to one case by name; engine.bpmn.message_rules says where they run.
_EVENTS_RUN = {
    "timerEventDefinition", "terminateEventDefinition", "messageEventDefinition",
    *_THROWN_AND_CAUGHT,
}  # fmt: skip
_TIMER_FORMS = (
    "a quoted or bare ISO-8601 value: a duration such as PT3H or P1D, a date with its "
    "offset such as 2026-04-10T15:00:00+07:00, or "
)


def _timer_problem(tag: str, text: str, event: Any) -> str | None:
    if not text.strip("\"' "):
        forms = _CYCLE_HELP if tag == "timeCycle" else f"write {_TIMER_FORMS}{DUE_AT}"
        return f"the timer's {tag} is empty, so it would never fire; {forms}"
    if text == DUE_AT:
        if tag != "timeDate" or etree.QName(event).localname != "boundaryEvent":
            return (
                f"'{DUE_AT}' means the due time of the attached task: use it only as the "
                "timeDate of a boundary event"
            )
        return None
    if tag == "timeCycle":
        return _cycle_problem(text, event)
    try:
        tree = parse_safe(text)
    except UnsafeExpression:
        tree = None
    literal = tree.body if tree is not None else None
    if not isinstance(getattr(literal, "value", None), str):
        return (
            f"timer {text!r} is not a time prflow can read; write {_TIMER_FORMS}{DUE_AT} "
            "(cron expressions and date arithmetic are not read)"
        )
    value = literal.value  # type: ignore[union-attr]
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


# A cron string: five to seven fields of digits, *, ?, ranges, lists and steps (Quartz/Spring).
_CRON = re.compile(r"[\d*?/,LW#A-Z-]+(\s+[\d*?/,LW#A-Z-]+){4,6}")
_CYCLE_HELP = (
    "write an ISO-8601 repeating interval: R3/PT4H (three times, every 4 hours), "
    "R/P1D (every day until the task is done) or R3/2026-06-08T09:00:00+07:00/PT4H"
)


def _cycle_problem(text: str, event: Any) -> str | None:
    """A cycle timer runs as repeating reminders on a non-interrupting boundary event."""
    kind = etree.QName(event).localname
    shown = text.strip().strip("\"'")
    if kind == "boundaryEvent" and event.get("cancelActivity", "true").strip() == "false":
        where = None
    elif kind == "boundaryEvent":
        where = (
            f"cycle timer {shown!r} is on an interrupting boundary event, which fires once and "
            "ends the task it is attached to: untick 'Interrupting' (cancelActivity=\"false\") "
            "for repeating reminders, or use a timeDuration or timeDate for a one-time escalation"
        )
    elif kind == "intermediateCatchEvent":
        where = (
            f"cycle timer {shown!r} is on an intermediate event, which waits once: use a "
            "timeDuration (wait PT4H) or a timeDate there; repeating reminders belong on a "
            "non-interrupting boundary event of the task to remind about"
        )
    elif kind == "startEvent":
        where = (
            f"cycle timer {shown!r} would start cases on a schedule by itself; prflow cases are "
            "started by a person (prflow start): remove the timer from the start event"
        )
    else:
        where = (
            f"cycle timer {shown!r} is not run on a bpmn:{kind}; repeating reminders belong on a "
            "non-interrupting boundary event"
        )
    try:
        tree = parse_safe(text)
    except UnsafeExpression:
        tree = None
    literal = getattr(tree, "body", None)
    value = getattr(literal, "value", None)
    if where:
        return where
    if not isinstance(value, str):
        if _CRON.fullmatch(shown):
            return (
                f"cycle timer {shown!r} is a cron expression, which prflow does not read; "
                f"{_CYCLE_HELP}"
            )
        if not re.match(r"R\d*/", shown):
            return f"cycle timer {shown!r} is not a time prflow can read; {_CYCLE_HELP}"
    try:
        cycle = timer_events.parse_cycle(value if isinstance(value, str) else shown)
    except ValueError as err:
        return f"cycle timer {shown!r}: {err}"
    if not isinstance(value, str):  # it parses, yet the dialect layer left it bare
        return f"cycle timer {shown!r} is not a repeating interval prflow reads; {_CYCLE_HELP}"
    if cycle.repetitions == 0:
        return f"cycle timer {value!r} repeats 0 times, so it never fires; {_CYCLE_HELP}"
    if cycle.repetitions is not None and cycle.repetitions > bounds.MAX_CYCLE_REPETITIONS:
        return (
            f"cycle timer {value!r} repeats {cycle.repetitions} times; at most "
            f"{bounds.MAX_CYCLE_REPETITIONS} are run (R/... repeats until the task is done)"
        )
    least = bounds.MIN_CYCLE_INTERVAL
    if cycle.interval < least:
        return (
            f"cycle timer {value!r} repeats every {cycle.interval.total_seconds():g} s; "
            f"reminders repeat no more often than every {least.total_seconds() / 60:g} "
            "minute(s) (PT1M), and a person needs hours (PT4H) or days (P1D)"
        )
    if cycle.interval > timedelta(days=bounds.MAX_LIMIT_DAYS):
        return (
            f"cycle timer {value!r} repeats only every {cycle.interval.days} days; "
            f"at most {bounds.MAX_LIMIT_DAYS} days apart"
        )
    if cycle.start is not None:
        try:
            bounds.check_instant(cycle.start, f"the first instant of cycle timer {value!r}")
        except InvalidInput as err:
            return str(err)
    return None
