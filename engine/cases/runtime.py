"""The thin wrapper around SpiffWorkflow: create, step, save and restore one workflow.

Nothing here touches the database. Two choices matter:

- **State without the spec.** SpiffWorkflow's serializer writes the whole process spec into
  every saved workflow, and restores it by rebuilding every task spec. prflow stores a
  case's state without it and plugs in the compiled spec of the case's pinned definition
  version (``engine.bpmn.definitions`` parses each version once), so saved state is smaller and
  restoring does no parsing.
- **The safe script engine is set on every workflow**, new or restored: it is not part of
  the saved JSON, and without it SpiffWorkflow would ``eval`` conditions with full builtins.
- **Loop links are made before any step.** A multi-instance or standard-loop task hears
  that one of its instances finished through a callback on the *instance's spec*
  (``completed_event.connect(merge_child)``). SpiffWorkflow 3.2.0 connects it lazily, when
  an instance is created, or when its own serializer rebuilds the spec from JSON. A spec
  compiled fresh by a new process (a separate CLI command) never created an instance, so
  a restored instance finished silently and the case stalled with no open task.
  ``_link_loops`` connects every loop task of the spec and its subprocess specs up front,
  on new and restored workflows alike.
- **A step that fails raises ``StepFailed``**, whatever SpiffWorkflow raised
  (``WorkflowException`` is the parent of the task-level errors: "no conditions satisfied"
  at an exclusive gateway is one of those); the half-advanced workflow object is then
  discarded by the caller, which stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.definitions import CompiledDefinition
from engine.bpmn.expressions import DUE_AT, DueResolver, SafeScriptEngine
from engine.bpmn.timer_events import cycle_state, event_definitions, stepping
from engine.errors import InvalidInput


class _LeanWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Saves a workflow without its spec; restores it with the spec object handed in."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
_LeanWorkflowConverter(BpmnWorkflow, _REGISTRY)
_SERIALIZER = BpmnWorkflowSerializer(_REGISTRY)
SERIALIZER_VERSION: str = _SERIALIZER.VERSION


class StepFailed(InvalidInput):
    """SpiffWorkflow could not move the case on (e.g. a condition read a missing field)."""


@dataclass(frozen=True)
class WaitingTimer:
    spiff_task_id: str
    element_id: str
    fire_at: datetime
    repetition: int | None = None  # a cycle timer: the number of the repetition it waits for


@dataclass(frozen=True)
class CycleFiring:
    """What one firing of a cycle timer did (``engine.bpmn.timer_events.GatedCycle``)."""

    repetition: int  # the repetition fired, counting from 1
    fire_at: datetime  # its nominal instant
    missed: int  # earlier overdue repetitions it stood in for (after a downtime)


def new_workflow(
    compiled: CompiledDefinition, data: Mapping[str, Any], resolver: DueResolver, now: datetime
) -> Any:
    _link_loops(compiled)
    workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs)
    workflow.script_engine = SafeScriptEngine(resolver)
    workflow.data.update(data)
    workflow.task_tree.data.update(data)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    _run(workflow, now, lambda: workflow.do_engine_steps())
    return workflow


def serialize(workflow: Any) -> str:
    dct = _SERIALIZER.to_dict(workflow)
    dct[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
    return json.dumps(dct, separators=(",", ":"), ensure_ascii=False)


def restore(state: str, compiled: CompiledDefinition, resolver: DueResolver) -> Any:
    dct = json.loads(state)
    _SERIALIZER.migrate(dct)
    _link_loops(compiled)
    dct["spec"] = compiled.spec
    dct["subprocess_specs"] = compiled.subprocess_specs
    workflow = _SERIALIZER.from_dict(dct)
    workflow.script_engine = SafeScriptEngine(resolver)
    return workflow


def _link_loops(compiled: CompiledDefinition) -> None:
    """Connect each loop task to its instances' spec, as SpiffWorkflow's deserializer does."""
    for spec in (compiled.spec, *compiled.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            if not isinstance(task_spec, LoopTask):
                continue
            child = spec.task_specs[task_spec.task_spec]
            if not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)
            event = task_spec.completed_event
            if isinstance(task_spec, MultiInstanceTask) and not event.is_connected(_drop_items):
                event.connect(_drop_items)


def _drop_items(_workflow: Any, task: Any) -> None:
    """Forget the per-instance item (``source`` of ``sources``) once every instance is done.

    Instances' data is merged back into the case, item and all; SpiffWorkflow then refuses
    to run the same multi-instance task again ("input item already exists") when a revise
    loop comes back to it. The item is each instance's own variable, as in Camunda.
    """
    for item in (task.task_spec.input_item, task.task_spec.output_item):
        if item is not None:
            task.data.pop(item.bpmn_id, None)


def ready_user_tasks(workflow: Any) -> list[Any]:
    return list(workflow.get_tasks(state=TaskState.READY, manual=True))


def find_task(workflow: Any, spiff_task_id: str) -> Any | None:
    """The workflow task, or None if it is gone (compaction drops finished history)."""
    try:
        return workflow.get_task_from_id(UUID(spiff_task_id))
    except TaskNotFoundException:
        return None


def complete_task(
    workflow: Any, spiff_task_id: str, data: Mapping[str, Any], now: datetime
) -> None:
    """Complete one READY user task with the submitted data and run until the case waits."""
    task = find_task(workflow, spiff_task_id)
    if task is None or task.state != TaskState.READY:
        raise StepFailed(f"workflow task {spiff_task_id} is not ready; reload the case")

    def step() -> None:
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()

    _run(workflow, now, step)


def compact(workflow: Any) -> None:
    """Drop the finished history above the tasks that are still open.

    SpiffWorkflow keeps every completed task in its tree, so a case that loops through
    verify/revise two hundred times carries two hundred rounds of tasks in its saved state
    and walks them on every step. prflow's own task rows and event log are the history;
    the workflow needs only the subtree from the deepest task that is an ancestor of every
    unfinished one. That task becomes the new root and keeps its full data (saved state
    stores a root's data whole, other tasks as deltas), so nothing a later step reads is
    lost. A finished subprocess (an embedded one, or a called process's run) is dropped
    once the task that ran it has finished too: its data already went back to that task.
    Workflows with a subprocess still running are left alone: parent links cross workflows.
    """
    for task_id, subprocess in list(workflow.subprocesses.items()):
        parent = workflow.get_task_from_id(task_id)
        if subprocess.completed and (parent is None or parent.has_state(TaskState.FINISHED_MASK)):
            workflow.subprocesses.pop(task_id, None)
    if workflow.subprocesses:
        return
    paths = [
        _path_from_root(task) for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)
    ]
    if not paths:
        return
    new_root = None
    for level in zip(*paths, strict=False):
        # Stop at the first unfinished task too: it still needs its parent (a waiting
        # intermediate timer inherits its data from there when it fires).
        if any(task is not level[0] for task in level) or not level[0].has_state(
            TaskState.FINISHED_MASK
        ):
            break
        new_root = level[0]
    if new_root is None or new_root is workflow.task_tree:
        return
    new_root.data = dict(new_root.data)
    new_root._parent = None
    workflow.task_tree = new_root
    workflow.tasks = {task.id: task for task in _subtree(new_root)}
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None


def _path_from_root(task: Any) -> list[Any]:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    path.reverse()
    return path


def _subtree(root: Any) -> list[Any]:
    found, stack = [], [root]
    while stack:
        task = stack.pop()
        found.append(task)
        stack.extend(task.children)
    return found


def fire_due_timers(workflow: Any, now: datetime) -> set[str]:
    """Fire the timers due strictly before ``now`` (and only those) and run on.

    Returns the ids of the waiting timer tasks that fired, read before compaction: an
    event-based gateway whose timer won is finished history once its branch runs, and
    compaction drops it from the tree.
    """
    waiting = [timer.spiff_task_id for timer in waiting_timers(workflow)]
    fired: set[str] = set()

    def step() -> None:
        workflow.refresh_timers()
        workflow.do_engine_steps()
        fired.update(i for i in waiting if has_run(workflow.get_task_from_id(UUID(i))))

    _run(workflow, now, step, True)
    return fired


def waiting_timers(workflow: Any) -> list[WaitingTimer]:
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        # An event-based gateway holds its timer target's definition (one per gateway).
        if not any(isinstance(d, TimerEventDefinition) for d in event_definitions(task.task_spec)):
            continue
        cycle = cycle_state(task)
        if cycle is not None:
            if cycle.next_at is not None:  # a spent cycle waits for nothing more
                timers.append(
                    WaitingTimer(
                        str(task.id), task.task_spec.bpmn_id, cycle.next_at, cycle.done + 1
                    )
                )
            continue
        value = task._get_internal_data("event_value")
        if not isinstance(value, str):
            continue  # not armed yet
        timers.append(
            WaitingTimer(
                str(task.id),
                _timer_element(task.task_spec),
                TimerEventDefinition.get_datetime(value),
            )
        )
    return timers


def _timer_element(spec: Any) -> str:
    """The timer event's id; for an event-based gateway, its timer target's."""
    inner = getattr(spec.event_definition, "event_definitions", [])
    for target, definition in zip(spec.outputs, inner, strict=False):
        if isinstance(definition, TimerEventDefinition):
            return str(target.bpmn_id)
    return str(spec.bpmn_id)


@dataclass(frozen=True)
class WaitingMessage:
    """A message the case waits for now, and the element that waits for it."""

    name: str
    element_id: str  # the catch event or receive task (an event-based gateway's target)
    spiff_task_id: str
    element_name: str = ""  # its name in the diagram


def waiting_messages(workflow: Any) -> list[WaitingMessage]:
    """The messages the workflow waits for, in the order its waiting tasks were made."""
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        definition = getattr(spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition):
            found.append(
                WaitingMessage(definition.name, spec.bpmn_id, str(task.id), spec.bpmn_name or "")
            )
        # An event-based gateway waits for its targets' events, in the order of its flows.
        for target, inner in zip(spec.outputs, getattr(definition, "event_definitions", []),
                                 strict=False):  # fmt: skip
            if isinstance(inner, MessageEventDefinition):
                found.append(
                    WaitingMessage(inner.name, target.bpmn_id, str(task.id), target.bpmn_name or "")
                )
    return found


def deliver_message(
    workflow: Any, name: str, payload: Mapping[str, Any], now: datetime
) -> list[WaitingMessage]:
    """Deliver message ``name`` with ``payload`` and run until the case waits again.

    Every task waiting for the message catches it (SpiffWorkflow's own rule: a message
    goes to all its waiting catchers). The payload's fields are merged into the catching
    task's data, so the steps after it read them as case data; this is what SpiffWorkflow's
    plain BPMN message event does (``task.set_data(**payload)``). A diagram drawn for
    SpiffWorkflow may name a ``spiffworkflow:messageVariable``: then, as Spiff's dialect
    does, the payload is stored whole under that one field instead. Returns the waits that
    caught it (empty: the workflow was not waiting for ``name``; nothing changed).
    """
    caught = [m for m in waiting_messages(workflow) if m.name == name]
    if not caught:
        return []
    catchers = [workflow.get_task_from_id(UUID(m.spiff_task_id)) for m in caught]
    definition = next(
        d
        for task in catchers
        for d in event_definitions(task.task_spec)
        if isinstance(d, MessageEventDefinition) and d.name == name
    )

    def step() -> None:
        workflow.catch(BpmnEvent(definition, dict(payload)))
        if getattr(definition, "message_var", None) is None:
            for task in catchers:
                # Spiff's dialect keeps a payload only under a messageVariable; without one
                # it would drop it, where plain BPMN merges it: merge it here.
                task.data.update(payload)
        workflow.do_engine_steps()

    _run(workflow, now, step)
    return caught


def cycle_fired(timer_task: Any, waiting: WaitingTimer) -> CycleFiring | None:
    """The firing of a cycle timer since it was ``waiting``, if it fired; else None."""
    cycle = cycle_state(timer_task)
    if cycle is None or waiting.repetition is None or cycle.done < waiting.repetition:
        return None
    assert cycle.last_at is not None  # set by every firing
    return CycleFiring(cycle.done, cycle.last_at, cycle.missed)


def cycle_firings(workflow: Any, element_id: str) -> set[tuple[int, datetime]]:
    """(repetition, instant) of the latest firing of each cycle timer of ``element_id``."""
    found = set()
    for task in workflow.get_tasks():
        cycle = cycle_state(task) if task.task_spec.bpmn_id == element_id else None
        if cycle is not None and cycle.last_at is not None:
            found.add((cycle.done, cycle.last_at))
    return found


def due_at_timers(workflow: Any) -> dict[str, list[Any]]:
    """Waiting ``due_at`` boundary timers, by the id of the task they are attached to.

    These follow their task's due time; timers with a literal date or duration do not.
    """
    found: dict[str, list[Any]] = {}
    for timer in waiting_timers(workflow):
        spiff_task = find_task(workflow, timer.spiff_task_id)
        if spiff_task is None or not is_boundary(spiff_task):
            continue
        expression = getattr(spiff_task.task_spec.event_definition, "expression", "")
        if str(expression).strip() == DUE_AT:
            found.setdefault(str(attached_task(spiff_task).id), []).append(spiff_task)
    return found


def is_boundary(task: Any) -> bool:
    return hasattr(task.task_spec, "cancel_activity")


def attached_task(boundary_task: Any) -> Any:
    """The task a boundary event's task is attached to (its sibling under the split)."""
    for sibling in boundary_task.parent.children:
        if sibling is not boundary_task and not is_boundary(sibling):
            return sibling
    raise InvalidInput(f"boundary event {boundary_task.task_spec.bpmn_id} is attached to no task")


def element_id(task: Any) -> str:
    """The BPMN id of the element a workflow task runs."""
    return str(task.task_spec.bpmn_id)


def is_ready(task: Any) -> bool:
    return bool(task.state == TaskState.READY)


def has_run(task: Any) -> bool:
    """True once a task left waiting to run (a timer that fired, not one cancelled)."""
    return bool(task.state & (TaskState.READY | TaskState.STARTED | TaskState.COMPLETED))


def timer_value(timer_task: Any) -> Any:
    """The fire time a waiting timer holds (an ISO string for date and duration timers)."""
    return timer_task._get_internal_data("event_value")


def set_timer_value(timer_task: Any, value: str) -> None:
    """Move a waiting timer to fire at ``value`` (an ISO instant)."""
    timer_task._set_internal_data(event_value=value)


def set_resolver(workflow: Any, resolver: DueResolver) -> None:
    """Point a cached workflow's ``due_at`` timers at this step's due times."""
    workflow.script_engine.due_resolver = resolver


def is_completed(workflow: Any) -> bool:
    return bool(workflow.is_completed())


def _run(workflow: Any, now: datetime, action: Any, may_fire: bool = False) -> None:
    try:
        with stepping(now, may_fire=may_fire):
            action()
        compact(workflow)
    except WorkflowException as err:
        cause = err.__cause__ if isinstance(err.__cause__, InvalidInput) else err
        spec = getattr(getattr(err, "task", None), "task_spec", None) or getattr(
            err, "task_spec", None
        )
        element = getattr(spec, "bpmn_id", None) or "?"
        name = getattr(spec, "bpmn_name", None)
        where = f"{element} ({name})" if name else element
        if "No conditions satisfied" in str(err):
            tested = [
                str(condition.args[0]).strip()
                for condition, _ in getattr(spec, "cond_task_specs", [])
                if condition is not None and getattr(condition, "args", None)
            ]
            listed = "; ".join(tested) or "none"
            raise StepFailed(
                f"the case cannot move on at gateway {where}: the data matches none of its "
                f"conditions ({listed}) and it has no default flow; submit data that "
                "matches one of them (nothing was stored)"
            ) from err
        raise StepFailed(f"the case cannot move on at {where}: {cause}") from err
