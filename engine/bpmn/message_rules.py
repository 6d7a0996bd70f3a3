"""Messages a case waits for: which BPMN message elements prflow runs, and the checks on them.

prflow delivers a message to one case, named by the case id (``prflow message CASE NAME``,
``POST /api/v1/cases/{id}/messages``): the case id *is* the correlation, so correlation
keys, properties and subscriptions stay refused (``engine.bpmn.definitions``). What runs:

- an ``intermediateCatchEvent`` with a ``messageEventDefinition``: the case waits there;
- a ``receiveTask`` with a ``messageRef``: the same wait, drawn as a task;
- an interrupting ``boundaryEvent`` with a ``messageEventDefinition`` on a user task: the
  message withdraws the task and the case takes the boundary's flow;
- an ``eventBasedGateway`` whose targets are message catch events and at most one timer
  catch event: whichever comes first wins (a delivered message, or the timer fired by the
  sweep) and the other branches are dropped.

Refused, each with the reason: message start events (a case is started by a person with
``prflow start``; wait for the reply after the start instead), non-interrupting message
boundary events, message throw/end events and send tasks (prflow sends nothing), a
``messageRef`` that is missing, names no ``bpmn:message``, or a message without a name,
two ``bpmn:message`` elements with one name (a delivery would be ambiguous), gateway
targets other than message and timer catch events, more than one timer at one gateway
(SpiffWorkflow keeps one fire time per gateway), a ``spiffworkflow:messageVariable``
that is not a plain field name, and Camunda 8's ``zeebe:subscription`` correlation key (a
FEEL expression prflow would not evaluate: the case id is the correlation).

The payload a message carries is merged into the case data (``engine.cases.runtime``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from engine import bounds

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_B = f"{{{BPMN_NS}}}"

# Where a message may be caught, and what the owner is told where it may not.
_CATCHERS = {"intermediateCatchEvent", "boundaryEvent", "receiveTask"}
_NOT_CAUGHT_WHY = {
    "startEvent": "a case is started by a person (prflow start), not by a message; start with "
    "a none start event and wait for the message with an intermediate message catch event",
    "endEvent": "prflow sends no messages; use a none end event",
}


@dataclass(frozen=True)
class MessageProblem:
    """One message rule broken: on which element, what is wrong and how to fix it."""

    element: Any
    message: str
    rule: str = "message"


def _local(node: Any) -> str:
    return str(etree.QName(node).localname)


def message_names(tree: Any) -> dict[str, str]:
    """``bpmn:message`` id -> its name (stripped; "" when it has none)."""
    return {
        node.get("id"): (node.get("name") or "").strip()
        for node in tree.iter(f"{_B}message")
        if node.get("id")
    }


def message_of(node: Any) -> str | None:
    """The messageRef of a receive task or of a message event's definition, if any."""
    if _local(node) != "receiveTask":
        node = node.find(f"{_B}messageEventDefinition")
    ref = node.get("messageRef") if node is not None else None
    return str(ref) if ref is not None else None


def catches_message(node: Any) -> bool:
    return _local(node) == "receiveTask" or (
        _local(node) in _CATCHERS and node.find(f"{_B}messageEventDefinition") is not None
    )


