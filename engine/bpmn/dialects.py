"""Modeler dialects: read what Camunda Modeler 7, Camunda 8 (Zeebe) and bpmn.io save.

Process owners draw in the modelers they know. Each modeler keeps a task's role, form and
time limit in its own extension attributes, and writes conditions in its own language
(JUEL ``${decision == 'approve'}`` in Camunda 7, FEEL ``=decision = "approve"`` in
Camunda 8). ``normalize`` rewrites a parsed document, in place, into prflow's one dialect
(``spiffworkflow:properties`` and safe expressions) before SpiffWorkflow and the project
rules read it, so every later layer reads one dialect. Elements keep their source lines,
so problems still point at the line the owner sees in the file.

What is read (and what each becomes):

- a lane's role: a ``role`` property on the lane (spiffworkflow, camunda or zeebe
  properties), else the lane's name; the lane's ``name`` becomes that role id, so a Thai
  lane header (``name="นักประชาสัมพันธ์"``) can carry ``role=esao_pr_officer``;
- ``camunda:properties`` / ``zeebe:properties`` -> the same-named prflow properties;
- ``camunda:candidateGroups`` / ``zeebe:assignmentDefinition candidateGroups`` -> ``role``
  (one group: a prflow task belongs to exactly one role);
- ``camunda:formKey`` / ``zeebe:formDefinition formKey|formId`` -> ``form`` (its last path
  segment without extension: ``embedded:app:forms/p6_upload.html`` is ``p6_upload``);
- ``camunda:dueDate`` / ``zeebe:taskSchedule dueDate`` -> ``due`` (a literal time limit;
  date expressions are refused);
- JUEL and FEEL conditions -> safe expressions (``engine.bpmn.expressions``), or a problem that
  names the exact sub-expression that has no safe equivalent;
- bare ISO-8601 timer values (``PT3H``, as every modeler saves them) -> quoted literals;
- Camunda 7 ``camunda:collection``/``camunda:elementVariable`` and Zeebe
  ``zeebe:loopCharacteristics`` -> BPMN ``loopDataInputRef``/``inputDataItem`` (and the
  output collection), which SpiffWorkflow runs.

- a call activity's called process: BPMN ``calledElement``, or Zeebe
  ``zeebe:calledElement processId`` (a literal id) -> ``calledElement``. prflow passes all
  case data in and all of the called process's data back out (as SpiffWorkflow does, and
  as Camunda 7's ``camunda:in/out variables="all"`` and Zeebe's default propagation do);
  the newest deployed version is pinned when a case starts (Camunda 7's default binding
  ``latest``). Other bindings (``deployment``, ``version``, ``versionTag``), tenant ids,
  variable mappings and expressions as the called id are refused, each with the reason.

``camunda:assignee``, ``camunda:candidateUsers`` and Zeebe ``assignee``/``candidateUsers``
are refused with the reason: prflow gives work to a role and a person claims it.
Our own properties win over a modeler's attribute when both are set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF, "camunda": CAMUNDA, "zeebe": ZEEBE}


@dataclass(frozen=True)
class DialectProblem:
    """Something a modeler wrote that prflow cannot read, on this element."""

    element: Any
    message: str
    rule: str = "dialect"


def normalize(root: Any) -> list[DialectProblem]:
    """Rewrite ``root`` into prflow's dialect in place; return what could not be read."""
    problems: list[DialectProblem] = []
    for lane in root.iter(f"{{{BPMN}}}lane"):
        role = _modeler_properties(lane).get("role") or properties_of(lane).get("role")
        if role and role.strip():
            lane.set("name", role.strip())
    for task in root.iter(f"{{{BPMN}}}userTask"):
        _read_task(task, problems)
    for expression in root.iter(
        f"{{{BPMN}}}conditionExpression",
        f"{{{BPMN}}}completionCondition",
        f"{{{BPMN}}}loopCondition",
        f"{{{BPMN}}}loopCardinality",
    ):
        _read_condition(expression, problems)
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for timer in root.iter(f"{{{BPMN}}}{tag}"):
            text = (timer.text or "").strip()
            if text.startswith("="):  # FEEL: a literal string is all a timer may hold
                text = text[1:].strip()
            if _ISO_TIMER.fullmatch(text):
                timer.text = f'"{text}"'
            elif text.startswith(("duration(", "date and time(")) and text.endswith(")"):
                inner = text[text.index("(") + 1 : -1].strip()
                if _ISO_TIMER.fullmatch(inner.strip("\"'")):
                    timer.text = f'"{inner.strip(chr(34) + chr(39))}"'
    for loop in root.iter(f"{{{BPMN}}}multiInstanceLoopCharacteristics"):
        _read_loop(loop, problems)
    for call in root.iter(f"{{{BPMN}}}callActivity"):
        _read_call(call, problems)
    return problems


