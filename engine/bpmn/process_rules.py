"""Project rules for process files, on top of the BPMN schema and SpiffWorkflow's own parse.

The schema says a file is BPMN; these rules say it is a prflow process a person can work:
every lane is a known role, every flow node is in a lane, every user task names its form and
time limit, every decision branch can be chosen, every step can be reached and can finish,
and the diagram shows every step inside its lane. Each problem is a ``RuleViolation`` with
the rule name, element id, source line and a message saying what to fix.

Condition safety is not checked here: ``engine.bpmn.expressions`` owns that, at deploy time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from engine.bpmn import dialects
from engine.errors import EngineError
from engine.roles import RoleCatalogue
from engine.worktime.deadlines import parse_limit

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "spiffworkflow": SPIFF}

# Elements that take part in sequence flow. Lanes must list each of them and the diagram
# must draw each of them.
FLOW_NODE_TAGS = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
BRANCHING_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})

LimitParser = Callable[[str], object]


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule: which rule, on which element and line, and how to fix it."""

    rule: str
    element_id: str | None
    line: int | None
    message: str


def check_process_rules(path: Path, roles: RoleCatalogue) -> list[RuleViolation]:
    """All project-rule violations in the BPMN file at ``path``, in document order per rule.

    Raises lxml's ``XMLSyntaxError`` for a file that is not XML: that is the schema layer's
    problem, reported before these rules run.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser=parser).getroot()
    dialects.normalize(root)  # lanes named in Thai carry their role id in a property
    return check_process_tree(root, roles)


def check_process_tree(root: Any, roles: RoleCatalogue) -> list[RuleViolation]:
    """The same rules on an already parsed document (a definition stored in the database)."""
    return _Checker(root, roles, parse_limit).run()


def _local(element: Any) -> str:
    return str(etree.QName(element).localname)


class _Checker:
    """Runs every rule over one parsed file."""

    def __init__(self, root: Any, roles: RoleCatalogue, parse_limit: LimitParser) -> None:
        self.root = root
        self.roles = roles
        self.parse_limit = parse_limit
        self.violations: list[RuleViolation] = []
        self.processes = root.findall("bpmn:process", NS)
        self.nodes: dict[str, Any] = {}
        self.flows: list[Any] = []
        for process in self.processes:
            for child in process.iter():
                if not isinstance(child.tag, str):
                    continue  # comments and processing instructions
                # Nodes of embedded subprocesses are steps of the process too.
                if _local(child.getparent()) not in ("process", "subProcess"):
                    continue
                if _local(child) in FLOW_NODE_TAGS and child.get("id"):
                    self.nodes[child.get("id")] = child
                elif _local(child) == "sequenceFlow":
                    self.flows.append(child)

    def add(self, rule: str, element: Any, message: str) -> None:
        element_id = element.get("id") if element is not None else None
        line = element.sourceline if element is not None else None
        self.violations.append(RuleViolation(rule, element_id, line, message))

    def run(self) -> list[RuleViolation]:
        lanes_of = self.check_lanes()
        self.check_user_tasks()
        self.check_gateways()
        self.check_reachable()
        self.check_diagram(lanes_of)
        return self.violations

    # -- known-role, lane-membership ---------------------------------------------------------
    def check_lanes(self) -> dict[str, list[Any]]:
        """Known lane roles and one lane per node; returns node id -> lanes listing it."""
        lanes_of: dict[str, list[Any]] = {node_id: [] for node_id in self.nodes}
        known = ", ".join(self.roles.ids)
        for lane in self.root.iter(f"{{{BPMN}}}lane"):
            # A lane with child lanes is only a container; the leaves carry the roles.
            if lane.find("bpmn:childLaneSet", NS) is not None:
                continue
            role = (lane.get("name") or "").strip()
            if role not in self.roles:
                self.add(
                    "known-role",
                    lane,
                    f"lane {lane.get('id')!r} has role {role!r} (its 'role' property, else "
                    f"its name), which is not a role in processes/roles.toml; use one of: "
                    f"{known} (or add the role to the catalogue)",
                )
            for ref in lane.findall("bpmn:flowNodeRef", NS):
                node_id = (ref.text or "").strip()
                if node_id in lanes_of:
                    lanes_of[node_id].append(lane)
        for node_id, node in self.nodes.items():
            # A step inside an embedded subprocess works in the subprocess's lane unless
            # the modeler listed it in a lane of its own.
            owner = node.getparent()
            while not lanes_of[node_id] and owner is not None and _local(owner) == "subProcess":
                lanes_of[node_id] = list(lanes_of.get(owner.get("id"), []))
                owner = owner.getparent()
        self.check_task_roles(lanes_of)
        for node_id, node in self.nodes.items():
            found = lanes_of[node_id]
            if not found and self.has_lanes:
                self.add(
                    "lane-membership",
                    node,
                    f"{_local(node)} {node_id!r} is in no lane; move it into the lane of "
                    f"the role that does it (a bpmn:flowNodeRef in that bpmn:lane)",
                )
            elif len(found) > 1:
                names = ", ".join(repr(lane.get("name")) for lane in found)
                self.add(
                    "lane-membership",
                    node,
                    f"{_local(node)} {node_id!r} is in several lanes ({names}); keep it "
                    f"in exactly one",
                )
        return lanes_of

    @property
    def has_lanes(self) -> bool:
        return self.root.find(".//bpmn:lane", NS) is not None

    def check_task_roles(self, lanes_of: dict[str, list[Any]]) -> None:
        """A user task's role: a candidate group (``role`` property) or its lane's name.

        A diagram without lanes (common in Camunda Modeler) names each task's role with
        candidate groups; then only user tasks need one, and the problem is reported once
        per task instead of once per event and gateway.
        """
        known = ", ".join(self.roles.ids)
        for node_id, node in self.nodes.items():
            if _local(node) != "userTask":
                continue
            role = _properties(node).get("role", "").strip()
            if role and role not in self.roles:
                self.add(
                    "known-role",
                    node,
                    f"user task {node_id!r} names role {role!r} (candidate group), which is "
                    f"not a role in processes/roles.toml; use one of: {known}",
                )
            elif not role and not lanes_of[node_id] and not self.has_lanes:
                self.add(
                    "lane-membership",
                    node,
                    f"user task {node_id!r} has no role: the diagram has no lanes and the task "
                    f"no candidate group; draw a lane per role (its name or a 'role' property "
                    f"the role id) or set candidateGroups to one of: {known}",
                )

    # -- task-form, task-due -------------------------------------------------------------------
    def check_user_tasks(self) -> None:
        for node_id, node in self.nodes.items():
            if _local(node) != "userTask":
                continue
            props = _properties(node)
            if not props.get("form", "").strip():
                self.add(
                    "task-form",
                    node,
                    f"user task {node_id!r} has no 'form' property; add "
                    f'<spiffworkflow:property name="form" value="pN_{node_id}" /> in its '
                    f"extensionElements/spiffworkflow:properties",
                )
            limits = [
                (name, value)
                for name, value in props.items()
                if name == "due" or name.startswith("due.")
            ]
            if not limits and "due_none" not in props:
                self.add(
                    "task-due",
                    node,
                    f"user task {node_id!r} has no time limit; add a 'due' property with "
                    f"the manual's limit (e.g. \"1 working day\"), or 'due_none' with the "
                    f"reason the manual gives none",
                )
            elif "due_none" in props and not props["due_none"].strip():
                self.add(
                    "task-due",
                    node,
                    f"user task {node_id!r} has an empty 'due_none'; write why the manual "
                    f"sets no time limit as its value",
                )
            for name, value in limits:
                if name.startswith("due.") and "=" not in name:
                    self.add(
                        "task-due",
                        node,
                        f"user task {node_id!r} has property {name!r}; a case-dependent "
                        f"limit is named due.<field>=<value>, e.g. "
                        f"due.news_type=meeting_summary",
                    )
                try:
                    self.parse_limit(value)
                except EngineError as err:  # LimitParseError; anything else is a bug to surface
                    self.add(
                        "task-due",
                        node,
                        f"user task {node_id!r}: property {name!r} = {value!r} is not a "
                        f"time limit prflow can read: {err}",
                    )

    # -- gateway-branches ------------------------------------------------------------------
    def check_gateways(self) -> None:
        outgoing = _group(self.flows, "sourceRef")
        for node_id, node in self.nodes.items():
            if _local(node) not in BRANCHING_GATEWAYS:
                continue
            flows = outgoing.get(node_id, [])
            if len(flows) < 2:
                continue
            default = node.get("default")
            for flow in flows:
                condition = flow.find("bpmn:conditionExpression", NS)
                has_condition = condition is not None and (condition.text or "").strip()
                if not has_condition and flow.get("id") != default:
                    self.add(
                        "gateway-branches",
                        flow,
                        f"sequence flow {flow.get('id')!r} leaves gateway {node_id!r} with "
                        f"no condition and is not the gateway's default; add a "
                        f'bpmn:conditionExpression such as decision == "approve", or make '
                        f"it the default flow",
                    )

    # -- reachable, can-end ----------------------------------------------------------------
    def check_reachable(self) -> None:
        forward: dict[str, set[str]] = {node_id: set() for node_id in self.nodes}
        for flow in self.flows:
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source in forward and target in self.nodes:
                forward[source].add(target)
        for node_id, node in self.nodes.items():
            attached = node.get("attachedToRef")
            if _local(node) == "boundaryEvent" and attached in forward:
                forward[attached].add(node_id)  # a boundary event fires while its task waits
        backward: dict[str, set[str]] = {node_id: set() for node_id in self.nodes}
        for source, targets in forward.items():
            for target in targets:
                backward[target].add(source)
        starts = [i for i, n in self.nodes.items() if _local(n) == "startEvent"]
        ends = [i for i, n in self.nodes.items() if _local(n) == "endEvent"]
        reached = _closure(starts, forward)
        finishing = _closure(ends, backward)
        for node_id, node in self.nodes.items():
            if node_id not in reached:
                self.add(
                    "reachable",
                    node,
                    f"{_local(node)} {node_id!r} cannot be reached from a start event; "
                    f"connect a sequence flow into it or remove it",
                )
            if node_id not in finishing:
                self.add(
                    "can-end",
                    node,
                    f"no path leads from {_local(node)} {node_id!r} to an end event; add "
                    f"a sequence flow from it towards an end event",
                )

    # -- diagram -------------------------------------------------------------------------------
    def check_diagram(self, lanes_of: dict[str, list[Any]]) -> None:
        bounds: dict[str, tuple[float, float, float, float]] = {}
        for shape in self.root.iter(f"{{{BPMNDI}}}BPMNShape"):
            box = shape.find("dc:Bounds", NS)
            if box is not None and shape.get("bpmnElement"):
                bounds[shape.get("bpmnElement")] = _box(box)
        edges = {e.get("bpmnElement") for e in self.root.iter(f"{{{BPMNDI}}}BPMNEdge")}
        for node_id, node in self.nodes.items():
            if node_id not in bounds:
                self.add(
                    "diagram",
                    node,
                    f"{_local(node)} {node_id!r} has no BPMNShape in the diagram; open the "
                    f"file in Camunda Modeler and place it (or add a bpmndi:BPMNShape with "
                    f'bpmnElement="{node_id}")',
                )
                continue
            for lane in lanes_of.get(node_id, []):
                lane_box = bounds.get(lane.get("id"))
                if lane_box is None:
                    self.add(
                        "diagram",
                        lane,
                        f"lane {lane.get('id')!r} has no BPMNShape in the diagram; draw "
                        f"the lane so its steps can be seen in it",
                    )
                elif not _inside(bounds[node_id], lane_box):
                    self.add(
                        "diagram",
                        node,
                        f"the shape of {node_id!r} lies outside its lane "
                        f"{lane.get('name')!r} ({lane.get('id')}); move it inside the "
                        f"lane's bounds",
                    )
        for flow in self.flows:
            if flow.get("id") not in edges:
                self.add(
                    "diagram",
                    flow,
                    f"sequence flow {flow.get('id')!r} has no BPMNEdge in the diagram; "
                    f"reconnect it in the modeler (or add a bpmndi:BPMNEdge with "
                    f"waypoints)",
                )


def _properties(node: Any) -> dict[str, str]:
    props: dict[str, str] = {}
    for prop in node.iterfind(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
    ):
        name = prop.get("name")
        if name:  # a repeated name: the last wins, as in SpiffWorkflow's own reading
            props[name] = prop.get("value") or ""
    return props


def _group(flows: Iterable[Any], attribute: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for flow in flows:
        grouped.setdefault(flow.get(attribute), []).append(flow)
    return grouped


def _closure(seeds: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(seeds)
    stack = list(seen)
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _box(bounds: Any) -> tuple[float, float, float, float]:
    return tuple(float(bounds.get(k, "0")) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _inside(
    inner: tuple[float, float, float, float], outer: tuple[float, float, float, float]
) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh
