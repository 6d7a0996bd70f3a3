"""The kinds of event the log holds: one documented dataclass per type, written and read alike.

A command builds one of these and hands it to ``engine.events.chain.append``; the timeline, replay,
export and the deep check read the same class back with ``decode``. The payload column keeps
the JSON these classes have always written (field name = key), so events written before the
classes existed decode too: a key an old event lacks takes the field's default.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar


class EventType(StrEnum):
    DEPLOYED = "deployed"
    USER_ADDED = "user_added"
    CASE_STARTED = "case_started"
    CASE_COMPLETED = "case_completed"
    TASK_READY = "task_ready"
    TASK_CLAIMED = "task_claimed"
    TASK_UNCLAIMED = "task_unclaimed"
    TASK_COMPLETED = "task_completed"
    TASK_CANCELLED = "task_cancelled"
    TASK_REASSIGNED = "task_reassigned"
    CASE_SUSPENDED = "case_suspended"
    CASE_RESUMED = "case_resumed"
    CASE_CANCELLED = "case_cancelled"
    VERSION_WITHDRAWN = "version_withdrawn"
    VERSION_RESTORED = "version_restored"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    SWEEP_AT = "sweep_at"
    ATTACHMENT_STORED = "attachment_stored"
    TIMER_FIRED = "timer_fired"
    DUE_RECOMPUTED = "due_recomputed"
    CASE_PURGED = "case_purged"
    PURGE_REFUSED = "purge_refused"
    SIGNED_IN = "signed_in"
    SIGN_IN_REFUSED = "sign_in_refused"
    PASSWORD_SET = "password_set"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    MESSAGE_DELIVERED = "message_delivered"


@dataclass(frozen=True)
class EventBody:
    """What one event says beyond who, when and which case: its payload, typed."""

    TYPE: ClassVar[EventType]

    def payload(self) -> str:
        """The payload column's text (sorted keys, UTF-8 kept as is)."""
        # A shallow dict gives the same JSON as dataclasses.asdict (which deep-copies every
        # value first, a third of an event's cost) unless a field holds a dataclass.
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if any(dataclasses.is_dataclass(value) for value in fields.values()):
            fields = dataclasses.asdict(self)
        return json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class TaskEvent(EventBody):
    """An event about one task; the step and role are kept so the log reads on its own."""

    element_id: str = ""
    role: str = ""


@dataclass(frozen=True)
class Deployed(EventBody):
    """A new version of a process definition was stored (the BPMN file's SHA-256 pins it)."""

    TYPE = EventType.DEPLOYED
    sha256: str = ""
    file: str = ""
    definition_id: int | None = None
    forms_sha256: str | None = None  # the forms deployed with it; None before forms existed


@dataclass(frozen=True)
class UserAdded(EventBody):
    """A person was added with the roles they hold and their unit."""

    TYPE = EventType.USER_ADDED
    login: str = ""
    roles: list[str] = field(default_factory=list)
    unit: str = ""


@dataclass(frozen=True)
class CaseStarted(EventBody):
    """A case was started on a definition version with its start form's data; ``called``
    pins the version (definition id) of each process its call activities reach."""

    TYPE = EventType.CASE_STARTED
    data: dict[str, Any] = field(default_factory=dict)
    definition_id: int | None = None
    called: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseCompleted(EventBody):
    """The case's workflow reached its end."""

    TYPE = EventType.CASE_COMPLETED


@dataclass(frozen=True)
class TaskReady(TaskEvent):
    """A user task appeared in a role's worklist, with its due time as computed then."""

    TYPE = EventType.TASK_READY
    due_text: str | None = None
    due_at: str | None = None  # ISO instant, as written
    spiff_task_id: str | None = None


@dataclass(frozen=True)
class TaskClaimed(TaskEvent):
    """Someone took a task; ``implicit`` when completing an unclaimed task claimed it."""

    TYPE = EventType.TASK_CLAIMED
    implicit: bool = False


@dataclass(frozen=True)
class TaskUnclaimed(TaskEvent):
    """The assignee gave a claimed task back to its role."""

    TYPE = EventType.TASK_UNCLAIMED


@dataclass(frozen=True)
class TaskCompleted(TaskEvent):
    """A task was completed with this form data."""

    TYPE = EventType.TASK_COMPLETED
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskCancelled(TaskEvent):
    """An open task was withdrawn because the workflow moved past it (e.g. a timer fired)."""

    TYPE = EventType.TASK_CANCELLED


@dataclass(frozen=True)
class TaskReassigned(TaskEvent):
    """A supervisor moved a task to another person of its lane, saying why."""

    TYPE = EventType.TASK_REASSIGNED
    previous: str | None = None
    to: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CaseSuspended(EventBody):
    """A case was put on hold: its tasks cannot be claimed or completed, its timers wait."""

    TYPE = EventType.CASE_SUSPENDED
    reason: str = ""


@dataclass(frozen=True)
class CaseResumed(EventBody):
    """A suspended case was let go on."""

    TYPE = EventType.CASE_RESUMED
    reason: str = ""


@dataclass(frozen=True)
class CaseCancelled(EventBody):
    """A case was stopped for good; its open tasks were cancelled with it."""

    TYPE = EventType.CASE_CANCELLED
    reason: str = ""


@dataclass(frozen=True)
class VersionWithdrawn(EventBody):
    """A process owner withdrew a version: no new case starts on it; running ones go on."""

    TYPE = EventType.VERSION_WITHDRAWN
    definition_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class VersionRestored(EventBody):
    """A withdrawn version may start new cases again."""

    TYPE = EventType.VERSION_RESTORED
    definition_id: int | None = None


