"""The engine's error tree.

Every error the engine raises on purpose is an ``EngineError``: it carries the data that
explains it (ids, statuses, field names) and a message saying what is wrong, where, and how
to fix it. Adapters (CLI, HTTP) map these classes to exit codes or status codes in one
place; the engine itself knows nothing about HTTP.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class NotFound(EngineError):
    """A thing named by the caller does not exist."""

    def __init__(self, kind: str, key: object, hint: str = "") -> None:
        self.kind = kind
        self.key = key
        message = f"{kind} {key!r} does not exist"
        super().__init__(f"{message}. {hint}" if hint else message)


class Forbidden(EngineError):
    """The actor may not do this: a role they do not hold, or a task that is not theirs."""

    def __init__(self, actor: str, action: str, reason: str) -> None:
        self.actor = actor
        self.action = action
        self.reason = reason
        super().__init__(f"{actor} may not {action}: {reason}")


class Conflict(EngineError):
    """The request is valid but the stored state does not allow it (any more)."""


class InvalidInput(EngineError):
    """Input from a person or a file is malformed; the message says how to fix it."""
