"""The messages a case waits for, as people and permissions see them, and the refusal of a
message it does not wait for.

A case waits for a message at an intermediate message catch event, a receive task, a
message boundary event on a user task or an event-based gateway's message target
(``engine.bpmn.message_rules``). Which ones wait now is read off the saved workflow
(``engine.cases.runtime.waiting_messages``); each is shown with the role of its lane, the
role that may deliver it (``engine.cases.permissions``).
"""

from __future__ import annotations

from typing import Any

from engine.bpmn.definitions import CompiledDefinition
from engine.cases import runtime
from engine.cases.views import WaitingMessageView
from engine.errors import Conflict


class MessageNotAwaited(Conflict):
    """The case does not wait for this message now; ``waiting`` lists what it waits for."""

    def __init__(self, case_id: int, name: str, waiting: list[WaitingMessageView]) -> None:
        self.case_id = case_id
        self.name = name
        self.waiting = sorted({w.name for w in waiting})
        if waiting:
            listed = ", ".join(
                f"{w.name!r} (at {w.element_id}" + (f", role {w.role})" if w.role else ")")
                for w in waiting
            )
            now = f"it waits for {listed}"
        else:
            now = "it waits for no message now (it may be at a user task: prflow show CASE)"
        super().__init__(
            f"case {case_id} is not waiting for message {name!r}; {now}; nothing was delivered"
        )


def waiting_views(workflow: Any, compiled: CompiledDefinition) -> tuple[WaitingMessageView, ...]:
    """The messages ``workflow`` waits for, each with the role of its lane."""
    return tuple(
        WaitingMessageView(
            m.name, m.element_id, compiled.message_roles.get(m.element_id, ""), m.element_name
        )
        for m in runtime.waiting_messages(workflow)
    )