def check_messages(tree: Any) -> list[MessageProblem]:
    """Every broken message rule of a parsed (dialect-normalized) document."""
    problems: list[MessageProblem] = []
    names = message_names(tree)
    by_name: dict[str, list[Any]] = {}
    for node in tree.iter(f"{_B}message"):
        name = (node.get("name") or "").strip()
        if not name:
            problems.append(MessageProblem(
                node, f"message {node.get('id')!r} has no name; give it the name senders use "
                "(e.g. agency_reply): prflow message CASE NAME delivers it by that name",
            ))  # fmt: skip
        elif len(name) > bounds.MAX_TEXT_LENGTH or not name.isprintable():
            problems.append(MessageProblem(
                node, f"message {node.get('id')!r} has a name prflow cannot deliver by; use "
                f"at most {bounds.MAX_TEXT_LENGTH} printable characters, e.g. agency_reply",
            ))  # fmt: skip
        else:
            by_name.setdefault(name, []).append(node)
    for name, nodes in by_name.items():
        if len(nodes) > 1:
            ids = ", ".join(repr(n.get("id")) for n in nodes)
            for node in nodes[1:]:
                problems.append(MessageProblem(
                    node, f"message name {name!r} is used by {len(nodes)} messages ({ids}); "
                    "a delivery by name would be ambiguous: give each message its own name, "
                    "or point every event at one of them",
                ))  # fmt: skip
    for definition in tree.iter(f"{_B}messageEventDefinition"):
        event = definition.getparent()
        kind = _local(event)
        if kind in _NOT_CAUGHT_WHY:
            problems.append(MessageProblem(
                event, f"a message {kind} is not run by prflow: {_NOT_CAUGHT_WHY[kind]}",
                "supported",
            ))  # fmt: skip
            continue
        if kind == "boundaryEvent" and event.get("cancelActivity") == "false":
            problems.append(MessageProblem(
                event, "a non-interrupting message boundary event is not run yet; make it "
                "interrupting, or wait for the message on a parallel branch with an "
                "intermediate message catch event", "supported",
            ))  # fmt: skip
            continue
        problems += _ref_problems(event, definition.get("messageRef"), names)
    for task in tree.iter(f"{_B}receiveTask"):
        problems += _ref_problems(task, task.get("messageRef"), names)
        if task.get("instantiate") == "true":
            problems.append(MessageProblem(
                task, "a receive task that starts the process (instantiate=\"true\") is not "
                "run: a person starts a case with prflow start; untick instantiate",
                "supported",
            ))  # fmt: skip
    for variable in tree.iter(f"{{{SPIFF_NS}}}messageVariable"):
        text = (variable.text or "").strip()
        if not text.isidentifier() or text.startswith("_"):
            owner = variable.getparent()
            while owner is not None and not owner.get("id"):
                owner = owner.getparent()
            problems.append(MessageProblem(
                owner if owner is not None else variable,
                f"messageVariable {text!r} is not a field name; use letters, digits and '_' "
                "(not first), e.g. reply, or remove it to merge the message's fields into "
                "the case data",
            ))  # fmt: skip
    for subscription in tree.iter(f"{{{ZEEBE_NS}}}subscription"):
        owner = subscription.getparent()
        while owner is not None and not owner.get("id"):
            owner = owner.getparent()
        problems.append(MessageProblem(
            owner if owner is not None else subscription,
            f"zeebe:subscription correlationKey {subscription.get('correlationKey')!r} is not "
            "read: prflow delivers a message to one case by its id (prflow message CASE "
            "NAME), which is the correlation; remove the subscription", "supported",
        ))  # fmt: skip
    for gateway in tree.iter(f"{_B}eventBasedGateway"):
        problems += _gateway_problems(tree, gateway)
    return problems


def _ref_problems(node: Any, ref: str | None, names: dict[str, str]) -> list[MessageProblem]:
    what = f"{_local(node)} {node.get('id')!r}"
    known = ", ".join(f"{i!r} ({n or 'no name'})" for i, n in names.items()) or "none yet"
    if not ref:
        return [MessageProblem(
            node, f"{what} waits for a message but names none (no messageRef); pick the "
            f"message in the modeler (messages of this file: {known}) or add a bpmn:message "
            "with a name",
        )]  # fmt: skip
    if ref not in names:
        return [MessageProblem(
            node, f"{what} waits for message {ref!r}, which is not a bpmn:message of this "
            f"file (messages: {known}); pick an existing message or add it",
        )]  # fmt: skip
    return []


def _gateway_problems(tree: Any, gateway: Any) -> list[MessageProblem]:
    gateway_id = gateway.get("id")
    nodes = {n.get("id"): n for n in tree.iter() if isinstance(n.tag, str) and n.get("id")}
    problems: list[MessageProblem] = []
    timers = []
    for flow in tree.iter(f"{_B}sequenceFlow"):
        if flow.get("sourceRef") != gateway_id:
            continue
        if flow.find(f"{_B}conditionExpression") is not None:
            problems.append(MessageProblem(
                flow, f"sequence flow {flow.get('id')!r} leaves event-based gateway "
                f"{gateway_id!r} with a condition; the event that comes first chooses the "
                "branch: remove the condition",
            ))  # fmt: skip
        target = nodes.get(flow.get("targetRef"))
        if target is None:
            continue  # reported as a flow to a missing element
        kind = _local(target)
        timer = (
            kind == "intermediateCatchEvent"
            and target.find(f"{_B}timerEventDefinition") is not None
        )
        message = kind == "intermediateCatchEvent" and catches_message(target)
        if timer:
            timers.append(target)
        elif not message:
            drawn = "a receive task" if kind == "receiveTask" else f"a {kind}"
            problems.append(MessageProblem(
                target, f"event-based gateway {gateway_id!r} leads to {drawn} "
                f"{target.get('id')!r}; prflow races only intermediate message and timer catch "
                "events there: draw an intermediate catch event with a message or a timer",
                "supported",
            ))  # fmt: skip
    for extra in timers[1:]:
        problems.append(MessageProblem(
            extra, f"event-based gateway {gateway_id!r} waits for {len(timers)} timers; prflow "
            "races messages against one timer per gateway: keep the earliest timer",
            "supported",
        ))  # fmt: skip
    return problems


def message_roles(tree: Any, lanes: dict[str, str]) -> dict[str, str]:
    """Each element that catches a message -> the role of its lane (who may deliver it).

    A boundary event drawn outside every lane takes its task's lane; an event in a diagram
    without lanes has no role (then only ops may deliver its message).
    """
    found: dict[str, str] = {}
    for node in tree.iter():
        if not isinstance(node.tag, str) or not node.get("id") or not catches_message(node):
            continue
        role = lanes.get(node.get("id")) or lanes.get(node.get("attachedToRef") or "", "")
        found[node.get("id")] = role
    return found
