"""One router per resource; each route is a thin call into the engine.

``PROBLEMS`` documents the error statuses every API route may answer with, so the OpenAPI
document lists them (schemathesis checks every answer against it).
"""

from __future__ import annotations

from typing import Any

from api.errors import PROBLEM_JSON
from api.schemas import Problem

_REF = {"schema": {"$ref": "#/components/schemas/Problem"}}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description, "content": {PROBLEM_JSON: _REF}}
    for status, description in [
        (400, "the request failed"),
        (401, "not signed in, or a revoked token"),
        (403, "not allowed (the detail says which role would be), or no CSRF token"),
        (404, "no such task, case or process"),
        (409, "the state does not allow it (already done, or the case moved on)"),
        (422, "malformed input, with field details or definition problems"),
    ]
}