# -- properties ---------------------------------------------------------------------------


def properties_of(node: Any) -> dict[str, str]:
    """The node's prflow (spiffworkflow) properties, the last of a repeated name winning."""
    found: dict[str, str] = {}
    for prop in node.iterfind(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
    ):
        if prop.get("name"):
            found[prop.get("name")] = prop.get("value") or ""
    return found


def _modeler_properties(node: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in (
        "bpmn:extensionElements/camunda:properties/camunda:property",
        "bpmn:extensionElements/zeebe:properties/zeebe:property",
    ):
        for prop in node.iterfind(path, NS):
            if prop.get("name"):
                found[prop.get("name")] = prop.get("value") or ""
    return found


def _set_property(node: Any, name: str, value: str) -> None:
    """Add a prflow property to ``node`` unless it already has one of that name."""
    if name in properties_of(node):
        return
    extensions = node.find("bpmn:extensionElements", NS)
    if extensions is None:
        extensions = etree.Element(f"{{{BPMN}}}extensionElements")
        # BPMN's schema wants extensionElements right after documentation.
        index = sum(1 for child in node if etree.QName(child).localname == "documentation")
        node.insert(index, extensions)
    holder = extensions.find("spiffworkflow:properties", NS)
    if holder is None:
        holder = etree.SubElement(extensions, f"{{{SPIFF}}}properties")
    prop = etree.SubElement(holder, f"{{{SPIFF}}}property")
    prop.set("name", name)
    prop.set("value", value)


# -- user tasks ---------------------------------------------------------------------------


def _read_task(task: Any, problems: list[DialectProblem]) -> None:
    for name, value in _modeler_properties(task).items():
        _set_property(task, name, value)
    zeebe_assign = task.find("bpmn:extensionElements/zeebe:assignmentDefinition", NS)
    zeebe_form = task.find("bpmn:extensionElements/zeebe:formDefinition", NS)
    zeebe_schedule = task.find("bpmn:extensionElements/zeebe:taskSchedule", NS)
    groups = task.get(f"{{{CAMUNDA}}}candidateGroups") or (
        zeebe_assign.get("candidateGroups") if zeebe_assign is not None else None
    )
    if groups:
        names = [g.strip() for g in groups.lstrip("=").strip("\"'[] ").split(",") if g.strip()]
        names = [n.strip("\"'") for n in names]
        if len(names) != 1 or "${" in groups:
            problems.append(
                DialectProblem(
                    task,
                    f"candidate groups {groups!r}: a prflow task belongs to exactly one role; "
                    "name one role id from processes/roles.toml (or put the task in that "
                    "role's lane and remove candidateGroups)",
                )
            )
        else:
            _set_property(task, "role", names[0])
    people: tuple[tuple[str, str | None], ...] = (
        ("camunda:assignee", task.get(f"{{{CAMUNDA}}}assignee")),
        ("camunda:candidateUsers", task.get(f"{{{CAMUNDA}}}candidateUsers")),
        ("zeebe:assignmentDefinition assignee", _get(zeebe_assign, "assignee")),
        ("zeebe:assignmentDefinition candidateUsers", _get(zeebe_assign, "candidateUsers")),
    )
    for attribute, named in people:
        if named:
            problems.append(
                DialectProblem(
                    task,
                    f"{attribute}={named!r} names people; prflow gives a task to a role and "
                    "a person of that role claims it: remove it and set the role with the "
                    "lane or candidateGroups",
                )
            )
    form = (
        task.get(f"{{{CAMUNDA}}}formKey")
        or _get(zeebe_form, "formKey")
        or _get(zeebe_form, "formId")
        or _get(zeebe_form, "externalReference")
    )
    if form:
        _set_property(task, "form", form_id(form))
    due = task.get(f"{{{CAMUNDA}}}dueDate") or _get(zeebe_schedule, "dueDate")
    if due:
        text = due.strip()
        if text.startswith("="):
            text = text[1:].strip().strip("\"'")
        if "${" in text or "(" in text:
            problems.append(
                DialectProblem(
                    task,
                    f"due date {due!r} is an expression; write the manual's limit as a "
                    'literal (e.g. "P1D", "PT3H") or as a prflow \'due\' property such as '
                    '"1 working day"',
                    "task-due",
                )
            )
        else:
            _set_property(task, "due", text)


def form_id(form_key: str) -> str:
    """The form id in a modeler's form key: its last path segment, without extension."""
    text = form_key.strip().lstrip("=").strip("\"'")
    for prefix in ("camunda-forms:", "embedded:", "deployment:", "app:"):
        while text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return text.rsplit(".", 1)[0] if "." in text else text


def _get(node: Any, name: str) -> str | None:
    return None if node is None else node.get(name)


# -- conditions ---------------------------------------------------------------------------

_ISO_TIMER = re.compile(
    r"(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)"
    r"(/P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?)?"
)
_TOKEN = re.compile(
    r"\s*(?:(?P<str>\"[^\"]*\"|'[^']*')|(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[<>=!(),\[\]]))"
)
_JUEL_WORDS: dict[str, str | None] = {
    "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
    "and": "and", "or": "or", "not": "not", "true": "True", "false": "False", "null": "None",
    "empty": None, "div": None, "mod": None, "instanceof": None,
}  # fmt: skip
_JUEL_OPS: dict[str, str | None] = {
    "&&": "and", "||": "or", "!": "not", "==": "==", "!=": "!=", "=": None,
}  # fmt: skip
_FEEL_WORDS: dict[str, str | None] = {
    "and": "and", "or": "or", "not": "not", "true": "True", "false": "False", "null": "None",
    "in": "in",
}  # fmt: skip
_FEEL_OPS: dict[str, str | None] = {
    "=": "==", "!=": "!=", "&&": None, "||": None, "==": None, "!": None,
}  # fmt: skip


class Untranslatable(ValueError):
    """A modeler expression holds a piece with no safe equivalent (``piece`` names it)."""

    def __init__(self, piece: str, why: str) -> None:
        self.piece = piece
        super().__init__(f"{piece!r} {why}")


def translate(text: str) -> str:
    """A JUEL ``${...}`` or FEEL ``=...`` expression in prflow's safe language.

    Anything else is returned unchanged (it is already ours). Raises ``Untranslatable``
    naming the sub-expression that has no safe equivalent.
    """
    stripped = text.strip()
    if stripped.startswith("${") and stripped.endswith("}"):
        return _translate(stripped[2:-1], _JUEL_WORDS, _JUEL_OPS, "JUEL")
    if stripped.startswith("#{") and stripped.endswith("}"):
        return _translate(stripped[2:-1], _JUEL_WORDS, _JUEL_OPS, "JUEL")
    if stripped.startswith("="):
        return _translate(stripped[1:], _FEEL_WORDS, _FEEL_OPS, "FEEL")
    return text


def is_modeler_expression(text: str) -> bool:
    """Whether ``text`` is still written in JUEL or FEEL (``translate`` refused it)."""
    stripped = text.strip()
    return stripped.startswith(("${", "#{", "=")) and not stripped.startswith("==")


def _translate(
    body: str, words: Mapping[str, str | None], ops: Mapping[str, str | None], lang: str
) -> str:
    out: list[str] = []
    position = 0
    body = body.strip()
    while position < len(body):
        match = _TOKEN.match(body, position)
        if match is None or match.end() == position:
            rest = body[position:].strip()
            piece = re.split(r"\s", rest, maxsplit=1)[0] or rest
            raise Untranslatable(piece, f"has no safe equivalent in prflow's conditions ({lang})")
        position = match.end()
        if match.group("name"):
            name = match.group("name")
            nxt = body[position:].lstrip()
            if nxt.startswith((".", "(")) and name.lower() not in ("not", "and", "or"):
                piece = name + nxt.split()[0] if nxt else name
                raise Untranslatable(
                    piece, f"calls a method or reads a property ({lang}); compare a plain field"
                )
            if name in words:
                mapped = words[name]
                if mapped is None:
                    raise Untranslatable(name, f"has no safe equivalent ({lang})")
                out.append(mapped)
            else:
                out.append(name)
        elif match.group("op"):
            op = match.group("op")
            if op in ops:
                mapped = ops[op]
                if mapped is None:
                    raise Untranslatable(op, f"is not an operator in {lang}")
                out.append(mapped)
            else:
                out.append(op)
        else:
            out.append(match.group(0).strip())
    return " ".join(out)


def _read_condition(expression: Any, problems: list[DialectProblem]) -> None:
    text = expression.text or ""
    try:
        translated = translate(text)
    except Untranslatable as err:
        owner = expression.getparent()
        problems.append(
            DialectProblem(
                owner,
                f"condition {text.strip()!r} cannot be run safely: {err}; write it with "
                'field names, literals, comparisons, and/or/not (e.g. decision == "approve")',
                "safe-expression",
            )
        )
        return
    # An unsafe result is reported by the safe-expression layer, on the translated text.
    expression.text = translated


# -- call activities ---------------------------------------------------------------------

_PINNED = (
    "prflow pins the called process's newest deployed version when a case starts (Camunda's "
    "'latest' binding) and keeps it for the case"
)
_ALL_DATA = (
    "prflow passes all case data into the called process and all of its data back "
    '(camunda:in/out variables="all")'
)


def _read_call(call: Any, problems: list[DialectProblem]) -> None:
    """The called process of a call activity, read from Camunda 7, Zeebe or plain BPMN."""

    def refuse(message: str) -> None:
        problems.append(DialectProblem(call, message, "call-activity"))

    zeebe = call.find("bpmn:extensionElements/zeebe:calledElement", NS)
    if zeebe is not None:
        process_id = (zeebe.get("processId") or "").strip()
        if process_id.startswith("="):
            literal = process_id[1:].strip()
            if len(literal) > 1 and literal[0] == literal[-1] and literal[0] in "\"'":
                process_id = literal[1:-1]
        if not process_id or not _PROCESS_ID.fullmatch(process_id):
            refuse(
                f"zeebe:calledElement processId={zeebe.get('processId')!r} is not a process id; "
                "write the called process's id literally (an expression cannot be pinned)"
            )
        elif not call.get("calledElement"):
            call.set("calledElement", process_id)
        for name in ("propagateAllChildVariables", "propagateAllParentVariables"):
            if (zeebe.get(name) or "true").strip().lower() == "false":
                refuse(
                    f'zeebe:calledElement {name}="false" limits the data passed; {_ALL_DATA}: '
                    f"tick the modeler's 'Propagate all {'child' if 'Child' in name else 'parent'}"
                    " variables' (or remove the attribute)"
                )
    if call.find("bpmn:extensionElements/zeebe:ioMapping", NS) is not None:
        refuse(f"zeebe:ioMapping on a call activity is not read; {_ALL_DATA}: remove the mapping")
    called = call.get("calledElement")
    if called and not _PROCESS_ID.fullmatch(called.strip()):
        refuse(
            f"calledElement {called!r} is an expression, not a process id; write the called "
            "process's id (an expression cannot be pinned when the case starts)"
        )
    binding = (call.get(f"{{{CAMUNDA}}}calledElementBinding") or "latest").strip()
    if binding != "latest":
        refuse(
            f"camunda:calledElementBinding={binding!r} is not read; {_PINNED}: remove the "
            "binding (Binding: latest in the modeler)"
        )
    for attribute in ("calledElementVersion", "calledElementVersionTag",
                      "calledElementTenantId", "caseRef", "variableMappingClass",
                      "variableMappingDelegateExpression"):  # fmt: skip
        value = call.get(f"{{{CAMUNDA}}}{attribute}")
        if value:
            refuse(
                f"camunda:{attribute}={value!r} is not read by prflow ({_PINNED}; {_ALL_DATA}); "
                "remove it"
            )
    for mapping in call.iterfind("bpmn:extensionElements/camunda:in", NS):
        if mapping.get("variables") != "all" or len(mapping.attrib) != 1:
            refuse(_mapping_problem("in", mapping))
    for mapping in call.iterfind("bpmn:extensionElements/camunda:out", NS):
        if mapping.get("variables") != "all" or len(mapping.attrib) != 1:
            refuse(_mapping_problem("out", mapping))


def _mapping_problem(direction: str, mapping: Any) -> str:
    written = " ".join(f'{etree.QName(k).localname}="{v}"' for k, v in mapping.attrib.items())
    return (
        f"camunda:{direction} {written} maps single variables; {_ALL_DATA}: use "
        f'camunda:{direction} variables="all" or remove the mapping'
    )


_PROCESS_ID = re.compile(r"[A-Za-z_][\w.\-]*")


# -- multi-instance -----------------------------------------------------------------------


def _read_loop(loop: Any, problems: list[DialectProblem]) -> None:
    """Camunda 7 and Zeebe collections as BPMN data references SpiffWorkflow reads."""
    if loop.find("bpmn:loopDataInputRef", NS) is not None:
        return
    task = loop.getparent()
    collection = task.get(f"{{{CAMUNDA}}}collection") or loop.get(f"{{{CAMUNDA}}}collection")
    element = task.get(f"{{{CAMUNDA}}}elementVariable") or loop.get(f"{{{CAMUNDA}}}elementVariable")
    output_collection = output_element = None
    zeebe = loop.find("bpmn:extensionElements/zeebe:loopCharacteristics", NS)
    if zeebe is not None:
        collection = zeebe.get("inputCollection")
        element = zeebe.get("inputElement")
        output_collection = zeebe.get("outputCollection")
        output_element = zeebe.get("outputElement")
    if not collection:
        return
    names = []
    for raw in (collection, element, output_collection, output_element):
        value = (raw or "").strip()
        if value.startswith("${") and value.endswith("}"):
            value = value[2:-1].strip()
        value = value.lstrip("=").strip()
        if value and not value.isidentifier():
            problems.append(
                DialectProblem(
                    task,
                    f"multi-instance collection {raw!r} must be a plain field name of the "
                    "case data (e.g. reviewers)",
                    "supported",
                )
            )
            return
        names.append(value or None)
    collection, element, output_collection, output_element = names
    _insert_after_cardinality(loop, "loopDataInputRef", collection)
    if output_collection:
        _insert_after_cardinality(loop, "loopDataOutputRef", output_collection)
    if element:
        item = etree.SubElement(loop, f"{{{BPMN}}}inputDataItem")
        item.set("id", element)
        item.set("name", element)
    if output_collection and output_element:
        item = etree.SubElement(loop, f"{{{BPMN}}}outputDataItem")
        item.set("id", output_element)
        item.set("name", output_element)
    # BPMN's schema orders the children: move a completion condition after the items.
    for condition in loop.findall("bpmn:completionCondition", NS):
        loop.remove(condition)
        loop.append(condition)


def _insert_after_cardinality(loop: Any, tag: str, text: str | None) -> None:
    ref = etree.Element(f"{{{BPMN}}}{tag}")
    ref.text = text
    extensions = loop.find("bpmn:extensionElements", NS)
    index = 0 if extensions is None else list(loop).index(extensions) + 1
    for child in loop:
        if etree.QName(child).localname in ("loopCardinality", "loopDataInputRef"):
            index = list(loop).index(child) + 1
    loop.insert(index, ref)