@dataclass(frozen=True)
class UserDeactivated(EventBody):
    """An admin deactivated a person: they keep their history but can no longer act."""

    TYPE = EventType.USER_DEACTIVATED
    login: str = ""
    reason: str = ""


@dataclass(frozen=True)
class UserReactivated(EventBody):
    """An admin let a deactivated person act again."""

    TYPE = EventType.USER_REACTIVATED
    login: str = ""


@dataclass(frozen=True)
class RoleGranted(EventBody):
    """An admin gave a person a role."""

    TYPE = EventType.ROLE_GRANTED
    login: str = ""
    role: str = ""


@dataclass(frozen=True)
class RoleRevoked(EventBody):
    """An admin took a role from a person."""

    TYPE = EventType.ROLE_REVOKED
    login: str = ""
    role: str = ""


@dataclass(frozen=True)
class SweepAt(EventBody):
    """Ops ran the timer sweep as of a past instant (catch-up after an outage)."""

    TYPE = EventType.SWEEP_AT
    at: str = ""


@dataclass(frozen=True)
class AttachmentStored(EventBody):
    """A file was uploaded to a case; its SHA-256 pins the bytes the server keeps."""

    TYPE = EventType.ATTACHMENT_STORED
    attachment_id: int | None = None
    name: str = ""
    kind: str = ""
    size: int = 0
    sha256: str = ""


@dataclass(frozen=True)
class TimerFired(EventBody):
    """A BPMN timer fired in a sweep; ``attached_to`` names the task a boundary timer guards.

    A cycle timer (a reminder, ``R3/PT4H``) logs one of these per firing: ``repetition``
    counts from 1, ``fire_at`` is that repetition's own instant, and ``missed`` the earlier
    overdue repetitions this one firing stood in for after a downtime. Other timers, and
    events written before cycles ran, have ``repetition`` None.
    """

    TYPE = EventType.TIMER_FIRED
    element_id: str = ""
    spiff_task_id: str = ""
    fire_at: str = ""
    attached_to: str | None = None
    repetition: int | None = None
    missed: int = 0


@dataclass(frozen=True)
class DueRecomputed(TaskEvent):
    """A task's due time moved because the holiday calendar changed."""

    TYPE = EventType.DUE_RECOMPUTED
    due_text: str | None = None
    old_due_at: str | None = None
    due_at: str | None = None
    calendar_fingerprint: str = ""
    timers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CasePurged(EventBody):
    """A completed case's content was cleared after its retention period; events are kept."""

    TYPE = EventType.CASE_PURGED
    retention: str = ""
    tasks_cleared: int = 0
    completed_at: str | None = None


@dataclass(frozen=True)
class PurgeRefused(EventBody):
    """Someone asked to purge a case and was refused (who may not, or not yet)."""

    TYPE = EventType.PURGE_REFUSED
    reason: str = ""
    message: str = ""
    retention: str = ""


@dataclass(frozen=True)
class SignedIn(EventBody):
    """A person signed in to the web pages with their password (a new browser session)."""

    TYPE = EventType.SIGNED_IN
    login: str = ""


@dataclass(frozen=True)
class SignInRefused(EventBody):
    """A sign-in was refused: a wrong login or password, or a login locked after too many."""

    TYPE = EventType.SIGN_IN_REFUSED
    login: str = ""
    reason: str = ""  # "wrong_password" or "locked"


@dataclass(frozen=True)
class PasswordSet(EventBody):
    """A person's sign-in password was set or replaced (the hash is never logged)."""

    TYPE = EventType.PASSWORD_SET
    login: str = ""


@dataclass(frozen=True)
class TokenCreated(EventBody):
    """An API token was made for a person (only its id and label are logged)."""

    TYPE = EventType.TOKEN_CREATED
    login: str = ""
    token_id: int = 0
    label: str = ""


@dataclass(frozen=True)
class TokenRevoked(EventBody):
    """An API token was revoked: requests bearing it are refused from now on."""

    TYPE = EventType.TOKEN_REVOKED
    login: str = ""
    token_id: int = 0


@dataclass(frozen=True)
class MessageDelivered(EventBody):
    """A message from outside reached the case (``prflow message``, ``POST .../messages``).

    ``element_id`` is the catch event or receive task that caught it (for an event-based
    gateway, the message target whose branch the case took); ``caught`` lists every
    element that caught it (a message reaches all that wait for it). ``data`` is the
    payload as delivered: its fields were merged into the case data. Replay delivers the
    same message with the same data at this point of the log.
    """

    TYPE = EventType.MESSAGE_DELIVERED
    name: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    element_id: str = ""
    caught: list[str] = field(default_factory=list)


BODY_TYPES: dict[EventType, type[EventBody]] = {
    cls.TYPE: cls
    for cls in (
        Deployed, UserAdded, CaseStarted, CaseCompleted, TaskReady, TaskClaimed, TaskUnclaimed,
        TaskCompleted, TaskCancelled, TaskReassigned, CaseSuspended, CaseResumed, CaseCancelled,
        VersionWithdrawn, VersionRestored, UserDeactivated, UserReactivated, RoleGranted,
        RoleRevoked, SweepAt, AttachmentStored, TimerFired, DueRecomputed, CasePurged, PurgeRefused,
        SignedIn, SignInRefused, PasswordSet, TokenCreated, TokenRevoked,
        MessageDelivered,
    )
}  # fmt: skip


def decode(type: str, payload: str) -> EventBody:
    """Read a stored payload back as its event type's class (unknown keys are ignored)."""
    cls = BODY_TYPES[EventType(type)]
    raw = json.loads(payload)
    known = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in raw.items() if k in known} if isinstance(raw, dict) else {}
    return cls(**values)
